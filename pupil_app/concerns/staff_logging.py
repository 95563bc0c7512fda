"""Any staff member logs a concern about a pupil or records an incident; they see only that they did.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from .. import crypto
from ..extensions import db
from ..schools.models import Pupil, StaffUser
from ..timeutil import local_today, utcnow
from . import alerts, audit
from .models import CATEGORIES, STAFF_LOCATIONS, Concern, Incident
from .service import MAX_INCIDENT_LOCATION, MAX_STAFF_TEXT, ConcernError
from .telling import concern_by_key, valid_key

# ---------------------------------------------------------------------------------------------
# Staff logging a concern or an incident

def school_pupils(school_id: int) -> list[Pupil]:
    return list(db.session.scalars(
        select(Pupil).where(Pupil.school_id == school_id, Pupil.active.is_(True))
        .order_by(Pupil.class_id, Pupil.first_name, Pupil.last_name)))


def school_pupil(school_id: int, pupil_id: int | None) -> Pupil | None:
    pupil = db.session.get(Pupil, pupil_id) if pupil_id else None
    return pupil if pupil is not None and pupil.school_id == school_id and pupil.active else None


def _staff_text(raw: str | None, limit: int, required_message=None) -> str | None:
    text = (raw or "").replace("\r\n", "\n").replace("\x00", "")
    if len(text) > limit:
        raise ConcernError(400, _l("That text is too long (at most %(limit)s characters).", limit=f"{limit:,}"))
    if not text.strip():
        if required_message:
            raise ConcernError(400, required_message)
        return None
    return text


def log_concern(staff: StaffUser, *, pupil_id: int | None, category: str, location: str,
                occurred_at: datetime | None, account: str, urgent: bool, key: str) -> tuple[Concern, bool]:
    """A staff member records what they saw or heard about a pupil; it goes to the DSL inbox."""
    if not valid_key(key):
        raise ConcernError(400, _l("This form is out of date. Please reload the page."))
    existing = concern_by_key(key)
    if existing is not None:
        if existing.logged_by_id != staff.id:
            raise ConcernError(409, _l("This form is out of date. Please reload the page."))
        return existing, False
    pupil = school_pupil(staff.school_id, pupil_id)
    if pupil is None:
        raise ConcernError(400, _l("Choose a pupil of your school."))
    if category not in CATEGORIES:
        raise ConcernError(400, _l("Choose a category from the list."))
    if location not in STAFF_LOCATIONS:
        raise ConcernError(400, _l("Choose where it happened from the list."))
    if occurred_at is not None and occurred_at > utcnow() + timedelta(minutes=5):
        raise ConcernError(400, _l("When it happened cannot be in the future."))
    text = _staff_text(account, MAX_STAFF_TEXT, _l("Say what you saw or heard."))
    concern = Concern(school_id=staff.school_id, pupil_id=pupil.id, class_id=pupil.class_id,
                      class_name=pupil.class_name, year_group=pupil.year_group, source="staff",
                      logged_by_id=staff.id, idempotency_key=key, occurred_at=occurred_at, location=location,
                      words_enc=crypto.encrypt(text), category=category, urgent=bool(urgent), status="new")
    db.session.add(concern)
    db.session.flush()
    audit.record(staff, "concern.logged", "concern", concern.id, f"logged by staff; category {category}")
    alerts.queue_new_concern(concern)
    db.session.flush()
    return concern, True


def logged_by(staff: StaffUser, limit: int = 200) -> list[Concern]:
    return list(db.session.scalars(
        select(Concern).where(Concern.logged_by_id == staff.id, Concern.school_id == staff.school_id)
        .order_by(Concern.created_at.desc()).limit(limit)))


def record_incident(staff: StaffUser, *, occurred_on: date, location: str, description: str, action: str | None,
                    key: str) -> tuple[Incident, bool]:
    """An incident straight into the online safety log (appendix 6), not about one pupil."""
    if not valid_key(key):
        raise ConcernError(400, _l("This form is out of date. Please reload the page."))
    existing = db.session.scalar(select(Incident).where(Incident.idempotency_key == key))
    if existing is not None:
        if existing.recorded_by_id != staff.id:
            raise ConcernError(409, _l("This form is out of date. Please reload the page."))
        return existing, False
    if occurred_on > local_today():
        raise ConcernError(400, _l("When it happened cannot be in the future."))
    where = _staff_text(location, MAX_INCIDENT_LOCATION, _l("Say where it happened."))
    what = _staff_text(description, MAX_STAFF_TEXT, _l("Describe the incident."))
    done = _staff_text(action, MAX_STAFF_TEXT)
    incident = Incident(school_id=staff.school_id, idempotency_key=key, occurred_on=occurred_on,
                        location_enc=crypto.encrypt(where), description_enc=crypto.encrypt(what),
                        action_enc=crypto.encrypt(done) if done else None, recorded_by_id=staff.id)
    db.session.add(incident)
    db.session.flush()
    audit.record(staff, "incident.recorded", "incident", incident.id)
    alerts.queue_new_incident(incident)
    db.session.flush()
    return incident, True


def incidents_by(staff: StaffUser, limit: int = 200) -> list[Incident]:
    return list(db.session.scalars(
        select(Incident).where(Incident.recorded_by_id == staff.id, Incident.school_id == staff.school_id)
        .order_by(Incident.created_at.desc()).limit(limit)))
