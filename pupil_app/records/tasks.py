"""Tasks and reviews on concerns, the DSL's counts, and the daily digest; testable without a request.

A task has an owner (a DSL of the school) and a due date; a review is the date to look at a
concern again. The DSL's home shows unread concerns, overdue tasks and tasks due today (the same
counts sit in the staff bar). The daily digest emails each DSL those numbers and a link, nothing
else: no names, no words. It is queued in ``pending_mail`` and sent like every alert.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from flask import current_app, url_for
from flask_babel import force_locale, gettext as _, lazy_gettext as _l
from sqlalchemy import func, select

from .. import crypto
from ..concerns import audit
from ..concerns.models import Concern, PendingMail
from ..extensions import db
from ..schools.models import Role, School, StaffRole, StaffUser
from ..timeutil import local_today, utcnow
from .models import TASK_KINDS, Task

MAX_TEXT = 500
MAX_AHEAD = timedelta(days=3 * 366)


class TaskError(ValueError):
    """A task that cannot be saved, with the reason (an English message id)."""


@dataclass(frozen=True)
class Counts:
    unread: int
    overdue: int
    due_today: int

    @property
    def total(self) -> int:
        return self.unread + self.overdue + self.due_today


def school_dsls(school_id: int) -> list[StaffUser]:
    return list(db.session.scalars(
        select(StaffUser).join(StaffRole, StaffRole.staff_id == StaffUser.id)
        .where(StaffUser.school_id == school_id, StaffUser.active.is_(True), StaffRole.role == Role.DSL.value)
        .order_by(StaffUser.display_name)))


def add(staff: StaffUser, concern: Concern, kind: str, text: str, owner_id: int | None, due_on: date | None,
        today: date | None = None) -> Task:
    today = today or local_today()
    text = (text or "").strip()
    if kind not in TASK_KINDS:
        raise TaskError(_l("Choose a task or a review."))
    if not text or len(text) > MAX_TEXT:
        raise TaskError(_l("Say what is to be done, in at most 500 characters."))
    if due_on is None or due_on < today or due_on > today + MAX_AHEAD:
        raise TaskError(_l("Choose a due date from today on, at most three years ahead."))
    owner = next((s for s in school_dsls(concern.school_id) if s.id == owner_id), None)
    if owner is None:
        raise TaskError(_l("Choose a DSL of this school to do it."))
    task = Task(school_id=concern.school_id, concern_id=concern.id, kind=kind, text_enc=crypto.encrypt(text),
                owner_id=owner.id, due_on=due_on, created_by_id=staff.id)
    db.session.add(task)
    db.session.flush()
    audit.record(staff, f"{kind}.added", "concern", concern.id,
                 f"{kind} #{task.id} for {owner.display_name}, due {due_on.isoformat()}")
    return task


def complete(staff: StaffUser, task_id: int) -> Task | None:
    task = db.session.get(Task, task_id) if 0 < task_id < 2**31 else None
    if task is None or task.school_id != staff.school_id:
        return None
    if task.done_at is None:
        task.done_at, task.done_by_id = utcnow(), staff.id
        db.session.flush()
        audit.record(staff, f"{task.kind}.done", "concern", task.concern_id, f"{task.kind} #{task.id}")
    return task


def of_concern(concern_id: int) -> list[Task]:
    return list(db.session.scalars(select(Task).where(Task.concern_id == concern_id)
                                   .order_by(Task.done_at.is_not(None), Task.due_on, Task.id)))


def open_review(concern_id: int) -> Task | None:
    return db.session.scalar(select(Task).where(Task.concern_id == concern_id, Task.kind == "review",
                                                Task.done_at.is_(None)).order_by(Task.due_on).limit(1))


def open_tasks(staff: StaffUser) -> list[Task]:
    """The DSL's own open tasks and reviews, soonest first."""
    return list(db.session.scalars(select(Task).where(
        Task.school_id == staff.school_id, Task.owner_id == staff.id, Task.done_at.is_(None))
        .order_by(Task.due_on, Task.id)))


def counts(staff: StaffUser, today: date | None = None) -> Counts:
    today = today or local_today()
    unread = db.session.scalar(select(func.count()).select_from(Concern).where(
        Concern.school_id == staff.school_id, Concern.read_at.is_(None))) or 0
    mine = select(func.count()).select_from(Task).where(
        Task.school_id == staff.school_id, Task.owner_id == staff.id, Task.done_at.is_(None))
    overdue = db.session.scalar(mine.where(Task.due_on < today)) or 0
    due_today = db.session.scalar(mine.where(Task.due_on == today)) or 0
    return Counts(unread, overdue, due_today)


def _home_link() -> str:
    with current_app.test_request_context(base_url=current_app.config["APP_BASE_URL"]):
        return url_for("records.home", _external=True)


def queue_digest(today: date | None = None) -> int:
    """One email per DSL with an address and something to do: counts and a link, no names. Returns how many."""
    today = today or local_today()
    queued = 0
    link = _home_link()
    for school_id in db.session.scalars(select(School.id).order_by(School.id)):
        for dsl in school_dsls(school_id):
            if not (dsl.email and dsl.email.strip()):
                continue
            c = counts(dsl, today)
            if not c.total:
                continue
            texts = []
            for code in current_app.config["LANGUAGES"]:
                with force_locale(code):
                    texts.append((_("Safeguarding today: %(n)d to look at", n=c.total), "\n".join((
                        _("Unread concerns: %(n)d", n=c.unread), _("Your overdue tasks: %(n)d", n=c.overdue),
                        _("Your tasks due today: %(n)d", n=c.due_today), "",
                        _("Open your safeguarding home (you will be asked to sign in):"), link, "",
                        _("This email deliberately contains no details.")))))
            subject = " / ".join(dict.fromkeys(t[0] for t in texts))
            body = "\n\n----\n\n".join(dict.fromkeys(t[1] for t in texts)) + "\n"
            db.session.add(PendingMail(school_id=school_id, to_addr=dsl.email.strip(), subject=subject[:200],
                                       body=body, next_attempt_at=utcnow()))
            queued += 1
    db.session.flush()
    return queued
