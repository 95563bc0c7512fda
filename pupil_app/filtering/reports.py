"""Reporting a website, and the filtering lead's append-only record of what was done about it.

Functions flush; views commit. Every read is scoped to the staff member's school.
"""

from __future__ import annotations

import re
import secrets
from datetime import datetime, timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import exists, select

from .. import crypto
from ..concerns import audit
from ..extensions import db
from ..schools.models import StaffUser
from ..timeutil import utcnow
from . import notify
from .common import FILTER_ACTORS, READERS, FilteringError, clean_text
from .models import ACTION_KINDS, MAX_ADDRESS, MAX_DEVICE, MAX_TEXT, REQUESTS, FilterAction, FilterReport

KEY_RE = re.compile(r"^[A-Za-z0-9_-]{16,64}$")
REPORT_STATUSES = ("open", "done", "all")


def new_key() -> str:
    return secrets.token_urlsafe(24)


def valid_key(key: str | None) -> bool:
    return bool(key) and KEY_RE.match(key) is not None


def _not_future(moment: datetime) -> None:
    if moment > utcnow() + timedelta(minutes=5):
        raise FilteringError(400, _l("The time cannot be in the future."))


def report_website(staff: StaffUser, *, address: str | None, device: str | None, occurred_at: datetime | None,
                   seen: str | None, request: str, child_involved: bool, key: str) -> tuple[FilterReport, bool]:
    """A member of staff reports a website: to the filtering lead, and to the DSL when a child was involved.

    ``occurred_at`` is naive UTC. The key makes a double submit find the report already made.
    """
    if not valid_key(key):
        raise FilteringError(400, _l("This form is out of date. Please reload the page."))
    existing = db.session.scalar(select(FilterReport).where(FilterReport.idempotency_key == key))
    if existing is not None:
        if existing.reported_by_id != staff.id:
            raise FilteringError(409, _l("This form is out of date. Please reload the page."))
        return existing, False
    address = clean_text(address, MAX_ADDRESS, _l("Give the website's address (or the app's name)."))
    device = clean_text(device, MAX_DEVICE, _l("Say which device or room."))
    seen = clean_text(seen, MAX_TEXT, _l("Say what was seen."))
    if request not in REQUESTS:
        raise FilteringError(400, _l("Choose whether it should be blocked or was wrongly blocked."))
    occurred_at = occurred_at or utcnow()
    _not_future(occurred_at)
    report = FilterReport(school_id=staff.school_id, source="staff", reported_by_id=staff.id, idempotency_key=key,
                          address_enc=crypto.encrypt(address), device=device, occurred_at=occurred_at,
                          seen_enc=crypto.encrypt(seen), request=request, child_involved=bool(child_involved))
    db.session.add(report)
    db.session.flush()
    audit.record(staff, "filtering.reported", "filter_report", report.id,
                 f"request {request}; child involved: {'yes' if child_involved else 'no'}")
    notify.new_report(report.school_id, report.id, report.child_involved)
    return report, True


def report_from_concern(concern) -> FilterReport:
    """A pupil's Tell an adult about "a website or app at school" becomes a filtering report.

    The report carries no words, no choices and no name: only that a pupil of a class saw something
    on a school device, and the concern's number (which only the DSL can open).
    """
    key = f"concern-{concern.id}"
    existing = db.session.scalar(select(FilterReport).where(FilterReport.idempotency_key == key))
    if existing is not None:
        return existing
    klass = concern.pupil.school_class
    report = FilterReport(school_id=concern.school_id, source="pupil", concern_id=concern.id, idempotency_key=key,
                          device=(klass.name if klass else "")[:MAX_DEVICE], occurred_at=concern.created_at,
                          request="block", child_involved=True)
    db.session.add(report)
    db.session.flush()
    notify.new_report(report.school_id, report.id, True)
    return report


def may_read(staff: StaffUser) -> bool:
    return staff.has_role(*READERS)


def load_report(staff: StaffUser, report_id: int) -> FilterReport | None:
    """The report if it is of the staff member's school and they may read it (or made it)."""
    report = db.session.get(FilterReport, report_id)
    if report is None or report.school_id != staff.school_id:
        return None
    if not may_read(staff) and report.reported_by_id != staff.id:
        return None
    return report


def reports(staff: StaffUser, status: str = "open", limit: int = 500) -> list[FilterReport]:
    """The school's reports, newest first; ``open``: nothing recorded yet."""
    acted = exists().where(FilterAction.report_id == FilterReport.id)
    query = select(FilterReport).where(FilterReport.school_id == staff.school_id)
    if status == "open":
        query = query.where(~acted)
    elif status == "done":
        query = query.where(acted)
    return list(db.session.scalars(query.order_by(FilterReport.created_at.desc(), FilterReport.id.desc())
                                   .limit(limit)).unique())


def reported_by(staff: StaffUser, limit: int = 100) -> list[FilterReport]:
    return list(db.session.scalars(
        select(FilterReport).where(FilterReport.reported_by_id == staff.id, FilterReport.school_id == staff.school_id)
        .order_by(FilterReport.id.desc()).limit(limit)).unique())


def record_action(staff: StaffUser, report: FilterReport, *, kind: str, done_at: datetime | None,
                  note: str | None) -> FilterAction:
    """Append what the filtering lead did. "No change" needs a reason; nothing is ever edited."""
    if not staff.has_role(*FILTER_ACTORS) or report.school_id != staff.school_id:
        raise FilteringError(403, _l("Only the school's filtering lead records what was done in the filter."))
    if kind not in ACTION_KINDS:
        raise FilteringError(400, _l("Choose what was done from the list."))
    note = clean_text(note, MAX_TEXT, _l("Give the reason for making no change.") if kind == "no_change" else None)
    done_at = done_at or utcnow()
    _not_future(done_at)
    action = FilterAction(report=report, kind=kind, done_at=done_at, recorded_by_id=staff.id,
                          note_enc=crypto.encrypt(note) if note else None)
    db.session.add(action)
    db.session.flush()
    audit.record(staff, "filtering.action", "filter_report", report.id, f"action {kind}")
    return action
