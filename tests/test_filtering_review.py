"""The yearly review of filtering and monitoring: recorded against the DfE standards, printable, on
the governors' report, and its reminder falls due (on the page and by email, once)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import select

from pupil_app.extensions import db
from pupil_app.filtering import review
from pupil_app.filtering.models import FilteringReview, ReviewAction
from pupil_app.schools.models import Role, StaffUser

from .concern_flow import csrf_of
from .filtering_helpers import client_for, give_email, mail
from .helpers import Ids


@pytest.fixture
def school(make_school, make_staff, app):
    s = make_school()
    people = Ids(id=s.id, lead=make_staff(Role.ONLINE_SAFETY_LEAD, school=s),
                 it=make_staff(Role.FILTERING_LEAD, school=s), admin=make_staff(Role.ADMIN, school=s),
                 teacher=make_staff(Role.TEACHER, school=s))
    give_email(app, people.lead, people.it, people.admin)
    return people


def review_form(page: str, **extra) -> dict:
    data = {"csrf_token": csrf_of(page), "reviewed_on": "2026-09-15", "senior_leader": "Mrs Whitfield (head)",
            "governor": "Mr Patel (safeguarding governor)"}
    for i, outcome in enumerate(("met", "met", "partly", "met")):
        data[f"checks-{i}-outcome"] = outcome
        data[f"checks-{i}-note"] = f"Checked point {i + 1}"
    data.update({"actions-0-text": "Block AI chat sites for KS2", "actions-0-owner": "IT support",
                 "actions-0-due_on": "2026-10-31"})
    data.update(extra)
    return data


def test_the_online_safety_lead_records_a_review_and_governors_see_it(app, login_as, school):
    lead = client_for(app, login_as, school.lead)
    page = lead.get("/staff/filtering/reviews/new").get_data(as_text=True)
    r = lead.post("/staff/filtering/reviews/new", data=review_form(page))
    assert r.status_code == 303
    printable = lead.get(r.location).get_data(as_text=True)
    assert "Mrs Whitfield (head)" in printable and "Mr Patel (safeguarding governor)" in printable
    assert "Partly met" in printable and "Block AI chat sites for KS2" in printable and "15/09/2027" in printable
    # The admin (headteacher) reads it; a teacher does not.
    assert client_for(app, login_as, school.admin).get(r.location).status_code == 200
    assert client_for(app, login_as, school.teacher).get(r.location).status_code == 403
    # The governors' report shows the last review date and its open actions.
    report = client_for(app, login_as, school.admin).get(
        f"/staff/coverage/schools/{school.id}/report?term=2026-autumn").get_data(as_text=True)
    assert "Last review of filtering and monitoring: 15/09/2026" in report
    assert "Block AI chat sites for KS2" in report
    # Marking the action done takes it off the open list.
    with app.app_context():
        action_id = db.session.scalar(select(ReviewAction.id))
    listing = lead.get("/staff/filtering/reviews").get_data(as_text=True)
    assert lead.post(f"/staff/filtering/review-actions/{action_id}/done",
                     data={"csrf_token": csrf_of(listing)}).status_code == 303
    report = client_for(app, login_as, school.admin).get(
        f"/staff/coverage/schools/{school.id}/report?term=2026-autumn").get_data(as_text=True)
    assert "No open actions from the review." in report


@pytest.mark.parametrize("extra", [
    {"senior_leader": ""}, {"governor": ""}, {"reviewed_on": "2999-01-01"}, {"checks-2-outcome": "maybe"},
    {"actions-0-owner": ""}, {"actions-1-text": "An action with no owner or date"},
])
def test_an_incomplete_review_is_refused_with_nothing_saved(app, login_as, school, extra):
    lead = client_for(app, login_as, school.lead)
    page = lead.get("/staff/filtering/reviews/new").get_data(as_text=True)
    assert lead.post("/staff/filtering/reviews/new", data=review_form(page, **extra)).status_code == 400
    with app.app_context():
        assert db.session.scalar(select(FilteringReview.id)) is None


def test_the_review_reminder_falls_due_and_is_emailed_once(app, school):
    with app.test_request_context():
        lead = db.session.get(StaffUser, school.lead.id)
        assert review.reminder(school.id, date(2026, 9, 1)).state == "never"
        review.record_review(lead, reviewed_on=date(2025, 9, 15), senior_leader="Head", governor="Governor",
                             checks={s: ("met", None) for s in ("roles", "review", "filtering", "monitoring")},
                             actions=[], today=date(2025, 9, 15))
        db.session.commit()
        assert review.reminder(school.id, date(2026, 8, 1)).state == "ok"
        assert review.send_reminders(date(2026, 8, 1)) == 0
        soon = review.reminder(school.id, date(2026, 8, 20))
        assert soon.state == "due_soon" and soon.due_on == date(2026, 9, 15)
        assert review.reminder(school.id, date(2026, 9, 15)).state == "overdue"
        assert review.send_reminders(date(2026, 8, 20)) == 1
        db.session.commit()
        assert review.send_reminders(date(2026, 9, 20)) == 0  # once per review
        db.session.commit()
    sent = mail(app)
    assert sorted(to for to, _s, _b in sent) == sorted([f"{school.lead.username}@school.example",
                                                       f"{school.it.username}@school.example"])
    assert all("review" in subject.lower() for _to, subject, _b in sent)


def test_the_reminder_shows_on_the_filtering_pages(app, login_as, school):
    with app.test_request_context():
        lead = db.session.get(StaffUser, school.lead.id)
        long_ago = date.today() - timedelta(days=400)
        review.record_review(lead, reviewed_on=long_ago, senior_leader="Head", governor="Governor",
                             checks={s: ("met", None) for s in ("roles", "review", "filtering", "monitoring")},
                             actions=[], today=date.today())
        db.session.commit()
    page = client_for(app, login_as, school.it).get("/staff/filtering").get_data(as_text=True)
    assert "The yearly review of filtering and monitoring was due on" in page


def test_the_cli_queues_reminders(app, runner, school):
    with app.test_request_context():
        lead = db.session.get(StaffUser, school.lead.id)
        review.record_review(lead, reviewed_on=date.today() - timedelta(days=380), senior_leader="Head",
                             governor="Governor", checks={s: ("met", None) for s in ("roles", "review", "filtering",
                                                                                      "monitoring")},
                             actions=[], today=date.today())
        db.session.commit()
    result = runner.invoke(args=["filtering", "remind"])
    assert result.exit_code == 0 and "Review reminders queued: 1." in result.output
