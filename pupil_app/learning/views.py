"""Pupil pages: home, lesson screens, the quiz one question per screen, and the result."""

from __future__ import annotations

from flask import abort, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user

from ..access import pupil_required
from ..extensions import db
from ..forms import ConfirmForm
from ..rendering import render_shared
from ..timeutil import local_today
from . import assign_views, assignments, missed, service, teach_views  # noqa: F401  (teachers' routes; the missed-questions section)
from .blueprint import bp


def _module_or_404(module_id: str):
    module = service.module_for_pupil(current_user, module_id)
    if module is None:
        abort(404)
    return module


@bp.get("/")
@pupil_required
def home():
    """The pupil's modules: what their teacher has set first, then their year's by the four risks."""
    assigned = assignments.assigned_cards(current_user, local_today())
    set_ids = {card.module.id for card, _a in assigned}
    groups = [(cat, [c for c in cards if c.module.id not in set_ids])
              for cat, cards in service.home_cards(current_user)]
    return render_template("learning/home.html", assigned=assigned, form=ConfirmForm(),
                           groups=[(cat, cards) for cat, cards in groups if cards])


@bp.get("/<module_id>/")
@pupil_required
def module_start(module_id: str):
    """A module's first lesson screen."""
    return redirect(url_for("learning.screen", module_id=module_id, number=1))


@bp.get("/<module_id>/<int:number>")
@pupil_required
def screen(module_id: str, number: int):
    """One lesson screen: one idea, one picture, read-aloud."""
    module = _module_or_404(module_id)
    if not 1 <= number <= len(module.screens):
        abort(404)
    # The session remembers which modules are already marked started: most lesson pages write nothing.
    started = session.get("started", [])
    if module.id not in started:
        if service.mark_started(current_user, module):
            db.session.commit()
        session["started"] = started + [module.id]
    if number == len(module.screens):  # the last screen's form is built per request
        return render_template("learning/screen.html", module=module, number=number,
                               screen=module.screens[number - 1], form=ConfirmForm())
    return render_shared((module.id, module.version, number), "learning/screen.html", module=module,
                         number=number, screen=module.screens[number - 1], form=None)


@bp.post("/<module_id>/quiz")
@pupil_required
def start_quiz(module_id: str):
    """Open the quiz (or carry on with the one already open)."""
    module = _module_or_404(module_id)
    if not ConfirmForm().validate():
        abort(400)
    attempt = service.open_attempt(current_user, module)
    db.session.commit()
    return redirect(url_for("learning.question", module_id=module.id, attempt_id=attempt.id))


@bp.route("/<module_id>/quiz/<int:attempt_id>", methods=["GET", "POST"])
@pupil_required
def question(module_id: str, attempt_id: int):
    """The next question of an attempt, one per screen; a post answers it."""
    module = _module_or_404(module_id)
    attempt = service.load_attempt(current_user, module, attempt_id)
    if attempt is None:
        abort(404)
    form = ConfirmForm()
    answered, order_so_far, error, status = None, [], None, 200
    if request.method == "POST":
        if not form.validate():
            abort(400)
        answered, order_so_far, error, status = _answer(module, attempt)
        if answered is not None:
            return answered
    if attempt.is_finished:
        return redirect(url_for("learning.result", module_id=module.id, attempt_id=attempt.id))
    if attempt.content_version != module.version:
        return render_template("learning/quiz_changed.html", module=module, form=form), 409
    current = service.next_question(attempt, module)
    number = module.question_index(current.id) + 1
    steps = service.shuffled_steps(current, attempt.id) if current.is_order else []
    return render_template("learning/question.html", module=module, attempt=attempt, question=current,
                           number=number, form=form, error=error, steps=steps,
                           order_so_far=order_so_far), status


def _answer(module, attempt):
    """A tap on a question: (where to go once answered, order steps so far, what to tell the child, status)."""
    question_id = request.form.get("question", "")
    target = module.question(question_id)
    if target is not None and target.is_order and ("answer" not in request.form or request.form.get("clear")):
        # Put-in-order questions are tapped one step at a time, carried in the form (no script).
        return None, *_order_step(target)
    try:
        service.answer(current_user, module, attempt, question_id, request.form.getlist("answer"))
    except service.QuizError as exc:
        db.session.rollback()
        if exc.status == 409 and attempt.is_finished:
            return redirect(url_for("learning.result", module_id=module.id, attempt_id=attempt.id)), [], None, 200
        return None, [], exc.message, exc.status
    db.session.commit()
    endpoint = "learning.result" if attempt.is_finished else "learning.question"
    return redirect(url_for(endpoint, module_id=module.id, attempt_id=attempt.id)), [], None, 200


def _order_step(target) -> tuple[list[str], str | None, int]:
    so_far = request.form.get("so_far", "").split()
    valid = {c.id for c in target.choices}
    if request.form.get("clear"):
        return [], None, 200
    pick = request.form.get("pick", "")
    if pick not in valid or pick in so_far or any(s not in valid for s in so_far) or len(set(so_far)) != len(so_far):
        return [], _("Let's start this one again."), 400
    return so_far + [pick], None, 200


@bp.get("/<module_id>/result/<int:attempt_id>")
@pupil_required
def result(module_id: str, attempt_id: int):
    """The result: celebrates effort, shows what was right, explains what was missed."""
    module = _module_or_404(module_id)
    attempt = service.load_attempt(current_user, module, attempt_id)
    if attempt is None or not attempt.is_finished:
        abort(404)
    return render_template("learning/result.html", module=module, attempt=attempt,
                           reviews=service.review(attempt, module),
                           stars=service.stars_for(attempt.score, attempt.total), form=ConfirmForm())

