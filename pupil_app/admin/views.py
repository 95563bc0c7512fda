"""Administration pages: schools (trust admin), classes, staff, pupils, CSV import, sign-in cards,
year-end rollover, and the public set-password page a new staff member's link opens."""

from __future__ import annotations

import hashlib
from datetime import timedelta

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import func, select, update
from werkzeug.exceptions import RequestEntityTooLarge

from ..access import public, role_required
from ..auth import credentials, service as auth_service
from ..csv_export import csv_response
from ..extensions import csrf, db
from ..forms import ConfirmForm
from ..ratelimit import rate_limited
from ..schools.models import Pupil, Role, School, SchoolClass, StaffUser, year_name
from ..schools.service import load_school_for_admin_or_404, may_administer, trust_schools
from ..timeutil import local_today, utcnow
from . import importer, service
from .forms import (
    ApplyImportForm,
    ClassForm,
    ImportForm,
    PupilForm,
    RolloverForm,
    SchoolForm,
    SearchForm,
    SetPasswordForm,
    StaffForm,
)
from .models import ImportBatch

bp = Blueprint("admin", __name__, url_prefix="/staff", template_folder="templates")

ADMINS = (Role.ADMIN, Role.TRUST_ADMIN)
PREVIEW_LIFETIME = timedelta(hours=24)


def _role_names() -> dict[str, str]:
    return {Role.TEACHER: _("Teacher"), Role.DSL: _("Designated safeguarding lead"), Role.ADMIN: _("School admin"),
            Role.TRUST_ADMIN: _("Trust admin")}


def _confirmed() -> None:
    if not ConfirmForm().validate():
        abort(400)


def _class_or_404(class_id: int) -> SchoolClass:
    school_class = db.session.get(SchoolClass, class_id)
    if school_class is None or not may_administer(current_user, school_class.school):
        abort(404)
    return school_class


def _staff_or_404(staff_id: int) -> StaffUser:
    staff = db.session.get(StaffUser, staff_id)
    if staff is None or not may_administer(current_user, staff.school):
        abort(404)
    return staff


def _pupil_or_404(pupil_id: int) -> Pupil:
    pupil = db.session.get(Pupil, pupil_id)
    if pupil is None or not may_administer(current_user, pupil.school):
        abort(404)
    return pupil


def _print_cards(pupils, school_class, back_url: str, passwords=None):
    """New sign-in cards (new badges; new passwords shown only here), committed, ready to print."""
    sheet = credentials.issue_cards(pupils, current_user, passwords)
    db.session.commit()
    return render_template("auth/cards.html", school_class=school_class, sheet=sheet, back_url=back_url)


def _stamp() -> str:
    return local_today().isoformat()


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
    status = 200
    if request.method == "POST":
        if form.validate():
            try:
                school = service.create_school(current_user.school.trust, form.name.data)
            except service.AdminError as exc:
                form.name.errors.append(str(exc.message))
                status = 400
            else:
                db.session.commit()
                flash(_("%(name)s added. Next, add its classes and an admin.", name=school.name))
                return redirect(url_for("admin.school", school_id=school.id))
        else:
            status = 400
    all_schools = trust_schools(current_user)
    return render_template("admin/schools.html", schools=all_schools, form=form,
                           counts=_school_counts([s.id for s in all_schools]), trust=current_user.school.trust), status


@bp.route("/admin/schools/<int:school_id>/edit", methods=["GET", "POST"])
@role_required(Role.TRUST_ADMIN)
def edit_school(school_id: int):
    school = load_school_for_admin_or_404(current_user, school_id)
    form = SchoolForm(obj=school)
    status = 200
    if request.method == "POST":
        if form.validate():
            try:
                service.rename_school(school, form.name.data)
            except service.AdminError as exc:
                form.name.errors.append(str(exc.message))
                status = 400
            else:
                db.session.commit()
                flash(_("The school is now called %(name)s.", name=school.name))
                return redirect(url_for("admin.school", school_id=school.id))
        else:
            status = 400
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
    return csv_response(f"{school.name}-classes-{_stamp()}.csv",
                        [_("Class"), _("Year group"), _("Pupils"), _("Teachers"), _("Status")], rows)


# --- classes --------------------------------------------------------------------------------------

def _teacher_choices(school: School) -> list[tuple[int, str]]:
    return [(s.id, s.display_name) for s in service.school_staff(school) if s.active]


@bp.route("/admin/schools/<int:school_id>/classes/new", methods=["GET", "POST"])
@role_required(*ADMINS)
def new_class(school_id: int):
    school = load_school_for_admin_or_404(current_user, school_id)
    form = ClassForm(teacher_choices=_teacher_choices(school))
    status = 200
    if request.method == "POST":
        if form.validate():
            try:
                school_class = service.create_class(school, form.name.data, form.year_group.data, form.teachers.data)
            except service.AdminError as exc:
                form.name.errors.append(str(exc.message))
                status = 400
            else:
                db.session.commit()
                flash(_("Class %(name)s added.", name=school_class.name))
                return redirect(url_for("admin.class_detail", class_id=school_class.id))
        else:
            status = 400
    return render_template("admin/class_form.html", school=school, form=form, school_class=None), status


@bp.route("/admin/classes/<int:class_id>", methods=["GET", "POST"])
@role_required(*ADMINS)
def class_detail(class_id: int):
    """Edit a class (name, year group, teachers); its pupils; print its sign-in cards; close it."""
    school_class = _class_or_404(class_id)
    school = school_class.school
    form = ClassForm(teacher_choices=_teacher_choices(school), obj=school_class,
                     data=None if request.method == "POST" else {"teachers": [t.id for t in school_class.teachers]})
    status = 200
    if request.method == "POST":
        if form.validate():
            try:
                service.update_class(school_class, form.name.data, form.year_group.data, form.teachers.data)
            except service.AdminError as exc:
                db.session.rollback()
                form.name.errors.append(str(exc.message))
                status = 400
            else:
                db.session.commit()
                flash(_("Class %(name)s saved.", name=school_class.name))
                return redirect(url_for("admin.class_detail", class_id=school_class.id))
        else:
            status = 400
    pupils = [p for p in school_class.pupils if p.active]
    return render_template("admin/class_form.html", school=school, form=form, school_class=school_class,
                           pupils=pupils, confirm=ConfirmForm()), status


@bp.post("/admin/classes/<int:class_id>/close")
@role_required(*ADMINS)
def close_class(class_id: int):
    school_class = _class_or_404(class_id)
    _confirmed()
    try:
        service.deactivate_class(school_class)
    except service.AdminError as exc:
        flash(str(exc.message), "error")
        return redirect(url_for("admin.class_detail", class_id=class_id)), 303
    db.session.commit()
    flash(_("Class %(name)s is closed. Its records are kept.", name=school_class.name))
    return redirect(url_for("admin.school", school_id=school_class.school_id))


@bp.post("/admin/classes/<int:class_id>/reopen")
@role_required(*ADMINS)
def reopen_class(class_id: int):
    school_class = _class_or_404(class_id)
    _confirmed()
    service.reactivate_class(school_class)
    db.session.commit()
    flash(_("Class %(name)s is open again.", name=school_class.name))
    return redirect(url_for("admin.class_detail", class_id=class_id))


@bp.post("/admin/classes/<int:class_id>/cards")
@role_required(*ADMINS)
def class_cards(class_id: int):
    """New sign-in cards for the whole class (old cards stop working), ready to print."""
    school_class = _class_or_404(class_id)
    _confirmed()
    if not school_class.active:
        abort(409)
    pupils = [p for p in school_class.pupils if p.active]
    return _print_cards(pupils, school_class, url_for("admin.class_detail", class_id=class_id))


# --- staff ----------------------------------------------------------------------------------------

def _staff_form(school: School, editing: bool = False, **kwargs) -> StaffForm:
    names = _role_names()
    roles = [(r.value, names[r]) for r in service.assignable_roles(current_user)]
    classes = [(c.id, f"{c.name} ({year_name(c.year_group)})") for c in service.school_classes(school, False)]
    return StaffForm(role_choices=roles, class_choices=classes, editing=editing, **kwargs)


@bp.get("/admin/schools/<int:school_id>/staff")
@role_required(*ADMINS)
def staff_list(school_id: int):
    school = load_school_for_admin_or_404(current_user, school_id)
    return render_template("admin/staff_list.html", school=school, staff=service.school_staff(school),
                           role_names=_role_names())


@bp.get("/admin/schools/<int:school_id>/staff.csv")
@role_required(*ADMINS)
def staff_csv(school_id: int):
    school = load_school_for_admin_or_404(current_user, school_id)
    names = _role_names()
    rows = [[s.display_name, s.username, s.email or "", "; ".join(names[r] for r in sorted(s.roles)),
             "; ".join(c.name for c in s.classes), _("active") if s.active else _("closed")]
            for s in service.school_staff(school)]
    return csv_response(f"{school.name}-staff-{_stamp()}.csv",
                        [_("Name"), _("Username"), _("Email"), _("Roles"), _("Classes"), _("Status")], rows)


def _link_page(staff: StaffUser, token: str, new: bool):
    link = url_for("admin.set_password", token=token, _external=True)
    response = render_template("admin/staff_link.html", staff=staff, link=link, new=new,
                               days=service.PASSWORD_LINK_DAYS)
    return response


@bp.route("/admin/schools/<int:school_id>/staff/new", methods=["GET", "POST"])
@role_required(*ADMINS)
def new_staff(school_id: int):
    """A new staff account; its owner sets their own password through a one-time link."""
    school = load_school_for_admin_or_404(current_user, school_id)
    form = _staff_form(school)
    status = 200
    if request.method == "POST":
        if form.validate():
            try:
                staff, token = service.create_staff(school, current_user, form.username.data, form.display_name.data,
                                                    form.email.data, form.roles.data, form.classes.data)
            except service.AdminError as exc:
                db.session.rollback()
                form.username.errors.append(str(exc.message))
                status = 400
            else:
                db.session.commit()
                return _link_page(staff, token, new=True)
        else:
            status = 400
    return render_template("admin/staff_form.html", school=school, form=form, staff=None), status


@bp.route("/admin/staff/<int:staff_id>", methods=["GET", "POST"])
@role_required(*ADMINS)
def staff_detail(staff_id: int):
    staff = _staff_or_404(staff_id)
    school = staff.school
    form = _staff_form(school, editing=True, obj=staff, data=None if request.method == "POST" else {
        "roles": [r.value for r in staff.roles], "classes": [c.id for c in staff.classes]})
    status = 200
    if request.method == "POST":
        if form.validate():
            try:
                service.update_staff(staff, current_user, form.display_name.data, form.email.data, form.roles.data,
                                     form.classes.data)
            except service.AdminError as exc:
                db.session.rollback()
                form.roles.errors.append(str(exc.message))
                status = 400
            else:
                db.session.commit()
                flash(_("%(name)s saved.", name=staff.display_name))
                return redirect(url_for("admin.staff_list", school_id=school.id))
        else:
            status = 400
    return render_template("admin/staff_form.html", school=school, form=form, staff=staff,
                           confirm=ConfirmForm(), role_names=_role_names(),
                           may_manage=service.may_manage_account(current_user, staff)), status


@bp.post("/admin/staff/<int:staff_id>/close")
@role_required(*ADMINS)
def close_staff(staff_id: int):
    staff = _staff_or_404(staff_id)
    _confirmed()
    try:
        service.deactivate_staff(staff, current_user)
    except service.AdminError as exc:
        flash(str(exc.message), "error")
        return redirect(url_for("admin.staff_detail", staff_id=staff_id)), 303
    db.session.commit()
    flash(_("%(name)s can no longer sign in. Their records are kept.", name=staff.display_name))
    return redirect(url_for("admin.staff_list", school_id=staff.school_id))


@bp.post("/admin/staff/<int:staff_id>/reopen")
@role_required(*ADMINS)
def reopen_staff(staff_id: int):
    staff = _staff_or_404(staff_id)
    _confirmed()
    try:
        service.reactivate_staff(staff, current_user)
        token = service.issue_password_link(staff, current_user)
    except service.AdminError as exc:
        db.session.rollback()
        flash(str(exc.message), "error")
        return redirect(url_for("admin.staff_detail", staff_id=staff_id)), 303
    db.session.commit()
    return _link_page(staff, token, new=False)


@bp.post("/admin/staff/<int:staff_id>/password-link")
@role_required(*ADMINS)
def staff_password_link(staff_id: int):
    """A new one-time link for the staff member to set a new password (older links stop working)."""
    staff = _staff_or_404(staff_id)
    _confirmed()
    if not staff.active:
        abort(409)
    try:
        token = service.issue_password_link(staff, current_user)
    except service.AdminError as exc:
        db.session.rollback()
        flash(str(exc.message), "error")
        return redirect(url_for("admin.staff_detail", staff_id=staff_id)), 303
    db.session.commit()
    return _link_page(staff, token, new=False)


@bp.route("/set-password/<token>", methods=["GET", "POST"])
@public
@rate_limited("SIGNIN_RATE_LIMIT", "set-password")
def set_password(token: str):
    """A staff member chooses their password through the one-time link an admin gave them."""
    link = service.password_link(token)
    if link is None:
        response = render_template("admin/link_not_working.html")
        return response, 404, {"Cache-Control": "no-store"}
    staff = db.session.get(StaffUser, link.staff_id)
    form = SetPasswordForm()
    status, error = 200, None
    if request.method == "POST":
        if form.validate():
            try:
                service.use_password_link(token, form.password.data, form.confirm.data)
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


# --- pupils ---------------------------------------------------------------------------------------

def _class_choices(school: School) -> list[tuple[int, str]]:
    return [(c.id, f"{c.name} ({year_name(c.year_group)})") for c in service.school_classes(school, False)]


def _pupil_filter(school: School) -> tuple[SearchForm, service.PupilFilter]:
    form = SearchForm(request.args, class_choices=_class_choices(school))
    if not form.validate():
        abort(400)
    return form, service.PupilFilter(class_id=form.class_id.data or None, show_left=bool(form.left.data),
                                     search=(form.q.data or "").strip())


@bp.get("/admin/schools/<int:school_id>/pupils")
@role_required(*ADMINS)
def pupils(school_id: int):
    school = load_school_for_admin_or_404(current_user, school_id)
    form, filt = _pupil_filter(school)
    found = service.school_pupils(school, filt)
    return render_template("admin/pupils.html", school=school, pupils=found, form=form, filt=filt)


@bp.get("/admin/schools/<int:school_id>/pupils.csv")
@role_required(*ADMINS)
def pupils_csv(school_id: int):
    school = load_school_for_admin_or_404(current_user, school_id)
    _form, filt = _pupil_filter(school)
    rows = [[p.upn or "", p.first_name, p.last_name, year_name(p.school_class.year_group) if p.school_class else "",
             p.school_class.name if p.school_class else "", p.language or "", p.username,
             _("on roll") if p.active else _("left")] for p in service.school_pupils(school, filt, limit=100_000)]
    return csv_response(f"{school.name}-pupils-{_stamp()}.csv",
                        ["UPN", _("First name"), _("Last name"), _("Year group"), _("Class"), _("Language"),
                         _("Username"), _("Status")], rows)


@bp.route("/admin/schools/<int:school_id>/pupils/new", methods=["GET", "POST"])
@role_required(*ADMINS)
def new_pupil(school_id: int):
    """Add one pupil; their sign-in card (with their new password or pictures) shows straight away."""
    school = load_school_for_admin_or_404(current_user, school_id)
    form = PupilForm(class_choices=_class_choices(school), data=None if request.method == "POST" else {
        "class_id": request.args.get("class_id", type=int)})
    status = 200
    if request.method == "POST":
        if form.validate():
            try:
                pupil = service.create_pupil(school, form.first_name.data, form.last_name.data, form.class_id.data,
                                             form.upn.data, form.language.data)
            except service.AdminError as exc:
                db.session.rollback()
                form.first_name.errors.append(str(exc.message))
                status = 400
            else:
                return _print_cards([pupil], pupil.school_class, url_for("admin.pupils", school_id=school.id))
        else:
            status = 400
    return render_template("admin/pupil_form.html", school=school, form=form, pupil=None), status


@bp.route("/admin/pupils/<int:pupil_id>", methods=["GET", "POST"])
@role_required(*ADMINS)
def pupil_detail(pupil_id: int):
    pupil = _pupil_or_404(pupil_id)
    school = pupil.school
    choices = _class_choices(school)
    if pupil.school_class and not pupil.school_class.active:
        choices.append((pupil.school_class.id, pupil.school_class.name))
    form = PupilForm(class_choices=choices, obj=pupil)
    status = 200
    if request.method == "POST":
        if form.validate():
            try:
                service.update_pupil(pupil, form.first_name.data, form.last_name.data, form.class_id.data,
                                     form.upn.data, form.language.data)
            except service.AdminError as exc:
                db.session.rollback()
                form.first_name.errors.append(str(exc.message))
                status = 400
            else:
                db.session.commit()
                flash(_("%(name)s saved.", name=pupil.full_name))
                return redirect(url_for("admin.pupils", school_id=school.id, class_id=pupil.class_id))
        else:
            status = 400
    return render_template("admin/pupil_form.html", school=school, form=form, pupil=pupil, confirm=ConfirmForm(),
                           pictures=auth_service.picture_password_of(pupil)), status


@bp.post("/admin/pupils/<int:pupil_id>/close")
@role_required(*ADMINS)
def close_pupil(pupil_id: int):
    pupil = _pupil_or_404(pupil_id)
    _confirmed()
    service.deactivate_pupil(pupil)
    db.session.commit()
    flash(_("%(name)s has left: they can no longer sign in. Their records are kept.", name=pupil.full_name))
    return redirect(url_for("admin.pupil_detail", pupil_id=pupil.id))


@bp.post("/admin/pupils/<int:pupil_id>/reopen")
@role_required(*ADMINS)
def reopen_pupil(pupil_id: int):
    pupil = _pupil_or_404(pupil_id)
    _confirmed()
    try:
        service.reactivate_pupil(pupil)
    except service.AdminError as exc:
        flash(str(exc.message), "error")
        return redirect(url_for("admin.pupil_detail", pupil_id=pupil.id)), 303
    db.session.commit()
    flash(_("%(name)s is back on roll and can sign in again.", name=pupil.full_name))
    return redirect(url_for("admin.pupil_detail", pupil_id=pupil.id))


@bp.post("/admin/pupils/<int:pupil_id>/card")
@role_required(*ADMINS)
def pupil_card(pupil_id: int):
    """A new card for one pupil: new badge, and with 'new_password' a new typed password on it."""
    pupil = _pupil_or_404(pupil_id)
    _confirmed()
    if not pupil.active or pupil.school_class is None:
        abort(409)
    passwords = {}
    if request.form.get("new_password"):
        passwords[pupil.id] = credentials.reset_pupil_password(pupil)
    if request.form.get("new_pictures"):
        credentials.new_picture_password(pupil)
    return _print_cards([pupil], pupil.school_class, url_for("admin.pupil_detail", pupil_id=pupil.id), passwords)


# --- CSV import -----------------------------------------------------------------------------------

def _import_page(school, form, *, error=None, status=200):
    return render_template("admin/import.html", school=school, form=form, error=error,
                           max_rows=importer.MAX_ROWS, max_kb=importer.MAX_BYTES // 1000,
                           columns=importer.COLUMNS), status


@bp.route("/admin/schools/<int:school_id>/import", methods=["GET", "POST"])
@csrf.exempt  # the form checks its own CSRF token, after the upload limit below is raised
@role_required(*ADMINS)
def import_pupils(school_id: int):
    """Upload a pupil CSV from the MIS; the next page previews what it would do."""
    school = load_school_for_admin_or_404(current_user, school_id)
    # A little more than the app's usual limit, so an over-long file is still read far enough to
    # tell the admin how many rows it has instead of a bare "too large".
    request.max_content_length = importer.MAX_UPLOAD_BYTES
    try:
        form = ImportForm()
        if request.method == "GET":
            return _import_page(school, form)
        if not form.validate():
            return _import_page(school, form, status=400)
        upload = form.file.data
        data = upload.read(importer.MAX_UPLOAD_BYTES + 1)
    except RequestEntityTooLarge:
        return _import_page(school, ImportForm(formdata=None), status=413, error=_(
            "The file is larger than %(mb)s MB; a pupil import is at most %(kb)s KB. Nothing was imported.",
            mb=importer.MAX_UPLOAD_BYTES // (1024 * 1024), kb=importer.MAX_BYTES // 1000))
    try:
        plan = importer.plan(school, data)
    except importer.FileProblem as exc:
        return _import_page(school, form, status=400, error=str(exc.message))
    if not plan.ok:
        return render_template("admin/import_preview.html", school=school, plan=plan, batch=None,
                               filename=upload.filename or "", form=None), 422
    if not importer.is_utf8(data):  # bad bytes in a column the import ignores: still not a UTF-8 file
        return _import_page(school, form, status=400, error=str(importer.NOT_UTF8))
    # Old previews are forgotten (their file text with them).
    db.session.execute(ImportBatch.__table__.delete().where(
        ImportBatch.status == "preview", ImportBatch.created_at < utcnow() - PREVIEW_LIFETIME))
    batch = ImportBatch(school_id=school.id, created_by_id=current_user.id, filename=(upload.filename or "")[:200],
                        sha256=hashlib.sha256(data).hexdigest(), content=data.decode("utf-8"))
    db.session.add(batch)
    db.session.commit()
    return redirect(url_for("admin.import_batch", batch_id=batch.id), 303)


def _batch_or_404(batch_id: int) -> ImportBatch:
    batch = db.session.get(ImportBatch, batch_id)
    if batch is None:
        abort(404)
    school = db.session.get(School, batch.school_id)
    if school is None or not may_administer(current_user, school):
        abort(404)
    return batch


@bp.get("/admin/imports/<int:batch_id>")
@role_required(*ADMINS)
def import_batch(batch_id: int):
    """The preview of an uploaded file (what it would do), or what it did once applied."""
    batch = _batch_or_404(batch_id)
    school = db.session.get(School, batch.school_id)
    if batch.status == "applied":
        classes = list(db.session.scalars(select(SchoolClass).where(
            SchoolClass.id.in_(batch.summary.get("class_ids", [])))))
        return render_template("admin/import_done.html", school=school, batch=batch, classes=classes,
                               form=ConfirmForm())
    if batch.created_at < utcnow() - PREVIEW_LIFETIME or batch.content is None:
        abort(410)
    plan = importer.plan(school, batch.content.encode("utf-8"))
    return render_template("admin/import_preview.html", school=school, plan=plan, batch=batch,
                           filename=batch.filename, form=ApplyImportForm()), (200 if plan.ok else 409)


@bp.post("/admin/imports/<int:batch_id>/apply")
@role_required(*ADMINS)
def apply_import(batch_id: int):
    """Apply a previewed file: everything or nothing. Checked again against the school as it is now."""
    batch = _batch_or_404(batch_id)
    if not ApplyImportForm().validate():
        abort(400)
    school = db.session.get(School, batch.school_id)
    if batch.status == "applied":
        return redirect(url_for("admin.import_batch", batch_id=batch.id), 303)
    if batch.created_at < utcnow() - PREVIEW_LIFETIME or batch.content is None:
        abort(410)
    plan = importer.plan(school, batch.content.encode("utf-8"))
    if not plan.ok:
        return render_template("admin/import_preview.html", school=school, plan=plan, batch=batch,
                               filename=batch.filename, form=ApplyImportForm(), changed=True), 409
    # Claim the batch first: a second click (or a second tab) finds it applied and changes nothing.
    claimed = db.session.execute(update(ImportBatch).where(ImportBatch.id == batch.id, ImportBatch.status == "preview")
                                 .values(status="applied", applied_at=utcnow(), content=None))
    if claimed.rowcount != 1:
        db.session.rollback()
        return redirect(url_for("admin.import_batch", batch_id=batch.id), 303)
    try:
        applied = importer.apply(school, plan)
        db.session.execute(update(ImportBatch).where(ImportBatch.id == batch.id).values(summary={
            "new": applied.new, "updated": applied.updated, "unchanged": applied.unchanged,
            "classes": applied.classes, "class_ids": applied.class_ids}))
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    return redirect(url_for("admin.import_batch", batch_id=batch.id), 303)


@bp.get("/admin/import-template.csv")
@role_required(*ADMINS)
def import_template():
    """An example file with the columns the import reads."""
    return csv_response("pupil-import-template.csv", importer.TEMPLATE_HEADER, importer.TEMPLATE_ROWS)


# --- year-end rollover ----------------------------------------------------------------------------

@bp.route("/admin/schools/<int:school_id>/rollover", methods=["GET", "POST"])
@role_required(*ADMINS)
def rollover(school_id: int):
    """Move every class up a year group at the end of the school year; Year 6 leave."""
    school = load_school_for_admin_or_404(current_user, school_id)
    plan = service.rollover_plan(school)
    form = RolloverForm(data=None if request.method == "POST" else {"academic_year": plan.academic_year})
    status, error = 200, None
    if request.method == "POST":
        if form.validate():
            try:
                year = int(form.academic_year.data)
            except (TypeError, ValueError):
                abort(400)
            try:
                done = service.perform_rollover(school, current_user, year)
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
        plan = service.rollover_plan(school)
    return render_template("admin/rollover.html", school=school, plan=plan, form=form, error=error,
                           history=service.rollovers(school)), status
