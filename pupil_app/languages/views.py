"""The Languages admin page: each catalogue's review state, and the languages a school's pupils see."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from ..access import role_required
from ..extensions import db
from ..forms import ConfirmForm
from ..schools.models import Role
from ..schools.service import load_school_for_admin_or_404
from . import service
from .catalogue import DRAFTED, LANGUAGES, SOURCE

bp = Blueprint("languages", __name__, url_prefix="/staff/admin/schools/<int:school_id>/languages",
               template_folder="templates")

ADMINS = (Role.ADMIN, Role.TRUST_ADMIN)


def _school_for_post(school_id: int):
    """The school, for a form post that carries a valid CSRF token and no JSON body."""
    school = load_school_for_admin_or_404(current_user, school_id)
    if request.is_json or not ConfirmForm().validate():
        abort(400)
    return school


@bp.get("/")
@role_required(*ADMINS)
def page(school_id: int):
    """Each language: offered to pupils or not, and whether a fluent speaker here has reviewed it."""
    school = load_school_for_admin_or_404(current_user, school_id)
    return render_template("languages/page.html", school=school, states=service.states(school.id),
                           form=ConfirmForm(), drafted=DRAFTED, source=SOURCE)


@bp.post("/")
@role_required(*ADMINS)
def choose(school_id: int):
    """Save which languages the pupil language switcher offers (English always)."""
    school = _school_for_post(school_id)
    codes = set(request.form.getlist("offered"))
    if len(codes) > len(LANGUAGES) or codes - set(LANGUAGES):
        abort(400)
    chosen = service.set_offered(school.id, codes)
    db.session.commit()
    flash(_("Pupils now see: %(languages)s.", languages=", ".join(LANGUAGES[c].english for c in chosen)))
    return redirect(url_for("languages.page", school_id=school.id))


@bp.post("/<code>/review")
@role_required(*ADMINS)
def review(school_id: int, code: str):
    """Mark a catalogue reviewed by a fluent speaker, or (undo) drafted again."""
    school = _school_for_post(school_id)
    if code not in LANGUAGES or LANGUAGES[code].source:
        abort(404)
    name = LANGUAGES[code].english
    if request.form.get("reviewed") == "1":
        service.mark_reviewed(school.id, code, current_user.display_name)
        message = _("%(language)s is marked reviewed by a fluent speaker.", language=name)
    else:
        service.unmark_reviewed(school.id, code)
        message = _("%(language)s is marked drafted again.", language=name)
    db.session.commit()
    flash(message)
    return redirect(url_for("languages.page", school_id=school.id))
