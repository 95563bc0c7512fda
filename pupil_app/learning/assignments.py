"""Modules a teacher sets for a class, with optional dates: plain functions that flush (views commit).

A class may be set any module of its band (this year's, or an earlier year's to revisit); pupils
see what is set for them first on their home, from its start day; the class page shows, for each
assignment, how many pupils have done it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from ..content import Module, current_content
from ..extensions import db
from ..schools.models import Pupil, SchoolClass, StaffUser
from .models import Assignment, ModuleProgress
from .service import DONE, NOT_STARTED, STARTED, ModuleCard, stars_for

MAX_DAYS_AHEAD = 366  # a date further ahead than a school year is a typing mistake


class AssignmentError(Exception):
    """A request that cannot be carried out; the message is shown to the teacher (status 400)."""


@dataclass(frozen=True)
class AssignmentRow:
    assignment: Assignment
    module: Module
    done: int  # pupils of the class who have finished the module's quiz
    pupils: int  # active pupils of the class


def assignable_modules(school_class: SchoolClass) -> list[Module]:
    """The modules a class may be set: its band's, this year's first, then earlier and later years."""
    mods = current_content().modules_for_band(school_class.band)
    return sorted(mods, key=lambda m: (m.year != school_class.year_group, m.year))


def _check_dates(starts_on: date | None, due_on: date | None, today: date) -> None:
    for day in (starts_on, due_on):
        if day is not None and (day - today).days > MAX_DAYS_AHEAD:
            raise AssignmentError(_l("A date can be at most a year ahead."))
    if due_on is not None and due_on < today:
        raise AssignmentError(_l("The due date has already passed."))
    if starts_on is not None and due_on is not None and due_on < starts_on:
        raise AssignmentError(_l("The due date is before the start date."))


def assign(school_class: SchoolClass, module_id: str, by: StaffUser, today: date,
           starts_on: date | None = None, due_on: date | None = None) -> Assignment:
    """Set a module for a class (or change the dates of one already set)."""
    module = current_content().modules.get(module_id)
    if module is None or module.band != school_class.band:
        raise AssignmentError(_l("That module is not one this class can be set."))
    _check_dates(starts_on, due_on, today)
    row = db.session.scalar(select(Assignment).where(Assignment.class_id == school_class.id,
                                                     Assignment.module_id == module_id))
    if row is None:
        row = Assignment(school_id=school_class.school_id, class_id=school_class.id, module_id=module_id)
        db.session.add(row)
    row.starts_on, row.due_on, row.assigned_by = starts_on, due_on, by.id
    db.session.flush()
    return row


def unassign(school_class: SchoolClass, module_id: str) -> bool:
    """Take a module off the class's list (pupils' work on it stays). True when there was one."""
    row = db.session.scalar(select(Assignment).where(Assignment.class_id == school_class.id,
                                                     Assignment.module_id == module_id))
    if row is None:
        return False
    db.session.delete(row)
    db.session.flush()
    return True


def class_assignments(school_class: SchoolClass) -> list[AssignmentRow]:
    """The class's assignments with pupils done out of pupils in the class (two queries)."""
    rows = list(db.session.scalars(select(Assignment).where(Assignment.class_id == school_class.id)))
    modules = current_content().modules
    rows = [r for r in rows if r.module_id in modules]
    done: dict[str, int] = {}
    pupils = db.session.scalar(select(func.count()).select_from(Pupil).where(
        Pupil.class_id == school_class.id, Pupil.active.is_(True))) or 0
    if rows:
        done = dict(db.session.execute(
            select(ModuleProgress.module_id, func.count())
            .join(Pupil, Pupil.id == ModuleProgress.pupil_id)
            .where(Pupil.class_id == school_class.id, Pupil.active.is_(True),
                   ModuleProgress.completed_at.is_not(None),
                   ModuleProgress.module_id.in_([r.module_id for r in rows]))
            .group_by(ModuleProgress.module_id)).all())
    out = [AssignmentRow(r, modules[r.module_id], done.get(r.module_id, 0), pupils) for r in rows]
    return sorted(out, key=lambda a: (a.assignment.due_on or date.max, a.module.year, a.module.id))


def assigned_module_ids(class_id: int) -> set[str]:
    return set(db.session.scalars(select(Assignment.module_id).where(Assignment.class_id == class_id)))


def pupil_assignments(pupil: Pupil, today: date) -> list[tuple[Module, Assignment]]:
    """What the pupil's class has been set and may start now, soonest due first."""
    if pupil.class_id is None or pupil.band is None:
        return []
    modules = current_content().modules
    rows = db.session.scalars(select(Assignment).where(Assignment.class_id == pupil.class_id))
    out = [(modules[r.module_id], r) for r in rows
           if r.module_id in modules and modules[r.module_id].band == pupil.band
           and (r.starts_on is None or r.starts_on <= today)]
    return sorted(out, key=lambda ma: (ma[1].due_on or date.max, ma[0].year, ma[0].id))


def assigned_cards(pupil: Pupil, today: date) -> list[tuple[ModuleCard, Assignment]]:
    """The pupil's set modules as home-page cards (status and stars), soonest due first: two queries."""
    rows = pupil_assignments(pupil, today)
    if not rows:
        return []
    progress = {p.module_id: p for p in db.session.scalars(select(ModuleProgress).where(
        ModuleProgress.pupil_id == pupil.id, ModuleProgress.module_id.in_([m.id for m, _a in rows])))}
    out = []
    for module, assignment in rows:
        p = progress.get(module.id)
        status = NOT_STARTED if p is None else DONE if p.completed_at is not None else STARTED
        out.append((ModuleCard(module, status, stars_for(p.best_score, p.best_total) if p else 0), assignment))
    return out
