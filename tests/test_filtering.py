"""Report a website: it reaches the filtering lead (and the DSL when a child was involved), the
filtering lead's record is append-only, and both land in the incident log and the governors' report."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select, text, update

from pupil_app.concerns.models import PendingMail
from pupil_app.extensions import db
from pupil_app.filtering import reports as filtering_reports
from pupil_app.filtering.models import FilterAction, FilteringRecordError, FilterReport
from pupil_app.schools.models import Role, StaffUser

from .concern_flow import csrf_of, tell
from .filtering_helpers import client_for, give_email, mail, record_action, report_website
from .helpers import Ids


@pytest.fixture
def school(make_school, make_class, make_pupil, make_staff, app):
    s = make_school()
    year4 = make_class(4, school=s, name="Year 4")
    people = Ids(
        id=s.id, year4=year4, amy=make_pupil(year4, first_name="Amy"),
        teacher=make_staff(Role.TEACHER, classes=(year4,)), other_teacher=make_staff(Role.TEACHER, school=s),
        it=make_staff(Role.FILTERING_LEAD, Role.TEACHER, school=s), dsl=make_staff(Role.DSL, school=s),
        lead=make_staff(Role.ONLINE_SAFETY_LEAD, school=s), admin=make_staff(Role.ADMIN, school=s),
    )
    give_email(app, people.teacher, people.other_teacher, people.it, people.dsl, people.lead, people.admin)
    return people


def addresses(app) -> list[str]:
    return [to for to, _subject, _body in mail(app)]


def test_a_report_reaches_the_filtering_lead_only_and_the_dsl_when_a_child_was_involved(app, login_as, school):
    teacher = client_for(app, login_as, school.teacher)
    r, data = report_website(teacher)
    assert r.status_code == 303
    assert addresses(app) == [f"{school.it.username}@school.example"]
    # The email says that a website was reported, with a link: no address, nothing that was seen.
    _to, subject, body = mail(app)[0]
    assert "Website reported" in subject and "/staff/filtering/reports/" in body
    assert "games.example" not in body and "violent" not in body
    with app.app_context():  # sent once the report was committed (to the outbox folder in tests)
        assert db.session.scalar(select(PendingMail.sent_at)) is not None

    report_website(teacher, child_involved="y", address="https://chat.example")
    assert addresses(app)[1:] == [f"{school.it.username}@school.example", f"{school.dsl.username}@school.example"]
    assert "A child was involved" in mail(app)[-1][2]

    # The filtering lead, the DSL and the online safety lead see the list; a teacher without those roles does not.
    for who in (school.it, school.dsl, school.lead):
        page = client_for(app, login_as, who).get("/staff/filtering?status=all").get_data(as_text=True)
        assert "https://games.example/shooter" in page and "https://chat.example" in page
    other = client_for(app, login_as, school.other_teacher)
    page = other.get("/staff/filtering?status=all").get_data(as_text=True)
    assert "games.example" not in page
    with app.app_context():
        ids = list(db.session.scalars(select(FilterReport.id).order_by(FilterReport.id)))
    assert other.get(f"/staff/filtering/reports/{ids[0]}").status_code == 404
    # The teacher who reported it can follow their own report.
    assert teacher.get(f"/staff/filtering/reports/{ids[0]}").status_code == 200


def test_bad_reports_are_refused_with_nothing_saved(app, login_as, school):
    teacher = client_for(app, login_as, school.teacher)
    for extra in ({"address": ""}, {"address": "x" * 2001}, {"request": "delete"}, {"seen": " "},
                  {"occurred_at": "2999-01-01T10:00"}, {"occurred_at": "not a date"}):
        r, _ = report_website(teacher, **extra)
        assert r.status_code == 400, extra
    r = teacher.post("/staff/filtering/report", json={"address": ["x"]})
    assert r.status_code == 400
    with app.app_context():
        assert db.session.scalar(select(FilterReport.id)) is None


def test_a_double_submit_stores_one_report(app, login_as, school):
    teacher = client_for(app, login_as, school.teacher)
    r, data = report_website(teacher)
    assert teacher.post("/staff/filtering/report", data=data).status_code == 303
    with app.app_context():
        assert len(list(db.session.scalars(select(FilterReport)))) == 1


def test_the_filtering_leads_action_is_append_only_and_lands_in_the_incident_log(app, login_as, school):
    report_website(client_for(app, login_as, school.teacher))
    with app.app_context():
        report_id = db.session.scalar(select(FilterReport.id))
    # Only the filtering lead records what was done (a DSL, an admin or a teacher gets 403).
    for who in (school.dsl, school.admin, school.teacher):
        c = client_for(app, login_as, who)
        token = csrf_of(c.get("/staff/filtering").get_data(as_text=True))
        r = c.post(f"/staff/filtering/reports/{report_id}/actions", data={"csrf_token": token, "kind": "blocked"})
        assert r.status_code == 403
    it = client_for(app, login_as, school.it)
    # "No change" needs its reason.
    assert record_action(it, report_id, kind="no_change").status_code == 400
    assert record_action(it, report_id, kind="blocked", note="Added to the block list").status_code == 303
    assert record_action(it, report_id, kind="provider", done_at="2026-03-02T11:30").status_code == 303

    with app.app_context():
        action = db.session.scalar(select(FilterAction).order_by(FilterAction.id))
        action.kind = "no_change"
        with pytest.raises(FilteringRecordError):
            db.session.flush()
        db.session.rollback()
        with pytest.raises(FilteringRecordError):
            db.session.delete(db.session.scalar(select(FilterAction)))
            db.session.flush()
        db.session.rollback()
        with pytest.raises(FilteringRecordError):
            db.session.execute(update(FilterAction).values(kind="allowed"))
        db.session.rollback()
        # The note is stored encrypted: the database shows none of it.
        raw = db.session.execute(text("SELECT note_enc FROM filter_actions WHERE note_enc IS NOT NULL")).scalar()
        assert "block list" not in raw

    dsl = client_for(app, login_as, school.dsl)
    page = dsl.get("/staff/incident-log?from=2026-03-01&to=2026-03-31").get_data(as_text=True)
    assert f"F{report_id}" in page and "https://games.example/shooter" in page
    assert "Blocked in the filter" in page and "Added to the block list" in page
    assert "Reported to the filtering provider" in page
    csv_text = dsl.get("/staff/incident-log.csv?from=2026-03-01&to=2026-03-31").get_data(as_text=True)
    assert f"F{report_id}" in csv_text and "Blocked in the filter" in csv_text


def test_a_pupils_website_at_school_becomes_a_filtering_report_without_their_words(app, login_as, school):
    pupil = client_for(app, login_as, school.amy)
    _base, r = tell(pupil, what="upset", where="school_web", words="I saw a scary clown video on the iPad")
    assert r.status_code in (200, 303)
    with app.app_context():
        report = db.session.scalar(select(FilterReport))
        assert report.source == "pupil" and report.child_involved and report.concern_id
        concern_id = report.concern_id
    # The filtering lead hears, and the DSL too; the filtering lead's page shows no words and no name.
    sent_to = addresses(app)
    assert f"{school.it.username}@school.example" in sent_to and f"{school.dsl.username}@school.example" in sent_to
    page = client_for(app, login_as, school.it).get("/staff/filtering").get_data(as_text=True)
    assert "Tell an adult" in page and "clown" not in page and "Amy" not in page
    detail = client_for(app, login_as, school.it).get(f"/staff/filtering/reports/{report.id}").get_data(as_text=True)
    assert f"C{concern_id}" in detail and "clown" not in detail and "Amy" not in detail
    # ... and the concern (with the words) stays the DSL's: the filtering lead cannot open it.
    assert client_for(app, login_as, school.it).get(f"/staff/concerns/{concern_id}").status_code == 403
    assert "clown" in client_for(app, login_as, school.dsl).get(f"/staff/concerns/{concern_id}").get_data(as_text=True)
    assert not any("clown" in body or "Amy" in body for _to, _s, body in mail(app))


def test_the_governors_report_counts_reports_and_actions(app, login_as, school):
    report_website(client_for(app, login_as, school.teacher), child_involved="y")
    report_website(client_for(app, login_as, school.teacher), request="unblock", address="https://bbc.example")
    with app.app_context():
        first = db.session.scalar(select(FilterReport.id).order_by(FilterReport.id))
    record_action(client_for(app, login_as, school.it), first)
    page = client_for(app, login_as, school.admin).get(f"/staff/coverage/schools/{school.id}/report?term=2026-spring")
    assert page.status_code == 200
    body = page.get_data(as_text=True)
    section = body[body.index('id="filtering-heading"'):]
    numbers = dict(re.findall(r'<th scope="row">([^<]+)</th><td class="num">(\d+)</td>', section))
    assert numbers["Websites reported"] == "2" and numbers["… wrongly blocked"] == "1"
    assert numbers["Blocked in the filter"] == "1" and numbers["Reports still waiting for the filtering lead"] == "1"
    assert "games.example" not in body and "bbc.example" not in body
    assert "No review of filtering and monitoring is recorded yet." in body


def test_service_refuses_an_action_from_a_non_filtering_lead(app, school):
    with app.test_request_context():
        teacher = db.session.get(StaffUser, school.teacher.id)
        report, _ = filtering_reports.report_website(
            teacher, address="https://a.example", device="Hall", occurred_at=None, seen="x", request="block",
            child_involved=False, key=filtering_reports.new_key())
        with pytest.raises(filtering_reports.FilteringError):
            filtering_reports.record_action(teacher, report, kind="blocked", done_at=None, note=None)
        db.session.rollback()


def test_the_demo_has_a_filtering_lead_two_reports_three_alerts_and_loads_once(app, runner):
    from pupil_app.filtering.models import FilteringReview, MonitoringAlert

    assert runner.invoke(args=["demo", "load"]).exit_code == 0
    with app.app_context():
        it = db.session.scalar(select(StaffUser).where(StaffUser.username == "it.demo"))
        assert it.roles == {Role.FILTERING_LEAD}
        counts = [len(list(db.session.scalars(select(m)))) for m in (FilterReport, MonitoringAlert, FilteringReview)]
    assert counts == [2, 3, 1]
    runner.invoke(args=["demo", "load"])
    with app.app_context():
        again = [len(list(db.session.scalars(select(m)))) for m in (FilterReport, MonitoringAlert, FilteringReview)]
        assert again == counts
        assert len(list(db.session.scalars(select(StaffUser).where(StaffUser.username == "it.demo")))) == 1


def test_an_admin_names_the_filtering_lead_and_online_safety_lead_on_the_staff_form(app, login_as, school):
    admin = client_for(app, login_as, school.admin)
    url = f"/staff/admin/schools/{school.id}/staff/new"
    page = admin.get(url).get_data(as_text=True)
    assert "Filtering lead (IT support)" in page and "Online safety lead" in page
    r = admin.post(url, data={"csrf_token": csrf_of(page), "username": "g.lloyd", "display_name": "Mr Lloyd",
                              "roles": ["filtering_lead", "online_safety_lead", "teacher"]})
    assert r.status_code == 200
    with app.app_context():
        staff = db.session.scalar(select(StaffUser).where(StaffUser.username == "g.lloyd"))
        assert staff.roles == {Role.FILTERING_LEAD, Role.ONLINE_SAFETY_LEAD, Role.TEACHER}
    listing = admin.get(f"/staff/admin/schools/{school.id}/staff").get_data(as_text=True)
    assert "Filtering lead (IT support)" in listing
