"""Second factors for staff: forced enrolment, authenticator codes, recovery codes, step-up, resets.

Everything here signs in through the real forms (``login_as`` marks the factor as given, so it is
used only where a test needs an already-verified colleague). Passkeys are proven in Chromium with
its virtual authenticator (tests/browser/test_mfa_browser.py).
"""

from __future__ import annotations

import html
import re
import time

import pyotp
import pytest
from sqlalchemy import select, text

from pupil_app.auth.mfa_models import MfaCredential, RecoveryCode
from pupil_app.concerns.models import AuditEvent
from pupil_app.extensions import db
from pupil_app.schools.models import Role, School, StaffUser

from .concern_flow import csrf_of, tell
from .helpers import PASSWORD
from .mfa_flow import enrol_app, give_code, next_code


def sign_in(client, who) -> None:
    page = client.get("/staff/sign-in").get_data(as_text=True)
    r = client.post("/staff/sign-in", data={"csrf_token": csrf_of(page), "username": who.username,
                                            "password": PASSWORD})
    assert r.status_code == 302


@pytest.fixture
def people(make_school, make_class, make_staff):
    school = make_school()
    return {"school": school, "dsl": make_staff(Role.DSL, school=school),
            "dsl2": make_staff(Role.DSL, school=school), "admin": make_staff(Role.ADMIN, school=school),
            "teacher": make_staff(Role.TEACHER, school=school)}


@pytest.mark.parametrize("role", [Role.DSL, Role.ADMIN, Role.TRUST_ADMIN])
def test_a_safeguarding_account_must_enrol_before_reaching_any_page(app, make_staff, role):
    staff, client = make_staff(role), app.test_client()
    sign_in(client, staff)
    for path in ("/staff/", "/staff/concerns", "/staff/admin/", "/staff/security"):
        r = client.get(path)
        assert r.status_code == 302 and r.headers["Location"] == "/staff/second-factor", path
    assert client.get("/staff/second-factor").headers["Location"] == "/staff/second-factor/setup"
    page = client.get("/staff/second-factor/setup").get_data(as_text=True)
    assert "Create a passkey" in page and "Use an authenticator app" in page


def test_a_teacher_is_not_asked_unless_the_school_turns_it_on(app, people, login_as):
    client = app.test_client()
    sign_in(client, people["teacher"])
    assert client.get("/staff/").status_code == 200
    admin = login_as(people["admin"], test_client=app.test_client())
    page = admin.get("/staff/security/colleagues").get_data(as_text=True)
    assert admin.post("/staff/security/teachers", data={"csrf_token": csrf_of(page), "required": "y"}).status_code == 302
    fresh = app.test_client()
    sign_in(fresh, people["teacher"])
    assert fresh.get("/staff/").headers["Location"] == "/staff/second-factor"
    with app.app_context():
        assert db.session.get(School, people["school"].id).mfa_for_teachers
        assert db.session.scalars(select(AuditEvent.action)).all() == ["mfa.teachers_setting"]


def test_authenticator_app_enrolment_then_sign_in_with_a_new_code(app, people):
    client = app.test_client()
    sign_in(client, people["dsl"])
    secret, codes = enrol_app(client)
    assert len(codes) == 10 and len(set(codes)) == 10
    assert client.get("/staff/").status_code == 200
    # The codes are shown once only.
    assert client.get("/staff/second-factor/recovery-codes").status_code == 302
    with app.app_context():
        cred = db.session.scalar(select(MfaCredential))
        assert cred.kind == "totp" and cred.name == "My phone" and secret not in cred.totp_secret
        stored = " ".join(str(v) for v in db.session.execute(text("SELECT * FROM mfa_credentials")).one())
        hashes = db.session.scalars(select(RecoveryCode.code_hash)).all()
    assert secret not in stored
    assert len(hashes) == 10 and not any(c.replace("-", "") in h for c in codes for h in hashes)

    again = app.test_client()
    sign_in(again, people["dsl"])
    assert again.get("/staff/concerns").headers["Location"] == "/staff/second-factor"
    page = again.get("/staff/second-factor").get_data(as_text=True)
    assert "Code from your authenticator app" in page and "Use my passkey" not in page
    # The code used at enrolment is spent (no replay); the app's next one works.
    assert give_code(again, pyotp.TOTP(secret).now()).status_code == 401
    r = give_code(again, next_code(secret))
    assert r.status_code == 302 and r.headers["Location"] == "/staff/concerns"
    assert again.get("/staff/concerns").status_code == 200


def test_a_recovery_code_works_once(app, people):
    client = app.test_client()
    sign_in(client, people["dsl"])
    _secret, codes = enrol_app(client)
    for attempt, expected in ((codes[3].upper(), 302), (codes[3], 401)):
        c = app.test_client()
        sign_in(c, people["dsl"])
        assert give_code(c, attempt).status_code == expected
    with app.app_context():
        actions = db.session.scalars(select(AuditEvent.action).order_by(AuditEvent.id)).all()
    assert actions == ["mfa.added", "mfa.recovery_codes", "mfa.recovery_code_used"]


def test_five_wrong_codes_end_the_session(app, people):
    client = app.test_client()
    sign_in(client, people["dsl"])
    enrol_app(client)
    c = app.test_client()
    sign_in(c, people["dsl"])
    for _ in range(4):
        assert give_code(c, "000000").status_code == 401
    r = give_code(c, "000000")
    assert r.status_code == 302 and r.headers["Location"] == "/staff/sign-in"
    assert c.get("/staff/").headers["Location"].startswith("/staff/sign-in")
    with app.app_context():
        assert db.session.get(StaffUser, people["dsl"].id).failed_signins == 5


def test_a_password_alone_cannot_add_another_device(app, people):
    """Someone who knows only the password must not be able to enrol their own app and walk in."""
    client = app.test_client()
    sign_in(client, people["dsl"])
    enrol_app(client)
    thief = app.test_client()
    sign_in(thief, people["dsl"])
    assert thief.get("/staff/second-factor/setup").headers["Location"] == "/staff/second-factor"
    assert thief.get("/staff/second-factor/setup/app").headers["Location"] == "/staff/second-factor"
    page = thief.get("/staff/second-factor").get_data(as_text=True)
    r = thief.post("/staff/second-factor/setup/passkey/options", headers={"X-CSRFToken": csrf_of(page)})
    assert r.status_code == 403
    with app.app_context():
        assert len(db.session.scalars(select(MfaCredential)).all()) == 1


def test_opening_a_concern_needs_a_second_factor_at_most_15_minutes_old(app, people, make_pupil, login_as):
    pupil = make_pupil()
    with app.app_context():
        from pupil_app.schools.models import Pupil

        db.session.get(Pupil, pupil.id).school_id = people["school"].id
        db.session.commit()
    tell(login_as(pupil, test_client=app.test_client()), words="Someone keeps messaging me.")
    client = app.test_client()
    sign_in(client, people["dsl"])
    secret, _codes = enrol_app(client)
    concern_id = int(re.search(r'href="/staff/concerns/(\d+)"', client.get("/staff/concerns").get_data(
        as_text=True)).group(1))
    assert "Someone keeps messaging me." in client.get(f"/staff/concerns/{concern_id}").get_data(as_text=True)
    with client.session_transaction() as sess:
        sess["mfa_at"] = time.time() - 16 * 60
    for path in (f"/staff/concerns/{concern_id}", f"/staff/concerns/{concern_id}/print", "/staff/concerns.csv",
                 "/staff/incident-log.csv"):
        r = client.get(path)
        assert r.status_code == 302 and r.headers["Location"] == "/staff/second-factor", path
        assert "Someone keeps messaging me." not in r.get_data(as_text=True)
    with app.app_context():
        views = db.session.scalars(select(AuditEvent.id).where(AuditEvent.action == "concern.viewed")).all()
    assert len(views) == 1  # the refused looks opened nothing
    client.get(f"/staff/concerns/{concern_id}")
    r = give_code(client, next_code(secret))
    assert r.headers["Location"] == f"/staff/concerns/{concern_id}"
    assert "Someone keeps messaging me." in html.unescape(client.get(r.headers["Location"]).get_data(as_text=True))


def test_another_dsl_resets_a_lost_device_and_it_is_audited(app, people, login_as):
    victim = app.test_client()
    sign_in(victim, people["dsl2"])
    enrol_app(victim)
    assert victim.get("/staff/").status_code == 200
    helper = login_as(people["dsl"], test_client=app.test_client())
    page = helper.get("/staff/security/colleagues").get_data(as_text=True)
    assert f"/staff/security/colleagues/{people['dsl2'].id}/reset" in page
    form = helper.get(f"/staff/security/colleagues/{people['dsl2'].id}/reset").get_data(as_text=True)
    r = helper.post(f"/staff/security/colleagues/{people['dsl2'].id}/reset",
                    data={"csrf_token": csrf_of(form), "reason": "lost_device"})
    assert r.status_code == 302
    # The colleague's open session ends; at the next sign-in they enrol again.
    assert victim.get("/staff/").headers["Location"].startswith("/staff/sign-in")
    again = app.test_client()
    sign_in(again, people["dsl2"])
    again.get("/staff/")
    assert again.get("/staff/second-factor").headers["Location"] == "/staff/second-factor/setup"
    with app.app_context():
        event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "mfa.reset"))
        assert (event.actor_id, event.target_id) == (people["dsl"].id, people["dsl2"].id)
        assert event.detail == "1 devices removed; reason: lost_device"
        assert db.session.scalars(select(RecoveryCode)).all() == []


def test_only_a_dsl_or_admin_of_the_same_school_may_reset(app, people, login_as, make_staff, csrf_off):
    url = f"/staff/security/colleagues/{people['dsl2'].id}/reset"
    teacher = login_as(people["teacher"], test_client=app.test_client())
    assert teacher.post(url, data={"reason": "lost_device"}).status_code == 403
    elsewhere = login_as(make_staff(Role.DSL), test_client=app.test_client())
    assert elsewhere.post(url, data={"reason": "lost_device"}).status_code == 404
    me = login_as(people["dsl2"], test_client=app.test_client())
    assert me.post(url, data={"reason": "lost_device"}).status_code == 404
    admin = login_as(people["admin"], test_client=app.test_client())
    assert admin.post(url, data={"reason": "made up"}).status_code == 400
    with app.app_context():
        assert db.session.scalars(select(AuditEvent.action)).all() == []


def test_the_last_device_of_a_dsl_cannot_be_removed(app, people):
    client = app.test_client()
    sign_in(client, people["dsl"])
    enrol_app(client)
    page = client.get("/staff/security").get_data(as_text=True)
    cred_id = re.search(r'/staff/security/(\d+)/remove', page).group(1)
    r = client.post(f"/staff/security/{cred_id}/remove", data={"csrf_token": csrf_of(page)})
    assert r.status_code == 302
    assert "you must keep one" in client.get("/staff/security").get_data(as_text=True)
    with app.app_context():
        assert len(db.session.scalars(select(MfaCredential)).all()) == 1
