"""The evidence pack: what a class, a school or a trust has learnt, mapped to the frameworks an
inspector asks about (Education for a Connected World, RSHE 2026, the Wales DCF), with the gaps,
pledge completion and the number of reports pupils made. Numbers only: no pupil is named.

An outcome's figure is the share of pupil-module places passed, over every module of each pupil's
year that teaches it (a pupil "passes" a module at PASS_PERCENT, as everywhere in coverage).
Four grouped queries for any scope size (progress, pupils, pupils' reports, pledges).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import func, select

from ..concerns.models import Concern
from ..content import current_content
from ..extensions import db
from ..learning.models import ModuleProgress
from ..schools.models import Pupil, SchoolClass, year_name
from .overviews import _progress_by_group, _pupils_by_group
from .service import percent, signed_by_year

WEAK_PERCENT = 50


@dataclass
class OutcomeLine:
    outcome: object  # content Outcome
    passed: int = 0
    possible: int = 0

    @property
    def percent(self) -> int | None:
        return percent(self.passed, self.possible)

    @property
    def gap(self) -> bool:
        return self.percent is None or self.percent < WEAK_PERCENT


@dataclass
class FrameworkLine:
    """One strand, element or statement with the outcomes that evidence it."""

    name: str
    detail: str
    outcomes: list[OutcomeLine] = field(default_factory=list)

    @property
    def percent(self) -> int | None:
        return percent(sum(o.passed for o in self.outcomes), sum(o.possible for o in self.outcomes))


@dataclass
class EvidencePack:
    scope: str  # "class" | "school" | "trust"
    name: str
    made_on: date
    pupils: int
    outcomes: list[OutcomeLine]
    efcw: list[FrameworkLine]
    rshe: list[FrameworkLine]
    dcf: list[FrameworkLine]
    untaught_modules: list[tuple[str, object]]  # (year name, Module) nobody in scope has passed
    pledge_signed: int
    pledge_pupils: int
    pupil_reports: int  # messages pupils sent through Tell an adult since the school year began

    @property
    def pledge_percent(self) -> int | None:
        return percent(self.pledge_signed, self.pledge_pupils)

    @property
    def gaps(self) -> list[OutcomeLine]:
        return [o for o in self.outcomes if o.gap]


def school_year_start(today: date) -> date:
    return date(today.year if today.month >= 9 else today.year - 1, 9, 1)


def evidence_pack(scope: str, name: str, school_ids: list[int], today: date, class_id: int | None = None
                  ) -> EvidencePack:
    where = [Pupil.school_id.in_(school_ids)]
    if class_id is not None:
        where.append(Pupil.class_id == class_id)
    progress = _progress_by_group([SchoolClass.year_group], where + [ModuleProgress.school_id.in_(school_ids)])
    pupils = _pupils_by_group([SchoolClass.year_group], where)
    content = current_content()
    cur = content.curriculum
    lines = {oid: OutcomeLine(o) for oid, o in content.outcomes.items()}
    untaught = []
    for (year,), n in sorted(pupils.items()):
        for module in content.modules_for_year(year):
            passed = progress.get((year, module.id), (0, 0))[1]
            if passed == 0:
                untaught.append((year_name(year), module))
            for oid in module.outcomes:
                lines[oid].passed += passed
                lines[oid].possible += n
    taught_bands = {content.modules_for_year(y)[0].band for (y,) in pupils if content.modules_for_year(y)}
    outcomes = [line for line in lines.values() if line.outcome.band in taught_bands]

    def grouped(key, label, detail) -> list[FrameworkLine]:
        out: dict[str, FrameworkLine] = {}
        for line in outcomes:
            tags = cur.tags[line.outcome.id]
            out.setdefault(key(tags), FrameworkLine(label(tags), detail(tags))).outcomes.append(line)
        return list(out.values())

    # Pledges are counted per year group: a class's pack gives its whole year group's figure.
    years = {y for (y,) in pupils}
    signed = sum(n for (_sid, y), n in signed_by_year(school_ids).items() if y in years)
    year_pupils = pupils if class_id is None else _pupils_by_group([SchoolClass.year_group], where[:1])
    return EvidencePack(
        scope=scope, name=name, made_on=today, pupils=sum(pupils.values()), outcomes=outcomes,
        efcw=grouped(lambda t: (t.efcw, t.efcw_ages), lambda t: cur.strands[t.efcw], lambda t: t.efcw_ages),
        rshe=grouped(lambda t: t.rshe, lambda t: t.rshe, lambda t: ""),
        dcf=grouped(lambda t: (t.dcf, t.dcf_step), lambda t: cur.elements[t.dcf], lambda t: str(t.dcf_step)),
        untaught_modules=untaught,
        pledge_signed=signed, pledge_pupils=sum(n for (y,), n in year_pupils.items() if y in years),
        pupil_reports=_pupil_reports(school_ids, class_id, today),
    )


def _pupil_reports(school_ids: list[int], class_id: int | None, today: date) -> int:
    since = datetime.combine(school_year_start(today), datetime.min.time())
    query = select(func.count()).select_from(Concern).where(
        Concern.school_id.in_(school_ids), Concern.source == "pupil", Concern.created_at >= since)
    if class_id is not None:
        query = query.where(Concern.class_id == class_id)
    return db.session.scalar(query) or 0
