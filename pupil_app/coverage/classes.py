"""One class and one pupil: the coverage grid, outcomes shown and difficult questions, a pupil's report.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import func, select

from ..content import CATEGORIES, Module, Question, current_content as content
from ..extensions import db
from ..learning.models import ModuleProgress, QuizAttempt
from ..schools.models import Pupil, SchoolClass
from . import aggregates, question_stats
from .service import (
    HELP_RETRIES,
    NOT_STARTED,
    PASS_PERCENT,
    PASSED,
    PUPIL_COLUMNS,
    PUPIL_SECTIONS,
    STARTED,
    PupilColumn,
    PupilSection,
    extra_values,
    grouped_modules,
    is_pass,
    percent,
)


def modules_done(pupil_ids: list[int]) -> dict[int, int]:
    """How many modules each pupil has finished (the class page): one query."""
    if not pupil_ids:
        return {}
    rows = db.session.execute(
        select(ModuleProgress.pupil_id, func.count()).where(
            ModuleProgress.pupil_id.in_(pupil_ids), ModuleProgress.completed_at.is_not(None))
        .group_by(ModuleProgress.pupil_id))
    return dict(rows.all())


# ---------------------------------------------------------------------------------------------
# Class grid

@dataclass(frozen=True)
class Cell:
    status: str
    best_score: int | None = None
    best_total: int | None = None
    attempts: int = 0

    @property
    def score_text(self) -> str:
        return f"{self.best_score}/{self.best_total}" if self.best_score is not None and self.best_total else ""


EMPTY = Cell(NOT_STARTED)


def cell_for(row: ModuleProgress | None) -> Cell:
    if row is None:
        return EMPTY
    return make_cell(row.best_score, row.best_total, row.attempts)


def make_cell(best_score: int | None, best_total: int | None, attempts: int | None) -> Cell:
    status = PASSED if is_pass(best_score, best_total) else STARTED
    return Cell(status, best_score, best_total, attempts or 0)


@dataclass(frozen=True)
class PupilName:
    """What the class pages show of a pupil (read as plain columns: cheaper than whole records)."""

    id: int
    first_name: str
    last_name: str
    username: str

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}"


@dataclass(frozen=True)
class HelpReason:
    module: Module
    kind: str  # "low" (finished below the pass line) | "retries" (many tries, not passed)
    cell: Cell


@dataclass
class GridRow:
    pupil: PupilName
    cells: list[Cell]
    extras: dict[str, str] = field(default_factory=dict)
    help: list[HelpReason] = field(default_factory=list)

    @property
    def passed(self) -> int:
        return sum(1 for c in self.cells if c.status == PASSED)


@dataclass(frozen=True)
class CategoryShare:
    category: str
    passed: int
    possible: int

    @property
    def percent(self) -> int | None:
        return percent(self.passed, self.possible)


@dataclass
class ClassGrid:
    school_class: SchoolClass
    groups: list[tuple[str, list[Module]]]
    modules: list[Module]
    rows: list[GridRow]
    shares: list[CategoryShare]
    columns: list[PupilColumn]

    @property
    def needs_help(self) -> list[GridRow]:
        """Pupils with a low score or many tries, most reasons first."""
        flagged = [r for r in self.rows if r.help]
        return sorted(flagged, key=lambda r: (-len(r.help), r.pupil.first_name, r.pupil.last_name))


def class_pupils(school_class: SchoolClass) -> list[PupilName]:
    """The class's pupils on roll, by name (one query)."""
    return [PupilName(*row) for row in db.session.execute(
        select(Pupil.id, Pupil.first_name, Pupil.last_name, Pupil.username)
        .where(Pupil.class_id == school_class.id, Pupil.active.is_(True))
        .order_by(Pupil.first_name, Pupil.last_name, Pupil.id))]


def help_reasons(modules: list[Module], cells: list[Cell]) -> list[HelpReason]:
    out = []
    for module, cell in zip(modules, cells):
        if cell.status == PASSED or cell.status == NOT_STARTED:
            continue
        if cell.attempts >= HELP_RETRIES:
            out.append(HelpReason(module, "retries", cell))
        elif cell.best_score is not None:
            out.append(HelpReason(module, "low", cell))
    return out


def class_grid(school_class: SchoolClass) -> ClassGrid:
    """Pupils down, the band's modules across, with category shares and who needs help: two queries."""
    groups = grouped_modules(school_class.year_group)
    modules = [m for _, ms in groups for m in ms]
    pupils = class_pupils(school_class)
    progress: dict[tuple[int, str], Cell] = {}
    if pupils and modules:
        rows = db.session.execute(
            select(ModuleProgress.pupil_id, ModuleProgress.module_id, ModuleProgress.best_score,
                   ModuleProgress.best_total, ModuleProgress.attempts)
            .join(Pupil, Pupil.id == ModuleProgress.pupil_id)
            .where(Pupil.class_id == school_class.id, Pupil.active.is_(True),
                   ModuleProgress.module_id.in_([m.id for m in modules])))
        progress = {(pid, mid): make_cell(best, total, tries) for pid, mid, best, total, tries in rows}
    extras = extra_values([p.id for p in pupils])
    grid_rows = []
    for pupil in pupils:
        cells = [progress.get((pupil.id, m.id), EMPTY) for m in modules]
        grid_rows.append(GridRow(pupil, cells, {k: v.get(pupil.id, "") for k, v in extras.items()},
                                 help_reasons(modules, cells)))
    shares = []
    for category, ms in groups:
        idx = [modules.index(m) for m in ms]
        passed = sum(1 for r in grid_rows for i in idx if r.cells[i].status == PASSED)
        shares.append(CategoryShare(category, passed, len(grid_rows) * len(idx)))
    return ClassGrid(school_class, groups, modules, grid_rows, shares, list(PUPIL_COLUMNS))


# ---------------------------------------------------------------------------------------------
# Outcomes shown and difficult questions (from the quiz answers of the class's pupils)

@dataclass
class QuestionStats:
    module: Module
    question: Question
    asked: int = 0
    missed: int = 0
    wrong: Counter = field(default_factory=Counter)

    @property
    def miss_percent(self) -> int | None:
        return percent(self.missed, self.asked)

    @property
    def top_wrong(self) -> tuple[tuple[str, ...], int] | None:
        if not self.wrong:
            return None
        # Most chosen; ties go to the answer that comes first in the question (stable, not random).
        order = {c.id: i for i, c in enumerate(self.question.choices)}
        answer, count = min(self.wrong.items(), key=lambda kv: (-kv[1], [order.get(x, 99) for x in kv[0]]))
        return answer, count

    def answer_text(self, answer: tuple[str, ...]) -> list[str]:
        """The words of a given answer: one choice, or the steps in the order the pupil put them."""
        return [c.text for c in (self.question.choice(a) for a in answer) if c is not None]


@dataclass
class OutcomeStats:
    outcome: Any
    questions: list[tuple[Module, Question]]
    shown: list[PupilName]
    not_shown: list[PupilName]

    @property
    def percent(self) -> int | None:
        return percent(len(self.shown), len(self.shown) + len(self.not_shown))


@dataclass
class ClassQuestions:
    school_class: SchoolClass
    pupils: list[PupilName]
    outcomes: list[OutcomeStats]
    difficult: list[tuple[Module, list[QuestionStats]]]
    attempts: int


DIFFICULT_PER_MODULE = 3


def class_questions(school_class: SchoolClass) -> ClassQuestions:
    """Each band outcome with the pupils who have shown it, and each module's most missed questions.

    A pupil has shown an outcome when, over all their finished quizzes, they have answered at
    least PASS_PERCENT of the questions tagged with it right at least once. Four queries, over the
    answers counted as each quiz finished (question_stats).
    """
    modules = content().modules_for_year(school_class.year_group)
    pupils = class_pupils(school_class)
    stats = {(m.id, q.id): QuestionStats(m, q) for m in modules for q in m.questions}
    right: set[tuple[int, str, str]] = set()
    n_attempts = 0
    if pupils and modules:
        # Counted as each quiz finished (question_stats), not decoded from every answer here.
        module_ids = [m.id for m in modules]
        rows, wrong = question_stats.for_class(school_class.id, module_ids)
        n_attempts = aggregates.quizzes_for_class(school_class.id, module_ids)
        for pupil_id, module_id, question_id, asked, missed, right_times in rows:
            s = stats.get((module_id, question_id))
            if s is None:
                continue
            s.asked += asked
            s.missed += missed
            if right_times:
                right.add((pupil_id, module_id, question_id))
        for key, answers in wrong.items():
            if key in stats:
                stats[key].wrong.update(answers)
    outcomes = []
    for outcome in content().outcomes_for_band(school_class.band):
        tagged = [(m, q) for m in modules for q in m.questions if q.outcome == outcome.id]
        shown, not_shown = [], []
        for pupil in pupils:
            got = sum(1 for m, q in tagged if (pupil.id, m.id, q.id) in right)
            (shown if tagged and got * 100 >= len(tagged) * PASS_PERCENT else not_shown).append(pupil)
        outcomes.append(OutcomeStats(outcome, tagged, shown, not_shown))
    difficult = []
    for m in modules:
        ranked = sorted((stats[(m.id, q.id)] for q in m.questions if stats[(m.id, q.id)].missed),
                        key=lambda s: (-(s.missed / s.asked), -s.missed, m.question_index(s.question.id)))
        difficult.append((m, ranked[:DIFFICULT_PER_MODULE]))
    return ClassQuestions(school_class, pupils, outcomes, difficult, n_attempts)


# ---------------------------------------------------------------------------------------------
# One pupil

@dataclass(frozen=True)
class AttemptRow:
    module: Module | None
    module_id: str
    score: int
    total: int
    finished_at: datetime

    @property
    def passed(self) -> bool:
        return is_pass(self.score, self.total)

    @property
    def percent(self) -> int:
        return percent(self.score, self.total) or 0


@dataclass
class PupilReport:
    pupil: Pupil
    groups: list[tuple[str, list[tuple[Module, Cell]]]]
    earlier: list[tuple[Module, Cell]]
    attempts: list[AttemptRow]
    extras: dict[str, str]
    columns: list[PupilColumn]
    sections: list[tuple[PupilSection, Any]]


def pupil_report(pupil: Pupil) -> PupilReport:
    """A pupil's modules (this year's, then other years' work), every finished quiz: two queries."""
    progress = {r.module_id: r for r in db.session.scalars(
        select(ModuleProgress).where(ModuleProgress.pupil_id == pupil.id))}
    groups = []
    if pupil.school_class is not None:
        for category, ms in grouped_modules(pupil.school_class.year_group):
            groups.append((category, [(m, cell_for(progress.get(m.id))) for m in ms]))
    mods = content().modules
    this_year = {m.id for _c, ms in groups for m, _cell in ms}
    earlier = [(mods[mid], cell_for(row)) for mid, row in progress.items() if mid in mods and mid not in this_year]
    earlier.sort(key=lambda mc: (mc[0].year, CATEGORIES.index(mc[0].category)))
    attempts = [
        AttemptRow(mods.get(module_id), module_id, score or 0, total, finished)
        for module_id, score, total, finished in db.session.execute(
            select(QuizAttempt.module_id, QuizAttempt.score, QuizAttempt.total, QuizAttempt.finished_at)
            .where(QuizAttempt.pupil_id == pupil.id, QuizAttempt.finished_at.is_not(None))
            .order_by(QuizAttempt.finished_at, QuizAttempt.id))
    ]
    extras = {k: v.get(pupil.id, "") for k, v in extra_values([pupil.id]).items()}
    sections = [(section, section.data(pupil)) for section in PUPIL_SECTIONS]
    return PupilReport(pupil, groups, earlier, attempts, extras, list(PUPIL_COLUMNS), sections)
