"""Curriculum coverage: what a class, a school and a trust have learnt, read from the learning tables.

The summary table ``module_progress`` (one row per pupil and module) answers the grid and the heat
maps with one aggregate query each, whatever the number of pupils; quiz answers (``quiz_attempts``)
answer the outcome and question views. Every function here takes already-authorised objects (the
views load them through the scoped loaders of ``schools.service``) and knows nothing of HTTP.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any, Callable

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, case, func, select

from ..admin.models import Rollover, RolloverClass
from ..content import CATEGORIES, Content, Module, Question
from ..extensions import db
from ..learning.models import ModuleProgress, QuizAttempt
from ..schools.models import Pupil, School, SchoolClass
from . import models  # noqa: F401  (the indexes the queries below read through)
from ..timeutil import utcnow

# ---------------------------------------------------------------------------------------------
# The one definition of "passed": a module is passed when the pupil's best quiz score is at least
# PASS_PERCENT of the questions (the same line as two stars on the pupil's own page).
PASS_PERCENT = 60
# "Who needs help": a finished module below the pass line, or this many tries without passing.
HELP_RETRIES = 3
# Trust-level figures hide any group smaller than this, so no child can be picked out.
MIN_GROUP = 5

NOT_STARTED, STARTED, PASSED = "not_started", "started", "passed"


def content() -> Content:
    return current_app.extensions["content"]


def is_pass(score: int | None, total: int | None) -> bool:
    return score is not None and bool(total) and score * 100 >= total * PASS_PERCENT


def _passed_sql(score, total):
    return and_(total > 0, score * 100 >= total * PASS_PERCENT)


def percent(part: int, whole: int) -> int | None:
    """A whole percentage, rounded down (so 'every pupil' really means every one); None for 0 of 0."""
    if not whole:
        return None
    return math.floor(part * 100 / whole)


def year_name(year_group: int) -> str:
    """The year group's name in the page language."""
    if year_group == 0:
        return str(_l("Reception"))
    return str(_l("Year %(number)s", number=year_group))


def grouped_modules(year_group: int) -> list[tuple[str, list[Module]]]:
    """The year's modules grouped by risk category in the 4Cs order (Content, Contact, Conduct, Commerce)."""
    groups: dict[str, list[Module]] = {c: [] for c in CATEGORIES}
    for module in content().modules_for_year(year_group):
        groups[module.category].append(module)
    return [(c, ms) for c, ms in groups.items() if ms]


# ---------------------------------------------------------------------------------------------
# Extra pupil columns and sections: other features (pledge status, parent acknowledgement, pledge
# history) add a column to the class grid, its CSV and the pupil page, or a section to the pupil
# page, by registering it here once (e.g. from their blueprint module); nothing else changes.

@dataclass(frozen=True)
class PupilColumn:
    key: str
    label: Any  # a lazy string
    # Given the pupils' ids, one query answering {pupil_id: text to show}; missing ids show "".
    values: Callable[[list[int]], dict[int, str]]


PUPIL_COLUMNS: list[PupilColumn] = []


def register_pupil_column(column: PupilColumn) -> None:
    if any(c.key == column.key for c in PUPIL_COLUMNS):
        raise ValueError(f"pupil column {column.key!r} is already registered")
    PUPIL_COLUMNS.append(column)


@dataclass(frozen=True)
class PupilSection:
    """A section of the pupil page from another feature (e.g. pledge history)."""

    key: str
    template: str  # rendered with ``pupil`` and ``data`` in its context
    data: Callable[[Pupil], Any]


PUPIL_SECTIONS: list[PupilSection] = []


def register_pupil_section(section: PupilSection) -> None:
    if any(s.key == section.key for s in PUPIL_SECTIONS):
        raise ValueError(f"pupil section {section.key!r} is already registered")
    PUPIL_SECTIONS.append(section)


def extra_values(pupil_ids: list[int]) -> dict[str, dict[int, str]]:
    return {c.key: c.values(pupil_ids) if pupil_ids else {} for c in PUPIL_COLUMNS}


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
    least PASS_PERCENT of the questions tagged with it right at least once. Two queries.
    """
    modules = content().modules_for_year(school_class.year_group)
    pupils = class_pupils(school_class)
    stats = {(m.id, q.id): QuestionStats(m, q) for m in modules for q in m.questions}
    # Per module: (question id, right answer as the JSON list it is stored as, its tally).
    checks = {m.id: [(q.id, list(q.correct_answer), stats[(m.id, q.id)]) for q in m.questions] for m in modules}
    right: set[tuple[int, str, str]] = set()
    n_attempts = 0
    if pupils and modules:
        rows = db.session.execute(
            select(QuizAttempt.pupil_id, QuizAttempt.module_id, QuizAttempt.answers)
            .join(Pupil, Pupil.id == QuizAttempt.pupil_id)
            .where(Pupil.class_id == school_class.id, Pupil.active.is_(True),
                   QuizAttempt.module_id.in_(list(checks)), QuizAttempt.finished_at.is_not(None)))
        for pupil_id, module_id, answers in rows:
            n_attempts += 1
            if not answers:
                continue
            for qid, correct, s in checks[module_id]:
                given = answers.get(qid)
                if not given:
                    continue
                s.asked += 1
                if given == correct:
                    right.add((pupil_id, module_id, qid))
                else:
                    s.missed += 1
                    s.wrong[tuple(given)] += 1
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


# ---------------------------------------------------------------------------------------------
# Heat maps: school (year group x category) and trust (school x category, year group x category)

@dataclass
class Tally:
    """Passed (pupil, module) pairs out of possible ones, over a group of pupils."""

    pupils: int = 0
    passed: int = 0
    possible: int = 0
    started: int = 0

    def add(self, other: Tally) -> None:
        self.pupils += other.pupils
        self.passed += other.passed
        self.possible += other.possible
        self.started += other.started

    @property
    def percent(self) -> int | None:
        return percent(self.passed, self.possible)


@dataclass
class HeatRow:
    key: Any
    label: str
    pupils: int
    cells: dict[str, Tally]
    total: Tally
    link: str | None = None


def _progress_by_group(group_cols, where) -> dict[tuple, tuple[int, int]]:
    """{(group..., module_id): (started, passed)} over active pupils in active classes: one query."""
    passed = func.sum(case((_passed_sql(ModuleProgress.best_score, ModuleProgress.best_total), 1), else_=0))
    query = (select(*group_cols, ModuleProgress.module_id, func.count(), passed)
             .select_from(ModuleProgress)
             .join(Pupil, Pupil.id == ModuleProgress.pupil_id)
             .join(SchoolClass, SchoolClass.id == Pupil.class_id)
             .where(Pupil.active.is_(True), SchoolClass.active.is_(True), *where)
             .group_by(*group_cols, ModuleProgress.module_id))
    return {tuple(row[:-3]) + (row[-3],): (row[-2], int(row[-1] or 0)) for row in db.session.execute(query)}


def _pupils_by_group(group_cols, where) -> dict[tuple, int]:
    query = (select(*group_cols, func.count()).select_from(Pupil)
             .join(SchoolClass, SchoolClass.id == Pupil.class_id)
             .where(Pupil.active.is_(True), SchoolClass.active.is_(True), *where)
             .group_by(*group_cols))
    return {tuple(row[:-1]): row[-1] for row in db.session.execute(query)}


def _tallies(year_group: int, pupils: int, progress_for: Callable[[str], tuple[int, int]]) -> dict[str, Tally]:
    """Per category: the band's modules for this year group, over ``pupils`` pupils."""
    out = {}
    for category, modules in grouped_modules(year_group):
        t = Tally(pupils=pupils, possible=pupils * len(modules))
        for m in modules:
            started, passed = progress_for(m.id)
            t.started += started
            t.passed += passed
        out[category] = t
    return out


def total_of(cells: dict[str, Tally], pupils: int) -> Tally:
    total = Tally()
    for t in cells.values():
        total.add(t)
    total.pupils = pupils
    return total


@dataclass
class SchoolOverview:
    school: School
    years: list[HeatRow]
    classes: list[HeatRow]
    total: HeatRow


def school_overview(school: School) -> SchoolOverview:
    """Coverage by year group and by class, per risk category: three queries for any school size."""
    classes = list(db.session.scalars(
        select(SchoolClass).where(SchoolClass.school_id == school.id, SchoolClass.active.is_(True))
        .order_by(SchoolClass.year_group, SchoolClass.name)))
    pupils = _pupils_by_group([Pupil.class_id], [Pupil.school_id == school.id])
    # module_progress carries the school too: the database reads only this school's rows.
    progress = _progress_by_group([Pupil.class_id], [Pupil.school_id == school.id,
                                                     ModuleProgress.school_id == school.id])
    class_rows = []
    years: dict[int, HeatRow] = {}
    for c in classes:
        n = pupils.get((c.id,), 0)
        cells = _tallies(c.year_group, n, lambda mid, cid=c.id: progress.get((cid, mid), (0, 0)))
        class_rows.append(HeatRow(c.id, c.name, n, cells, total_of(cells, n)))
        year = years.setdefault(c.year_group, HeatRow(c.year_group, year_name(c.year_group), 0,
                                                      {cat: Tally() for cat in CATEGORIES}, Tally()))
        year.pupils += n
        for cat, t in cells.items():
            year.cells[cat].add(t)
    year_rows = []
    for y in sorted(years):
        row = years[y]
        row.total = total_of(row.cells, row.pupils)
        year_rows.append(row)
    everything = {cat: Tally() for cat in CATEGORIES}
    for row in year_rows:
        for cat, t in row.cells.items():
            everything[cat].add(t)
    n_all = sum(r.pupils for r in year_rows)
    for t in everything.values():
        t.pupils = n_all
    return SchoolOverview(school, year_rows, class_rows,
                          HeatRow("all", "", n_all, everything, total_of(everything, n_all)))


@dataclass
class TrustOverview:
    schools: list[HeatRow]
    years: list[HeatRow]
    total: HeatRow


def trust_overview(schools: list[School]) -> TrustOverview:
    """Every school of a trust by category, and the trust's year groups by category: three queries
    (the schools, pupil counts, progress), whatever the number of pupils. Groups under MIN_GROUP
    pupils are left out of the cells they would show (views mark them)."""
    ids = [s.id for s in schools]
    where = [Pupil.school_id.in_(ids)] if ids else [Pupil.id < 0]
    pupils = _pupils_by_group([Pupil.school_id, SchoolClass.year_group], where)
    progress = _progress_by_group([Pupil.school_id, SchoolClass.year_group], where)
    school_rows = []
    years: dict[int, HeatRow] = {}
    for s in schools:
        cells = {cat: Tally() for cat in CATEGORIES}
        n_school = 0
        for y in range(0, 7):
            n = pupils.get((s.id, y), 0)
            if not n:
                continue
            n_school += n
            year_cells = _tallies(y, n, lambda mid, sid=s.id, yy=y: progress.get((sid, yy, mid), (0, 0)))
            year = years.setdefault(y, HeatRow(y, year_name(y), 0, {cat: Tally() for cat in CATEGORIES},
                                               Tally()))
            year.pupils += n
            for cat, t in year_cells.items():
                cells[cat].add(t)
                year.cells[cat].add(t)
        for t in cells.values():
            t.pupils = n_school
        school_rows.append(HeatRow(s.id, s.name, n_school, cells, total_of(cells, n_school)))
    year_rows = []
    for y in sorted(years):
        row = years[y]
        for t in row.cells.values():
            t.pupils = row.pupils
        row.total = total_of(row.cells, row.pupils)
        year_rows.append(row)
    everything = {cat: Tally() for cat in CATEGORIES}
    for row in school_rows:
        for cat, t in row.cells.items():
            everything[cat].add(t)
    n_all = sum(r.pupils for r in school_rows)
    for t in everything.values():
        t.pupils = n_all
    return TrustOverview(school_rows, year_rows, HeatRow("all", "", n_all, everything, total_of(everything, n_all)))


def suppressed(tally: Tally, hide_small: bool) -> bool:
    """True when a figure must not be shown: a group too small to stay anonymous."""
    return hide_small and 0 < tally.pupils < MIN_GROUP


# ---------------------------------------------------------------------------------------------
# Heat map drawing: the shades and the geometry the SVG template draws (no script, no library)

# Sequential blues, light to dark, each with a text colour of at least 4.5:1 contrast on it.
SHADES = (
    (0, "#f1f5fb", "#1d2433"),
    (20, "#d3e2f3", "#1d2433"),
    (40, "#a9c6e8", "#1d2433"),
    (60, "#3d78c0", "#ffffff"),
    (80, "#1c4f8f", "#ffffff"),
)
NO_DATA = ("#eceef2", "#1d2433")


def shade(value: int | None) -> tuple[str, str]:
    """(fill, text colour) for a percentage; grey for no data."""
    if value is None:
        return NO_DATA
    fill, ink = SHADES[0][1], SHADES[0][2]
    for floor, f, i in SHADES:
        if value >= floor:
            fill, ink = f, i
    return fill, ink


@dataclass(frozen=True)
class HeatCell:
    x: int
    y: int
    fill: str
    ink: str
    text: str
    title: str


@dataclass(frozen=True)
class HeatMap:
    width: int
    height: int
    label_width: int
    cell_width: int
    cell_height: int
    columns: list[tuple[int, str]]
    rows: list[tuple[int, str]]
    cells: list[HeatCell]
    legend: list[tuple[int, str, str, str]]


def heat_map(rows: list[HeatRow], columns: list[tuple[str, str]], *, hide_small: bool = False,
             cell_title: Callable[[HeatRow, str, Tally], str], suppressed_text: str = "<5",
             label_width: int = 170) -> HeatMap:
    """Lay out rows x columns (key, heading) as coloured cells with their percentage written in."""
    cw, ch, top = 104, 40, 34
    cells = []
    for r, row in enumerate(rows):
        for c, (key, _heading) in enumerate(columns):
            tally = row.total if key == "all" else row.cells.get(key)
            x, y = label_width + c * cw, top + r * ch
            if tally is None or not tally.possible:
                fill, ink = NO_DATA
                cells.append(HeatCell(x, y, fill, ink, "–", cell_title(row, key, Tally())))
                continue
            if suppressed(tally, hide_small):
                fill, ink = NO_DATA
                cells.append(HeatCell(x, y, fill, ink, suppressed_text, cell_title(row, key, tally)))
                continue
            value = tally.percent
            fill, ink = shade(value)
            cells.append(HeatCell(x, y, fill, ink, f"{value}%", cell_title(row, key, tally)))
    legend_y = top + len(rows) * ch + 14
    legend = []
    for i, (floor, fill, ink) in enumerate(SHADES):
        upper = SHADES[i + 1][0] - 1 if i + 1 < len(SHADES) else 100
        legend.append((label_width + i * 78, fill, ink, f"{floor}–{upper}%"))
    return HeatMap(width=label_width + len(columns) * cw + 4, height=legend_y + 30, label_width=label_width,
                   cell_width=cw, cell_height=ch,
                   columns=[(label_width + i * cw, heading) for i, (_k, heading) in enumerate(columns)],
                   rows=[(top + i * ch, row.label) for i, row in enumerate(rows)], cells=cells,
                   legend=[(x, fill, ink, text) for x, fill, ink, text in legend])


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
    if not year.isdigit() or len(year) != 4 or season not in SEASONS:
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
    counts in the year group it was then. Five queries.
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
    in_term = and_(QuizAttempt.finished_at >= start)
    passed = _passed_sql(QuizAttempt.score, QuizAttempt.total)
    rows = db.session.execute(
        select(Pupil.class_id, QuizAttempt.module_id,
               func.count(case((in_term, 1))),
               func.count(case((and_(in_term, passed), 1))),
               func.count(func.distinct(case((passed, QuizAttempt.pupil_id)))))
        .select_from(QuizAttempt).join(Pupil, Pupil.id == QuizAttempt.pupil_id)
        .where(QuizAttempt.school_id == school.id, QuizAttempt.finished_at.is_not(None),
               QuizAttempt.finished_at < end)
        .group_by(Pupil.class_id, QuizAttempt.module_id))
    by_class_module = {(cid, mid): (int(q or 0), int(qp or 0), int(pp or 0)) for cid, mid, q, qp, pp in rows}
    active_by_class = dict(db.session.execute(
        select(Pupil.class_id, func.count(func.distinct(QuizAttempt.pupil_id)))
        .select_from(QuizAttempt).join(Pupil, Pupil.id == QuizAttempt.pupil_id)
        .where(QuizAttempt.school_id == school.id, QuizAttempt.finished_at >= start, QuizAttempt.finished_at < end)
        .group_by(Pupil.class_id)).all())
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


# ---------------------------------------------------------------------------------------------
# Pledge completion (the signed counts come from the pledge feature; see pledge.service.signed_by_year)

@dataclass(frozen=True)
class PledgeShare:
    """Pupils of a group who have signed their band's current pledge."""

    key: Any
    label: str
    pupils: int
    signed: int

    @property
    def percent(self) -> int | None:
        return percent(self.signed, self.pupils)

    def hidden(self, hide_small: bool) -> bool:
        return hide_small and 0 < self.pupils < MIN_GROUP


def pledge_by_year(school: School, signed: dict[tuple[int, int], int]) -> list[PledgeShare]:
    """Each year group of the school (pupils on roll in active classes now) with how many have signed: one query."""
    pupils = _pupils_by_group([SchoolClass.year_group], [Pupil.school_id == school.id])
    return [PledgeShare(y, year_name(y), n, signed.get((school.id, y), 0)) for (y,), n in sorted(pupils.items())]


def pledge_shares(years: list[HeatRow], school_id: int, signed: dict[tuple[int, int], int]) -> list[PledgeShare]:
    """The year rows of a school overview with how many have signed (no query)."""
    return [PledgeShare(r.key, r.label, r.pupils, signed.get((school_id, r.key), 0)) for r in years]


def pledge_by_school(rows: list[HeatRow], signed: dict[tuple[int, int], int]) -> list[PledgeShare]:
    """Each school of a trust overview with how many of its pupils have signed (no query)."""
    totals: Counter = Counter()
    for (school_id, _year), n in signed.items():
        totals[school_id] += n
    return [PledgeShare(r.key, r.label, r.pupils, totals.get(r.key, 0)) for r in rows]


STATUS_LABELS = {
    NOT_STARTED: _l("not started"),
    STARTED: _l("started"),
    PASSED: _l("passed"),
}
