"""The learning journey as plain functions: progress, lessons, quiz attempts and scoring."""

from __future__ import annotations

from dataclasses import dataclass

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from ..content import CATEGORIES, Module, Question, current_content as content
from ..extensions import db
from ..schools.models import Pupil
from ..timeutil import utcnow
from .models import ModuleProgress, QuizAttempt

NOT_STARTED, STARTED, DONE = "not_started", "started", "done"
MAX_CHOICE_ID = 40


class QuizError(Exception):
    """An answer that cannot be taken; ``status`` is the HTTP status the view returns."""

    def __init__(self, status: int, message):
        super().__init__(message)
        self.status = status
        self.message = message


@dataclass(frozen=True)
class ModuleCard:
    module: Module
    status: str
    stars: int


@dataclass(frozen=True)
class AnswerReview:
    question: Question
    given: tuple[str, ...]
    correct: bool



def stars_for(score: int | None, total: int | None) -> int:
    """Stars celebrate finishing: 1 for finishing, 2 for most right, 3 for all right."""
    if score is None or not total:
        return 0
    if score == total:
        return 3
    if score * 10 >= total * 6:
        return 2
    return 1


def module_for_pupil(pupil: Pupil, module_id: str) -> Module | None:
    """A module the pupil may open: one of their own band's."""
    module = content().modules.get(module_id)
    if module is None or pupil.band is None or module.band != pupil.band:
        return None
    return module


def home_cards(pupil: Pupil) -> list[tuple[str, list[ModuleCard]]]:
    """The modules of the pupil's year grouped by risk category, each with status and stars (one query)."""
    if pupil.band is None:
        return []
    progress = {
        p.module_id: p
        for p in db.session.scalars(select(ModuleProgress).where(ModuleProgress.pupil_id == pupil.id))
    }
    groups: dict[str, list[ModuleCard]] = {c: [] for c in CATEGORIES}
    for module in content().modules_for_year(pupil.school_class.year_group):
        p = progress.get(module.id)
        if p is None:
            status = NOT_STARTED
        elif p.completed_at is not None:
            status = DONE
        else:
            status = STARTED
        groups[module.category].append(ModuleCard(module, status, stars_for(p.best_score, p.best_total) if p else 0))
    return [(cat, cards) for cat, cards in groups.items() if cards]


def _progress(pupil: Pupil, module: Module) -> ModuleProgress:
    row = db.session.get(ModuleProgress, (pupil.id, module.id))
    if row is None:
        row = ModuleProgress(pupil_id=pupil.id, module_id=module.id, school_id=pupil.school_id, attempts=0)
        db.session.add(row)
    return row


def mark_started(pupil: Pupil, module: Module) -> bool:
    """Opening a lesson starts the module (shown as 'started' until a quiz is finished).

    Returns True when this was the first time, i.e. something was written.
    """
    if db.session.get(ModuleProgress, (pupil.id, module.id)) is None:
        _progress(pupil, module)
        db.session.flush()
        return True
    return False


def open_attempt(pupil: Pupil, module: Module) -> QuizAttempt:
    """The pupil's unfinished attempt at this module's current quiz, or a new one.

    Reusing the open attempt means a double tap on "Start the quiz" makes one attempt, not two.
    """
    attempt = db.session.scalar(
        select(QuizAttempt)
        .where(QuizAttempt.pupil_id == pupil.id, QuizAttempt.module_id == module.id,
               QuizAttempt.finished_at.is_(None), QuizAttempt.content_version == module.version)
        .order_by(QuizAttempt.id.desc())
    )
    if attempt is None:
        attempt = QuizAttempt(pupil_id=pupil.id, school_id=pupil.school_id, class_id=pupil.class_id,
                              year_group=pupil.year_group,
                              module_id=module.id, content_version=module.version, answers={},
                              total=len(module.questions))
        db.session.add(attempt)
        _progress(pupil, module)
        db.session.flush()
    return attempt


def load_attempt(pupil: Pupil, module: Module, attempt_id: int) -> QuizAttempt | None:
    """An attempt of this pupil at this module; anyone else's is simply not found."""
    attempt = db.session.get(QuizAttempt, attempt_id)
    if attempt is None or attempt.pupil_id != pupil.id or attempt.module_id != module.id:
        return None
    return attempt


def next_question(attempt: QuizAttempt, module: Module) -> Question | None:
    """The first question not yet answered, or None when all are."""
    for q in module.questions:
        if q.id not in attempt.answers:
            return q
    return None


def parse_answer(question: Question, raw: list[str]) -> tuple[str, ...]:
    """Turn posted values into an answer for ``question`` or raise QuizError(400)."""
    values = tuple(v.strip() for v in raw if v is not None)
    if not values or any(not v or len(v) > MAX_CHOICE_ID for v in values):
        raise QuizError(400, _l("Choose an answer."))
    if not question.is_valid_answer(values):
        raise QuizError(400, _l("That answer is not one of the choices."))
    return values


def answer(pupil: Pupil, module: Module, attempt: QuizAttempt, question_id: str, raw: list[str]) -> QuizAttempt:
    """Record one answer. Finishes the attempt (score, progress) after the last question.

    Refuses, with nothing written: a finished attempt (a replay), a quiz that has changed since the
    attempt began, a question of another module, a question out of turn, or an option that does
    not exist.
    """
    if attempt.is_finished:
        raise QuizError(409, _l("This quiz is already finished."))
    if attempt.content_version != module.version:
        raise QuizError(409, _l("This quiz has changed. Please start it again."))
    question = module.question(question_id)
    if question is None:
        raise QuizError(400, _l("That question is not in this quiz."))
    if question_id in attempt.answers:
        raise QuizError(409, _l("That question is already answered."))
    expected = next_question(attempt, module)
    if expected is None or expected.id != question_id:
        raise QuizError(400, _l("Please answer the questions in order."))
    given = parse_answer(question, raw)

    answers = dict(attempt.answers)
    answers[question_id] = list(given)
    attempt.answers = answers  # a new dict, so the JSON column is seen as changed
    if len(answers) == len(module.questions):
        _finish(pupil, module, attempt)
    db.session.flush()
    return attempt


def _finish(pupil: Pupil, module: Module, attempt: QuizAttempt) -> None:
    now = utcnow()
    attempt.score = sum(1 for q in module.questions if q.is_correct(tuple(attempt.answers.get(q.id, ()))))
    attempt.total = len(module.questions)
    attempt.finished_at = now
    progress = _progress(pupil, module)
    progress.attempts = (progress.attempts or 0) + 1
    progress.completed_at = progress.completed_at or now
    progress.last_activity_at = now
    if progress.best_score is None or attempt.score * (progress.best_total or 1) > progress.best_score * attempt.total:
        progress.best_score, progress.best_total = attempt.score, attempt.total


def review(attempt: QuizAttempt, module: Module) -> list[AnswerReview]:
    """Each question with what the pupil chose and whether it was right, for the result screen."""
    out = []
    for q in module.questions:
        given = tuple(attempt.answers.get(q.id, ()))
        out.append(AnswerReview(q, given, q.is_correct(given)))
    return out


def shuffled_steps(question: Question, attempt_id: int) -> list:
    """Order-question steps in a mixed-up order that is stable for one attempt (never the answer)."""
    steps = list(question.choices)
    if len(steps) < 2:
        return steps
    rotation = 1 + (attempt_id + sum(map(ord, question.id))) % (len(steps) - 1)
    mixed = steps[rotation:] + steps[:rotation]
    if attempt_id % 2:
        mixed.reverse()
    if mixed == steps:
        mixed = steps[1:] + steps[:1]
    return mixed
