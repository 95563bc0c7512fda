"""The year-end rollover: every class moves up a year, Year 6 leaves.
"""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from ...access import role_required
from ...extensions import db
from ...schools.service import load_school_for_admin_or_404
from .. import service, year_end
from ..forms import RolloverForm
from .common import ADMINS, bp

# --- year-end rollover ----------------------------------------------------------------------------

@bp.route("/admin/schools/<int:school_id>/rollover", methods=["GET", "POST"])
@role_required(*ADMINS)
def rollover(school_id: int):
    """Move every class up a year group at the end of the school year; Year 6 leave."""
    school = load_school_for_admin_or_404(current_user, school_id)
    plan = year_end.rollover_plan(school)
    form = RolloverForm(data=None if request.method == "POST" else {"academic_year": plan.academic_year})
    status, error = 200, None
    if request.method == "POST":
        if form.validate():
            try:
                year = int(form.academic_year.data)
            except (TypeError, ValueError):
                abort(400)
            try:
                done = year_end.perform_rollover(school, current_user, year)
            except service.AdminError as exc:
                db.session.rollback()
                error, status = str(exc.message), 409
            else:
                db.session.commit()
                flash(_("Every class has moved up a year group. %(n)s Year 6 pupils have left; their records are "
                        "kept. Add your new Reception class, or import it from your MIS.", n=done.pupils_left))
                return redirect(url_for("admin.school", school_id=school.id))
        else:
            status = 400
        plan = year_end.rollover_plan(school)
    return render_template("admin/rollover.html", school=school, plan=plan, form=form, error=error,
                           history=year_end.rollovers(school)), status
