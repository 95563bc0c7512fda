"""Administration home and schools (a trust admin adds and renames them).
"""

from __future__ import annotations

from flask import redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import func, select

from ...access import role_required
from ...csv_export import csv_response
from ...extensions import db
from ...forms import ConfirmForm
from ...schools.models import Pupil, Role, SchoolClass, StaffUser, year_name
from ...schools.service import load_school_for_admin_or_404, trust_schools
from .. import service
from ..forms import SchoolForm
from .common import ADMINS, bp, saved, stamp, submitted

# --- home and schools -----------------------------------------------------------------------------

@bp.get("/admin/")
@role_required(*ADMINS)
def home():
    """Trust admins start at their trust's schools; school admins at their school."""
    if current_user.has_role(Role.TRUST_ADMIN):
        return redirect(url_for("admin.schools"))
    return redirect(url_for("admin.school", school_id=current_user.school_id))


def _school_counts(school_ids: list[int]) -> dict[int, dict[str, int]]:
    out = {sid: {"pupils": 0, "classes": 0, "staff": 0} for sid in school_ids}
    if not school_ids:
        return out
    for key, model in (("pupils", Pupil), ("classes", SchoolClass), ("staff", StaffUser)):
        for sid, n in db.session.execute(select(model.school_id, func.count()).where(
                model.school_id.in_(school_ids), model.active.is_(True)).group_by(model.school_id)):
            out[sid][key] = n
    return out


@bp.route("/admin/schools", methods=["GET", "POST"])
@role_required(Role.TRUST_ADMIN)
def schools():
    """The trust's schools, and adding one."""
    form = SchoolForm()
    done, status = submitted(
        form, form.name, lambda: service.create_school(current_user.school.trust, form.name.data),
        lambda made: saved(_("%(name)s added. Next, add its classes and an admin.", name=made.name),
                           url_for("admin.school", school_id=made.id)))
    if done:
        return done
    all_schools = trust_schools(current_user)
    return render_template("admin/schools.html", schools=all_schools, form=form,
                           counts=_school_counts([s.id for s in all_schools]), trust=current_user.school.trust), status


@bp.route("/admin/schools/<int:school_id>/edit", methods=["GET", "POST"])
@role_required(Role.TRUST_ADMIN)
def edit_school(school_id: int):
    school = load_school_for_admin_or_404(current_user, school_id)
    form = SchoolForm(obj=school)
    done, status = submitted(
        form, form.name, lambda: service.rename_school(school, form.name.data),
        lambda _none: saved(_("The school is now called %(name)s.", name=school.name),
                            url_for("admin.school", school_id=school.id)))
    if done:
        return done
    return render_template("admin/school_form.html", school=school, form=form), status


@bp.get("/admin/schools/<int:school_id>")
@role_required(*ADMINS)
def school(school_id: int):
    """A school's classes, with the way to its staff, pupils, import and rollover."""
    school = load_school_for_admin_or_404(current_user, school_id)
    classes = service.school_classes(school)
    sizes = dict(db.session.execute(select(Pupil.class_id, func.count()).where(
        Pupil.school_id == school.id, Pupil.active.is_(True)).group_by(Pupil.class_id)).all())
    return render_template("admin/school.html", school=school, classes=classes, sizes=sizes,
                           counts=_school_counts([school.id])[school.id], form=ConfirmForm())


@bp.get("/admin/schools/<int:school_id>/classes.csv")
@role_required(*ADMINS)
def classes_csv(school_id: int):
    school = load_school_for_admin_or_404(current_user, school_id)
    classes = service.school_classes(school)
    sizes = dict(db.session.execute(select(Pupil.class_id, func.count()).where(
        Pupil.school_id == school.id, Pupil.active.is_(True)).group_by(Pupil.class_id)).all())
    rows = [[c.name, year_name(c.year_group), sizes.get(c.id, 0), "; ".join(t.display_name for t in c.teachers),
             _("open") if c.active else _("closed")] for c in classes]
    return csv_response(f"{school.name}-classes-{stamp()}.csv",
                        [_("Class"), _("Year group"), _("Pupils"), _("Teachers"), _("Status")], rows)
