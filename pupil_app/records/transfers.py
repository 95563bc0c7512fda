"""Child-protection file transfers between two schools of this deployment, testable without a request.

KCSIE: the file moves to the new school within 5 school days, separately from the pupil file, with
confirmation of receipt; the old school keeps its copy. Here the sending DSL chooses the child and
the receiving school; the file (the child's record as it stands, encrypted) goes to that school's
DSLs, whose first look marks it viewed; they accept it or return it with a reason, and the sender
sees that receipt. A file not accepted after 5 school days is chased by email (`flask records
digest`). The sending school's own records do not change.
"""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta

from flask import abort, current_app, url_for
from flask_babel import force_locale, gettext as _, lazy_gettext as _l
from sqlalchemy import or_, select

from .. import crypto
from ..concerns import audit
from ..concerns.models import PendingMail
from ..extensions import db
from ..schools.models import Pupil, School, StaffUser
from ..timeutil import local_today, utcnow
from . import timeline
from .models import RecordTransfer
from .tasks import school_dsls

MAX_REASON = 1000
STATUS_LABELS = {"sent": _l("Sent"), "viewed": _l("Viewed"), "accepted": _l("Accepted (received)"),
                 "returned": _l("Returned")}
SCHOOL_DAYS_TO_RECEIVE = 5


class TransferError(ValueError):
    """A transfer that cannot be made, with the reason."""


def other_schools(staff: StaffUser) -> list[School]:
    return list(db.session.scalars(select(School).where(School.id != staff.school_id).order_by(School.name)))


def _notify(school_id: int, subject, body, link: str) -> None:
    """Email the school's DSLs: what happened and a link, nothing about the child."""
    texts = []
    for code in current_app.config["LANGUAGES"]:
        with force_locale(code):
            texts.append((str(subject()), str(body()) + "\n\n" + link + "\n\n" + _(
                "This email deliberately contains no details.")))
    for dsl in school_dsls(school_id):
        if dsl.email and dsl.email.strip():
            db.session.add(PendingMail(school_id=school_id, to_addr=dsl.email.strip(),
                                       subject=" / ".join(dict.fromkeys(t[0] for t in texts))[:200],
                                       body="\n\n----\n\n".join(dict.fromkeys(t[1] for t in texts)) + "\n",
                                       next_attempt_at=utcnow()))


def _link() -> str:
    with current_app.test_request_context(base_url=current_app.config["APP_BASE_URL"]):
        return url_for("records.transfers", _external=True)


def send(staff: StaffUser, pupil_id: int, to_school_id: int) -> RecordTransfer:
    pupil = timeline.load_pupil(staff, pupil_id)
    school = next((s for s in other_schools(staff) if s.id == to_school_id), None)
    if school is None:
        raise TransferError(_l("Choose the school the child is moving to."))
    if db.session.scalar(select(RecordTransfer.id).where(
            RecordTransfer.pupil_id == pupil.id, RecordTransfer.to_school_id == school.id,
            RecordTransfer.status.in_(("sent", "viewed")))) is not None:
        raise TransferError(_l("This child's file is already on its way to that school."))
    events = timeline.timeline(staff, pupil, action=None)
    file = {"pupil": {"first_name": pupil.first_name, "last_name": pupil.last_name, "upn": pupil.upn},
            "from_school": staff.school.name, "sent_by": staff.display_name,
            "events": [{"when": e.when.isoformat(), "concern": e.concern_id, "kind": e.kind, "title": e.title,
                        "text": e.text, "about_child": e.about_child} for e in events]}
    transfer = RecordTransfer(pupil_id=pupil.id, from_school_id=staff.school_id, to_school_id=school.id,
                              file_enc=crypto.encrypt(json.dumps(file)), sent_by_id=staff.id)
    db.session.add(transfer)
    db.session.flush()
    audit.record(staff, "transfer.sent", "pupil", pupil.id, f"transfer #{transfer.id} to school {school.id}, {len(events)} entries")
    name = staff.school.name
    _notify(school.id, lambda: _("A child protection file has been sent to you from %(school)s", school=name),
            lambda: _("Open it, then accept it or return it, on the transfers page:"), _link())
    return transfer


def transfers_of(staff: StaffUser) -> tuple[list[RecordTransfer], list[RecordTransfer]]:
    """(incoming, outgoing) of the staff member's school, newest first."""
    rows = list(db.session.scalars(select(RecordTransfer).where(or_(
        RecordTransfer.to_school_id == staff.school_id, RecordTransfer.from_school_id == staff.school_id))
        .order_by(RecordTransfer.id.desc())))
    return ([t for t in rows if t.to_school_id == staff.school_id],
            [t for t in rows if t.from_school_id == staff.school_id])


def load(staff: StaffUser, transfer_id: int) -> RecordTransfer:
    transfer = db.session.get(RecordTransfer, transfer_id) if 0 < transfer_id < 2**31 else None
    if transfer is None or staff.school_id not in (transfer.to_school_id, transfer.from_school_id):
        db.session.rollback()
        audit.record(staff, "transfer.refused", "transfer", transfer_id if transfer_id < 2**31 else None,
                     "not a transfer of this school")
        db.session.commit()
        abort(404)
    return transfer


def open_file(staff: StaffUser, transfer: RecordTransfer) -> dict:
    """The file as sent; the receiving school's first look marks it viewed. Audited at both ends."""
    if transfer.to_school_id == staff.school_id and transfer.status == "sent":
        transfer.status, transfer.viewed_at = "viewed", utcnow()
    audit.record(staff, "transfer.viewed", "transfer", transfer.id, f"pupil #{transfer.pupil_id}")
    db.session.flush()
    return json.loads(crypto.decrypt(transfer.file_enc) or "{}")


def decide(staff: StaffUser, transfer: RecordTransfer, accept: bool, reason: str | None = None) -> None:
    """The receiving school accepts the file, or returns it with a reason; the sender gets the receipt."""
    if transfer.to_school_id != staff.school_id:
        abort(404)
    if transfer.status not in ("sent", "viewed"):
        raise TransferError(_l("This file has already been accepted or returned."))
    reason = " ".join((reason or "").split())[:MAX_REASON]
    if not accept and not reason:
        raise TransferError(_l("Say why the file is being returned."))
    transfer.status = "accepted" if accept else "returned"
    transfer.decided_at, transfer.decided_by_id = utcnow(), staff.id
    transfer.viewed_at = transfer.viewed_at or transfer.decided_at
    transfer.return_reason_enc = crypto.encrypt(reason) if reason else None
    db.session.flush()
    audit.record(staff, f"transfer.{transfer.status}", "transfer", transfer.id, f"pupil #{transfer.pupil_id}")
    name = staff.school.name
    if accept:
        _notify(transfer.from_school_id, lambda: _("%(school)s has received a child protection file", school=name),
                lambda: _("The receipt is on the transfers page:"), _link())
    else:
        _notify(transfer.from_school_id, lambda: _("%(school)s has returned a child protection file", school=name),
                lambda: _("The reason is on the transfers page:"), _link())


def return_reason(transfer: RecordTransfer) -> str:
    return (crypto.decrypt(transfer.return_reason_enc) or "") if transfer.return_reason_enc else ""


def school_days_between(start: date, end: date) -> int:
    """Weekdays after ``start`` up to and including ``end`` (bank holidays are not known here)."""
    days, day = 0, start
    while day < end:
        day += timedelta(days=1)
        days += day.weekday() < 5
    return days


def queue_reminders(today: date | None = None) -> int:
    """Chase files neither accepted nor returned after 5 school days; once each. Returns how many."""
    today = today or local_today()
    due = [t for t in db.session.scalars(select(RecordTransfer).where(
        RecordTransfer.status.in_(("sent", "viewed")), RecordTransfer.reminded_at.is_(None)))
        if school_days_between(t.sent_at.date(), today) >= SCHOOL_DAYS_TO_RECEIVE]
    for t in due:
        _notify(t.to_school_id, lambda: _("Reminder: a child protection file is waiting for you"),
                lambda: _("It was sent 5 school days ago. Please accept it or return it:"), _link())
        t.reminded_at = datetime.combine(today, datetime.min.time())
    db.session.flush()
    return len(due)


def pupil_names(ids: set[int]) -> dict[int, Pupil]:
    return {p.id: p for p in db.session.scalars(select(Pupil).where(Pupil.id.in_(ids)))} if ids else {}


def school_pupils(school_id: int) -> list[Pupil]:
    return list(db.session.scalars(select(Pupil).where(Pupil.school_id == school_id)
                                   .order_by(Pupil.last_name, Pupil.first_name)))
