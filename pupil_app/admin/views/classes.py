"""A school's classes: adding, editing, closing and reopening, new sign-in cards for a class.
"""

from __future__ import annotations

from flask import abort, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from ...access import role_required
from ...forms import ConfirmForm
from ...schools.models import School, SchoolClass
from ...schools.service import load_school_for_admin_or_404
from .. import service, staff_accounts
from ..forms import ClassForm
from .common import ADMINS, admin_load, bp, confirmed, print_cards, saved, submitted, switch

# --- classes --------------------------------------------------------------------------------------

def _teacher_choices(school: School) -> list[tuple[int, str]]:
    return [(s.id, s.display_name) for s in staff_accounts.school_staff(school) if s.active]


@bp.route("/admin/schools/<int:school_id>/classes/new", methods=["GET", "POST"])
@role_required(*ADMINS)
def new_class(school_id: int):
    school = load_school_for_admin_or_404(current_user, school_id)
    form = ClassForm(teacher_choices=_teacher_choices(school))
    done, status = submitted(
        form, form.name, lambda: service.create_class(school, form.name.data, form.year_group.data, form.teachers.data),
        lambda made: saved(_("Class %(name)s added.", name=made.name), url_for("admin.class_detail", class_id=made.id)))
    if done:
        return done
    return render_template("admin/class_form.html", school=school, form=form, school_class=None), status


@bp.route("/admin/classes/<int:class_id>", methods=["GET", "POST"])
@role_required(*ADMINS)
def class_detail(class_id: int):
    """Edit a class (name, year group, teachers); its pupils; print its sign-in cards; close it."""
    school_class = admin_load(SchoolClass, class_id)
    school = school_class.school
    form = ClassForm(teacher_choices=_teacher_choices(school), obj=school_class,
                     data=None if request.method == "POST" else {"teachers": [t.id for t in school_class.teachers]})
    done, status = submitted(
        form, form.name,
        lambda: service.update_class(school_class, form.name.data, form.year_group.data, form.teachers.data),
        lambda _none: saved(_("Class %(name)s saved.", name=school_class.name),
                            url_for("admin.class_detail", class_id=school_class.id)))
    if done:
        return done
    pupils = [p for p in school_class.pupils if p.active]
    return render_template("admin/class_form.html", school=school, form=form, school_class=school_class,
                           pupils=pupils, confirm=ConfirmForm()), status


@bp.post("/admin/classes/<int:class_id>/close")
@role_required(*ADMINS)
def close_class(class_id: int):
    school_class = admin_load(SchoolClass, class_id)
    return switch(lambda: service.deactivate_class(school_class),
                  _("Class %(name)s is closed. Its records are kept.", name=school_class.name),
                  url_for("admin.school", school_id=school_class.school_id),
                  url_for("admin.class_detail", class_id=class_id))


@bp.post("/admin/classes/<int:class_id>/reopen")
@role_required(*ADMINS)
def reopen_class(class_id: int):
    school_class = admin_load(SchoolClass, class_id)
    back = url_for("admin.class_detail", class_id=class_id)
    return switch(lambda: service.reactivate_class(school_class),
                  _("Class %(name)s is open again.", name=school_class.name), back, back)


@bp.post("/admin/classes/<int:class_id>/cards")
@role_required(*ADMINS)
def class_cards(class_id: int):
    """New sign-in cards for the whole class (old cards stop working), ready to print."""
    school_class = admin_load(SchoolClass, class_id)
    confirmed()
    if not school_class.active:
        abort(409)
    pupils = [p for p in school_class.pupils if p.active]
    return print_cards(pupils, school_class, url_for("admin.class_detail", class_id=class_id))
