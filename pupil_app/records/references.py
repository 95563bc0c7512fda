"""References from outside agencies on a concern (social care, police, Early Help, LADO, health)."""

from __future__ import annotations

from datetime import date, timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from .. import crypto
from ..concerns import audit
from ..concerns.models import Concern
from ..extensions import db
from ..schools.models import StaffUser
from ..timeutil import local_today
from .models import AGENCIES, AgencyReference

AGENCY_LABELS = {
    "social_care": _l("Children's social care / local authority"), "police": _l("Police"),
    "early_help": _l("Early Help"), "lado": _l("LADO (allegation against an adult)"), "health": _l("Health"),
    "other": _l("Other agency"),
}
MAX_REFERENCE = 60
MAX_CONTACT = 120


class AgencyReferenceError(ValueError):
    """A reference that cannot be saved, with the reason."""


def add(staff: StaffUser, concern: Concern, agency: str, reference: str, contact: str, made_on: date | None,
        today: date | None = None) -> AgencyReference:
    today = today or local_today()
    reference, contact = " ".join((reference or "").split()), " ".join((contact or "").split())
    if agency not in AGENCIES:
        raise AgencyReferenceError(_l("Choose the agency from the list."))
    if not reference and not contact:
        raise AgencyReferenceError(_l("Give the agency's reference number or who you spoke to."))
    if len(reference) > MAX_REFERENCE or len(contact) > MAX_CONTACT:
        raise AgencyReferenceError(_l("The reference or the name is too long."))
    if made_on is None or made_on > today or made_on < today - timedelta(days=366 * 25):
        raise AgencyReferenceError(_l("Give the date of the referral or contact (not in the future)."))
    row = AgencyReference(school_id=concern.school_id, concern_id=concern.id, agency=agency,
                          reference_enc=crypto.encrypt(reference) if reference else None,
                          contact_enc=crypto.encrypt(contact) if contact else None, made_on=made_on,
                          added_by_id=staff.id)
    db.session.add(row)
    db.session.flush()
    audit.record(staff, "reference.added", "concern", concern.id, f"{agency} #{row.id}, {made_on.isoformat()}")
    return row


def of_concern(concern_id: int) -> list[AgencyReference]:
    return list(db.session.scalars(select(AgencyReference).where(AgencyReference.concern_id == concern_id)
                                   .order_by(AgencyReference.made_on, AgencyReference.id)))
