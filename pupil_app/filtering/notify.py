"""Who hears about filtering reports, monitoring alerts and a review falling due: emails queued in
``pending_mail`` through the concerns alerts queue. A link and nothing else: never an address, what
was seen, a user name or a child's name."""

from __future__ import annotations

from flask_babel import gettext as _
from sqlalchemy import select

from ..concerns import alerts
from ..extensions import db
from ..schools.models import Role, School, StaffRole, StaffUser


def addresses(school_id: int, *roles: Role) -> list[str]:
    """Email addresses of the school's active staff holding any of ``roles``, each once."""
    emails = db.session.scalars(
        select(StaffUser.email).where(
            StaffUser.school_id == school_id, StaffUser.active.is_(True), StaffUser.email.is_not(None),
            StaffUser.id.in_(select(StaffRole.staff_id).where(StaffRole.role.in_([r.value for r in roles]))))
        .order_by(StaffUser.id))
    out: list[str] = []
    for email in (e.strip() for e in emails if e):
        if email and email not in out:
            out.append(email)
    return out


def _school_name(school_id: int) -> str:
    return db.session.get(School, school_id).name


def _opener():
    return _("Open it in the app (you will be asked to sign in):")


def new_report(school_id: int, report_id: int, child_involved: bool) -> int:
    """To the filtering leads; to the DSLs too when a child saw it or may be at risk."""
    roles = (Role.FILTERING_LEAD, Role.DSL) if child_involved else (Role.FILTERING_LEAD,)
    name = _school_name(school_id)
    return alerts.queue(
        school_id, lambda: _("Website reported at %(school)s", school=name),
        lambda: (_("A website was reported to the filtering lead at %(school)s. A child was involved.", school=name)
                 if child_involved else _("A website was reported to the filtering lead at %(school)s.", school=name)),
        alerts.link_to("filtering.report", report_id=report_id), addresses(school_id, *roles), _opener)


def new_alerts(school_id: int, count: int, urgent: bool) -> int:
    """To the DSLs: how many monitoring alerts arrived (never what they say or whom they name)."""
    if count <= 0:
        return 0
    name = _school_name(school_id)

    def subject():
        text = _("Monitoring alerts at %(school)s", school=name)
        return _("URGENT: %(subject)s", subject=text) if urgent else text

    return alerts.queue(
        school_id, subject,
        lambda: _("%(count)s new monitoring alerts are waiting for triage at %(school)s.", count=count, school=name),
        alerts.link_to("filtering.alerts"), addresses(school_id, Role.DSL), _opener)


def review_due(school_id: int) -> int:
    name = _school_name(school_id)
    return alerts.queue(
        school_id, lambda: _("Filtering and monitoring review due at %(school)s", school=name),
        lambda: _("The yearly review of filtering and monitoring at %(school)s is due.", school=name),
        alerts.link_to("filtering.reviews"),
        addresses(school_id, Role.ONLINE_SAFETY_LEAD, Role.FILTERING_LEAD, Role.DSL), _opener)
