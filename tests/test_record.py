"""The child's record: one timeline across concerns; the redacted version names no other child."""

from __future__ import annotations

import html

import pytest
from sqlalchemy import select

from pupil_app.concerns import handling
from pupil_app.concerns.models import AuditEvent, Concern, ConcernPupil
from pupil_app.extensions import db
from pupil_app.schools.models import Pupil, Role, StaffUser

from .concern_flow import tell
from .helpers import Ids


@pytest.fixture
def case(app, make_school, make_class, make_pupil, make_staff, login_as):
    school = make_school()
    year4 = make_class(4, school=school)
    amy, ben, cal = (make_pupil(year4, first_name=n) for n in ("Amy", "Ben", "Cal"))
    tell(login_as(amy, test_client=app.test_client()), words="Ben keeps sending me mean pictures.")
    tell(login_as(cal, test_client=app.test_client()), words="Someone in the group chat is horrible to Amy.")
    dsl = make_staff(Role.DSL, school=school)
    with app.app_context():
        names = {p.id: p.full_name for p in db.session.scalars(select(Pupil))}
        about_amy, about_cal = db.session.scalars(select(Concern.id).order_by(Concern.id)).all()
        staff = db.session.get(StaffUser, dsl.id)
        handling.add_entry(staff, db.session.get(Concern, about_amy), "conversation",
                           f"Spoke with Amy; {names[ben.id]} admitted it. Ben's parents called.", None)
        db.session.add(ConcernPupil(concern_id=about_cal, pupil_id=amy.id, added_by_id=dsl.id))
        handling.add_entry(staff, db.session.get(Concern, about_cal), "note",
                           f"{names[cal.id]} showed the chat to the class teacher.", None)
        db.session.commit()
    return Ids(amy=amy, ben=ben, cal=cal, names=names, about_amy=about_amy, about_cal=about_cal, dsl=dsl,
               client=login_as(dsl, test_client=app.test_client()))


def page(client, url) -> str:
    r = client.get(url)
    assert r.status_code == 200, url
    return html.unescape(r.get_data(as_text=True))


def test_the_record_holds_every_concern_about_or_mentioning_the_child(app, case):
    full = page(case.client, f"/staff/pupils/{case.amy.id}/record")
    assert "Ben keeps sending me mean pictures." in full
    assert f"Spoke with Amy; {case.names[case.ben.id]} admitted it." in full
    assert f"Concern #{case.about_cal} about {case.names[case.cal.id]}" in full  # a mention, not about her
    assert "Someone in the group chat is horrible to Amy." in full
    with app.app_context():
        assert db.session.scalars(select(AuditEvent.action).where(AuditEvent.action.like("record.%"))).all() == [
            "record.viewed"]


def test_the_redacted_record_names_no_other_child_and_leaves_out_chosen_entries(app, case):
    full = page(case.client, f"/staff/pupils/{case.amy.id}/record")
    leave = f"concern-{case.about_cal}"
    assert f'value="{leave}"' in full
    out = page(case.client, f"/staff/pupils/{case.amy.id}/record/redacted?leave_out={leave}&leave_out=bogus!")
    for other in (case.ben.id, case.cal.id):
        first, last = case.names[other].split()
        assert first not in out and last not in out
    assert "[another child] keeps sending me mean pictures." in out
    assert "Spoke with Amy; [another child] admitted it. [another child] parents called." in out
    assert "Someone in the group chat is horrible to Amy." not in out  # left out by choice
    assert case.names[case.amy.id] in out
    with app.app_context():
        rows = db.session.scalars(select(AuditEvent.detail).where(AuditEvent.action == "record.redaction")
                                  .order_by(AuditEvent.id)).all()
        exported = db.session.scalars(select(AuditEvent.action).where(
            AuditEvent.action == "record.exported_redacted")).all()
    assert f"{leave}: left out" in rows
    assert any(r.endswith("names removed") for r in rows) and len(exported) == 1


def test_only_the_schools_dsl_opens_a_record(app, case, make_staff, login_as):
    other = login_as(make_staff(Role.DSL), test_client=app.test_client())
    assert other.get(f"/staff/pupils/{case.amy.id}/record").status_code == 404
    assert other.get(f"/staff/pupils/{case.amy.id}/record/redacted").status_code == 404
    # a missing id in range reaches the view and is audited like another school's pupil; one no database
    # integer can hold is a 404 from the router (guards.py) and cannot name any pupil, so it is not
    assert other.get(f"/staff/pupils/{2**31 - 1}/record").status_code == 404
    assert other.get("/staff/pupils/99999999999/record").status_code == 404
    with case.client.session_transaction() as sess:
        sess["mfa_at"] = 0
    assert case.client.get(f"/staff/pupils/{case.amy.id}/record").headers["Location"] == "/staff/second-factor"
    with app.app_context():
        assert db.session.scalars(select(AuditEvent.action).where(AuditEvent.action.like("record.%"))).all() == [
            "record.refused"] * 3


def test_a_subject_access_copy_is_redacted_the_same_way_and_logged_as_such(app, case):
    out = page(case.client, f"/staff/pupils/{case.amy.id}/record/redacted?purpose=access")
    assert "subject access copy" in out and "[another child] keeps sending me mean pictures." in out
    assert case.names[case.ben.id].split()[0] not in out
    with app.app_context():
        actions = db.session.scalars(select(AuditEvent.action).where(AuditEvent.action.like("record.%"))).all()
    assert "record.subject_access" in actions and "record.redaction" in actions
