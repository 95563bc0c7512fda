"""The audit trail: one append-only row for every view, export and change of safeguarding data."""

from __future__ import annotations

from sqlalchemy import select

from ..extensions import db
from ..schools.models import Pupil, StaffUser
from .models import AuditEvent

MAX_DETAIL = 300


def record(actor: StaffUser | Pupil, action: str, target: str, target_id: int | None = None,
           detail: str | None = None, school_id: int | None = None) -> AuditEvent:
    """Add an audit row in the current transaction (the caller commits it with the change itself).

    ``detail`` never carries what anyone wrote: only ids, choices and old/new values of fields.
    """
    event = AuditEvent(
        school_id=school_id if school_id is not None else actor.school_id,
        actor_kind=actor.kind, actor_id=actor.id,
        actor_name=(actor.display_name if actor.is_staff else actor.full_name)[:120],
        action=action, target=target, target_id=target_id,
        detail=detail[:MAX_DETAIL] if detail else None,
    )
    db.session.add(event)
    return event


def trail(target: str, target_id: int, school_id: int) -> list[AuditEvent]:
    """Everything recorded about one record, oldest first."""
    return list(db.session.scalars(
        select(AuditEvent).where(AuditEvent.target == target, AuditEvent.target_id == target_id,
                                 AuditEvent.school_id == school_id).order_by(AuditEvent.id)))
