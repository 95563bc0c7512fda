"""What other domains ask of filtering: rows for the online safety incident log (appendix 6), the
figures for the report to governors, and a filtering report from a pupil's Tell an adult."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from ..extensions import db
from ..timeutil import day_start_utc, format_local, local
from . import labels, review
from .models import ALERT_STATUSES, FilterAction, FilterReport, MonitoringAlert
from .reports import report_from_concern  # noqa: F401  (the concerns domain's hook)

PUPIL_LOCATION = "school_web"  # the pupil's "a website or app at school"


@dataclass(frozen=True)
class LogRow:
    """One row of the incident log, shaped like the concerns domain's own rows."""
    day: date
    where: str
    description: str
    action: str
    recorded_by: str
    kind: str  # "filtering"
    ref: int


def _action_line(action: FilterAction) -> str:
    line = _("%(time)s %(action)s (by %(name)s).", time=format_local(action.done_at),
             action=labels.ACTIONS[action.kind],
             name=action.recorded_by.display_name)
    return f"{line} {action.note}" if action.note else line


def _description(report: FilterReport) -> str:
    if report.source == "pupil":
        return _("A pupil told an adult (Tell an adult) about a website or app at school: concern C%(number)s, "
                 "which the DSL holds.", number=report.concern_id)
    parts = [_("Website reported: %(address)s", address=report.address or ""), str(labels.REQUESTS[report.request])]
    if report.child_involved:
        parts.append(_("A child saw it or may be at risk."))
    if report.seen:
        parts.append(_("What was seen: %(seen)s", seen=report.seen))
    return "\n".join(parts)


def log_rows(school_id: int, date_from: date, date_to: date) -> list[LogRow]:
    """Each filtering report in the dates, with what the filtering lead did about it."""
    found = db.session.scalars(
        select(FilterReport).options(selectinload(FilterReport.actions))
        .where(FilterReport.school_id == school_id, FilterReport.occurred_at >= day_start_utc(date_from),
               FilterReport.occurred_at < day_start_utc(date_to + timedelta(days=1)))
        .order_by(FilterReport.id)).unique()
    rows = []
    for report in found:
        actions = report.actions
        if not actions:
            action_text = _("Waiting for the filtering lead.")
        else:
            action_text = "\n".join(_action_line(a) for a in actions)
        recorder = report.reported_by or (actions[0].recorded_by if actions else None)
        where = _("%(device)s (school device)", device=report.device) if report.device else _("School device")
        rows.append(LogRow(local(report.occurred_at).date(), where, _description(report), action_text,
                           recorder.display_name if recorder else "", "filtering", report.id))
    return rows


@dataclass(frozen=True)
class GovernorsFigures:
    reports: int
    to_block: int
    wrongly_blocked: int
    child_involved: int
    actions: dict[str, int]
    waiting: int
    alerts: dict[str, int]
    alerts_total: int
    last_review: review.FilteringReview | None
    next_due: date | None
    open_actions: list


def governors_figures(school_id: int, start: date, end: date) -> GovernorsFigures:
    """Numbers for the term ``start`` to ``end`` (exclusive): no address, no words, no names."""
    lo, hi = day_start_utc(start), day_start_utc(end)
    in_term = (FilterReport.school_id == school_id, FilterReport.occurred_at >= lo, FilterReport.occurred_at < hi)
    by_request = dict(db.session.execute(select(FilterReport.request, func.count()).where(*in_term)
                                         .group_by(FilterReport.request)).all())
    child = db.session.scalar(select(func.count()).select_from(FilterReport).where(
        *in_term, FilterReport.child_involved.is_(True))) or 0
    report_ids = select(FilterReport.id).where(*in_term)
    actions = dict(db.session.execute(select(FilterAction.kind, func.count()).where(
        FilterAction.report_id.in_(report_ids)).group_by(FilterAction.kind)).all())
    acted = db.session.scalar(select(func.count(func.distinct(FilterAction.report_id))).where(
        FilterAction.report_id.in_(report_ids))) or 0
    alerts = {s: 0 for s in ALERT_STATUSES}
    alerts.update(db.session.execute(select(MonitoringAlert.status, func.count()).where(
        MonitoringAlert.school_id == school_id, MonitoringAlert.occurred_at >= lo, MonitoringAlert.occurred_at < hi)
        .group_by(MonitoringAlert.status)).all())
    last = review.latest(school_id)
    total = sum(by_request.values())
    return GovernorsFigures(total, by_request.get("block", 0), by_request.get("unblock", 0), child,
                            {k: actions.get(k, 0) for k in labels.ACTIONS}, total - acted, alerts,
                            sum(alerts.values()), last, last.next_due_on if last else None,
                            review.open_actions(school_id))
