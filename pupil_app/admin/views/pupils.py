"""A school's pupils: search, add, edit, leave and return, a new card for one pupil.
"""

from __future__ import annotations

from flask import abort, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from ...access import role_required
from ...auth import credentials, service as auth_service
from ...csv_export import csv_response
from ...forms import ConfirmForm
from ...schools.models import Pupil, School, year_name
from ...schools.service import load_school_for_admin_or_404
from .. import pupil_accounts, service
from ..forms import PupilForm, SearchForm
from .common import ADMINS, admin_load, bp, confirmed, print_cards, saved, stamp, submitted, switch

# --- pupils ---------------------------------------------------------------------------------------

def _class_choices(school: School) -> list[tuple[int, str]]:
    return [(c.id, f"{c.name} ({year_name(c.year_group)})") for c in service.school_classes(school, False)]


def _pupil_filter(school: School) -> tuple[SearchForm, pupil_accounts.PupilFilter]:
    form = SearchForm(request.args, class_choices=_class_choices(school))
    if not form.validate():
        abort(400)
    return form, pupil_accounts.PupilFilter(class_id=form.class_id.data or None, show_left=bool(form.left.data),
                                     search=(form.q.data or "").strip())


@bp.get("/admin/schools/<int:school_id>/pupils")
@role_required(*ADMINS)
def pupils(school_id: int):
    school = load_school_for_admin_or_404(current_user, school_id)
    form, filt = _pupil_filter(school)
    found = pupil_accounts.school_pupils(school, filt)
    return render_template("admin/pupils.html", school=school, pupils=found, form=form, filt=filt)


@bp.get("/admin/schools/<int:school_id>/pupils.csv")
@role_required(*ADMINS)
def pupils_csv(school_id: int):
    school = load_school_for_admin_or_404(current_user, school_id)
    _form, filt = _pupil_filter(school)
    rows = [[p.upn or "", p.first_name, p.last_name, year_name(p.school_class.year_group) if p.school_class else "",
             p.school_class.name if p.school_class else "", p.language or "", p.username,
             _("on roll") if p.active else _("left")] for p in pupil_accounts.school_pupils(school, filt, limit=100_000)]
    return csv_response(f"{school.name}-pupils-{stamp()}.csv",
                        ["UPN", _("First name"), _("Last name"), _("Year group"), _("Class"), _("Language"),
                         _("Username"), _("Status")], rows)


@bp.route("/admin/schools/<int:school_id>/pupils/new", methods=["GET", "POST"])
@role_required(*ADMINS)
def new_pupil(school_id: int):
    """Add one pupil; their sign-in card (with their new password or pictures) shows straight away."""
    school = load_school_for_admin_or_404(current_user, school_id)
    form = PupilForm(class_choices=_class_choices(school), data=None if request.method == "POST" else {
        "class_id": request.args.get("class_id", type=int)})
    done, status = submitted(
        form, form.first_name, lambda: pupil_accounts.create_pupil(
            school, form.first_name.data, form.last_name.data, form.class_id.data, form.upn.data, form.language.data,
            namesake_ok=form.namesake_ok.data),
        lambda made: print_cards([made], made.school_class, url_for("admin.pupils", school_id=school.id)))
    if done:
        return done
    return render_template("admin/pupil_form.html", school=school, form=form, pupil=None), status


@bp.route("/admin/pupils/<int:pupil_id>", methods=["GET", "POST"])
@role_required(*ADMINS)
def pupil_detail(pupil_id: int):
    pupil = admin_load(Pupil, pupil_id)
    school = pupil.school
    choices = _class_choices(school)
    if pupil.school_class and not pupil.school_class.active:
        choices.append((pupil.school_class.id, pupil.school_class.name))
    form = PupilForm(class_choices=choices, obj=pupil)
    done, status = submitted(
        form, form.first_name, lambda: pupil_accounts.update_pupil(
            pupil, form.first_name.data, form.last_name.data, form.class_id.data, form.upn.data, form.language.data),
        lambda _none: saved(_("%(name)s saved.", name=pupil.full_name),
                            url_for("admin.pupils", school_id=school.id, class_id=pupil.class_id)))
    if done:
        return done
    return render_template("admin/pupil_form.html", school=school, form=form, pupil=pupil, confirm=ConfirmForm(),
                           pictures=auth_service.picture_password_of(pupil)), status


@bp.post("/admin/pupils/<int:pupil_id>/close")
@role_required(*ADMINS)
def close_pupil(pupil_id: int):
    pupil = admin_load(Pupil, pupil_id)
    back = url_for("admin.pupil_detail", pupil_id=pupil.id)
    return switch(lambda: pupil_accounts.deactivate_pupil(pupil),
                  _("%(name)s has left: they can no longer sign in. Their records are kept.", name=pupil.full_name),
                  back, back)


@bp.post("/admin/pupils/<int:pupil_id>/reopen")
@role_required(*ADMINS)
def reopen_pupil(pupil_id: int):
    pupil = admin_load(Pupil, pupil_id)
    back = url_for("admin.pupil_detail", pupil_id=pupil.id)
    return switch(lambda: pupil_accounts.reactivate_pupil(pupil),
                  _("%(name)s is back on roll and can sign in again.", name=pupil.full_name), back, back)


@bp.post("/admin/pupils/<int:pupil_id>/card")
@role_required(*ADMINS)
def pupil_card(pupil_id: int):
    """A new card for one pupil: new badge, and with 'new_password' a new typed password on it."""
    pupil = admin_load(Pupil, pupil_id)
    confirmed()
    if not pupil.active or pupil.school_class is None:
        abort(409)
    passwords = {}
    if request.form.get("new_password"):
        passwords[pupil.id] = credentials.reset_pupil_password(pupil)
    if request.form.get("new_pictures"):
        credentials.new_picture_password(pupil)
    return print_cards([pupil], pupil.school_class, url_for("admin.pupil_detail", pupil_id=pupil.id), passwords)
