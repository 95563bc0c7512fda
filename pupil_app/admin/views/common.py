"""The ``admin`` blueprint and what its pages share: loading what this admin may run, confirming,
closing and reopening, printing sign-in cards.
"""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request
from flask_babel import gettext as _
from flask_login import current_user

from ...auth import credentials
from ...extensions import db
from ...forms import ConfirmForm
from ...schools.models import Role
from ...schools.service import may_administer
from ...timeutil import local_today
from .. import service

bp = Blueprint("admin", __name__, url_prefix="/staff", template_folder="../templates")

ADMINS = (Role.ADMIN, Role.TRUST_ADMIN)


def role_names() -> dict[str, str]:
    return {Role.TEACHER: _("Teacher"), Role.DSL: _("Designated safeguarding lead"), Role.ADMIN: _("School admin"),
            Role.TRUST_ADMIN: _("Trust admin"), Role.ONLINE_SAFETY_LEAD: _("Online safety lead"),
            Role.FILTERING_LEAD: _("Filtering lead (IT support)")}


def confirmed() -> None:
    if not ConfirmForm().validate():
        abort(400)


def admin_load(model, object_id: int):
    """A class, staff member or pupil of a school this admin runs, else 404 (never another school's)."""
    found = db.session.get(model, object_id)
    if found is None or not may_administer(current_user, found.school):
        abort(404)
    return found


def switch(apply, done: str, done_url: str, back_url: str):
    """Close or reopen something after the confirm form: say what happened, or why it could not."""
    confirmed()
    try:
        apply()
    except service.AdminError as exc:
        db.session.rollback()
        flash(str(exc.message), "error")
        return redirect(back_url, 303)
    db.session.commit()
    flash(done)
    return redirect(done_url)


def print_cards(pupils, school_class, back_url: str, passwords=None):
    """New sign-in cards (new badges; new passwords shown only here), committed, ready to print."""
    sheet = credentials.issue_cards(pupils, current_user, passwords)
    db.session.commit()
    return render_template("auth/cards.html", school_class=school_class, sheet=sheet, back_url=back_url)


def stamp() -> str:
    return local_today().isoformat()


def submitted(form, error_field, apply, done):
    """A posted admin form, validated and applied: (``done(result)``, 200); or (None, 400) with the
    reason next to ``error_field`` and nothing written; or (None, 200) when nothing was posted."""
    if request.method != "POST":
        return None, 200
    if not form.validate():
        return None, 400
    try:
        result = apply()
    except service.AdminError as exc:
        db.session.rollback()
        error_field.errors.append(str(exc.message))
        return None, 400
    return done(result), 200


def saved(message: str, url: str):
    """Commit, say what was done, and go on."""
    db.session.commit()
    flash(message)
    return redirect(url)
