"""The mail server away or hanging: no request waits for it, every alert still goes out once when it
is back, a sender killed mid-send has its alerts re-sent without cron, and two senders never send
one alert twice. Real parts: an SMTP port that accepts and never answers, a tiny SMTP server."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from sqlalchemy import func, select, update

from pupil_app.concerns import alerts
from pupil_app.concerns.models import PendingMail
from pupil_app.concerns.sender import Sender
from pupil_app.extensions import db
from pupil_app.schools.models import Role, StaffUser
from pupil_app.timeutil import utcnow

from .concern_flow import count_concerns, tell
from .conftest import Ids
from .faultparts import SilentServer, TinySMTP


@pytest.fixture
def school(app, make_class, make_pupil, make_staff):
    year5 = make_class(5)
    dsls = [make_staff(Role.DSL, school=Ids(id=year5.school_id)) for _ in range(2)]
    with app.app_context():
        for n, dsl in enumerate(dsls):
            db.session.get(StaffUser, dsl.id).email = f"dsl{n}@school.example"
        db.session.commit()
    return Ids(year5=year5, dsls=dsls, pupils=[make_pupil(year5) for _ in range(3)])


def _mail_settings(monkeypatch, app, port: int, mode: str = "process"):
    for key, value in {"MAIL_SERVER": "127.0.0.1", "MAIL_PORT": port, "MAIL_USE_TLS": False, "MAIL_TIMEOUT": 0.3,
                       "MAIL_USERNAME": None, "ALERT_SENDER": mode}.items():
        monkeypatch.setitem(app.config, key, value)


def _client(app, login_as, who):
    return login_as(who, test_client=app.test_client())


def _unsent(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(PendingMail).where(PendingMail.sent_at.is_(None)))


def _make_due(app):
    with app.app_context():
        db.session.execute(update(PendingMail).where(PendingMail.sent_at.is_(None))
                           .values(next_attempt_at=utcnow() - timedelta(seconds=1)))
        db.session.commit()


def test_a_hanging_mail_server_never_holds_a_child_and_every_alert_goes_out_once_it_is_back(
        app, school, login_as, monkeypatch):
    with SilentServer() as hung:
        _mail_settings(monkeypatch, app, hung.port)
        for pupil in school.pupils:
            _, sent = tell(_client(app, login_as, pupil), words="please help")
            assert sent.status_code == 303 and sent.location.endswith("/thanks")
        # No request opened a connection to the mail server: sending is the sender's job.
        assert hung.connections == [] and count_concerns(app) == 3 and _unsent(app) == 6
        # The sender tries, the server hangs, the tries time out; the DSL sees it on the dashboard.
        sent, failed = Sender(app).run_once()
        assert (sent, failed) == (0, 6) and len(hung.connections) >= 1
    dsl = _client(app, login_as, school.dsls[0])
    page = dsl.get("/staff/concerns").get_data(as_text=True)
    assert "6 alert emails are waiting to be sent again" in page
    with TinySMTP() as smtp:  # the mail server is back
        _mail_settings(monkeypatch, app, smtp.port)
        _make_due(app)
        assert Sender(app).run_once() == (6, 0)
        assert Sender(app).run_once() == (0, 0)
        assert sorted(r[0][0] for r in smtp.messages) == ["dsl0@school.example"] * 3 + ["dsl1@school.example"] * 3
    assert _unsent(app) == 0
    assert "waiting to be sent again" not in dsl.get("/staff/concerns").get_data(as_text=True)


def test_alerts_claimed_by_a_sender_that_died_are_sent_again_without_cron(app, school, login_as, monkeypatch):
    with TinySMTP() as smtp:
        _mail_settings(monkeypatch, app, smtp.port)
        tell(_client(app, login_as, school.pupils[0]))
        with app.app_context():  # a worker claimed both alerts, then was killed before sending
            db.session.execute(update(PendingMail).values(claimed_until=utcnow() + alerts.CLAIM_FOR))
            db.session.commit()
        assert Sender(app).run_once() == (0, 0)  # the claim is still live: nobody else sends them
        with app.app_context():  # the lease runs out
            db.session.execute(update(PendingMail).values(claimed_until=utcnow() - timedelta(seconds=1)))
            db.session.commit()
        dsl = _client(app, login_as, school.dsls[0])
        assert "2 alert emails have not gone out yet" in dsl.get("/staff/concerns").get_data(as_text=True)
        assert Sender(app).run_once() == (2, 0)
        assert len(smtp.messages) == 2
    assert "have not gone out yet" not in dsl.get("/staff/concerns").get_data(as_text=True)


def test_two_senders_at_once_send_each_alert_exactly_once(app, school, login_as, monkeypatch):
    with TinySMTP() as smtp:
        _mail_settings(monkeypatch, app, smtp.port)
        for pupil in school.pupils:
            for _ in range(3):
                tell(_client(app, login_as, pupil))
        queued = _unsent(app)  # a pupil's concerns within minutes share an alert: fewer rows than concerns
        assert queued >= 6
        senders = [Sender(app), Sender(app)]
        threads = [threading.Thread(target=s.run_once) for s in senders]
        for t in threads:
            t.start()
        for t in threads:
            t.join(30)
        Sender(app).run_once()  # whatever a busy database made either pass leave
        assert len(smtp.messages) == queued and _unsent(app) == 0


def test_the_sender_thread_sends_when_woken_by_a_new_concern(app, school, login_as, monkeypatch):
    import time

    with TinySMTP() as smtp:
        _mail_settings(monkeypatch, app, smtp.port, mode="thread")
        monkeypatch.setitem(app.config, "ALERT_POLL_SECONDS", 30)  # only a wake-up sends within this test
        try:
            tell(_client(app, login_as, school.pupils[0]))
            for _ in range(200):
                if len(smtp.messages) == 2:
                    break
                time.sleep(0.05)
            assert len(smtp.messages) == 2
        finally:
            sender = app.extensions.pop("alert_sender", None)
            if sender:
                sender.stop()


def test_the_sender_command_runs_a_pass_and_healthz_reports_failing_mail(app, school, login_as, monkeypatch, runner):
    with SilentServer() as hung:
        _mail_settings(monkeypatch, app, hung.port)
        tell(_client(app, login_as, school.pupils[0]))
        result = runner.invoke(args=["concerns", "send-alerts"])
        assert result.exit_code == 1 and "failed (will be retried): 2" in result.output
    app.extensions.pop("health_cache", None)
    health = app.test_client().get("/healthz").get_json()
    assert health["status"] == "degraded" and any(r.startswith("mail:") for r in health["reasons"])
    assert "school.example" not in str(health)
