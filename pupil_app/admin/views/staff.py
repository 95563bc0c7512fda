"""A school's staff accounts and roles, and the public set-password page a new staff member's link opens.
"""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from ...access import public, role_required
from ...csv_export import csv_response
from ...extensions import db
from ...forms import ConfirmForm
from ...ratelimit import rate_limited
from ...schools.models import School, StaffUser, year_name
from ...schools.service import load_school_for_admin_or_404
from .. import service, staff_accounts
from ..forms import SetPasswordForm, StaffForm
from .common import ADMINS, admin_load, bp, confirmed, role_names, saved, stamp, submitted, switch

# --- staff ----------------------------------------------------------------------------------------

def _staff_form(school: School, editing: bool = False, **kwargs) -> StaffForm:
    names = role_names()
    roles = [(r.value, names[r]) for r in staff_accounts.assignable_roles(current_user)]
    classes = [(c.id, f"{c.name} ({year_name(c.year_group)})") for c in service.school_classes(school, False)]
    return StaffForm(role_choices=roles, class_choices=classes, editing=editing, **kwargs)


@bp.get("/admin/schools/<int:school_id>/staff")
@role_required(*ADMINS)
def staff_list(school_id: int):
    school = load_school_for_admin_or_404(current_user, school_id)
    return render_template("admin/staff_list.html", school=school, staff=staff_accounts.school_staff(school),
                           role_names=role_names())


@bp.get("/admin/schools/<int:school_id>/staff.csv")
@role_required(*ADMINS)
def staff_csv(school_id: int):
    school = load_school_for_admin_or_404(current_user, school_id)
    names = role_names()
    rows = [[s.display_name, s.username, s.email or "", "; ".join(names[r] for r in sorted(s.roles)),
             "; ".join(c.name for c in s.classes), _("active") if s.active else _("closed")]
            for s in staff_accounts.school_staff(school)]
    return csv_response(f"{school.name}-staff-{stamp()}.csv",
                        [_("Name"), _("Username"), _("Email"), _("Roles"), _("Classes"), _("Status")], rows)


def _link_page(staff: StaffUser, token: str, new: bool):
    link = url_for("admin.set_password", token=token, _external=True)
    response = render_template("admin/staff_link.html", staff=staff, link=link, new=new,
                               days=service.PASSWORD_LINK_DAYS)
    return response


def _created(staff: StaffUser, token: str):
    db.session.commit()
    staff_accounts.send_notices()  # a new DSL: the school's DSLs are told
    return _link_page(staff, token, new=True)


def _saved_and_told(message: str, url: str):
    response = saved(message, url)
    staff_accounts.send_notices()  # a new DSL or a DSL's new address: the DSLs are told
    return response


@bp.route("/admin/schools/<int:school_id>/staff/new", methods=["GET", "POST"])
@role_required(*ADMINS)
def new_staff(school_id: int):
    """A new staff account; its owner sets their own password through a one-time link."""
    school = load_school_for_admin_or_404(current_user, school_id)
    form = _staff_form(school)
    done, status = submitted(
        form, form.username, lambda: staff_accounts.create_staff(
            school, current_user, form.username.data, form.display_name.data, form.email.data, form.roles.data,
            form.classes.data),
        lambda made: _created(*made))
    if done:
        return done
    return render_template("admin/staff_form.html", school=school, form=form, staff=None), status


@bp.route("/admin/staff/<int:staff_id>", methods=["GET", "POST"])
@role_required(*ADMINS)
def staff_detail(staff_id: int):
    staff = admin_load(StaffUser, staff_id)
    school = staff.school
    form = _staff_form(school, editing=True, obj=staff, data=None if request.method == "POST" else {
        "roles": [r.value for r in staff.roles], "classes": [c.id for c in staff.classes]})
    done, status = submitted(
        form, form.roles, lambda: staff_accounts.update_staff(
            staff, current_user, form.display_name.data, form.email.data, form.roles.data, form.classes.data),
        lambda _none: _saved_and_told(_("%(name)s saved.", name=staff.display_name),
                                      url_for("admin.staff_list", school_id=school.id)))
    if done:
        return done
    return render_template("admin/staff_form.html", school=school, form=form, staff=staff,
                           confirm=ConfirmForm(), role_names=role_names(),
                           may_manage=staff_accounts.may_manage_account(current_user, staff)), status


def _new_link(staff, first):
    """After the confirm form: ``first()``, then a new one-time set-password link shown to the admin."""
    confirmed()
    try:
        first()
        token = staff_accounts.issue_password_link(staff, current_user)
    except service.AdminError as exc:
        db.session.rollback()
        flash(str(exc.message), "error")
        return redirect(url_for("admin.staff_detail", staff_id=staff.id), 303)
    db.session.commit()
    return _link_page(staff, token, new=False)


@bp.post("/admin/staff/<int:staff_id>/close")
@role_required(*ADMINS)
def close_staff(staff_id: int):
    staff = admin_load(StaffUser, staff_id)
    return switch(lambda: staff_accounts.deactivate_staff(staff, current_user),
                  _("%(name)s can no longer sign in. Their records are kept.", name=staff.display_name),
                  url_for("admin.staff_list", school_id=staff.school_id),
                  url_for("admin.staff_detail", staff_id=staff_id))


@bp.post("/admin/staff/<int:staff_id>/reopen")
@role_required(*ADMINS)
def reopen_staff(staff_id: int):
    staff = admin_load(StaffUser, staff_id)
    return _new_link(staff, lambda: staff_accounts.reactivate_staff(staff, current_user))


@bp.post("/admin/staff/<int:staff_id>/password-link")
@role_required(*ADMINS)
def staff_password_link(staff_id: int):
    """A new one-time link for the staff member to set a new password (older links stop working)."""
    staff = admin_load(StaffUser, staff_id)
    if not staff.active:
        abort(409)
    return _new_link(staff, lambda: None)


@bp.route("/set-password/<token>", methods=["GET", "POST"])
@public
@rate_limited("SIGNIN_RATE_LIMIT", "set-password")
def set_password(token: str):
    """A staff member chooses their password through the one-time link an admin gave them."""
    link = staff_accounts.password_link(token)
    if link is None:
        response = render_template("admin/link_not_working.html")
        return response, 404, {"Cache-Control": "no-store"}
    staff = db.session.get(StaffUser, link.staff_id)
    form = SetPasswordForm()
    status, error = 200, None
    if request.method == "POST":
        if form.validate():
            try:
                staff_accounts.use_password_link(token, form.password.data, form.confirm.data)
            except service.AdminError as exc:
                db.session.rollback()
                error, status = str(exc.message), 400
            else:
                db.session.commit()
                flash(_("Your password is set. Sign in with your username, %(name)s.", name=staff.username))
                return redirect(url_for("auth.staff_sign_in"))
        else:
            status = 400
    return render_template("admin/set_password.html", form=form, staff=staff, error=error,
                           min_length=service.MIN_STAFF_PASSWORD), status, {"Cache-Control": "no-store"}
