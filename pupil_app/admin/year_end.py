"""The year-end rollover: every class moves up a year, Year 6 leaves; recorded as school history.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError

from ..auth.models import Badge
from ..extensions import db
from ..schools.history import Rollover, RolloverClass
from ..schools.models import YEAR_GROUP_NAMES, Pupil, School, SchoolClass, StaffUser
from ..timeutil import utcnow
from .service import MAX_CLASS_NAME, AdminError, school_classes

# --- year-end rollover ------------------------------------------------------------------------

def academic_year_for(day: date) -> int:
    """The academic year a rollover on ``day`` starts: June onwards prepares the September ahead."""
    return day.year if day.month >= 6 else day.year - 1


@dataclass(frozen=True)
class ClassMove:
    school_class: SchoolClass
    from_year: int
    to_year: int | None  # None: the class leaves (Year 6)
    new_name: str
    pupils: int


@dataclass(frozen=True)
class RolloverPlan:
    academic_year: int
    moves: list[ClassMove]
    done_at: object | None  # when this academic year's rollover already happened

    @property
    def leaving(self) -> list[ClassMove]:
        return [m for m in self.moves if m.to_year is None]

    @property
    def moving(self) -> list[ClassMove]:
        return [m for m in self.moves if m.to_year is not None]

    @property
    def year_label(self) -> str:
        return f"{self.academic_year}/{str(self.academic_year + 1)[-2:]}"


def _renamed(name: str, old_year: int, new_year: int | None, academic_year: int) -> str:
    """'Year 4' becomes 'Year 5'; a leaving 'Year 6' becomes 'Year 6 (left 2026)'; 'Oak' stays 'Oak'."""
    if new_year is None:
        return f"{name[:MAX_CLASS_NAME - 12]} (left {academic_year})"
    if name.strip().lower() == YEAR_GROUP_NAMES[old_year].lower():
        return YEAR_GROUP_NAMES[new_year]
    return name


def rollover_plan(school: School, today: date | None = None) -> RolloverPlan:
    year = academic_year_for(today or utcnow().date())
    classes = school_classes(school, include_inactive=False)
    sizes = dict(db.session.execute(select(Pupil.class_id, func.count()).where(
        Pupil.school_id == school.id, Pupil.active.is_(True)).group_by(Pupil.class_id)).all())
    moves = []
    for c in sorted(classes, key=lambda c: (-c.year_group, c.name)):
        to_year = c.year_group + 1 if c.year_group < 6 else None
        moves.append(ClassMove(c, c.year_group, to_year, _renamed(c.name, c.year_group, to_year, year),
                               sizes.get(c.id, 0)))
    done = db.session.scalar(select(Rollover.performed_at).where(Rollover.school_id == school.id,
                                                                 Rollover.academic_year == year))
    return RolloverPlan(year, moves, done)


def _free_name(school: School, wanted: str, own_id: int, academic_year: int) -> str:
    taken = db.session.scalar(select(SchoolClass.id).where(
        SchoolClass.school_id == school.id, func.lower(SchoolClass.name) == wanted.lower(), SchoolClass.id != own_id))
    if not taken:
        return wanted
    return f"{wanted[:MAX_CLASS_NAME - 7]} ({academic_year})"


def perform_rollover(school: School, editor: StaffUser, academic_year: int) -> Rollover:
    """Every open class moves up a year group; Year 6 leave (accounts closed, records kept).

    Bands follow from the year group, so pupils moving into a new band get its lessons (and its
    pledge) at their next sign-in. Once per academic year: a second try is refused.
    """
    plan = rollover_plan(school)
    if academic_year != plan.academic_year:
        raise AdminError(_l("The page was out of date: please look at the plan again."))
    if plan.done_at is not None:
        raise AdminError(_l("The rollover for %(year)s has already been done.", year=plan.year_label))
    rollover = Rollover(school_id=school.id, academic_year=academic_year, performed_by_id=editor.id)
    db.session.add(rollover)
    try:
        db.session.flush()
    except IntegrityError as exc:  # a second click at the same moment
        db.session.rollback()
        raise AdminError(_l("The rollover for %(year)s has already been done.", year=plan.year_label)) from exc
    left = 0
    for move in plan.moves:  # highest year first, so each new name is free when it is taken
        c = move.school_class
        new_name = _free_name(school, move.new_name, c.id, academic_year) if move.new_name != c.name else c.name
        db.session.add(RolloverClass(rollover_id=rollover.id, class_id=c.id, from_year=move.from_year,
                                     to_year=move.to_year, from_name=c.name, to_name=new_name))
        if move.to_year is None:
            leavers = list(db.session.scalars(select(Pupil.id).where(Pupil.class_id == c.id, Pupil.active.is_(True))))
            if leavers:
                db.session.execute(update(Pupil).where(Pupil.id.in_(leavers)).values(
                    active=False, session_version=Pupil.session_version + 1))
                db.session.execute(update(Badge).where(Badge.pupil_id.in_(leavers), Badge.revoked_at.is_(None))
                                   .values(revoked_at=utcnow()))
            left += len(leavers)
            c.active = False
        else:
            c.year_group = move.to_year
        c.name = new_name
        db.session.flush()
    rollover.pupils_left = left
    db.session.flush()
    return rollover


def rollovers(school: School) -> list[Rollover]:
    return list(db.session.scalars(select(Rollover).where(Rollover.school_id == school.id)
                                   .order_by(Rollover.academic_year.desc())))
