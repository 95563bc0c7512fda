"""Encryption at rest and keyed hashing, with keys from the environment or instance/."""

from __future__ import annotations

import hashlib
import hmac
import os
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from flask import current_app


def _load_or_create_key(path: Path) -> bytes:
    if path.exists():
        return path.read_bytes().strip()
    path.parent.mkdir(parents=True, exist_ok=True)
    key = Fernet.generate_key()
    # Create the file readable by its owner only, and never overwrite one made meanwhile.
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(key)
    return key


def init_app(app) -> None:
    """Bind the data key: DATA_KEY (comma-separated, newest first) or the key file under instance/."""
    raw = app.config.get("DATA_KEY")
    if raw:
        keys = [k.strip().encode() for k in raw.split(",") if k.strip()]
    else:
        try:
            keys = [_load_or_create_key(Path(app.config["DATA_KEY_FILE"]))]
        except FileExistsError:
            keys = [Path(app.config["DATA_KEY_FILE"]).read_bytes().strip()]
    app.extensions["fernet"] = MultiFernet([Fernet(k) for k in keys])
    # Badge and link tokens are looked up by a keyed hash: a database dump alone cannot use them.
    app.extensions["token_key"] = hashlib.sha256(b"token-hash:" + app.config["SECRET_KEY"].encode()).digest()


def encrypt(text: str) -> str:
    return current_app.extensions["fernet"].encrypt(text.encode("utf-8")).decode("ascii")


def decrypt(token: str) -> str | None:
    try:
        return current_app.extensions["fernet"].decrypt(token.encode("ascii")).decode("utf-8")
    except (InvalidToken, ValueError):
        return None


def token_hash(token: str) -> str:
    """Keyed SHA-256 of a high-entropy token: fast, and enough for 128 random bits."""
    return hmac.new(current_app.extensions["token_key"], token.encode("utf-8"), hashlib.sha256).hexdigest()
