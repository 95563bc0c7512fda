"""Quiz figures kept up to date as quizzes finish, so the trust-scale pages never scan every attempt.

``pupil_term_quizzes`` holds, per pupil, module and term, how many quizzes the pupil finished and
how many of them were passes. It is written in the same transaction as the attempt that finishes
(a session hook sees every attempt whose ``finished_at`` is set, however it is written through
the ORM), so a page can never show a figure older than the answers: there is no cache to go
stale. Bulk loads that bypass the ORM (the benchmark's generator, a restore) call ``rebuild``;
``flask coverage aggregates --check`` compares the table with a fresh count from the attempts.

The report to governors reads a school's term from here (about 2,000 rows for 500 pupils instead of
every attempt the school ever made); the class outcomes page reads ``question_stats``, kept by the
same hook.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, Index, String, case, delete, event, func, inspect, literal_column, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from ..content import current_content
from ..extensions import db
from ..learning.models import QuizAttempt
from . import question_stats
from .service import PASS_PERCENT
from .upsert import upsert_add


class PupilTermQuizzes(db.Model):
    """Finished quizzes (and passes) of one pupil in one module in one term (keyed by its first day)."""

    __tablename__ = "pupil_term_quizzes"
    pupil_id: Mapped[int] = mapped_column(ForeignKey("pupils.id", ondelete="CASCADE"), primary_key=True)
    module_id: Mapped[str] = mapped_column(String(60), primary_key=True)
    term_start: Mapped[date] = mapped_column(Date, primary_key=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("schools.id", ondelete="CASCADE"))
    quizzes: Mapped[int] = mapped_column(default=0, server_default="0")
    passed: Mapped[int] = mapped_column(default=0, server_default="0")

    __table_args__ = (Index("ix_pupil_term_quizzes_school_term", "school_id", "term_start"),)


def term_start(day: date) -> date:
    """The first day of the term a day falls in: autumn September, spring January, summer April
    (the same whole-month terms as ``coverage.terms``)."""
    if day.month >= 9:
        return date(day.year, 9, 1)
    if day.month <= 3:
        return date(day.year, 1, 1)
    return date(day.year, 4, 1)


def _passed(score: int | None, total: int | None) -> bool:
    return score is not None and bool(total) and score * 100 >= total * PASS_PERCENT


def _just_finished(session: Session) -> list[QuizAttempt]:
    out = [obj for obj in session.new if isinstance(obj, QuizAttempt) and obj.finished_at is not None]
    for obj in session.dirty:
        if isinstance(obj, QuizAttempt) and obj.finished_at is not None:
            history = inspect(obj).attrs.finished_at.history
            if history.added and not any(history.deleted):
                out.append(obj)
    return out


def _add(connection, rows: dict, schools: dict) -> None:
    """Add {(pupil, module, term_start): (quizzes, passed)} to the table."""
    upsert_add(connection, PupilTermQuizzes.__table__, ["pupil_id", "module_id", "term_start"],
               [{"pupil_id": p, "module_id": m, "term_start": t, "school_id": schools[(p, m, t)],
                 "quizzes": q, "passed": n} for (p, m, t), (q, n) in rows.items()], ["quizzes", "passed"])


@event.listens_for(Session, "before_flush")
def _count_finished_quizzes(session: Session, _context, _instances) -> None:
    """Every attempt that finishes in this flush adds to its pupil's term figures, in the same transaction."""
    finished = _just_finished(session)
    if not finished:
        return
    rows: dict = {}
    schools: dict = {}
    for a in finished:
        key = (a.pupil_id, a.module_id, term_start(a.finished_at.date()))
        q, n = rows.get(key, (0, 0))
        rows[key] = (q + 1, n + int(_passed(a.score, a.total)))
        schools[key] = a.school_id
    connection = session.connection()
    _add(connection, rows, schools)
    question_stats.record(connection, finished, current_content().modules)


def _term_start_sql(connection, column):
    """``term_start`` in SQL, for rebuilding from the attempts in one statement."""
    if connection.dialect.name == "postgresql":
        month = func.extract("month", column)
        year = func.cast(func.extract("year", column), db.Integer)
        return func.make_date(year, case((month >= 9, 9), (month <= 3, 1), else_=4), 1)
    month = func.cast(func.strftime("%m", column), db.Integer)
    year = func.strftime("%Y", column)
    return year.op("||")(case((month >= 9, literal_column("'-09-01'")), (month <= 3, literal_column("'-01-01'")),
                              else_=literal_column("'-04-01'")))


def fresh_counts(connection):
    """The figures counted afresh from every finished attempt (rebuild and check use it)."""
    a = QuizAttempt.__table__.c
    term = _term_start_sql(connection, a.finished_at).label("term_start")
    passed = case(((a.total > 0) & (a.score * 100 >= a.total * PASS_PERCENT), 1), else_=0)
    return (select(a.pupil_id, a.module_id, term, func.min(a.school_id).label("school_id"),
                   func.count().label("quizzes"), func.sum(passed).label("passed"))
            .where(a.finished_at.is_not(None))
            .group_by(a.pupil_id, a.module_id, term))


def rebuild(connection, modules) -> int:
    """Count everything again from the attempts (after a bulk load), judging answers against
    ``modules`` (the content's modules by id). Returns the number of term rows."""
    question_stats.rebuild(connection, modules)
    table = PupilTermQuizzes.__table__
    connection.execute(delete(table))
    query = fresh_counts(connection)
    connection.execute(table.insert().from_select(
        ["pupil_id", "module_id", "term_start", "school_id", "quizzes", "passed"], query))
    return connection.execute(select(func.count()).select_from(table)).scalar_one()


def differences(connection, modules) -> int:
    """How many figures differ from a fresh count (0 when the tables are right)."""
    t = PupilTermQuizzes.__table__.c
    kept = {(p, m, str(d)): (q, n) for p, m, d, q, n in connection.execute(
        select(t.pupil_id, t.module_id, t.term_start, t.quizzes, t.passed))}
    fresh = {(p, m, str(d)): (q, int(n or 0)) for p, m, d, _s, q, n in connection.execute(fresh_counts(connection))}
    return (sum(1 for k in kept.keys() | fresh.keys() if kept.get(k) != fresh.get(k))
            + question_stats.fresh_differences(connection, modules))


# ---------------------------------------------------------------------------------------------
# What the report to governors reads

def term_figures(school_id: int, start: datetime | date, end: datetime | date):
    """Per (current class, module): quizzes finished in the term, passes among them, and pupils who
    had passed the module by the end of the term; and per class the pupils who did a quiz in the
    term. Two queries over this table, none over the attempts."""
    from ..schools.models import Pupil

    t = PupilTermQuizzes
    first = start.date() if isinstance(start, datetime) else start
    last = end.date() if isinstance(end, datetime) else end
    in_term = t.term_start == first
    rows = db.session.execute(
        select(Pupil.class_id, t.module_id,
               func.sum(case((in_term, t.quizzes), else_=0)), func.sum(case((in_term, t.passed), else_=0)),
               func.count(func.distinct(case((t.passed > 0, t.pupil_id)))))
        .join(Pupil, Pupil.id == t.pupil_id)
        .where(t.school_id == school_id, t.term_start < last)
        .group_by(Pupil.class_id, t.module_id))
    by_class_module = {(cid, mid): (int(q or 0), int(qp or 0), int(pp or 0)) for cid, mid, q, qp, pp in rows}
    active = dict(db.session.execute(
        select(Pupil.class_id, func.count(func.distinct(t.pupil_id)))
        .join(Pupil, Pupil.id == t.pupil_id)
        .where(t.school_id == school_id, in_term, t.quizzes > 0)
        .group_by(Pupil.class_id)).all())
    return by_class_module, active


def quizzes_for_class(class_id: int, module_ids: list[str]) -> int:
    """Quizzes finished in these modules by the class's active pupils now (one query)."""
    from ..schools.models import Pupil

    t = PupilTermQuizzes
    return int(db.session.scalar(
        select(func.coalesce(func.sum(t.quizzes), 0)).join(Pupil, Pupil.id == t.pupil_id)
        .where(Pupil.class_id == class_id, Pupil.active.is_(True), t.module_id.in_(module_ids))) or 0)
