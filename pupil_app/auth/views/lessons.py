"""Opening and closing a class for picture sign-in (from the teacher's class page or the poster)."""

from __future__ import annotations

from flask import abort, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from ...access import staff_required
from ...extensions import db
from ...forms import ConfirmForm
from ...redirects import safe_path
from ...schools.service import load_class_or_404
from .. import lessons
from .common import bp


def _back(class_id: int) -> str:
    return safe_path(request.form.get("next"), url_for("coverage.class_detail", class_id=class_id))


@bp.post("/staff/classes/<int:class_id>/open")
@staff_required
def open_class(class_id: int):
    """Open the class page for picture sign-in for this lesson (a few hours, never past the school day)."""
    school_class = load_class_or_404(current_user, class_id)
    if not ConfirmForm().validate():
        abort(400)
    until = lessons.open_for_lesson(school_class)
    db.session.commit()
    if until is None:
        flash(_("The school day is over: the class page stays closed until tomorrow."), "info")
    else:
        flash(_("%(name)s is open for picture sign-in until %(time)s.", name=school_class.name,
                time=lessons.clock(until)), "info")
    return redirect(_back(class_id), 303)


@bp.post("/staff/classes/<int:class_id>/close")
@staff_required
def close_class(class_id: int):
    school_class = load_class_or_404(current_user, class_id)
    if not ConfirmForm().validate():
        abort(400)
    lessons.close(school_class)
    db.session.commit()
    flash(_("%(name)s is closed for picture sign-in.", name=school_class.name), "info")
    return redirect(_back(class_id), 303)
