"""Lifting a sign-in pause on a staff account (an admin or a DSL of the school)."""

from __future__ import annotations

from flask import abort, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from ...access import role_required
from ...extensions import db
from ...forms import ConfirmForm
from ...redirects import safe_path
from ...schools.models import Role, StaffUser
from ...schools.service import may_administer
from .. import throttle
from .common import bp


@bp.post("/staff/people/<int:staff_id>/let-sign-in")
@role_required(Role.ADMIN, Role.TRUST_ADMIN, Role.DSL)
def unlock_staff(staff_id: int):
    """Wrong tries for this account start counting again from nothing (after someone tried to guess it)."""
    staff = db.session.get(StaffUser, staff_id) if staff_id < 2**31 else None
    if staff is None or not (may_administer(current_user, staff.school) or (
            current_user.has_role(Role.DSL) and current_user.school_id == staff.school_id)):
        abort(404)
    if not ConfirmForm().validate():
        abort(400)
    throttle.lift(staff)
    db.session.commit()
    flash(_("%(name)s can sign in again from anywhere now.", name=staff.display_name), "info")
    return redirect(safe_path(request.form.get("next"), url_for("coverage.home")), 303)
