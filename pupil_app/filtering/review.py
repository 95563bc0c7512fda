"""The yearly review of filtering and monitoring (DfE standards: review at least once a year).

A review names the senior leader and the governor responsible, records each standard as met, partly
met or not met, and lists actions with owners and dates. The next review falls due a year later;
the reminder shows from a month before and is emailed once (``flask filtering remind``, daily).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from ..concerns import audit
from ..extensions import db
from ..schools.models import School, StaffUser
from ..timeutil import utcnow
from . import notify
from .common import REVIEWERS, FilteringError, clean_text
from .models import CHECK_OUTCOMES, MAX_NAME, MAX_TEXT, STANDARDS, FilteringReview, ReviewAction, ReviewCheck

REMIND_BEFORE = timedelta(days=30)
MAX_ACTION = 500


def next_due(reviewed_on: date) -> date:
    """A year after the review (28 February after a 29 February)."""
    try:
        return reviewed_on.replace(year=reviewed_on.year + 1)
    except ValueError:
        return reviewed_on.replace(year=reviewed_on.year + 1, day=28)


@dataclass(frozen=True)
class Reminder:
    state: str           # "never" | "overdue" | "due_soon" | "ok"
    due_on: date | None
    last: FilteringReview | None

    @property
    def showing(self) -> bool:
        return self.state != "ok"


def latest(school_id: int) -> FilteringReview | None:
    return db.session.scalar(select(FilteringReview).where(FilteringReview.school_id == school_id)
                             .order_by(FilteringReview.reviewed_on.desc(), FilteringReview.id.desc()).limit(1))


def reminder(school_id: int, today: date) -> Reminder:
    last = latest(school_id)
    if last is None:
        return Reminder("never", None, None)
    if today >= last.next_due_on:
        return Reminder("overdue", last.next_due_on, last)
    if today >= last.next_due_on - REMIND_BEFORE:
        return Reminder("due_soon", last.next_due_on, last)
    return Reminder("ok", last.next_due_on, last)


def reviews(school_id: int) -> list[FilteringReview]:
    return list(db.session.scalars(select(FilteringReview).where(FilteringReview.school_id == school_id)
                                   .order_by(FilteringReview.reviewed_on.desc(), FilteringReview.id.desc())))


def load_review(staff: StaffUser, review_id: int) -> FilteringReview | None:
    review = db.session.get(FilteringReview, review_id)
    return review if review is not None and review.school_id == staff.school_id else None


def record_review(staff: StaffUser, *, reviewed_on: date | None, senior_leader: str | None, governor: str | None,
                  checks: dict[str, tuple[str, str | None]], actions: list[tuple[str | None, str | None, date | None]],
                  today: date) -> FilteringReview:
    if not staff.has_role(*REVIEWERS):
        raise FilteringError(403, _l("Only the online safety lead, the filtering lead or the DSL records the review."))
    if reviewed_on is None or reviewed_on > today:
        raise FilteringError(400, _l("Give the date of the review (not in the future)."))
    leader = clean_text(senior_leader, MAX_NAME, _l("Name the senior leader responsible."))
    governor = clean_text(governor, MAX_NAME, _l("Name the governor responsible."))
    review = FilteringReview(school_id=staff.school_id, reviewed_on=reviewed_on, senior_leader=leader,
                             governor=governor, next_due_on=next_due(reviewed_on), recorded_by_id=staff.id)
    for standard in STANDARDS:
        outcome, note = checks.get(standard, (None, None))
        if outcome not in CHECK_OUTCOMES:
            raise FilteringError(400, _l("Say for every standard whether it is met."))
        review.checks.append(ReviewCheck(standard=standard, outcome=outcome, note=clean_text(note, MAX_TEXT)))
    for text, owner, due_on in actions:
        text, owner = clean_text(text, MAX_ACTION), clean_text(owner, MAX_NAME)
        if not text and not owner and due_on is None:
            continue
        if not (text and owner and due_on):
            raise FilteringError(400, _l("Give every action its owner and a date."))
        review.actions.append(ReviewAction(text=text, owner=owner, due_on=due_on))
    db.session.add(review)
    db.session.flush()
    audit.record(staff, "filtering.reviewed", "filtering_review", review.id,
                 f"{len(review.actions)} actions; next due {review.next_due_on}")
    return review


def complete_action(staff: StaffUser, action_id: int, today: date) -> ReviewAction | None:
    action = db.session.get(ReviewAction, action_id)
    if action is None:
        return None
    review = db.session.get(FilteringReview, action.review_id)
    if review.school_id != staff.school_id:
        return None
    if not staff.has_role(*REVIEWERS):
        raise FilteringError(403, _l("Only the online safety lead, the filtering lead or the DSL records the review."))
    if action.done_on is None:
        action.done_on, action.done_by_id = today, staff.id
        audit.record(staff, "filtering.review_action_done", "filtering_review", review.id, f"action {action.id}")
    return action


def open_actions(school_id: int) -> list[ReviewAction]:
    return list(db.session.scalars(
        select(ReviewAction).join(FilteringReview, FilteringReview.id == ReviewAction.review_id)
        .where(FilteringReview.school_id == school_id, ReviewAction.done_on.is_(None))
        .order_by(ReviewAction.due_on, ReviewAction.id)))


def send_reminders(today: date) -> int:
    """Email each school whose review falls due within a month (or is overdue), once per review."""
    sent = 0
    for school_id in db.session.scalars(select(School.id).order_by(School.id)):
        due = reminder(school_id, today)
        if due.state in ("overdue", "due_soon") and due.last.reminder_sent_at is None:
            notify.review_due(school_id)
            due.last.reminder_sent_at = utcnow()
            sent += 1
    return sent
