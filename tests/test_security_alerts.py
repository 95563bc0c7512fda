"""Attacks 5 and 9: alert emails link only to APP_BASE_URL (never to the request's Host), and one
pupil's concerns within a few minutes share one alert (every concern is still stored)."""

from __future__ import annotations

import email
import email.policy

import pytest
from sqlalchemy import func, select

from pupil_app.concerns.models import Concern
from pupil_app.extensions import db
from pupil_app.schools.models import Role, StaffUser

from .concern_flow import csrf, send_form, start, tap
from .helpers import Ids


@pytest.fixture
def school(make_class, make_pupil, make_staff, in_app):
    klass = make_class(3)
    dsl = make_staff(Role.DSL, school=Ids(id=klass.school_id))
    in_app(lambda: setattr(db.session.get(StaffUser, dsl.id), "email", "dsl@school.example"))
    return Ids(klass=klass, dsl=dsl, pupil=make_pupil(klass, first_name="Mia"))


@pytest.fixture
def outbox(app, tmp_path, monkeypatch):
    folder = tmp_path / "outbox"
    monkeypatch.setitem(app.config, "MAIL_OUTBOX_DIR", folder)
    monkeypatch.setitem(app.config, "APP_BASE_URL", "https://safe.school.example")
    return folder


def mails(outbox) -> list[str]:
    return [email.message_from_bytes(p.read_bytes(), policy=email.policy.default).get_content()
            for p in sorted(outbox.glob("*.eml"))] if outbox.exists() else []


def test_a_forged_host_header_never_reaches_the_dsls_email(app, login_as, school, outbox):
    client = app.test_client()
    login_as(school.pupil, test_client=client)
    client.environ_base["HTTP_HOST"] = "evil.example"  # every request of this pupil says Host: evil.example
    base = start(client)
    tap(client, base, "what", choice="stranger")
    r = client.post(f"{base}/send", data=send_form(client, base))
    assert r.status_code == 303
    (text,) = mails(outbox)
    with app.app_context():
        cid = db.session.scalar(select(Concern.id))
    assert f"https://safe.school.example/staff/concerns/{cid}" in text
    assert "evil.example" not in text


def test_production_refuses_requests_for_other_hosts(monkeypatch, tmp_path):
    from pupil_app import create_app

    monkeypatch.setenv("SECRET_KEY", "k" * 40)
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'prod.sqlite'}")
    monkeypatch.setenv("APP_BASE_URL", "https://safe.school.example")
    monkeypatch.setenv("TRUSTED_HOSTS", "10.0.0.5")
    prod = create_app("production", DATA_KEY_FILE=tmp_path / "data.key")
    assert prod.config["TRUSTED_HOSTS"] == ["safe.school.example", "10.0.0.5"]
    client = prod.test_client()
    assert client.get("/healthz", headers={"Host": "evil.example"}).status_code == 400
    assert client.get("/healthz", headers={"Host": "safe.school.example"}).status_code == 200
    assert client.get("/healthz", headers={"Host": "10.0.0.5:8000"}).status_code == 200


def test_production_refuses_to_start_without_app_base_url(monkeypatch, tmp_path):
    from pupil_app import create_app

    monkeypatch.setenv("SECRET_KEY", "k" * 40)
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'prod.sqlite'}")
    monkeypatch.delenv("APP_BASE_URL", raising=False)
    with pytest.raises(RuntimeError, match="APP_BASE_URL"):
        create_app("production")


def test_thirty_urgent_concerns_in_a_second_are_all_stored_and_alerted_once(app, login_as, school, outbox):
    """Attack 9: one pupil floods the DSL's inbox with urgent concerns."""
    client = app.test_client()
    login_as(school.pupil, test_client=client)
    token = csrf(client, "/learn/")
    for _ in range(30):
        base = start(client)
        client.post(f"{base}/what", data={"csrf_token": token, "choice": "stranger"})
        r = client.post(f"{base}/send", data={"csrf_token": token, "what": "stranger", "feeling": "scared"})
        assert r.status_code == 303
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Concern)) == 30
    assert len(mails(outbox)) == 1


def test_a_concern_about_another_pupil_and_an_urgent_one_after_calm_ones_are_still_alerted(
        app, login_as, school, outbox, make_pupil):
    client = app.test_client()
    login_as(school.pupil, test_client=client)
    token = csrf(client, "/learn/")
    for what in ("unkind", "unkind", "stranger", "stranger"):  # calm, combined, urgent: alerted, combined
        base = start(client)
        client.post(f"{base}/what", data={"csrf_token": token, "choice": what})
        client.post(f"{base}/send", data={"csrf_token": token, "what": what})
    assert len(mails(outbox)) == 2
    other = app.test_client()
    login_as(make_pupil(school.klass, first_name="Zac"), test_client=other)
    base = start(other)
    token = csrf(other, "/learn/")
    other.post(f"{base}/what", data={"csrf_token": token, "choice": "unkind"})
    other.post(f"{base}/send", data={"csrf_token": token, "what": "unkind"})
    assert len(mails(outbox)) == 3
