"""/healthz says ok or degraded (with reasons, no secrets); /readyz is 200 only when the database
answers, its migrations are at head and the data key opens the stored check value."""

from __future__ import annotations

import os

from cryptography.fernet import Fernet
from flask_migrate import upgrade

from pupil_app import create_app
from pupil_app.extensions import db


def test_readyz_checks_database_migrations_and_data_key(tmp_path):
    path = tmp_path / "ready.sqlite"
    key = Fernet.generate_key().decode()
    app = create_app("testing", SQLALCHEMY_DATABASE_URI=f"sqlite:///{path}", DATA_KEY=key)
    client = app.test_client()
    response = client.get("/readyz")
    assert response.status_code == 503 and "migrations not at head" in str(response.get_json()["reasons"])
    with app.app_context():
        upgrade()
    app = create_app("testing", SQLALCHEMY_DATABASE_URI=f"sqlite:///{path}", DATA_KEY=key)  # first run: check stored
    client = app.test_client()
    ready = client.get("/readyz")
    assert ready.status_code == 200 and ready.get_json() == {"status": "ready"}
    assert client.get("/healthz").get_json() == {"status": "ok"}
    # The key is swapped under the running process (a bad deploy of the key file): not ready.
    app.extensions["fernet_keys"] = [Fernet.generate_key()]
    app.extensions.pop("health_cache")
    response = client.get("/readyz")
    assert response.status_code == 503 and "no configured key opens" in str(response.get_json())
    assert key not in response.get_data(as_text=True)
    # The database file goes away.
    with app.app_context():
        db.engine.dispose()
    os.replace(path, str(path) + ".away")
    app.extensions.pop("health_cache")
    assert client.get("/readyz").status_code == 503
