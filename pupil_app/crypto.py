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

# (table, primary key column, encrypted column) of every value encrypted with the data key. The key
# check value (datakey.py) comes last: rotation moves it to the new key after everything else.
ENCRYPTED_COLUMNS: list[tuple[str, str, str]] = [("pupils", "id", "picture_password")]
CHECK_COLUMN = ("data_key_check", "id", "token")


class Unreadable(str):
    """What ``decrypt`` returns for a value no configured key opens: shown as such, never as "no words"."""


UNREADABLE = Unreadable("cannot be read: the data key is wrong - tell the administrator")


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
    if app.extensions.get("write_fernet") is not None:
        app.extensions["write_key_checked"] = 0.0  # look again which key the deployment writes with


def _key_file_stamp(app):
    try:
        st = Path(app.config["DATA_KEY_FILE"]).stat()
        return st.st_mtime_ns, st.st_size, st.st_ino
    except OSError:
        return None


def reload_key_file(app) -> bool:
    """Keys from the key file again if it changed (`flask data-key rotate` or `retire` in another
    process). True when the keys changed."""
    if app.extensions.get("data_key_source") != "file":
        return False
    stamp = _key_file_stamp(app)
    if stamp is None or stamp == app.extensions.get("data_key_stamp"):
        return False
    app.extensions["data_key_stamp"] = stamp
    keys = parse_keys(Path(app.config["DATA_KEY_FILE"]).read_bytes())
    if not keys or keys == app.extensions.get("fernet_keys"):
        return False
    use_keys(app, keys)
    return True


def init_app(app) -> None:
    """Bind the data key: DATA_KEY (comma-separated, newest first) or the key file under instance/."""
    app.extensions["data_key_source"], keys = configured_keys(app)
    app.extensions["data_key_stamp"] = _key_file_stamp(app) if app.extensions["data_key_source"] == "file" else None
    use_keys(app, keys)
    app.jinja_env.tests["unreadable"] = lambda value: isinstance(value, Unreadable)
    # Badge and link tokens are looked up by a keyed hash: a database dump alone cannot use them.
    app.extensions["token_key"] = hashlib.sha256(b"token-hash:" + app.config["SECRET_KEY"].encode()).digest()


def encrypt(text: str) -> str:
    """Encrypt with the key the whole deployment writes with: the one opening the database's check
    value (``datakey.write_fernet``, installed at start-up), else the newest key."""
    writer = current_app.extensions.get("data_key_writer")
    fernet = writer() if writer is not None else Fernet(current_app.extensions["fernet_keys"][0])
    return fernet.encrypt(text.encode("utf-8")).decode("ascii")


def decrypt(token: str) -> str:
    """The plaintext, or ``UNREADABLE`` when no key opens it (after re-reading a changed key file)."""
    try:
        return current_app.extensions["fernet"].decrypt(token.encode("ascii")).decode("utf-8")
    except (InvalidToken, ValueError):
        app = current_app._get_current_object()
        if reload_key_file(app):
            return decrypt(token)
        return UNREADABLE


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
    from sqlalchemy import bindparam, column, inspect, select, table, update

    counts: dict[str, int] = {}
    has_check = inspect(connection).has_table(CHECK_COLUMN[0])
    for table_name, pk_name, col_name in ENCRYPTED_COLUMNS + ([CHECK_COLUMN] if has_check else []):
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
