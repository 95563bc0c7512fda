"""Tasks and reviews on a concern, and the DSL's safeguarding home with its counts."""

from __future__ import annotations

from flask import abort, g, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user

from ...access import role_required
from ...auth.stepup import DONE_AT
from ...concerns import handling as concerns
from ...extensions import db
from ...forms import ConfirmForm
from ...redirects import safe_path
from ...schools.models import Role
from ...timeutil import local_today
from .. import tasks
from ..forms import KIND_LABELS, TaskForm
from .common import bp


@bp.app_template_global()
def dsl_counts():
    """Unread concerns and the DSL's overdue and due-today tasks (the staff bar), once per request."""
    if not (current_user.is_authenticated and current_user.is_staff and current_user.has_role(Role.DSL)):
        return None
    if DONE_AT not in session:  # nothing, not even numbers, before the second factor
        return None
    if "dsl_counts" not in g:
        g.dsl_counts = tasks.counts(current_user)
    return g.dsl_counts


@bp.app_template_global()
def tasks_of(concern_id: int) -> list:
    return tasks.of_concern(concern_id)


@bp.app_template_global()
def task_owners(school_id: int) -> list:
    return tasks.school_dsls(school_id)


bp.add_app_template_global(KIND_LABELS, "task_kind_labels")


@bp.get("/staff/safeguarding")
@role_required(Role.DSL)
def home():
    """The DSL's home: what is unread, overdue and due today, and their own open tasks and reviews."""
    return render_template("records/home.html", counts=tasks.counts(current_user),
                           open_tasks=tasks.open_tasks(current_user), confirm=ConfirmForm(), today=local_today())


@bp.post("/staff/concerns/<int:concern_id>/tasks")
@role_required(Role.DSL)
def add_task(concern_id: int):
    """A task or review date with an owner; a problem shows why and saves nothing."""
    concern = concerns.load_for_dsl(current_user, concern_id)
    form = TaskForm()
    form.owner.choices = [(s.id, s.display_name) for s in tasks.school_dsls(concern.school_id)]
    try:
        if not form.validate():
            raise tasks.TaskError(next(iter(form.errors.values()))[0])
        tasks.add(current_user, concern, form.kind.data, form.text.data, form.owner.data, form.due_on.data)
    except tasks.TaskError as exc:
        db.session.rollback()
        return render_template("records/not_saved.html", message=str(exc.args[0]), concern_id=concern_id,
                               title=_("The task was not saved")), 400
    db.session.commit()
    return redirect(url_for("concerns.detail", concern_id=concern_id, _anchor="tasks"), 303)


@bp.post("/staff/tasks/<int:task_id>/done")
@role_required(Role.DSL)
def task_done(task_id: int):
    if not ConfirmForm().validate():
        abort(400)
    task = tasks.complete(current_user, task_id)
    if task is None:
        abort(404)
    db.session.commit()
    back = url_for("concerns.detail", concern_id=task.concern_id, _anchor="tasks")
    return redirect(safe_path(request.form.get("next"), back), 303)
