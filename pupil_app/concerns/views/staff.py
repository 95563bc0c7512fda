"""Any staff member logs a concern about a pupil or records an incident, and sees what they logged.
"""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy.exc import IntegrityError

from ...access import staff_required
from ...extensions import db
from ...guards import id_arg
from ...timeutil import local_today, to_utc
from .. import alerts, service, staff_logging, telling
from ..forms import IncidentForm, LogConcernForm
from .common import bp, pupil_choices

# ---------------------------------------------------------------------------------------------
# Any staff member: log a concern about a pupil, record an incident, see what they logged


def _record(write, thanks: str):
    """Save what a staff member wrote, once even if sent twice: (where to go next, error, status)."""
    try:
        write()
        db.session.commit()
    except service.ConcernError as exc:
        db.session.rollback()
        return None, exc.message, exc.status
    except IntegrityError:
        db.session.rollback()  # a double submit: the first one is saved
    else:
        alerts.after_commit()
    flash(thanks, "info")
    return redirect(url_for("concerns.logged"), 303), None, 200


@bp.route("/staff/concerns/new", methods=["GET", "POST"])
@staff_required
def log_concern():
    """Any teacher records a concern about a pupil (what they saw or heard, where, when)."""
    form = LogConcernForm()
    form.pupil.choices = pupil_choices(current_user.school_id)
    if request.method == "GET":
        form.key.data = telling.new_key()
        requested = id_arg(request.args.get("pupil"))
        if requested and staff_logging.school_pupil(current_user.school_id, requested):
            form.pupil.data = requested
    if not form.validate_on_submit():
        return render_template("concerns/log_concern.html", form=form, error=None), 400 if form.is_submitted() else 200
    occurred = to_utc(form.occurred_at.data) if form.occurred_at.data else None
    done, error, status = _record(lambda: staff_logging.log_concern(
        current_user, pupil_id=form.pupil.data, category=form.category.data, location=form.location.data,
        occurred_at=occurred, account=form.account.data, urgent=form.urgent.data, key=form.key.data),
        _("Thank you. You logged this concern and the DSL has it."))
    return done or (render_template("concerns/log_concern.html", form=form, error=error), status)


@bp.route("/staff/incidents/new", methods=["GET", "POST"])
@staff_required
def new_incident():
    """Record an online safety incident in the school's log (not about one pupil)."""
    form = IncidentForm()
    if request.method == "GET":
        form.key.data = telling.new_key()
        form.occurred_on.data = local_today()
    if not form.validate_on_submit():
        return render_template("concerns/new_incident.html", form=form, error=None), 400 if form.is_submitted() else 200
    done, error, status = _record(lambda: staff_logging.record_incident(
        current_user, occurred_on=form.occurred_on.data, location=form.location.data,
        description=form.description.data, action=form.action.data, key=form.key.data),
        _("Thank you. You recorded this incident and the DSL has it."))
    return done or (render_template("concerns/new_incident.html", form=form, error=error), status)


@bp.get("/staff/concerns/mine")
@staff_required
def logged():
    """What this staff member logged: only that they logged it and that the DSL has it."""
    return render_template("concerns/logged.html", concerns=staff_logging.logged_by(current_user),
                           incidents=staff_logging.incidents_by(current_user))
