"""The database made unavailable between and during a child's taps: a calm page in the child's
language, a plain 503 with a retry for staff, security headers on every error, one log line per
failure, nothing acknowledged lost or doubled, and recovery without restarting the app.

Real parts: on SQLite the database file is removed (and put back); on PostgreSQL a private cluster
started by the test from the server binaries is stopped with ``pg_ctl stop -m immediate`` and started
again. Each test has an app and a database of its own (the suite's shared database is never broken).
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from sqlalchemy import func, select

from pupil_app import create_app
from pupil_app.auth import service as auth_service
from pupil_app.concerns.models import Concern
from pupil_app.extensions import db
from pupil_app.pledge import service as pledge_service
from pupil_app.schools.models import Pupil, Role, School, SchoolClass, StaffRole, StaffUser, Trust

from .concern_flow import send_form, start, tap
from .conftest import PASSWORD
from .faultparts import PrivatePostgres, capture_logs

WELSH_CALM = "Dywed wrth yr oedolyn yn yr ystafell"  # "Tell the adult in the room"
WELSH_WORDS_KEPT = "Mae dy eiriau di yn dal ar y sgrin hon."  # "Your words are still on this screen."


class SQLiteFile:
    """A database file that can be taken away and put back."""

    def __init__(self, folder: Path):
        self.path = folder / "broken.sqlite"
        self.url = f"sqlite:///{self.path}"

    def _files(self, suffix=""):
        return [Path(str(self.path) + ext + suffix) for ext in ("", "-wal", "-shm")]

    def stop(self, app):
        with app.app_context():
            db.engine.dispose()
        for f in self._files():
            if f.exists():
                os.replace(f, str(f) + ".away")

    def start(self, app):
        with app.app_context():
            db.engine.dispose()
        for f in self._files():
            if f.exists():
                f.unlink()  # the empty file SQLite made while the real one was away
        for f in self._files():
            away = Path(str(f) + ".away")
            if away.exists():
                os.replace(away, f)


class Postgres:
    def __init__(self, cluster: PrivatePostgres):
        self.cluster, self.url = cluster, cluster.url

    def stop(self, app):
        self.cluster.stop("immediate")

    def start(self, app):
        self.cluster.start()


@pytest.fixture(params=["sqlite", "postgresql"])
def broken(request, tmp_path):
    if request.param == "sqlite":
        yield SQLiteFile(tmp_path)
        return
    if not PrivatePostgres.available():
        pytest.skip("PostgreSQL server binaries (initdb, pg_ctl) are not installed")
    with PrivatePostgres() as cluster:
        yield Postgres(cluster)


def _seed(app):
    with app.app_context():
        db.create_all()
        trust = Trust(name="Trust")
        school = School(trust=trust, name="School")
        year4 = SchoolClass(school=school, name="Year 4", year_group=4, signin_token=auth_service.new_class_token())
        db.session.add_all([trust, school, year4])
        db.session.flush()
        pupil = Pupil(school_id=school.id, class_id=year4.id, first_name="Eira", last_name="Jones", username="eira",
                      avatar="fox", language="cy", password_hash=auth_service.hash_password(PASSWORD))
        dsl = StaffUser(school_id=school.id, username="dsl", display_name="DSL",
                        password_hash=auth_service.hash_password(PASSWORD))
        dsl.role_rows = [StaffRole(role=Role.DSL.value)]
        db.session.add_all([pupil, dsl])
        db.session.flush()
        pledge_service.record_signature(pupil, pledge_service.ensure_current_version(school.id, "ks2"))
        db.session.commit()


def _sign_in(app, url: str, username: str):
    from .test_auth import csrf_from

    client = app.test_client()
    r = client.post(url, data={"csrf_token": csrf_from(client, url), "username": username, "password": PASSWORD})
    assert r.status_code == 302, r.status_code
    return client


def _concerns(app) -> int:
    with app.app_context():
        n = db.session.scalar(select(func.count()).select_from(Concern))
        db.session.remove()
        return n


def test_a_child_sees_a_calm_page_in_their_language_and_nothing_is_lost_when_the_database_goes(broken, tmp_path):
    app = create_app("testing", SQLALCHEMY_DATABASE_URI=broken.url, MAIL_OUTBOX_DIR=tmp_path / "outbox")
    try:
        _seed(app)
        child = _sign_in(app, "/sign-in", "eira")  # Welsh is her saved language
        staff = _sign_in(app, "/staff/sign-in", "dsl")
        assert child.get("/learn/").status_code == 200
        base = start(child)
        tap(child, base, "feel", choice="sad")
        tap(child, base, "words", words="Mae rhywun yn gas wrtha i")
        form = send_form(child, base)

        broken.stop(app)
        with capture_logs() as logs:
            page = child.get("/learn/")
            send = child.post(f"{base}/send", data=form, headers={"Accept": "application/json"})
            plain_send = child.post(f"{base}/send", data=form)
            desk = staff.get("/staff/concerns")
        # The calm page's own stylesheet and pictures load without the database.
        assert child.get("/static/css/app.css").status_code == 200
        assert child.get("/pictures/pw-cat.svg").status_code == 200
        body = page.get_data(as_text=True)
        assert page.status_code == 503 and 'lang="cy"' in body and WELSH_CALM in body and WELSH_WORDS_KEPT in body
        assert "Tell an adult" in body or "Dweud wrth oedolyn" in body  # the button is still there
        assert send.status_code == 503 and send.get_json()["status"] == "failed"
        assert plain_send.status_code == 503 and WELSH_CALM in plain_send.get_data(as_text=True)
        assert desk.status_code == 503 and "unavailable for a moment" in desk.get_data(as_text=True)
        for response in (page, send, plain_send, desk):
            assert response.headers["Retry-After"] and response.headers["X-Frame-Options"] == "DENY"
            assert "default-src 'self'" in response.headers["Content-Security-Policy"]
            assert response.headers["Cache-Control"] == "no-store" and response.headers["X-Request-ID"]
        failures = [m for m in logs.messages() if m.startswith("request_id=")]
        assert len(failures) == 4 and all("database unavailable" in m for m in failures)
        assert not [r for r in logs.records if r.exc_info]  # one line each, no tracebacks
        assert sorted({r.headers["X-Request-ID"] for r in (page, send, plain_send, desk)}) == sorted(
            m.split()[0].split("=")[1] for m in failures)

        broken.start(app)  # back, without restarting the app
        assert child.get("/learn/").status_code == 200
        retry = child.post(f"{base}/send", data=form)
        assert retry.status_code == 303 and retry.location.endswith("/thanks")
        assert child.post(f"{base}/send", data=form).status_code in (303, 409)  # a double tap: still one
        assert _concerns(app) == 1
        assert staff.get("/staff/concerns").status_code in (200, 302)  # back (302: a second factor is asked)
    finally:
        with app.app_context():
            db.session.remove()
            db.engine.dispose()


def test_a_signed_out_child_can_still_read_how_to_tell_an_adult(broken, tmp_path):
    app = create_app("testing", SQLALCHEMY_DATABASE_URI=broken.url, MAIL_OUTBOX_DIR=tmp_path / "outbox")
    try:
        _seed(app)
        broken.stop(app)
        client = app.test_client()
        assert client.get("/tell").status_code in (200, 303)
        calm = client.get("/calm")
        assert calm.status_code == 200
        attempt = client.post("/sign-in", data={"username": "eira", "password": PASSWORD},
                              headers={"Accept": "text/html"})
        assert attempt.status_code in (400, 503)  # never a 500 and never a bare page
        assert "<html" in attempt.get_data(as_text=True)
        broken.start(app)
    finally:
        with app.app_context():
            db.session.remove()
            db.engine.dispose()
