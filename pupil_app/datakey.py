"""The data key is checked, never guessed.

A known value encrypted with the data key is stored in the database at first run (table
``data_key_check``). Start-up (``create_app``, so also every ``flask`` command) refuses with a clear
message when no configured key opens it: a wrong or missing key is never shown as "no words" and
never writes values the other processes cannot read.

The check value also says which key the deployment writes with: every process encrypts with the
key that opens the check value (``write_fernet``), not simply the first key it was given. Rotation
re-encrypts the check value last, in the same transaction as everything else, so processes switch
to the new key only once everything is under it, and only processes that can read it (the key file
is re-read when it changes) - there is no window in which one process writes what another cannot
read.
"""

from __future__ import annotations

import logging
import time
from datetime import datetime

from cryptography.fernet import Fernet, InvalidToken
from flask import Flask, current_app
from sqlalchemy import Text, inspect, select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Mapped, mapped_column

from . import crypto
from .extensions import db
from .timeutil import utcnow

log = logging.getLogger(__name__)

CHECK_PLAINTEXT = "pupil_app data key check v1"
REFRESH_SECONDS = 10.0
WRONG_KEY = ("The data key is wrong: none of the configured keys ({source}) opens the key check value stored in "
             "the database, so encrypted safeguarding text and picture passwords cannot be read. Refusing to "
             "start. Set DATA_KEY (or DATA_KEY_FILE) to the key this database was written with; see README, "
             "\"Rotating the data key\".")


class DataKeyError(RuntimeError):
    """No configured key opens the stored check value."""


class DataKeyCheck(db.Model):
    """One row: a fixed text encrypted with the key everything is (or is being) encrypted with."""

    __tablename__ = "data_key_check"
    id: Mapped[int] = mapped_column(primary_key=True)
    token: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


def _opening_key(keys: list[bytes], token: str) -> bytes | None:
    for key in keys:
        try:
            if Fernet(key).decrypt(token.encode("ascii")).decode("utf-8") == CHECK_PLAINTEXT:
                return key
        except (InvalidToken, ValueError):
            continue
    return None


def _stored_token(connection) -> str | None:
    return connection.execute(select(DataKeyCheck.token).order_by(DataKeyCheck.id).limit(1)).scalar()


def verify(app: Flask, connection) -> bytes | None:
    """The key that opens the stored check value (storing one with the newest key on first run).

    None when the table does not exist yet (before ``flask db upgrade``). Raises DataKeyError when
    no configured key opens it.
    """
    if not inspect(connection).has_table(DataKeyCheck.__tablename__):
        return None
    keys = app.extensions["fernet_keys"]
    token = _stored_token(connection)
    if token is None:
        connection.execute(DataKeyCheck.__table__.insert().values(
            id=1, token=Fernet(keys[0]).encrypt(CHECK_PLAINTEXT.encode()).decode("ascii"), created_at=utcnow()))
        return keys[0]
    key = _opening_key(keys, token)
    if key is None and crypto.reload_key_file(app):
        key = _opening_key(app.extensions["fernet_keys"], token)
    if key is None:
        raise DataKeyError(WRONG_KEY.format(source=app.extensions.get("data_key_source", "?")))
    return key


def enforce(app: Flask) -> None:
    """At start-up: refuse when the key is wrong. A database that cannot be reached is not a key
    fault (the app says so on every page and in /readyz); the check runs again when it is back."""
    app.extensions["data_key_writer"] = write_fernet
    try:
        with app.app_context():
            try:
                with db.engine.begin() as connection:
                    key = verify(app, connection)
            finally:
                # No connection may outlive start-up: gunicorn --preload forks workers from this process,
                # and a connection shared by two processes corrupts both. (An in-memory database lives in
                # its one connection: keep it.)
                if db.engine.url.database not in (None, "", ":memory:"):
                    db.engine.dispose()
    except DataKeyError:
        raise
    except SQLAlchemyError as exc:
        log.warning("Data key not checked at start-up: the database cannot be reached (%s).", type(exc).__name__)
        return
    _use_write_key(app, key)


def _use_write_key(app: Flask, key: bytes | None) -> None:
    keys = app.extensions["fernet_keys"]
    chosen = key if key in keys else keys[0]
    app.extensions["write_fernet"] = Fernet(chosen)
    app.extensions["write_key_checked"] = time.monotonic() if key is not None else 0.0


def write_fernet() -> Fernet:
    """The key new values are encrypted with: the one that opens the check value, re-read every few
    seconds (after a rotation every process moves to the new key within REFRESH_SECONDS)."""
    app = current_app._get_current_object()
    # A changed key file (a rotation by another process) is looked at at once; otherwise every few seconds.
    if crypto.reload_key_file(app) or time.monotonic() - app.extensions.get("write_key_checked", 0.0) > REFRESH_SECONDS:
        # On a connection of its own: a fault here never spoils the caller's transaction.
        with db.engine.connect() as connection:
            token = _stored_token(connection) if inspect(connection).has_table(DataKeyCheck.__tablename__) else None
        if token is not None:
            key = _opening_key(app.extensions["fernet_keys"], token)
            if key is None:
                raise DataKeyError(WRONG_KEY.format(source=app.extensions.get("data_key_source", "?")))
            _use_write_key(app, key)
        else:
            _use_write_key(app, None)
    return app.extensions["write_fernet"]


def status(app: Flask) -> str | None:
    """For /readyz: None when a configured key opens the check value, else the reason (no secrets)."""
    try:
        with db.engine.connect() as connection:
            if not inspect(connection).has_table(DataKeyCheck.__tablename__):
                return "data key: check value table missing (run flask db upgrade)"
            token = _stored_token(connection)
    except SQLAlchemyError as exc:
        return f"database unreachable ({type(exc).__name__})"
    if token is None:
        return None
    if _opening_key(app.extensions["fernet_keys"], token) is None:
        return "data key: no configured key opens the stored check value"
    return None
