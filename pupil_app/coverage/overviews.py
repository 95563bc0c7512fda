"""Heat maps of a school (year group x category) and a trust (school x category), and pledge completion.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import case, func, select

from ..content import CATEGORIES
from ..extensions import db
from ..learning.models import ModuleProgress
from ..schools.models import Pupil, School, SchoolClass, year_name
from .service import MIN_GROUP, grouped_modules, passed_sql, percent

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
    passed = func.sum(case((passed_sql(ModuleProgress.best_score, ModuleProgress.best_total), 1), else_=0))
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


def _by_school_and_year(ids: list[int]) -> tuple[dict[tuple, int], dict[tuple, tuple[int, int]]]:
    """Pupil counts {(school, year)} and progress {(school, year, module): (started, passed)} of the
    schools' active pupils in active classes. Grouped by class in the database (no join to the
    classes per progress row: a fifth less work at trust scale), then folded into year groups here."""
    if not ids:
        return {}, {}
    year_of: dict[int, tuple[int, int]] = {}
    pupils: Counter = Counter()
    for (class_id, school_id, year), n in _pupils_by_group(
            [Pupil.class_id, SchoolClass.school_id, SchoolClass.year_group], [Pupil.school_id.in_(ids)]).items():
        year_of[class_id] = (school_id, year)
        pupils[(school_id, year)] += n
    passed = func.sum(case((passed_sql(ModuleProgress.best_score, ModuleProgress.best_total), 1), else_=0))
    progress: dict[tuple, tuple[int, int]] = {}
    for class_id, module_id, started, n_passed in db.session.execute(
            select(Pupil.class_id, ModuleProgress.module_id, func.count(), passed)
            .select_from(ModuleProgress).join(Pupil, Pupil.id == ModuleProgress.pupil_id)
            .where(Pupil.active.is_(True), Pupil.school_id.in_(ids))
            .group_by(Pupil.class_id, ModuleProgress.module_id)):
        if class_id in year_of:
            key = year_of[class_id] + (module_id,)
            s, p = progress.get(key, (0, 0))
            progress[key] = (s + started, p + int(n_passed or 0))
    return dict(pupils), progress


def trust_overview(schools: list[School]) -> TrustOverview:
    """Every school of a trust by category, and the trust's year groups by category: three queries
    (the schools, pupil counts per class, progress per class), whatever the number of pupils. Groups under MIN_GROUP
    pupils are left out of the cells they would show (views mark them)."""
    ids = [s.id for s in schools]
    pupils, progress = _by_school_and_year(ids)
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
