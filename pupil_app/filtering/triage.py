"""The DSL's triage of monitoring alerts: link to a pupil, dismiss with a reason, or make a concern.

Every look at the list and every change writes an audit row (alerts can name children)."""

from __future__ import annotations

from flask_babel import gettext as _, lazy_gettext as _l
from sqlalchemy import case, func, select

from .. import crypto
from ..concerns import audit
from ..extensions import db
from ..schools.models import Pupil, StaffUser
from ..timeutil import format_local, utcnow
from .common import TRIAGERS, FilteringError, clean_text
from .models import ALERT_STATUSES, MAX_TEXT, MonitoringAlert

PER_PAGE = 200
CONCERN_CATEGORIES = ("content", "contact", "conduct", "commerce", "bullying", "unsure")


def _check(staff: StaffUser, alert: MonitoringAlert) -> None:
    if not staff.has_role(*TRIAGERS) or alert.school_id != staff.school_id:
        raise FilteringError(403, _l("Only the school's DSL triages monitoring alerts."))


def load_alert(staff: StaffUser, alert_id: int) -> MonitoringAlert | None:
    alert = db.session.get(MonitoringAlert, alert_id)
    if alert is None or alert.school_id != staff.school_id or not staff.has_role(*TRIAGERS):
        return None
    return alert


def alert_list(staff: StaffUser, status: str | None) -> list[MonitoringAlert]:
    """New first (most severe first), then the rest newest first."""
    query = select(MonitoringAlert).where(MonitoringAlert.school_id == staff.school_id)
    if status in ALERT_STATUSES:
        query = query.where(MonitoringAlert.status == status)
    severity = case({"critical": 0, "high": 1, "medium": 2, "low": 3}, value=MonitoringAlert.severity)
    new_first = case((MonitoringAlert.status == "new", 0), else_=1)
    return list(db.session.scalars(query.order_by(new_first, severity, MonitoringAlert.occurred_at.desc(),
                                                  MonitoringAlert.id.desc()).limit(PER_PAGE)))


def counts(school_id: int) -> dict[str, int]:
    out = {s: 0 for s in ALERT_STATUSES}
    for status, n in db.session.execute(select(MonitoringAlert.status, func.count()).where(
            MonitoringAlert.school_id == school_id).group_by(MonitoringAlert.status)):
        out[status] = n
    return out


def school_pupils(school_id: int) -> list[Pupil]:
    return list(db.session.scalars(select(Pupil).where(Pupil.school_id == school_id, Pupil.active.is_(True))
                                   .order_by(Pupil.first_name, Pupil.last_name, Pupil.id)))


def link_pupil(staff: StaffUser, alert: MonitoringAlert, pupil_id: int | None) -> Pupil:
    _check(staff, alert)
    pupil = db.session.get(Pupil, pupil_id) if pupil_id else None
    if pupil is None or pupil.school_id != staff.school_id:
        raise FilteringError(400, _l("Choose a pupil of your school."))
    alert.pupil_id = pupil.id
    if alert.status in ("new", "dismissed"):
        alert.status = "linked"
    alert.triaged_by_id, alert.triaged_at = staff.id, utcnow()
    audit.record(staff, "monitoring.linked", "monitoring_alert", alert.id, f"pupil {pupil.id}")
    return pupil


def dismiss(staff: StaffUser, alert: MonitoringAlert, reason: str | None) -> None:
    _check(staff, alert)
    if alert.status == "concern":
        raise FilteringError(409, _l("This alert is already a concern."))
    reason = clean_text(reason, MAX_TEXT, _l("Give the reason for dismissing the alert."))
    alert.status, alert.dismiss_reason_enc = "dismissed", crypto.encrypt(reason)
    alert.triaged_by_id, alert.triaged_at = staff.id, utcnow()
    audit.record(staff, "monitoring.dismissed", "monitoring_alert", alert.id)


def account_text(alert: MonitoringAlert) -> str:
    """What the concern records: the alert as the monitoring system sent it."""
    lines = [_("Monitoring alert from %(source)s (reference %(ref)s), severity %(severity)s, at %(time)s.",
               source=alert.source, ref=alert.source_id, severity=alert.severity, time=format_local(alert.occurred_at))]
    for label, value in ((_("Device"), alert.device), (_("User"), alert.user), (_("Category"), alert.category),
                         (_("What was captured"), alert.summary)):
        if value:
            lines.append(f"{label}: {value}")
    return "\n".join(lines)


def make_concern(staff: StaffUser, alert: MonitoringAlert, category: str, key: str):
    """Turn a linked alert into a concern about its pupil (the alert keeps the link both ways)."""
    _check(staff, alert)
    if alert.status == "concern":
        raise FilteringError(409, _l("This alert is already a concern."))
    if alert.pupil_id is None:
        raise FilteringError(400, _l("Link the alert to a pupil first."))
    if category not in CONCERN_CATEGORIES:
        raise FilteringError(400, _l("Choose a category from the list."))
    from ..concerns import service as concerns_service, staff_logging  # the concerns domain's own logging

    try:
        concern, _created = staff_logging.log_concern(
            staff, pupil_id=alert.pupil_id, category=category, location="school", occurred_at=alert.occurred_at,
            account=account_text(alert), urgent=alert.severity in ("high", "critical"), key=key)
    except concerns_service.ConcernError as exc:
        raise FilteringError(exc.status, exc.message) from exc
    alert.status, alert.concern_id = "concern", concern.id
    alert.triaged_by_id, alert.triaged_at = staff.id, utcnow()
    audit.record(staff, "monitoring.concern", "monitoring_alert", alert.id, f"concern {concern.id}")
    return concern
