"""Per pupil, the questions they missed and what they answered: a section of the coverage pupil page.

Each module's latest finished quiz is read (one query); a question counts as missed when that
answer was not right. Registered once, when the learning blueprint's views are imported.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from ..content import Module, Question, current_content
from ..coverage.service import PupilSection, register_pupil_section
from ..extensions import db
from ..schools.models import Pupil
from .models import QuizAttempt


@dataclass(frozen=True)
class Missed:
    module: Module
    question: Question
    given: list[str]  # the words of the pupil's answer (one choice, or the steps in their order)
    right: list[str]  # the words of the right answer


def missed_questions(pupil: Pupil) -> list[Missed]:
    """The questions the pupil got wrong in the latest finished quiz of each module, by module."""
    modules = current_content().modules
    latest: dict[str, QuizAttempt] = {}
    for attempt in db.session.scalars(select(QuizAttempt).where(
            QuizAttempt.pupil_id == pupil.id, QuizAttempt.finished_at.is_not(None))
            .order_by(QuizAttempt.finished_at.desc(), QuizAttempt.id.desc())):
        latest.setdefault(attempt.module_id, attempt)
    out = []
    for module_id, attempt in sorted(latest.items(), key=lambda kv: (modules[kv[0]].year, kv[0])
                                     if kv[0] in modules else (99, kv[0])):
        module = modules.get(module_id)
        if module is None or attempt.content_version != module.version:
            continue  # the quiz has changed since: its old answers no longer match its questions
        for q in module.questions:
            given = tuple(attempt.answers.get(q.id, ()))
            if given and not q.is_correct(given):
                out.append(Missed(module, q, _words(q, given), _words(q, q.correct_answer)))
    return out


def _words(question: Question, answer: tuple[str, ...]) -> list[str]:
    return [c.text for c in (question.choice(a) for a in answer) if c is not None]


def register() -> None:
    register_pupil_section(PupilSection("missed_questions", "learning/_pupil_missed.html", missed_questions))


register()
