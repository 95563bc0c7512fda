"""The DSL's work on one concern: opening it (audited), the chronology, status, markers, linked pupils.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime

from flask import abort
from flask_babel import gettext as _, lazy_gettext as _l
from sqlalchemy import or_, select

from .. import crypto
from ..extensions import db
from ..schools.models import Pupil, StaffUser
from ..timeutil import local_today, utcnow
from . import audit, labels
from .models import CATEGORIES, ENTRY_KINDS, MARKERS, OUTCOMES, STATUSES, Concern, ConcernEntry, ConcernPupil
from .service import MAX_ENTRY, MAX_REASON, ConcernError
from .staff_logging import _staff_text, school_pupil
from .telling import readers

# ---------------------------------------------------------------------------------------------
# The DSL: one concern

def load_for_dsl(staff: StaffUser, concern_id: int) -> Concern:
    """A concern of the DSL's own school; any other number is a 404, and the attempt is audited."""
    concern = db.session.get(Concern, concern_id)
    if concern is None or concern.school_id != staff.school_id:
        db.session.rollback()
        audit.record(staff, "concern.refused", "concern", concern_id, "not a concern of this school")
        db.session.commit()
        abort(404)
    return concern


def open_concern(staff: StaffUser, concern: Concern, action: str = "concern.viewed") -> None:
    """A DSL opens (or prints) a concern: audited; the pupil's message now shows as read."""
    if concern.read_at is None:
        concern.read_at = utcnow()
    audit.record(staff, action, "concern", concern.id)
    db.session.flush()


def _change(staff: StaffUser, concern: Concern, changes: list[str], reason: str | None) -> None:
    text = "; ".join(changes)
    db.session.add(ConcernEntry(concern_id=concern.id, kind="change", text_enc=crypto.encrypt(text),
                                reason_enc=crypto.encrypt(reason) if reason else None, author_id=staff.id))
    audit.record(staff, "concern.changed", "concern", concern.id, text)
    concern.updated_at = utcnow()
    db.session.flush()


def add_entry(staff: StaffUser, concern: Concern, kind: str, text: str | None, reason: str | None, *,
              happened_at: datetime | None = None, corrects: int | None = None) -> ConcernEntry:
    """A chronology entry (append-only). A decision needs its reason; ``happened_at`` (naive UTC) is when
    it happened if not now; ``corrects`` names an earlier entry of this concern that this one corrects."""
    if kind not in ENTRY_KINDS or kind == "change":
        raise ConcernError(400, _l("Choose what kind of entry this is."))
    body = _staff_text(text, MAX_ENTRY, _l("Write what was done or decided."))
    why = _staff_text(reason, MAX_REASON)
    if kind == "decision" and not why:
        raise ConcernError(400, _l("Give the reason for this decision: the record must say why."))
    if happened_at is not None and happened_at > utcnow():
        raise ConcernError(400, _l("When it happened cannot be in the future."))
    if corrects is not None and not any(e.id == corrects and e.kind != "change" for e in concern.entries):
        raise ConcernError(400, _l("Choose an entry of this concern to correct."))
    entry = ConcernEntry(concern_id=concern.id, kind=kind, text_enc=crypto.encrypt(body),
                         reason_enc=crypto.encrypt(why) if why else None, author_id=staff.id,
                         happened_at=happened_at, corrects_id=corrects)
    db.session.add(entry)
    concern.updated_at = utcnow()
    db.session.flush()
    audit.record(staff, "entry.added", "concern", concern.id, f"{kind} entry #{entry.id}")
    db.session.flush()
    return entry


def school_dsls(school_id: int) -> list[StaffUser]:
    return readers(school_id)


def _review_set(concern: Concern) -> bool:
    from ..records.tasks import open_review  # records builds on concerns, not the other way round

    return open_review(concern.id) is not None


def _checked_handling(staff: StaffUser, concern: Concern, status: str, outcome: str | None,
                      assigned_to_id: int | None, category: str, why: str | None) -> tuple[str | None, StaffUser | None]:
    """The outcome to keep (only a closed concern has one) and the DSL to assign; refuses bad choices."""
    if status not in STATUSES:
        raise ConcernError(400, _l("Choose a status from the list."))
    if category not in CATEGORIES:
        raise ConcernError(400, _l("Choose a category from the list."))
    if status == "closed":
        if outcome not in OUTCOMES:
            raise ConcernError(400, _l("Choose the outcome before closing the concern."))
        if not why and concern.status != "closed":
            raise ConcernError(400, _l("Give the reason for closing the concern."))
        if outcome == "monitoring" and outcome != concern.outcome and not _review_set(concern):
            raise ConcernError(400, _l("Closing with monitoring needs a review date: add one under Tasks and reviews "
                                       "first."))
    else:
        outcome = None
    assignee = None
    if assigned_to_id:
        assignee = next((s for s in school_dsls(staff.school_id) if s.id == assigned_to_id), None)
        if assignee is None:
            raise ConcernError(400, _l("Assign the concern to a DSL of your school."))
    return outcome, assignee


def update_handling(staff: StaffUser, concern: Concern, *, status: str, outcome: str | None,
                    assigned_to_id: int | None, category: str, urgent: bool, reason: str | None) -> list[str]:
    """Status, outcome, assigned DSL, category and urgency in one go; one chronology entry for all."""
    why = _staff_text(reason, MAX_REASON)
    outcome, assignee = _checked_handling(staff, concern, status, outcome, assigned_to_id, category, why)
    changes = []
    if status != concern.status:
        changes.append(_("Status: %(old)s → %(new)s", old=labels.STATUSES[concern.status], new=labels.STATUSES[status]))
        concern.status = status
        concern.closed_at = utcnow() if status == "closed" else None
    if outcome != concern.outcome:
        if outcome:
            changes.append(_("Outcome: %(outcome)s", outcome=labels.OUTCOMES[outcome]))
        concern.outcome = outcome
    if (assignee.id if assignee else None) != concern.assigned_to_id:
        changes.append(_("Assigned to %(name)s", name=assignee.display_name) if assignee else _("No longer assigned"))
        concern.assigned_to_id = assignee.id if assignee else None
    if category != concern.category:
        changes.append(_("Category: %(old)s → %(new)s", old=labels.CATEGORIES[concern.category],
                         new=labels.CATEGORIES[category]))
        concern.category = category
    if bool(urgent) != concern.urgent:
        changes.append(_("Marked urgent") if urgent else _("No longer urgent"))
        concern.urgent = bool(urgent)
    if changes:
        _change(staff, concern, changes, why)
    elif why:
        raise ConcernError(400, _l("Nothing was changed. To record a reason on its own, add a decision below."))
    return changes


def set_markers(staff: StaffUser, concern: Concern, values: Mapping[str, date | None], reason: str | None) -> list[str]:
    """Dates the DSL informed parents, referred to social care / the LA, the police, Early Help."""
    today = local_today()
    changes = []
    for marker in MARKERS:
        new = values.get(marker)
        if new is not None and (new > today or new < date(2000, 1, 1)):
            raise ConcernError(400, _l("Dates cannot be in the future."))
        if new != getattr(concern, marker):
            label = labels.MARKERS[marker]
            changes.append(_("%(marker)s: %(date)s", marker=label, date=new.strftime("%d/%m/%Y")) if new
                           else _("%(marker)s: cleared", marker=label))
            setattr(concern, marker, new)
    if changes:
        _change(staff, concern, changes, _staff_text(reason, MAX_REASON))
    return changes


def link_pupil(staff: StaffUser, concern: Concern, pupil_id: int | None) -> Pupil:
    pupil = school_pupil(staff.school_id, pupil_id)
    if pupil is None or pupil.id == concern.pupil_id:
        raise ConcernError(400, _l("Choose another pupil of your school."))
    if db.session.get(ConcernPupil, (concern.id, pupil.id)) is not None:
        raise ConcernError(400, _l("That pupil is already linked."))
    db.session.add(ConcernPupil(concern_id=concern.id, pupil_id=pupil.id, added_by_id=staff.id))
    _change(staff, concern, [_("Linked %(name)s", name=pupil.full_name)], None)
    return pupil


def unlink_pupil(staff: StaffUser, concern: Concern, pupil_id: int, reason: str | None) -> None:
    link = db.session.get(ConcernPupil, (concern.id, pupil_id))
    if link is None:
        raise ConcernError(400, _l("That pupil is not linked."))
    name = link.pupil.full_name
    db.session.delete(link)
    _change(staff, concern, [_("Unlinked %(name)s", name=name)], _staff_text(reason, MAX_REASON))


def _linked_concern_ids(pupil_id: int) -> list[int]:
    """Concerns another pupil is linked to (a short list: resolved first, for a plan that stays simple)."""
    return list(db.session.scalars(select(ConcernPupil.concern_id).where(ConcernPupil.pupil_id == pupil_id)))


def other_concerns(concern: Concern, limit: int = 20) -> list[Concern]:
    """Earlier and later concerns about the same pupil (patterns matter in safeguarding)."""
    linked = _linked_concern_ids(concern.pupil_id)
    return list(db.session.scalars(
        select(Concern).where(Concern.school_id == concern.school_id, Concern.id != concern.id,
                              or_(Concern.pupil_id == concern.pupil_id, Concern.id.in_(linked)))
        .order_by(Concern.created_at.desc()).limit(limit)))
