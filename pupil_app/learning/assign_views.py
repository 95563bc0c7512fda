"""Teacher pages of the learning blueprint: set modules for a class, with optional dates."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from ..access import staff_required
from ..extensions import db
from ..forms import ConfirmForm
from ..schools.models import year_name
from ..schools.service import load_class_or_404
from ..timeutil import local_today
from . import assignments
from .blueprint import bp
from .forms import AssignForm


def _form(school_class) -> AssignForm:
    form = AssignForm()
    form.module.choices = [(m.id, f"{year_name(m.year)} · {_(m.title)}")
                           for m in assignments.assignable_modules(school_class)]
    return form


def _page(school_class, form: AssignForm, status: int = 200):
    return render_template("learning/assignments.html", school_class=school_class, form=form, confirm=ConfirmForm(),
                           rows=assignments.class_assignments(school_class)), status


@bp.get("/classes/<int:class_id>/assignments")
@staff_required
def class_assignments(class_id: int):
    """What the class has been set, how many pupils have done each, and a form to set more."""
    school_class = load_class_or_404(current_user, class_id)
    return _page(school_class, _form(school_class))


@bp.post("/classes/<int:class_id>/assignments")
@staff_required
def assign(class_id: int):
    """Set a module for the class (again: change its dates)."""
    school_class = load_class_or_404(current_user, class_id)
    if request.is_json:
        abort(400)
    form = _form(school_class)
    if not form.validate():
        return _page(school_class, form, 400)
    try:
        assignments.assign(school_class, form.module.data, current_user, local_today(),
                           starts_on=form.starts_on.data, due_on=form.due_on.data)
    except assignments.AssignmentError as exc:
        db.session.rollback()
        form.due_on.errors = [str(exc)]
        return _page(school_class, form, 400)
    db.session.commit()
    flash(_("Set for %(name)s.", name=school_class.name), "info")
    return redirect(url_for("learning.class_assignments", class_id=class_id))


@bp.post("/classes/<int:class_id>/assignments/<module_id>/remove")
@staff_required
def unassign(class_id: int, module_id: str):
    """Take a module off the class's list; pupils' work on it stays."""
    school_class = load_class_or_404(current_user, class_id)
    if request.is_json or not ConfirmForm().validate():
        abort(400)
    if not assignments.unassign(school_class, module_id):
        abort(404)
    db.session.commit()
    flash(_("No longer set for %(name)s. Pupils' work on it is kept.", name=school_class.name), "info")
    return redirect(url_for("learning.class_assignments", class_id=class_id))
