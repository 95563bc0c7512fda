"""The data key is checked, never guessed: a wrong or missing key stops start-up and every `flask`
command with a clear message; a value no key opens is shown to the DSL as unreadable, never as "no
words"; a rotation by one process is picked up by another that was not restarted, with no moment in
which either writes what the other cannot read."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from sqlalchemy import select

from pupil_app import create_app, crypto, datakey
from pupil_app.auth import service as auth_service
from pupil_app.datakey import DataKeyCheck, DataKeyError
from pupil_app.extensions import db
from pupil_app.schools.models import Pupil

from .concern_flow import tell
from .test_concerns_safety import school  # noqa: F401 - the fixture

ROOT = Path(__file__).resolve().parent.parent


def _app(url: str, tmp_path: Path, **settings):
    return create_app("testing", SQLALCHEMY_DATABASE_URI=url, MAIL_OUTBOX_DIR=tmp_path / "outbox", **settings)


def _first_run(tmp_path: Path, **settings):
    url = f"sqlite:///{tmp_path / 'keyed.sqlite'}"
    app = _app(url, tmp_path, **settings)
    with app.app_context():
        db.create_all()
    datakey.enforce(app)  # the check value is stored at first run
    with app.app_context():
        assert db.session.scalar(select(DataKeyCheck.token)) is not None
        db.session.remove()
    return url, app


def test_a_wrong_or_missing_key_is_refused_at_start_with_a_clear_message(tmp_path):
    url, first = _first_run(tmp_path, DATA_KEY=Fernet.generate_key().decode())
    with pytest.raises(DataKeyError, match="The data key is wrong"):
        _app(url, tmp_path, DATA_KEY=Fernet.generate_key().decode())
    with pytest.raises(DataKeyError, match="Refusing to start"):  # no DATA_KEY and a fresh key file
        _app(url, tmp_path, DATA_KEY=None, DATA_KEY_FILE=tmp_path / "new.key")
    # The right key, or the right key among others (mid-rotation), starts.
    right = first.config["DATA_KEY"]
    _app(url, tmp_path, DATA_KEY=right)
    _app(url, tmp_path, DATA_KEY=f"{Fernet.generate_key().decode()},{right}")


def test_every_flask_command_refuses_a_wrong_key(tmp_path):
    url, _ = _first_run(tmp_path, DATA_KEY=Fernet.generate_key().decode())
    env = {**os.environ, "FLASK_APP": "wsgi.py", "FLASK_CONFIG": "production", "DATABASE_URL": url,
           "SECRET_KEY": "x" * 40, "APP_BASE_URL": "https://school.example",
           "DATA_KEY": Fernet.generate_key().decode(), "INSTANCE_PATH": str(tmp_path)}
    result = subprocess.run([sys.executable, "-m", "flask", "concerns", "send-alerts"], cwd=ROOT, env=env,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode != 0
    assert "The data key is wrong" in result.stdout + result.stderr


def test_a_value_no_key_opens_is_shown_to_the_dsl_as_unreadable_never_as_no_words(app, school, login_as):  # noqa: F811
    pupil = login_as(school.pupil, test_client=app.test_client())
    other = Fernet(Fernet.generate_key())
    # A process with another key (the old fault): its concern is written with a key nobody else has.
    app.extensions["write_fernet"], app.extensions["write_key_checked"] = other, time.monotonic() + 3600
    try:
        tell(pupil, words="my words")
    finally:
        app.extensions["write_key_checked"] = 0.0
    dsl = login_as(school.dsl, test_client=app.test_client())
    with app.app_context():
        from pupil_app.concerns.models import Concern

        cid = db.session.scalar(select(Concern.id))
    page = dsl.get(f"/staff/concerns/{cid}").get_data(as_text=True)
    assert "cannot be read: the data key is wrong - tell the administrator" in page
    assert "No words: the pupil answered with pictures only" not in page


def test_rotation_by_one_process_is_read_and_written_by_another_without_a_restart(tmp_path):
    key_file = tmp_path / "data.key"
    settings = {"DATA_KEY": None, "DATA_KEY_FILE": key_file}
    url, a = _first_run(tmp_path, **settings)
    b = _app(url, tmp_path, **settings)  # a second app process, started before the rotation
    with a.app_context():
        from pupil_app.schools.models import School, SchoolClass, Trust

        trust = Trust(name="T")
        klass = SchoolClass(school=School(trust=trust, name="S"), name="C", year_group=1,
                            signin_token=auth_service.new_class_token())
        pupils = [Pupil(school_class=klass, school=klass.school, first_name=f"P{n}", last_name="X",
                        username=f"p{n}", avatar="fox") for n in range(3)]
        db.session.add_all([trust, klass, *pupils])
        db.session.flush()
        auth_service.set_picture_password(pupils[0], ("cat", "sun", "boat"))
        db.session.commit()
        ids = [p.id for p in pupils]
        db.session.remove()

    def read(app, ident):
        with app.app_context():
            value = auth_service.picture_password_of(db.session.get(Pupil, ident))
            db.session.remove()
            return value

    def write(app, ident, pictures):
        with app.app_context():
            auth_service.set_picture_password(db.session.get(Pupil, ident), pictures)
            db.session.commit()
            db.session.remove()

    assert a.test_cli_runner().invoke(args=["data-key", "rotate"]).exit_code == 0
    assert len(crypto.parse_keys(key_file.read_bytes())) == 2
    assert read(b, ids[0]) == ("cat", "sun", "boat")  # b was not restarted: it re-reads the key file
    write(b, ids[1], ("dog", "star", "apple"))
    assert read(a, ids[1]) == ("dog", "star", "apple")
    assert a.test_cli_runner().invoke(args=["data-key", "retire"]).exit_code == 0
    assert len(crypto.parse_keys(key_file.read_bytes())) == 1
    write(b, ids[2], ("fish", "tree", "car"))  # b writes right after the retire
    for app in (a, b, _app(url, tmp_path, **settings)):  # and a process started now
        assert [read(app, i) for i in ids] == [("cat", "sun", "boat"), ("dog", "star", "apple"),
                                               ("fish", "tree", "car")]
