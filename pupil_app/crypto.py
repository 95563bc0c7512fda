"""Encryption at rest and keyed hashing, with keys from the environment or instance/.

Keys: ``DATA_KEY`` (comma-separated, newest first) or the key file under ``instance/`` (one key per
line, newest first; created on first run). The newest key encrypts; every key listed decrypts, so
a key can be rotated without downtime: ``flask data-key rotate`` (see README, "Rotating the data
key"). Every encrypted column is registered here (``register_encrypted``) so rotation finds it.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import re
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from flask import current_app

# (table, primary key column, encrypted column) of every value encrypted with the data key.
ENCRYPTED_COLUMNS: list[tuple[str, str, str]] = [("pupils", "id", "picture_password")]


def register_encrypted(table: str, pk: str, column: str) -> None:
    if (table, pk, column) not in ENCRYPTED_COLUMNS:
        ENCRYPTED_COLUMNS.append((table, pk, column))


def parse_keys(raw: bytes | str) -> list[bytes]:
    """Keys from DATA_KEY or the key file: separated by commas, spaces or new lines, newest first."""
    text = raw.decode("ascii") if isinstance(raw, bytes) else raw
    return [k.encode("ascii") for k in re.split(r"[\s,]+", text) if k]


def _load_or_create_key(path: Path) -> list[bytes]:
    if path.exists():
        return parse_keys(path.read_bytes())
    path.parent.mkdir(parents=True, exist_ok=True)
    key = Fernet.generate_key()
    # Create the file readable by its owner only, and never overwrite one made meanwhile.
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(key)
    return [key]


def write_key_file(path: Path, keys: list[bytes]) -> None:
    """Replace the key file atomically (owner-only), newest key first, one per line."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".new")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(b"\n".join(keys) + b"\n")
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)


def configured_keys(app) -> tuple[str, list[bytes]]:
    """Where the keys come from ("env" or "file") and the keys, newest first."""
    raw = app.config.get("DATA_KEY")
    if raw:
        return "env", parse_keys(raw)
    path = Path(app.config["DATA_KEY_FILE"])
    try:
        return "file", _load_or_create_key(path)
    except FileExistsError:
        return "file", parse_keys(path.read_bytes())


def use_keys(app, keys: list[bytes]) -> None:
    app.extensions["fernet"] = MultiFernet([Fernet(k) for k in keys])
    app.extensions["fernet_keys"] = list(keys)


def init_app(app) -> None:
    """Bind the data key: DATA_KEY (comma-separated, newest first) or the key file under instance/."""
    app.extensions["data_key_source"], keys = configured_keys(app)
    use_keys(app, keys)
    # Badge and link tokens are looked up by a keyed hash: a database dump alone cannot use them.
    app.extensions["token_key"] = hashlib.sha256(b"token-hash:" + app.config["SECRET_KEY"].encode()).digest()


def encrypt(text: str) -> str:
    return current_app.extensions["fernet"].encrypt(text.encode("utf-8")).decode("ascii")


def decrypt(token: str) -> str | None:
    try:
        return current_app.extensions["fernet"].decrypt(token.encode("ascii")).decode("utf-8")
    except (InvalidToken, ValueError):
        return None


def encrypt_bytes(data: bytes) -> str:
    """Encrypt a file's bytes; the token is ASCII text, so rotation treats it like any other value."""
    return current_app.extensions["fernet"].encrypt(data).decode("ascii")


def decrypt_bytes(token: str) -> bytes | None:
    try:
        return current_app.extensions["fernet"].decrypt(token.encode("ascii"))
    except (InvalidToken, ValueError):
        return None


def token_hash(token: str) -> str:
    """Keyed SHA-256 of a high-entropy token: fast, and enough for 128 random bits."""
    return hmac.new(current_app.extensions["token_key"], token.encode("utf-8"), hashlib.sha256).hexdigest()


def reencrypt_all(connection, fernet: MultiFernet, batch: int = 500) -> dict[str, int]:
    """Re-encrypt every registered column with ``fernet``'s newest key, on ``connection``.

    Runs on a plain connection (below the ORM, whose guards refuse edits to concerns and
    chronology: rotation changes no plaintext). The caller owns the transaction, so either every
    value is re-encrypted or none is. A value no key can decrypt stops the rotation.
    """
    from sqlalchemy import bindparam, column, select, table, update

    counts: dict[str, int] = {}
    for table_name, pk_name, col_name in ENCRYPTED_COLUMNS:
        t = table(table_name, column(pk_name), column(col_name))
        pk, col = t.c[pk_name], t.c[col_name]
        rows = connection.execute(select(pk, col).where(col.is_not(None)).order_by(pk)).all()
        statement = update(t).where(pk == bindparam("row_pk")).values({col_name: bindparam("new_value")})
        for start in range(0, len(rows), batch):
            params = []
            for ident, token in rows[start:start + batch]:
                try:
                    params.append({"row_pk": ident, "new_value": fernet.rotate(token.encode("ascii")).decode("ascii")})
                except (InvalidToken, ValueError) as exc:
                    raise RuntimeError(f"{table_name}.{col_name} of row {ident} cannot be decrypted with any "
                                       f"configured key; nothing was changed.") from exc
            connection.execute(statement, params)
        counts[f"{table_name}.{col_name}"] = len(rows)
    return counts
