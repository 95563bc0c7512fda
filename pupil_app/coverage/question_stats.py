"""Each pupil's answers per quiz question, counted as quizzes finish, for the class outcomes page.

``pupil_question_stats``: per pupil and question, how often it was answered, missed and answered
right; ``pupil_wrong_answers``: per pupil and question, how often each wrong answer was given. Both
are written in the same transaction as the attempt that finishes (the session hook of
``aggregates``), keyed by pupil, so a pupil moving class or leaving changes nothing here: the page
reads the rows of the class's active pupils now. The outcomes page then reads about a thousand
small rows for a class instead of decoding every answer of every quiz the class ever took.

Answers are judged against the content of the moment the quiz finished (content changes come with
a new module version, whose quizzes start again); ``rebuild`` recounts everything against the
content now (``flask coverage aggregates --rebuild``, the migration).
"""

from __future__ import annotations

import json
from collections import Counter

from sqlalchemy import ForeignKey, String, delete, func, select
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from ..learning.models import QuizAttempt
from .upsert import upsert_add


class PupilQuestionStats(db.Model):
    __tablename__ = "pupil_question_stats"
    pupil_id: Mapped[int] = mapped_column(ForeignKey("pupils.id", ondelete="CASCADE"), primary_key=True)
    module_id: Mapped[str] = mapped_column(String(60), primary_key=True)
    question_id: Mapped[str] = mapped_column(String(60), primary_key=True)
    asked: Mapped[int] = mapped_column(default=0, server_default="0")
    missed: Mapped[int] = mapped_column(default=0, server_default="0")
    right: Mapped[int] = mapped_column(default=0, server_default="0")


class PupilWrongAnswer(db.Model):
    __tablename__ = "pupil_wrong_answers"
    pupil_id: Mapped[int] = mapped_column(ForeignKey("pupils.id", ondelete="CASCADE"), primary_key=True)
    module_id: Mapped[str] = mapped_column(String(60), primary_key=True)
    question_id: Mapped[str] = mapped_column(String(60), primary_key=True)
    answer: Mapped[str] = mapped_column(String(400), primary_key=True)  # the choice ids given, as JSON
    times: Mapped[int] = mapped_column(default=0, server_default="0")


def tally(attempts, modules) -> tuple[Counter, Counter]:
    """({(pupil, module, question): [asked, missed, right]}, {(pupil, module, question, answer): times})
    for finished attempts given as (pupil_id, module_id, answers)."""
    stats: dict = {}
    wrong: Counter = Counter()
    for pupil_id, module_id, answers in attempts:
        module = modules.get(module_id)
        if module is None or not answers:
            continue
        for q in module.questions:
            given = answers.get(q.id)
            if not given:
                continue
            row = stats.setdefault((pupil_id, module_id, q.id), [0, 0, 0])
            row[0] += 1
            if given == list(q.correct_answer):
                row[2] += 1
            else:
                row[1] += 1
                wrong[(pupil_id, module_id, q.id, json.dumps(list(given))[:400])] += 1
    return stats, wrong


def add(connection, stats: dict, wrong: Counter) -> None:
    """Add the counts to the tables (insert, or add to the row already there)."""
    if stats:
        upsert_add(connection, PupilQuestionStats.__table__, ["pupil_id", "module_id", "question_id"],
                   [{"pupil_id": p, "module_id": m, "question_id": q, "asked": a, "missed": mi, "right": r}
                    for (p, m, q), (a, mi, r) in stats.items()], ["asked", "missed", "right"])
    if wrong:
        upsert_add(connection, PupilWrongAnswer.__table__, ["pupil_id", "module_id", "question_id", "answer"],
                   [{"pupil_id": p, "module_id": m, "question_id": q, "answer": a, "times": n}
                    for (p, m, q, a), n in wrong.items()], ["times"])


def record(connection, attempts: list[QuizAttempt], modules) -> None:
    add(connection, *tally(((a.pupil_id, a.module_id, a.answers) for a in attempts), modules))


def rebuild(connection, modules, batch: int = 4_000) -> int:
    """Count again from every finished attempt, against ``modules`` (the content now). Rows go in
    ``batch`` at a time (PostgreSQL takes at most 65,535 parameters a statement)."""
    connection.execute(delete(PupilWrongAnswer.__table__))
    connection.execute(delete(PupilQuestionStats.__table__))
    a = QuizAttempt.__table__.c
    result = connection.execute(select(a.pupil_id, a.module_id, a.answers).where(a.finished_at.is_not(None))
                                .execution_options(yield_per=batch))
    stats: dict = {}
    wrong: Counter = Counter()
    for rows in result.partitions(batch):
        s, w = tally(rows, modules)
        for key, (asked, missed, right) in s.items():
            row = stats.setdefault(key, [0, 0, 0])
            row[0] += asked
            row[1] += missed
            row[2] += right
        wrong.update(w)
    for start in range(0, len(stats), batch):
        keys = list(stats)[start:start + batch]
        add(connection, {k: stats[k] for k in keys}, Counter())
    keys = list(wrong)
    for start in range(0, len(keys), batch):
        add(connection, {}, Counter({k: wrong[k] for k in keys[start:start + batch]}))
    return len(stats)


def fresh_differences(connection, modules) -> int:
    """How many counts differ from a fresh count over the attempts (0 when the tables are right)."""
    a = QuizAttempt.__table__.c
    stats, wrong = tally(connection.execute(select(a.pupil_id, a.module_id, a.answers)
                                            .where(a.finished_at.is_not(None))), modules)
    s = PupilQuestionStats.__table__.c
    kept = {(p, m, q): [x, y, z] for p, m, q, x, y, z in connection.execute(
        select(s.pupil_id, s.module_id, s.question_id, s.asked, s.missed, s.right))}
    w = PupilWrongAnswer.__table__.c
    kept_wrong = {(p, m, q, ans): n for p, m, q, ans, n in connection.execute(
        select(w.pupil_id, w.module_id, w.question_id, w.answer, w.times))}
    return (sum(1 for k in kept.keys() | stats.keys() if kept.get(k) != stats.get(k))
            + sum(1 for k in kept_wrong.keys() | wrong.keys() if kept_wrong.get(k) != wrong.get(k)))


def for_class(class_id: int, module_ids: list[str]):
    """(per pupil and question [asked, missed, right], per question {answer: times}) over the
    class's active pupils now: two small queries."""
    from ..schools.models import Pupil

    s, w = PupilQuestionStats, PupilWrongAnswer
    in_class = (Pupil.class_id == class_id, Pupil.active.is_(True))
    stats = db.session.execute(
        select(s.pupil_id, s.module_id, s.question_id, s.asked, s.missed, s.right)
        .join(Pupil, Pupil.id == s.pupil_id).where(*in_class, s.module_id.in_(module_ids))).all()
    wrong: dict = {}
    for module_id, question_id, answer, times in db.session.execute(
            select(w.module_id, w.question_id, w.answer, func.sum(w.times))
            .join(Pupil, Pupil.id == w.pupil_id).where(*in_class, w.module_id.in_(module_ids))
            .group_by(w.module_id, w.question_id, w.answer)):
        wrong.setdefault((module_id, question_id), Counter())[tuple(json.loads(answer))] += int(times)
    return stats, wrong
