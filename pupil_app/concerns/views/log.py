"""The online safety incident log (policy appendix 6): on screen, printed and as CSV.
"""

from __future__ import annotations

from flask import render_template, request
from flask_babel import gettext as _
from flask_login import current_user

from ...access import role_required
from ...auth.stepup import fresh_factor_required
from ...csv_export import csv_response
from ...extensions import db
from ...schools.models import Role
from ...timeutil import format_day, local_today
from .. import audit, inbox as inbox_service, incident_log as log_service, service
from .common import bad_filter, bp


def _log(action: str, what: str):
    """The log for the dates asked (this school year so far by default), its reading audited."""
    today = local_today()
    try:
        start = inbox_service.date_arg(request.args.get("from")) or log_service.school_year_start(today)
        end = inbox_service.date_arg(request.args.get("to")) or today
    except service.ConcernError as exc:
        bad_filter(exc)
    if end < start:
        start, end = end, start
    rows = log_service.incident_log(current_user, start, end)
    audit.record(current_user, action, "incident_log", None, f"{what}{start} to {end}, {len(rows)} rows")
    db.session.commit()
    return start, end, rows


@bp.get("/staff/incident-log")
@role_required(Role.DSL)
@fresh_factor_required
def incident_log():
    """The online safety incident log (policy appendix 6): concerns and incidents, by date."""
    start, end, rows = _log("log.viewed", "")
    return render_template("concerns/incident_log.html", rows=rows, start=start, end=end, printing=False)


@bp.get("/staff/incident-log/print")
@role_required(Role.DSL)
@fresh_factor_required
def incident_log_print():
    start, end, rows = _log("log.printed", "")
    return render_template("concerns/incident_log.html", rows=rows, start=start, end=end, printing=True)


@bp.get("/staff/incident-log.csv")
@role_required(Role.DSL)
@fresh_factor_required
def incident_log_csv():
    start, end, rows = _log("log.exported", "CSV, ")
    header = [_("Date"), _("Where the incident took place"), _("Description of the incident"), _("Action taken"),
              _("Staff member recording the incident"), _("Reference")]
    data = [[format_day(r.day, "dd/MM/yyyy"), r.where, r.description, r.action, r.recorded_by,
             {"concern": "C", "incident": "I", "filtering": "F"}[r.kind] + str(r.ref)] for r in rows]
    return csv_response(f"online-safety-incident-log-{start}-to-{end}.csv", header, data)
