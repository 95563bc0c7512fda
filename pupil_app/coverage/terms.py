"""Terms as a school calendar has them, and the report to governors for one term.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import func, select

from ..content import current_content as content
from ..extensions import db
from ..learning.models import QuizAttempt
from ..schools.history import Rollover, RolloverClass
from ..schools.models import Pupil, School, SchoolClass, year_name
from ..timeutil import utcnow
from . import aggregates
from .overviews import Tally
from .service import grouped_modules, percent

# ---------------------------------------------------------------------------------------------
# Terms and the report to governors

@dataclass(frozen=True)
class Term:
    id: str
    season: str  # autumn | spring | summer
    start: date
    end: date  # exclusive
    academic_year: int  # calendar year the academic year starts in

    @property
    def year_label(self) -> str:
        return f"{self.academic_year}/{str(self.academic_year + 1)[-2:]}"


# Terms as a school calendar has them, simplified to whole months: autumn September-December,
# spring January-March, summer April-August (so a summer-holiday quiz counts in summer).
SEASONS = ("autumn", "spring", "summer")


def term_for(day: date) -> Term:
    if day.month >= 9:
        return Term(f"{day.year}-autumn", "autumn", date(day.year, 9, 1), date(day.year + 1, 1, 1), day.year)
    if day.month <= 3:
        return Term(f"{day.year}-spring", "spring", date(day.year, 1, 1), date(day.year, 4, 1), day.year - 1)
    return Term(f"{day.year}-summer", "summer", date(day.year, 4, 1), date(day.year, 9, 1), day.year - 1)


def parse_term(term_id: str) -> Term | None:
    """'2026-spring' -> that term; anything else -> None."""
    if not isinstance(term_id, str) or len(term_id) > 20 or "-" not in term_id:
        return None
    year, _, season = term_id.partition("-")
    if not year.isdecimal() or len(year) != 4 or season not in SEASONS:
        return None
    y = int(year)
    if not 2000 <= y <= 2100:
        return None
    start = {"autumn": date(y, 9, 1), "spring": date(y, 1, 1), "summer": date(y, 4, 1)}[season]
    return term_for(start)


def previous_term(term: Term) -> Term:
    return term_for(term.start - timedelta(days=1))


def last_terms(n: int) -> list[Term]:
    """The current term and the ``n - 1`` before it, newest first (no query)."""
    out = [term_for(utcnow().date())]
    while len(out) < n:
        out.append(previous_term(out[-1]))
    return out


def recent_terms(school: School, limit: int = 9) -> list[Term]:
    """The current term and earlier ones back to the school's first quiz (at most ``limit``)."""
    first = db.session.scalar(select(func.min(QuizAttempt.finished_at)).where(QuizAttempt.school_id == school.id))
    term = term_for(utcnow().date())
    out = [term]
    stop = (first or school.created_at or utcnow()).date()
    while len(out) < limit and out[-1].start > stop:
        out.append(previous_term(out[-1]))
    return out


@dataclass
class ReportYear:
    year_group: int
    pupils: int
    active: int  # pupils who finished at least one quiz in the term
    quizzes: int
    quizzes_passed: int
    cells: dict[str, Tally]

    @property
    def label(self) -> str:
        return year_name(self.year_group)

    @property
    def active_percent(self) -> int | None:
        return percent(self.active, self.pupils)

    @property
    def pass_percent(self) -> int | None:
        return percent(self.quizzes_passed, self.quizzes)


@dataclass
class TermReport:
    school: School
    term: Term
    years: list[ReportYear]
    quizzes: int
    pupils: int
    active: int
    category_modules: dict[str, int]

    @property
    def quiet_years(self) -> list[ReportYear]:
        """Year groups with pupils but no quiz finished this term."""
        return [y for y in self.years if y.pupils and not y.quizzes]


def _year_then(classes: list[SchoolClass], moves_after: dict[int, int]) -> dict[int, int]:
    """Each class's year group at a past moment: now minus the rollovers since that moved it up."""
    out = {}
    for c in classes:
        y = c.year_group - moves_after.get(c.id, 0)
        if 0 <= y <= 6:
            out[c.id] = y
    return out


def term_report(school: School, term: Term) -> TermReport:
    """The report to governors for one term: numbers only, never a child's name.

    Per year group (as it was that term): pupils, pupils who did a quiz, quizzes finished and the
    share passed, and per risk category the share of pupils who had passed that category's modules
    by the end of the term. Pupils count in their current class; a class that has moved up since
    counts in the year group it was then. Five queries, the quiz figures from ``aggregates``.
    """
    start = datetime.combine(term.start, datetime.min.time())
    end = datetime.combine(term.end, datetime.min.time())
    classes = list(db.session.scalars(
        select(SchoolClass).where(SchoolClass.school_id == school.id, SchoolClass.created_at < end)))
    moves = dict(db.session.execute(
        select(RolloverClass.class_id, func.count()).join(Rollover, Rollover.id == RolloverClass.rollover_id)
        .where(Rollover.school_id == school.id, Rollover.performed_at >= end, RolloverClass.to_year.is_not(None))
        .group_by(RolloverClass.class_id)).all())
    year_of = _year_then(classes, moves)
    inactive_classes = {c.id for c in classes if not c.active}
    pupils_by_class: Counter = Counter()
    for class_id, active, n in db.session.execute(
            select(Pupil.class_id, Pupil.active, func.count()).where(
                Pupil.school_id == school.id, Pupil.created_at < end, Pupil.class_id.is_not(None))
            .group_by(Pupil.class_id, Pupil.active)):
        # On roll then: pupils still here, and a leavers' class's pupils (they left with it).
        if active or class_id in inactive_classes:
            pupils_by_class[class_id] += n
    # Quiz figures from the table kept as quizzes finish (aggregates), never a scan of every attempt.
    by_class_module, active_by_class = aggregates.term_figures(school.id, start, end)
    per_class: dict[int, list[tuple[str, int, int, int]]] = defaultdict(list)
    for (cid, mid), (q, qp, pp) in by_class_module.items():
        per_class[cid].append((mid, q, qp, pp))
    years: dict[int, ReportYear] = {}
    category_modules: Counter = Counter()
    mods = content().modules
    for class_id, y in year_of.items():
        n = pupils_by_class.get(class_id, 0)
        row = years.setdefault(y, ReportYear(y, 0, 0, 0, 0, {}))
        row.pupils += n
        row.active += active_by_class.get(class_id, 0)
        passed_pupils = {mid: pp for mid, _q, _qp, pp in per_class[class_id]}
        for category, modules in grouped_modules(y):
            t = row.cells.setdefault(category, Tally())
            t.pupils += n
            t.possible += n * len(modules)
            t.passed += sum(min(passed_pupils.get(m.id, 0), n) for m in modules)
        for mid, q, qp, _pp in per_class[class_id]:
            row.quizzes += q
            row.quizzes_passed += qp
            if q and mid in mods:
                category_modules[mods[mid].category] += q
    ordered = [years[y] for y in sorted(years) if years[y].pupils]
    return TermReport(school, term, ordered, sum(y.quizzes for y in ordered), sum(y.pupils for y in ordered),
                      sum(y.active for y in ordered), dict(category_modules))
