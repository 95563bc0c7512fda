"""Teacher pages of the learning blueprint: the curriculum, preview as a pupil, teach mode.

Any staff member may open any module of any band, in any language (the language buttons on the
page), and nothing they do is recorded: these views never write to the database.
"""

from __future__ import annotations

from flask import abort, render_template

from ..access import staff_required
from . import teaching
from .blueprint import bp


def _module(module_id: str):
    module = teaching.any_module(module_id)
    if module is None:
        abort(404)
    return module


@bp.get("/lessons")
@staff_required
def lessons():
    """Every year's modules by risk, with preview and teach mode for each."""
    return render_template("learning/lessons.html", rows=teaching.curriculum_rows())


@bp.get("/lessons/<module_id>")
@staff_required
def lesson_plan(module_id: str):
    """One module for the teacher: what it builds on, its outcomes as evidence, its screens and questions."""
    module = _module(module_id)
    return render_template("learning/lesson_plan.html", module=module, evidence=teaching.evidence(module),
                           foundation=teaching.any_module(module.foundation) if module.foundation else None)


@bp.get("/preview/<module_id>/<int:number>")
@staff_required
def preview_screen(module_id: str, number: int):
    """A lesson screen exactly as a pupil sees it, with a preview bar; nothing is recorded."""
    module = _module(module_id)
    if not 1 <= number <= len(module.screens):
        abort(404)
    return render_template("learning/preview_screen.html", module=module, number=number,
                           screen=module.screens[number - 1], form=None)


@bp.get("/preview/<module_id>/question/<int:number>")
@staff_required
def preview_question(module_id: str, number: int):
    """A quiz question as a pupil sees it, with the answer to reveal; nothing is recorded."""
    module = _module(module_id)
    if not 1 <= number <= len(module.questions):
        abort(404)
    return render_template("learning/preview_question.html", module=module, number=number,
                           question=module.questions[number - 1], error=None)


@bp.get("/teach/<module_id>")
@staff_required
def teach(module_id: str):
    """Teach mode for the class whiteboard: one slide at a time, full screen, keyboard and clicker."""
    module = _module(module_id)
    return render_template("learning/teach.html", module=module, slides=teaching.deck(module),
                           evidence=teaching.evidence(module))
