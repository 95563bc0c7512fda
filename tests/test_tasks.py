"""Tasks and reviews on concerns, the DSL's home and staff-bar counts, the daily digest (counts only)."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from pupil_app.concerns.models import AuditEvent, Concern, PendingMail
from pupil_app.extensions import db
from pupil_app.records import tasks
from pupil_app.records.models import Task
from pupil_app.schools.models import Role, StaffUser

from .concern_flow import csrf_of, tell
from .helpers import PASSWORD, Ids
from .mfa_flow import enrol_app


def local_today():
    """Today where the school is (the testing config's TIMEZONE)."""
    return datetime.now(ZoneInfo("Europe/London")).date()


@pytest.fixture
def case(app, make_school, make_class, make_pupil, make_staff, login_as):
    school = make_school()
    year4 = make_class(4, school=school)
    pupil = make_pupil(year4, first_name="Zanzibar")
    tell(login_as(pupil, test_client=app.test_client()), words="Someone online keeps asking where I live.")
    dsl, deputy = make_staff(Role.DSL, school=school), make_staff(Role.DSL, school=school)
    with app.app_context():
        concern_id = db.session.scalar(select(Concern.id))
        db.session.get(StaffUser, deputy.id).email = "deputy@school.example"
        db.session.commit()
    return Ids(concern_id=concern_id, dsl=dsl, deputy=deputy, teacher=make_staff(Role.TEACHER, classes=(year4,)),
               client=login_as(dsl, test_client=app.test_client()))


def add_task(client, concern_id, **fields):
    page = client.get(f"/staff/concerns/{concern_id}").get_data(as_text=True)
    data = {"csrf_token": csrf_of(page), "kind": "task", "text": "Call the parents", "owner": "",
            "due_on": local_today().isoformat()}
    data.update({k: str(v) for k, v in fields.items()})
    return client.post(f"/staff/concerns/{concern_id}/tasks", data=data)


def open_tasks(app) -> list[tuple[str, int]]:
    with app.app_context():
        return [(t.text, t.owner_id) for t in db.session.scalars(select(Task).where(Task.done_at.is_(None)))]


def test_a_task_for_the_deputy_shows_in_their_counts_home_and_staff_bar_until_done(app, case, login_as):
    r = add_task(case.client, case.concern_id, owner=case.deputy.id, text="Call Zanzibar's parents")
    assert r.status_code == 303 and r.headers["Location"].endswith(f"/staff/concerns/{case.concern_id}#tasks")
    deputy = login_as(case.deputy, test_client=app.test_client())
    home = deputy.get("/staff/safeguarding").get_data(as_text=True)
    assert "Call Zanzibar&#39;s parents" in home
    assert "0 unread · 0 overdue · 1 today" in home  # the staff bar (the DSL opened the concern: read)
    task_id = re.search(r"/staff/tasks/(\d+)/done", home).group(1)
    r = deputy.post(f"/staff/tasks/{task_id}/done", data={"csrf_token": csrf_of(home), "next": "/staff/safeguarding"})
    assert r.status_code == 303 and r.headers["Location"] == "/staff/safeguarding"
    after = deputy.get("/staff/safeguarding").get_data(as_text=True)
    assert "Nothing is waiting for you." in after and "count-badge" not in after
    with app.app_context():
        trail = db.session.scalars(select(AuditEvent.action).where(AuditEvent.target_id == case.concern_id)
                                   .order_by(AuditEvent.id)).all()
        stored = db.session.scalar(select(Task.text_enc))
    assert [a for a in trail if a.startswith("task.")] == ["task.added", "task.done"]
    assert "Zanzibar" not in stored  # the words are encrypted like the chronology


def test_counts_of_unread_overdue_and_due_today(app, case, in_app):
    today = local_today()

    def setup():
        concern = db.session.get(Concern, case.concern_id)
        dsl = db.session.get(StaffUser, case.dsl.id)
        concern.read_at = None
        tasks.add(dsl, concern, "task", "Overdue one", dsl.id, today - timedelta(days=2), today=today - timedelta(days=5))
        tasks.add(dsl, concern, "review", "Review", dsl.id, today)
        tasks.add(dsl, concern, "task", "Later", dsl.id, today + timedelta(days=3))
        return tasks.counts(dsl, today)

    assert in_app(setup) == tasks.Counts(unread=1, overdue=1, due_today=1)


@pytest.mark.parametrize("fields, message", [
    ({"due_on": (local_today() - timedelta(days=1)).isoformat()}, "from today on"),
    ({"due_on": "not a date"}, "Choose a date."),
    ({"text": ""}, "Say what is to be done."),
    ({"text": "x" * 501}, "at most 500 characters"),
    ({"kind": "party"}, "Not a valid choice"),
    ({"owner": "teacher"}, "Choose a DSL of this school"),
])
def test_a_bad_task_is_refused_with_its_reason_and_nothing_is_saved(app, case, fields, message):
    fields = {"owner": case.dsl.id, **fields}
    if fields["owner"] == "teacher":
        fields["owner"] = case.teacher.id
    r = add_task(case.client, case.concern_id, **fields)
    assert r.status_code == 400 and message in r.get_data(as_text=True)
    assert open_tasks(app) == []


def test_another_schools_dsl_cannot_add_or_complete_tasks(app, case, make_staff, login_as):
    add_task(case.client, case.concern_id, owner=case.dsl.id)
    with app.app_context():
        task_id = db.session.scalar(select(Task.id))
    other = login_as(make_staff(Role.DSL), test_client=app.test_client())
    page = other.get("/staff/safeguarding").get_data(as_text=True)
    assert add_task(other, case.concern_id).status_code == 404
    assert other.post(f"/staff/tasks/{task_id}/done", data={"csrf_token": csrf_of(page)}).status_code == 404
    teacher = login_as(case.teacher, test_client=app.test_client())
    assert teacher.get("/staff/safeguarding").status_code == 403
    assert len(open_tasks(app)) == 1


def test_a_dsl_signs_in_to_their_safeguarding_home(app, case):
    client = app.test_client()
    page = client.get("/staff/sign-in").get_data(as_text=True)
    with app.app_context():
        username = db.session.get(StaffUser, case.deputy.id).username
    client.post("/staff/sign-in", data={"csrf_token": csrf_of(page), "username": username, "password": PASSWORD})
    enrol_app(client)
    r = client.get("/staff/second-factor/recovery-codes")  # already shown: on to where sign-in was going
    assert client.get("/staff/safeguarding").status_code == 200
    assert r.headers["Location"] in ("/staff/safeguarding", "/staff/")


def test_the_daily_digest_holds_counts_and_a_link_only(app, case, runner):
    add_task(case.client, case.concern_id, owner=case.deputy.id, text="Call Zanzibar's parents")
    result = runner.invoke(args=["records", "digest"])
    assert result.exit_code == 0 and "1 digest emails queued; 0 transfer reminders." in result.output
    with app.app_context():
        [mail] = db.session.scalars(select(PendingMail)).all()
    assert mail.to_addr == "deputy@school.example"
    assert "Your tasks due today: 1" in mail.body and "/staff/safeguarding" in mail.body
    assert "Zanzibar" not in mail.body + mail.subject and "parents" not in mail.body


def test_closing_with_monitoring_needs_a_review_date(app, case):
    page = case.client.get(f"/staff/concerns/{case.concern_id}").get_data(as_text=True)
    close = {"csrf_token": csrf_of(page), "h-status": "closed", "h-outcome": "monitoring", "h-category": "contact",
             "h-assigned_to": "", "h-reason": "Parents aware; watch for more messages."}
    r = case.client.post(f"/staff/concerns/{case.concern_id}/handling", data=close)
    assert r.status_code == 400 and "needs a review date" in r.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(Concern, case.concern_id).status == "new"
    in_a_month = (local_today() + timedelta(days=30)).isoformat()
    assert add_task(case.client, case.concern_id, kind="review", owner=case.dsl.id, due_on=in_a_month,
                    text="Check in with the pupil").status_code == 303
    assert case.client.post(f"/staff/concerns/{case.concern_id}/handling", data=close).status_code == 303
    with app.app_context():
        assert db.session.get(Concern, case.concern_id).outcome == "monitoring"


def test_an_agency_reference_is_kept_encrypted_and_shown_on_the_concern_and_record(app, case):
    page = case.client.get(f"/staff/concerns/{case.concern_id}").get_data(as_text=True)
    data = {"csrf_token": csrf_of(page), "agency": "social_care", "reference": "CSC-2026-00417",
            "contact": "Duty social worker J. Okoro", "made_on": local_today().isoformat()}
    r = case.client.post(f"/staff/concerns/{case.concern_id}/references", data=data)
    assert r.status_code == 303 and r.headers["Location"].endswith("#references")
    assert "CSC-2026-00417" in case.client.get(f"/staff/concerns/{case.concern_id}").get_data(as_text=True)
    with app.app_context():
        from pupil_app.records.models import AgencyReference

        row = db.session.scalar(select(AgencyReference))
        pupil_id = db.session.get(Concern, case.concern_id).pupil_id
        assert "CSC-2026" not in (row.reference_enc + row.contact_enc) and row.reference == "CSC-2026-00417"
    assert "CSC-2026-00417" in case.client.get(f"/staff/pupils/{pupil_id}/record").get_data(as_text=True)
    for bad in ({"agency": "aliens"}, {"reference": "", "contact": ""}, {"made_on": "2999-01-01"},
                {"reference": "x" * 61}):
        r = case.client.post(f"/staff/concerns/{case.concern_id}/references", data={**data, **bad})
        assert r.status_code == 400, bad
    with app.app_context():
        assert len(db.session.scalars(select(AgencyReference)).all()) == 1
