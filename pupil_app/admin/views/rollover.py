"""The year-end rollover: a preview of every class, a typed confirmation, and an undo while the window is open.
"""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from ...access import role_required
from ...extensions import db
from ...forms import ConfirmForm
from ...schools.models import Role
from ...schools.service import load_school_for_admin_or_404
from ...timeutil import format_day
from .. import service, year_end
from ..forms import RolloverForm
from .common import ADMINS, bp


def _page(school, plan, form, error=None, status=200):
    return render_template("admin/rollover.html", school=school, plan=plan, form=form, error=error,
                           undo_form=ConfirmForm(), history=year_end.rollovers(school),
                           sees_names=current_user.has_role(Role.DSL)), status


@bp.route("/admin/schools/<int:school_id>/rollover", methods=["GET", "POST"])
@role_required(*ADMINS)
def rollover(school_id: int):
    """Preview, then move every class up a year group; Year 6 leave. Only in the rollover window."""
    school = load_school_for_admin_or_404(current_user, school_id)
    plan = year_end.rollover_plan(school)
    form = RolloverForm(data=None if request.method == "POST" else {"academic_year": plan.academic_year})
    if request.method == "GET":
        return _page(school, plan, form)
    if not form.validate() or not (form.academic_year.data or "").isdigit():
        return _page(school, plan, form, status=400)
    if form.typed.data.strip() != plan.year_label:
        form.typed.errors.append(_("Type %(year)s exactly to confirm.", year=plan.year_label))
        return _page(school, plan, form, status=400)
    names = {m.school_class.id: request.form.get(f"name-{m.school_class.id}", "") for m in plan.moves}
    keep = {m.school_class.id for m in plan.moves if request.form.get(f"keep-{m.school_class.id}")}
    try:
        done = year_end.perform_rollover(school, current_user, int(form.academic_year.data), names=names,
                                         keep_teachers=keep)
    except service.AdminError as exc:
        db.session.rollback()
        return _page(school, year_end.rollover_plan(school), form, error=str(exc.message), status=409)
    db.session.commit()
    flash(_("Every class has moved up a year group. %(n)s Year 6 pupils have left; their records are kept. Until "
            "%(closes)s you can undo it on this page.", n=done.pupils_left, closes=format_day(plan.window.closes)))
    return redirect(url_for("admin.rollover", school_id=school.id))


@bp.post("/admin/schools/<int:school_id>/rollover/<int:rollover_id>/undo")
@role_required(*ADMINS)
def undo_rollover(school_id: int, rollover_id: int):
    """Put every class, teacher, leaver and sign-in card back as before the rollover."""
    school = load_school_for_admin_or_404(current_user, school_id)
    if not ConfirmForm().validate():
        abort(400)
    try:
        year_end.undo_rollover(school, current_user, rollover_id)
    except service.AdminError as exc:
        db.session.rollback()
        flash(str(exc.message), "error")
        return redirect(url_for("admin.rollover", school_id=school.id), 303)
    db.session.commit()
    flash(_("The rollover is undone: every class, teacher and Year 6 pupil is back as before."))
    return redirect(url_for("admin.rollover", school_id=school.id), 303)
