"""Safeguarding data is protected: encrypted at rest, append-only audit, alerts without details, key rotation."""

from __future__ import annotations

import email
import email.policy
from datetime import date, timedelta
from pathlib import Path

import pytest
from cryptography.fernet import Fernet, InvalidToken
from sqlalchemy import delete, func, select, text, update
from sqlalchemy.exc import DBAPIError

from pupil_app import create_app, crypto
from pupil_app.auth import service as auth_service
from pupil_app.concerns import alerts, handling, staff_logging, telling
from pupil_app.concerns.models import (
    AuditEvent,
    Concern,
    ConcernDraft,
    ConcernEntry,
    Incident,
    PendingMail,
    ProtectedRecordError,
)
from pupil_app.extensions import db
from pupil_app.schools.models import Pupil, Role, School, SchoolClass, StaffRole, StaffUser, Trust
from pupil_app.timeutil import utcnow

from .concern_flow import count_concerns, csrf, tell
from .helpers import Ids
from .mfa_flow import enrol_app

SECRET_WORDS = "Zebra-Marmalade-7731 said he would come to my house"


@pytest.fixture
def school(make_class, make_pupil, make_staff, in_app):
    year2 = make_class(2, name="Year 2")
    dsl = make_staff(Role.DSL, school=Ids(id=year2.school_id))

    def give_email():
        db.session.get(StaffUser, dsl.id).email = "dsl@school.example"

    in_app(give_email)
    return Ids(year2=year2, dsl=dsl, pupil=make_pupil(year2, first_name="Quentinella"))


@pytest.fixture
def outbox(app, tmp_path, monkeypatch):
    folder = tmp_path / "outbox"
    monkeypatch.setitem(app.config, "MAIL_OUTBOX_DIR", folder)
    return folder


def signed_in(app, login_as, who):
    c = app.test_client()
    login_as(who, test_client=c)
    return c


# ---- encryption at rest ------------------------------------------------------------------

def database_text(app) -> str:
    """Everything the database holds, as a dump would show it."""
    url = app.config["SQLALCHEMY_DATABASE_URI"]
    with app.app_context():
        db.session.remove()
        if url.startswith("sqlite"):
            path = Path(url.split("sqlite:///", 1)[1])
            data = b"".join(p.read_bytes() for p in (path, Path(f"{path}-wal")) if p.exists())
            return data.decode("utf-8", "replace")
        out = []
        with db.engine.connect() as conn:
            for table in db.metadata.sorted_tables:
                out += conn.execute(text(f'SELECT row_to_json(t)::text FROM "{table.name}" t')).scalars().all()
        return "\n".join(out)


def test_the_database_holds_no_concern_text(app, login_as, school, outbox):
    pupil = signed_in(app, login_as, school.pupil)
    tell(pupil, words=SECRET_WORDS)
    dsl = signed_in(app, login_as, school.dsl)
    with app.app_context():
        cid = db.session.scalar(select(Concern.id))
    token = csrf(dsl, f"/staff/concerns/{cid}")
    dsl.post(f"/staff/concerns/{cid}/entries", data={"e-csrf_token": token, "e-kind": "decision",
                                                      "e-text": "Chronology-Quokka-5521", "e-reason": "Reason-Okapi-88"})
    with app.app_context():
        staff = db.session.get(StaffUser, school.dsl.id)
        staff_logging.record_incident(staff, occurred_on=date.today(), location="Room-Narwhal-3", key=telling.new_key(),
                                description="Incident-Axolotl-42", action="Action-Pangolin-9")
        pupil = db.session.get(Pupil, school.pupil.id)
        telling.save_step(telling.new_draft(pupil, telling.new_key(), "s" * 64), pupil, "words",
                          {"words": "Draft-Wombat-610"})
        db.session.commit()
    dump = database_text(app)
    assert "Quentinella" in dump  # the search works: what is not encrypted is found
    for secret in ("Zebra-Marmalade-7731", "Chronology-Quokka-5521", "Reason-Okapi-88", "Room-Narwhal-3",
                   "Incident-Axolotl-42", "Action-Pangolin-9", "Draft-Wombat-610"):
        assert secret not in dump, secret
    # And the DSL reads it all back.
    assert SECRET_WORDS in dsl.get(f"/staff/concerns/{cid}").get_data(as_text=True)


# ---- what was sent never changes; the audit trail is append-only --------------------------

def test_the_orm_refuses_to_edit_or_delete_what_must_never_change(app, login_as, school, in_app):
    tell(signed_in(app, login_as, school.pupil), words="original words")
    dsl = signed_in(app, login_as, school.dsl)
    with app.app_context():
        cid = db.session.scalar(select(Concern.id))
    token = csrf(dsl, f"/staff/concerns/{cid}")
    dsl.post(f"/staff/concerns/{cid}/entries", data={"e-csrf_token": token, "e-kind": "note", "e-text": "a note"})

    attempts = {
        "edit the words": lambda: setattr(db.session.get(Concern, cid), "words_enc", crypto.encrypt("changed")),
        "edit the feeling": lambda: setattr(db.session.get(Concern, cid), "feeling", "ok"),
        "delete the concern": lambda: db.session.delete(db.session.get(Concern, cid)),
        "edit an entry": lambda: setattr(db.session.scalar(select(ConcernEntry)), "kind", "action"),
        "delete an entry": lambda: db.session.delete(db.session.scalar(select(ConcernEntry))),
        "edit an audit row": lambda: setattr(db.session.scalar(select(AuditEvent)), "action", "nothing"),
        "delete an audit row": lambda: db.session.delete(db.session.scalar(select(AuditEvent))),
        "bulk-edit audit rows": lambda: db.session.execute(update(AuditEvent).values(detail="x")),
        "bulk-delete audit rows": lambda: db.session.execute(delete(AuditEvent)),
        "bulk-delete concerns": lambda: db.session.execute(delete(Concern)),
        "bulk-edit entries": lambda: db.session.execute(update(ConcernEntry).values(kind="note")),
    }
    for name, attempt in attempts.items():
        with pytest.raises(ProtectedRecordError):
            in_app(lambda attempt=attempt: (attempt(), db.session.flush()))
        print("refused:", name)
    with app.app_context():
        concern = db.session.get(Concern, cid)
        assert concern.words == "original words" and concern.feeling == "worried"
        assert db.session.scalar(select(func.count()).select_from(AuditEvent)) >= 3


def test_the_database_itself_refuses_changes_to_the_audit_trail(empty_database_url):  # noqa: F811
    """The migration's triggers (SQLite and PostgreSQL): raw SQL cannot edit or delete audit rows."""
    from flask_migrate import upgrade

    app = create_app("testing", SQLALCHEMY_DATABASE_URI=empty_database_url)
    with app.app_context():
        upgrade()
        with db.engine.begin() as conn:
            conn.execute(text("INSERT INTO trusts (id, name, created_at) VALUES (1, 'T', CURRENT_TIMESTAMP)"))
            conn.execute(text("INSERT INTO schools (id, trust_id, name, created_at) VALUES (1, 1, 'S', CURRENT_TIMESTAMP)"))
            conn.execute(text("INSERT INTO audit_events (school_id, actor_kind, actor_name, action, target, created_at) "
                              "VALUES (1, 'staff', 'A DSL', 'concern.viewed', 'concern', CURRENT_TIMESTAMP)"))
        statements = ["UPDATE audit_events SET action = 'nothing'", "DELETE FROM audit_events"]
        if db.engine.dialect.name == "postgresql":
            statements.append("TRUNCATE audit_events")
        for statement in statements:
            with pytest.raises(DBAPIError, match="append-only"):
                with db.engine.begin() as conn:
                    conn.execute(text(statement))
        with db.engine.connect() as conn:
            assert conn.execute(text("SELECT action FROM audit_events")).scalars().all() == ["concern.viewed"]
        db.engine.dispose()


# ---- alerts ---------------------------------------------------------------------------------

def test_the_alert_email_has_a_link_and_no_concern_text_or_name(app, login_as, school, outbox):
    tell(signed_in(app, login_as, school.pupil), what="stranger", words=SECRET_WORDS)
    (eml,) = list(outbox.glob("*.eml"))
    raw = eml.read_bytes()
    message = email.message_from_bytes(raw, policy=email.policy.default)
    text = message.get_content()
    with app.app_context():
        cid = db.session.scalar(select(Concern.id))
    assert message["To"] == "dsl@school.example"
    # In English and Welsh: staff have no language of their own.
    assert message["Subject"].startswith("URGENT: New safeguarding concern at School")
    assert "BRYS: Pryder diogelu newydd yn School" in message["Subject"]
    assert f"/staff/concerns/{cid}" in text and "Yn fwriadol, does dim manylion" in text
    for secret in ("Zebra", "Marmalade", "7731", "Quentinella", "Pupil", "stranger", "house", "Year 2"):
        assert secret not in text and secret.encode() not in raw, secret
    with app.app_context():
        assert db.session.scalar(select(PendingMail)).sent_at is not None


def test_a_failed_alert_is_retried_and_the_concern_is_on_the_dashboard_regardless(app, login_as, school, outbox,
                                                                                    monkeypatch, runner):
    monkeypatch.setattr(alerts, "transport", lambda: lambda msgs: [ConnectionRefusedError("mail server down")] * len(msgs))
    tell(signed_in(app, login_as, school.pupil), words="first")
    assert count_concerns(app) == 1 and not outbox.exists()
    dsl = signed_in(app, login_as, school.dsl)
    inbox = dsl.get("/staff/concerns").get_data(as_text=True)
    assert "#1" in inbox or "inbox__number" in inbox
    assert "1 alert email is waiting to be sent again" in inbox and "mail server down" in inbox
    with app.app_context():
        row = db.session.scalar(select(PendingMail))
        assert (row.attempts, row.sent_at) == (1, None) and row.next_attempt_at > utcnow()
        # Not due yet: the command leaves it. Once due, the next send (here, the command) delivers it.
        db.session.execute(update(PendingMail).values(next_attempt_at=utcnow() - timedelta(seconds=1)))
        db.session.commit()
    result = runner.invoke(args=["concerns", "send-alerts"])
    assert result.exit_code == 1 and "failed (will be retried): 1" in result.output
    monkeypatch.undo()
    monkeypatch.setitem(app.config, "MAIL_OUTBOX_DIR", outbox)
    with app.app_context():  # (ten minutes later: not combined with the first alert)
        db.session.execute(update(PendingMail).values(next_attempt_at=utcnow() - timedelta(seconds=1),
                                                      created_at=utcnow() - timedelta(minutes=10)))
        db.session.commit()
    # The next concern's own send also retries the earlier one: both go out.
    tell(signed_in(app, login_as, school.pupil), words="second")
    assert len(list(outbox.glob("*.eml"))) == 2
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(PendingMail).where(PendingMail.sent_at.is_(None))) == 0
    assert "waiting to be sent again" not in dsl.get("/staff/concerns").get_data(as_text=True)
    assert runner.invoke(args=["concerns", "send-alerts"]).output.startswith("Alerts sent: 0; failed")


def test_alerts_go_from_the_sender_thread_not_the_request(app, login_as, school, outbox, monkeypatch):
    import time

    monkeypatch.setitem(app.config, "ALERT_SENDER", "thread")
    monkeypatch.setitem(app.config, "ALERT_POLL_SECONDS", 0.2)
    release = __import__("threading").Event()
    real = alerts._send_outbox

    def held(messages):  # the mail server answers only once the test says so
        release.wait(10)
        return real(messages)

    monkeypatch.setattr(alerts, "transport", lambda: held)
    pupil = signed_in(app, login_as, school.pupil)
    from .concern_flow import send_form, start, tap

    base = start(pupil)
    tap(pupil, base, "feel", choice="sad")
    response = pupil.post(f"{base}/send", data=send_form(pupil, base))
    assert response.status_code == 303 and not outbox.exists()  # the child's answer did not wait for mail
    release.set()
    for _ in range(100):
        if outbox.exists() and list(outbox.glob("*.eml")):
            break
        time.sleep(0.05)
    assert len(list(outbox.glob("*.eml"))) == 1
    app.extensions.pop("alert_sender").stop()


def test_smtp_is_used_when_a_mail_server_is_configured(app, login_as, school, monkeypatch):
    sent = []

    class FakeSMTP:
        def __init__(self, host, port, timeout):
            sent.append(("connect", host, port, timeout))

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            return False

        def starttls(self, context):
            sent.append(("starttls",))

        def login(self, user, password):
            sent.append(("login", user, password))

        def send_message(self, msg):
            sent.append(("send", msg["To"], msg.get_content()))

    monkeypatch.setattr(alerts.smtplib, "SMTP", FakeSMTP)
    for key, value in {"MAIL_SERVER": "smtp.school.example", "MAIL_PORT": 587, "MAIL_USERNAME": "alerts",
                       "MAIL_PASSWORD": "pw"}.items():
        monkeypatch.setitem(app.config, key, value)
    tell(signed_in(app, login_as, school.pupil), words=SECRET_WORDS)
    assert sent[:3] == [("connect", "smtp.school.example", 587, 10.0), ("starttls",), ("login", "alerts", "pw")]
    assert sent[3][:2] == ("send", "dsl@school.example") and "Zebra" not in sent[3][2]


def test_mail_settings_come_from_the_environment(monkeypatch):
    import importlib

    import config

    monkeypatch.setenv("MAIL_SERVER", "smtp.example.org")
    monkeypatch.setenv("MAIL_PORT", "465")
    monkeypatch.setenv("MAIL_USE_SSL", "1")
    reloaded = importlib.reload(config)
    try:
        assert (reloaded.ProductionConfig.MAIL_SERVER, reloaded.ProductionConfig.MAIL_PORT,
                reloaded.ProductionConfig.MAIL_USE_SSL) == ("smtp.example.org", 465, True)
        assert reloaded.TestingConfig.MAIL_SERVER is None  # tests never send real mail
    finally:
        monkeypatch.delenv("MAIL_SERVER")
        monkeypatch.delenv("MAIL_PORT")
        monkeypatch.delenv("MAIL_USE_SSL")
        importlib.reload(config)


# ---- key rotation ----------------------------------------------------------------------------

def _seed_encrypted(app) -> dict:
    with app.app_context():
        db.create_all()
        trust = Trust(name="Rot Trust")
        school = School(trust=trust, name="Rot School")
        klass = SchoolClass(school=school, name="Year 1", year_group=1, signin_token="rot-class-token")
        db.session.add_all([trust, school, klass])
        db.session.flush()
        pupil = Pupil(school_id=school.id, class_id=klass.id, first_name="Ria", last_name="Rot", username="ria",
                      avatar="fox")
        staff = StaffUser(school_id=school.id, username="rot.dsl", display_name="Ms Rot", password_hash="x")
        staff.role_rows = [StaffRole(role="dsl")]
        db.session.add_all([pupil, staff])
        db.session.flush()
        auth_service.set_picture_password(pupil, ("cat", "sun", "boat"))
        concern, _ = telling.submit(pupil, telling.new_key(), telling.Answers(feeling="sad", words="rotate me"))
        handling.add_entry(staff, concern, "note", "entry text", "a reason")
        staff_logging.record_incident(staff, occurred_on=date.today(), location="Hall", description="desc", action="act",
                                key=telling.new_key())
        draft = telling.new_draft(pupil, telling.new_key(), "s" * 64)
        telling.save_step(draft, pupil, "words", {"words": "draft words"})
        db.session.commit()
        return {"class_id": klass.id, "pupil_id": pupil.id, "concern_id": concern.id}


def _raw_values(app) -> list[str]:
    with app.app_context(), db.engine.connect() as conn:
        values = []
        for table, _pk, column in crypto.ENCRYPTED_COLUMNS:
            values += [v for v in conn.execute(text(f"SELECT {column} FROM {table}")).scalars() if v]
        return values


def test_rotating_the_data_key_reencrypts_everything_including_picture_passwords(tmp_path):
    key_file = tmp_path / "instance" / "data.key"
    settings = {"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'rot.sqlite'}", "DATA_KEY": None,
                "DATA_KEY_FILE": key_file, "MAIL_OUTBOX_DIR": tmp_path / "outbox"}
    app = create_app("testing", **settings)
    ids = _seed_encrypted(app)
    old_key = key_file.read_bytes().strip()
    before = _raw_values(app)
    assert len(before) == 8  # picture password, concern words, entry text + reason, incident x3, draft words

    result = app.test_cli_runner().invoke(args=["data-key", "rotate"])
    assert result.exit_code == 0, result.output
    new_key, kept_old = key_file.read_bytes().split()
    assert kept_old == old_key and new_key != old_key and (key_file.stat().st_mode & 0o777) == 0o600
    after = _raw_values(app)
    assert len(after) == 8 and not set(after) & set(before)
    for token in after:
        Fernet(new_key).decrypt(token.encode())
        with pytest.raises(InvalidToken):
            Fernet(old_key).decrypt(token.encode())

    result = app.test_cli_runner().invoke(args=["data-key", "retire"])
    assert result.exit_code == 0, result.output
    assert key_file.read_bytes().split() == [new_key]
    # A fresh process with only the new key reads everything, and the child can still sign in.
    fresh = create_app("testing", **settings)
    with fresh.app_context():
        assert db.session.get(Concern, ids["concern_id"]).words == "rotate me"
        assert db.session.scalar(select(ConcernEntry)).reason == "a reason"
        assert db.session.scalar(select(Incident)).description == "desc"
        klass = db.session.get(SchoolClass, ids["class_id"])
        assert auth_service.picture_sign_in(klass, ids["pupil_id"], ["cat", "sun", "boat"]).ok
        db.drop_all()
        db.engine.dispose()


def test_rotation_with_keys_from_the_environment(tmp_path):
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    settings = {"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'env.sqlite'}", "DATA_KEY": old,
                "MAIL_OUTBOX_DIR": tmp_path / "outbox"}
    app = create_app("testing", **settings)
    _seed_encrypted(app)
    refused = app.test_cli_runner().invoke(args=["data-key", "rotate"])
    assert refused.exit_code != 0 and "DATA_KEY=NEW,OLD" in refused.output
    both = create_app("testing", **{**settings, "DATA_KEY": f"{new},{old}"})
    result = both.test_cli_runner().invoke(args=["data-key", "rotate"])
    assert result.exit_code == 0, result.output
    for token in _raw_values(both):
        Fernet(new.encode()).decrypt(token.encode())
    with both.app_context():
        db.drop_all()
        db.engine.dispose()
    with app.app_context():
        db.engine.dispose()


# ---- housekeeping and the demo ------------------------------------------------------------------

def test_messages_whose_session_ended_reach_the_dsl_marked_and_empty_ones_go(app, school, in_app, runner):
    def drafts():
        pupil = db.session.get(Pupil, school.pupil.id)
        old = ConcernDraft(token="old-draft-AAAAAAAAAAAA", pupil_id=pupil.id, school_id=pupil.school_id,
                           what="stranger", session_hash="a" * 64, updated_at=utcnow() - timedelta(hours=2))
        empty = ConcernDraft(token="empty-draft-AAAAAAAAAA", pupil_id=pupil.id, school_id=pupil.school_id,
                             feeling="ok", session_hash="b" * 64, updated_at=utcnow() - timedelta(hours=2))
        fresh = ConcernDraft(token="fresh-draft-AAAAAAAAAA", pupil_id=pupil.id, school_id=pupil.school_id,
                             what="unkind", session_hash="c" * 64)
        db.session.add_all([old, empty, fresh])

    in_app(drafts)
    result = runner.invoke(args=["concerns", "end-drafts"])
    assert "Interrupted messages delivered to the DSL: 1." in result.output
    with app.app_context():
        assert set(db.session.scalars(select(ConcernDraft.token))) == {"fresh-draft-AAAAAAAAAA"}
        concern = db.session.scalar(select(Concern))
        assert concern.interrupted and concern.what == "stranger" and concern.urgent


def test_the_demo_dsl_has_a_realistic_dashboard_and_loading_again_changes_nothing(app, runner, client):
    assert runner.invoke(args=["demo", "load"]).exit_code == 0
    with app.app_context():
        concerns = list(db.session.scalars(select(Concern)))
        assert len(concerns) == 7
        assert {c.status for c in concerns} == {"new", "acknowledged", "in_progress", "closed"}
        assert {c.source for c in concerns} == {"pupil", "staff"}
        assert any(c.entries for c in concerns) and any(c.police_on for c in concerns)
        demo_pupils = set(db.session.scalars(select(Pupil.id).where(Pupil.username.in_(
            ("ks1.demo", "ks2.demo", "y6.demo")))))
        assert not {c.pupil_id for c in concerns} & demo_pupils
        assert db.session.scalar(select(func.count()).select_from(Incident)) == 1
        counts = (len(concerns), db.session.scalar(select(func.count()).select_from(ConcernEntry)),
                  db.session.scalar(select(func.count()).select_from(AuditEvent)))
    again = runner.invoke(args=["demo", "load"])
    assert "nothing changed" in again.output
    with app.app_context():
        assert (db.session.scalar(select(func.count()).select_from(Concern)),
                db.session.scalar(select(func.count()).select_from(ConcernEntry)),
                db.session.scalar(select(func.count()).select_from(AuditEvent))) == counts
    token = csrf(client, "/staff/sign-in")
    client.post("/staff/sign-in", data={"csrf_token": token, "username": "dsl.demo", "password": "demo-pass-2026"})
    enrol_app(client)  # the demo DSL sets up a second factor at the first sign-in
    inbox = client.get("/staff/concerns").get_data(as_text=True)
    assert inbox.count('class="inbox__number"') == 7 and "Urgent" in inbox
    log_page = client.get("/staff/incident-log").get_data(as_text=True)
    assert "image search" in log_page
