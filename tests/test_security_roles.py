"""Attack 8: admins steering safeguarding. A DSL's name and email (where every alert goes) change
only by the DSL or another DSL; nobody gives themselves the DSL role; role and email changes are
audited; the school's DSLs hear of every new DSL."""

from __future__ import annotations

import email
import email.policy

import pytest
from sqlalchemy import select

from pupil_app.concerns.models import AuditEvent
from pupil_app.extensions import db
from pupil_app.schools.models import Role, StaffUser

from .concern_flow import csrf
from .helpers import Ids


@pytest.fixture
def outbox(app, tmp_path, monkeypatch):
    folder = tmp_path / "outbox"
    monkeypatch.setitem(app.config, "MAIL_OUTBOX_DIR", folder)
    return folder


@pytest.fixture
def school(make_school, make_staff, in_app):
    s = make_school()
    dsl = make_staff(Role.DSL, school=s)
    admin = make_staff(Role.ADMIN, school=s)
    trust = make_staff(Role.TRUST_ADMIN, school=s)
    teacher = make_staff(Role.TEACHER, school=s)

    def emails():
        db.session.get(StaffUser, dsl.id).email = "dsl@school.example"
        db.session.get(StaffUser, dsl.id).display_name = "Ms Safe"

    in_app(emails)
    return Ids(id=s.id, dsl=dsl, admin=admin, trust=trust, teacher=teacher)


def signed_in(app, login_as, who):
    c = app.test_client()
    login_as(who, test_client=c)
    return c


def edit(client, staff_id, **fields):
    url = f"/staff/admin/staff/{staff_id}"
    data = {"csrf_token": csrf(client, url), **fields}
    return client.post(url, data=data)


def staff_row(app, ident):
    with app.app_context():
        s = db.session.get(StaffUser, ident)
        return s.display_name, s.email, s.roles


def actions(app) -> list[tuple[str, str]]:
    with app.app_context():
        return [(e.action, e.detail) for e in db.session.scalars(select(AuditEvent).order_by(AuditEvent.id))]


def mails(outbox) -> list[tuple[str, str]]:
    out = []
    for p in sorted(outbox.glob("*.eml")) if outbox.exists() else []:
        m = email.message_from_bytes(p.read_bytes(), policy=email.policy.default)
        out.append((m["To"], m.get_content()))
    return out


@pytest.mark.parametrize("editor, roles", [("admin", {}), ("trust", {"roles": ["dsl"]})])
def test_an_admin_cannot_redirect_the_dsls_alerts(app, login_as, school, editor, roles, outbox):
    """(A school admin's form does not offer the DSL role: the role stays as it was.)"""
    client = signed_in(app, login_as, getattr(school, editor))
    r = edit(client, school.dsl.id, display_name="Ms Safe", email="attacker@evil.example", **roles)
    assert r.status_code == 400
    assert "Only the DSL themselves or another DSL" in r.get_data(as_text=True)
    r = edit(client, school.dsl.id, display_name="Someone Else", email="dsl@school.example", **roles)
    assert r.status_code == 400
    assert staff_row(app, school.dsl.id)[:2] == ("Ms Safe", "dsl@school.example")


def test_a_trust_admin_cannot_give_itself_the_dsl_role_nor_read_concerns(app, login_as, school):
    client = signed_in(app, login_as, school.trust)
    r = edit(client, school.trust.id, display_name="Trust", roles=["trust_admin", "dsl"])
    assert r.status_code == 400 and "Nobody can give themselves the DSL role" in r.get_data(as_text=True)
    assert Role.DSL not in staff_row(app, school.trust.id)[2]
    assert client.get("/staff/concerns").status_code == 403


def test_another_dsl_changes_the_address_and_it_is_audited_and_told(app, login_as, school, make_staff, outbox):
    client = signed_in(app, login_as, make_staff(Role.DSL, Role.ADMIN, school=Ids(id=school.id)))
    r = edit(client, school.dsl.id, display_name="Ms Safe", email="safe.dsl@school.example", roles=["dsl"])
    assert r.status_code == 302
    assert staff_row(app, school.dsl.id)[1] == "safe.dsl@school.example"
    changed = [d for a, d in actions(app) if a == "staff.email_changed"]
    assert changed and "dsl@school.example -> safe.dsl@school.example" in changed[0]
    told = [to for to, body in mails(outbox) if "no longer come to this address" in body]
    assert told == ["dsl@school.example"]  # the old address hears of it


def test_a_new_dsl_is_audited_and_every_dsl_is_told(app, login_as, school, make_staff, outbox):
    dsl_admin = make_staff(Role.DSL, Role.ADMIN, school=Ids(id=school.id))
    client = signed_in(app, login_as, dsl_admin)
    r = edit(client, school.teacher.id, display_name="Mr Teach", roles=["teacher", "dsl"])
    assert r.status_code == 302
    roles_changed = [d for a, d in actions(app) if a == "staff.roles_changed"]
    assert roles_changed and "added dsl" in roles_changed[0]
    notices = [(to, body) for to, body in mails(outbox) if "has been given the DSL role" in body]
    assert [to for to, _ in notices] == ["dsl@school.example"] and "Mr Teach" in notices[0][1]


def test_an_admin_still_edits_a_teacher_and_role_changes_are_audited(app, login_as, school):
    client = signed_in(app, login_as, school.admin)
    r = edit(client, school.teacher.id, display_name="Mr T", email="t@school.example", roles=["teacher", "admin"])
    assert r.status_code == 302
    kinds = [a for a, _ in actions(app)]
    assert "staff.roles_changed" in kinds and "staff.email_changed" in kinds
