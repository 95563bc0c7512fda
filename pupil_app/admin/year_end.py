"""The year-end rollover: every class moves up a year, Year 6 leaves; recorded as school history.

Offered only in the school's rollover window (``ROLLOVER_WINDOW``, by default 1 July to 30 September
in the school's time zone); previewed class by class (new names and year groups, leavers, teachers,
leavers with open concerns); confirmed by typing the year; undone exactly while the window is open.
Functions flush; the view commits.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, func, select, update
from sqlalchemy.exc import IntegrityError

from ..auth.models import Badge
from ..concerns.models import Concern
from ..concerns.service import OPEN_STATUSES
from ..extensions import db
from ..schools import looks
from ..schools.history import Rollover, RolloverClass, RolloverLeaver, RolloverTeacher
from ..schools.models import YEAR_GROUP_NAMES, ClassTeacher, Pupil, School, SchoolClass, StaffUser
from ..timeutil import format_day, local_today, utcnow
from .service import MAX_CLASS_NAME, AdminError, school_classes

# "Year 5 A" -> "Year 6 A", "Y5" -> "Y6", "Yr 5" -> "Yr 6", "Blwyddyn 5" -> "Blwyddyn 6".
_YEAR_WORD = re.compile(r"^(?P<word>year|yr|y|blwyddyn|bl)(?P<gap>\s*)(?P<n>[0-6])(?![0-9])", re.IGNORECASE)
# "5W" -> "6W", "5" -> "6", "5 Oak" -> "6 Oak" (but "5/6 mixed" stays: it names two years).
_YEAR_NUMBER = re.compile(r"^(?P<n>[0-6])(?=[A-Za-z ]|$)(?![ ]*/)")
# "Reception" / "Reception B" -> "Year 1" / "Year 1 B"; "RB" -> "1B".
_RECEPTION = re.compile(r"^reception\b", re.IGNORECASE)
_R_LETTER = re.compile(r"^R(?=[A-Z]$)")


def next_name(name: str, old_year: int, new_year: int) -> str:
    """The class's name a year on, by the pattern it already has; a name with no year in it stays."""
    if old_year == 0:
        if _RECEPTION.match(name):
            return _RECEPTION.sub(YEAR_GROUP_NAMES[new_year], name, count=1)
        if _R_LETTER.match(name):
            return _R_LETTER.sub(str(new_year), name, count=1)
        return name
    m = _YEAR_WORD.match(name)
    if m and int(m.group("n")) == old_year:
        return f"{m.group('word')}{m.group('gap')}{new_year}{name[m.end():]}"
    m = _YEAR_NUMBER.match(name)
    if m and int(m.group("n")) == old_year:
        return f"{new_year}{name[m.end():]}"
    return name


def leaver_name(name: str, academic_year: int) -> str:
    return f"{name[:MAX_CLASS_NAME - 12]} (left {academic_year})"


@dataclass(frozen=True)
class Window:
    opens: date
    closes: date
    today: date

    @property
    def is_open(self) -> bool:
        return self.opens <= self.today <= self.closes

    @property
    def academic_year(self) -> int:
        """The September the rollover prepares (2026 for 2026/27): the one inside or after the window."""
        return self.opens.year if self.opens.month <= 9 else self.opens.year + 1


def window(today: date | None = None) -> Window:
    """This year's rollover window, or the next one once this year's has passed."""
    today = today or local_today()
    start, end = (tuple(int(x) for x in part.split("-")) for part in current_app.config["ROLLOVER_WINDOW"])
    for year in (today.year - 1, today.year, today.year + 1):
        opens = date(year, *start)
        closes = date(year if end >= start else year + 1, *end)
        if today <= closes:
            return Window(opens, closes, today)
    raise AssertionError("unreachable")  # pragma: no cover


@dataclass(frozen=True)
class ClassMove:
    school_class: SchoolClass
    from_year: int
    to_year: int | None  # None: the class leaves (Year 6)
    new_name: str
    pupils: int
    teachers: list[StaffUser] = field(default_factory=list)


@dataclass(frozen=True)
class RolloverPlan:
    window: Window
    moves: list[ClassMove]
    in_force: Rollover | None  # this academic year's rollover, if done (and not undone)
    leavers_with_open_concerns: list[tuple[Pupil, int]]

    @property
    def academic_year(self) -> int:
        return self.window.academic_year

    @property
    def leaving(self) -> list[ClassMove]:
        return [m for m in self.moves if m.to_year is None]

    @property
    def moving(self) -> list[ClassMove]:
        return [m for m in self.moves if m.to_year is not None]

    @property
    def pupils_leaving(self) -> int:
        return sum(m.pupils for m in self.leaving)

    @property
    def year_label(self) -> str:
        return f"{self.academic_year}/{str(self.academic_year + 1)[-2:]}"

    @property
    def can_roll_over(self) -> bool:
        return self.window.is_open and self.in_force is None and bool(self.moves)

    @property
    def can_undo(self) -> bool:
        return self.window.is_open and self.in_force is not None


def _in_force(school: School, academic_year: int) -> Rollover | None:
    return db.session.scalar(select(Rollover).where(
        Rollover.school_id == school.id, Rollover.academic_year == academic_year, Rollover.undone_at.is_(None)))


def _open_concerns_of(pupil_ids: list[int]) -> list[tuple[Pupil, int]]:
    if not pupil_ids:
        return []
    rows = db.session.execute(select(Concern.pupil_id, func.count()).where(
        Concern.pupil_id.in_(pupil_ids), Concern.status.in_(OPEN_STATUSES)).group_by(Concern.pupil_id)).all()
    pupils = {p.id: p for p in db.session.scalars(select(Pupil).where(Pupil.id.in_([r[0] for r in rows])))}
    return sorted(((pupils[pid], n) for pid, n in rows), key=lambda pn: (pn[0].last_name, pn[0].first_name))


def rollover_plan(school: School, today: date | None = None) -> RolloverPlan:
    """What the rollover would do now, class by class: the preview is exactly what it then does."""
    win = window(today)
    classes = school_classes(school, include_inactive=False)
    sizes = dict(db.session.execute(select(Pupil.class_id, func.count()).where(
        Pupil.school_id == school.id, Pupil.active.is_(True)).group_by(Pupil.class_id)).all())
    moves = []
    for c in sorted(classes, key=lambda c: (-c.year_group, c.name)):
        to_year = c.year_group + 1 if c.year_group < 6 else None
        name = leaver_name(c.name, win.academic_year) if to_year is None else next_name(c.name, c.year_group, to_year)
        moves.append(ClassMove(c, c.year_group, to_year, name, sizes.get(c.id, 0), list(c.teachers)))
    leaving_ids = [c.school_class.id for c in moves if c.to_year is None]
    leavers = list(db.session.scalars(select(Pupil.id).where(Pupil.class_id.in_(leaving_ids),
                                                             Pupil.active.is_(True)))) if leaving_ids else []
    return RolloverPlan(win, moves, _in_force(school, win.academic_year), _open_concerns_of(leavers))


def _final_names(plan: RolloverPlan, names: dict[int, str]) -> dict[int, str]:
    """The names the admin confirmed (blank: the suggested one), each free once the others have moved."""
    out = {}
    for move in plan.moves:
        wanted = (names.get(move.school_class.id) or "").strip() or move.new_name
        if len(wanted) > MAX_CLASS_NAME:
            raise AdminError(_l("%(name)s: a class name has at most %(n)s characters.", name=wanted[:20] + "…",
                                n=MAX_CLASS_NAME))
        out[move.school_class.id] = wanted
    seen: dict[str, int] = {}
    for class_id, name in out.items():
        if name.casefold() in seen:
            raise AdminError(_l("Two classes would both be called %(name)s: give one another name.", name=name))
        seen[name.casefold()] = class_id
    staying = db.session.scalars(select(SchoolClass.name).where(
        SchoolClass.school_id == plan.moves[0].school_class.school_id, SchoolClass.id.not_in(list(out))))
    for name in staying:
        if name.casefold() in seen:
            raise AdminError(_l("A closed class is already called %(name)s: give the new one another name.",
                                name=name))
    return out


def perform_rollover(school: School, editor: StaffUser, academic_year: int, *, names: dict[int, str] | None = None,
                     keep_teachers: set[int] = frozenset(), today: date | None = None) -> Rollover:
    """Every open class moves up a year group; Year 6 leave (accounts closed, records kept).

    Teachers come off their class unless kept; everything changed is recorded so that
    ``undo_rollover`` can put it back. Once per academic year (a second try is refused).
    """
    plan = rollover_plan(school, today)
    if not plan.window.is_open:
        raise AdminError(_l("The rollover can be done from %(opens)s to %(closes)s.",
                            opens=format_day(plan.window.opens), closes=format_day(plan.window.closes)))
    if academic_year != plan.academic_year:
        raise AdminError(_l("The page was out of date: please look at the plan again."))
    if plan.in_force is not None:
        raise AdminError(_l("The rollover for %(year)s has already been done.", year=plan.year_label))
    final = _final_names(plan, names or {}) if plan.moves else {}
    rollover = Rollover(school_id=school.id, academic_year=academic_year, performed_by_id=editor.id)
    db.session.add(rollover)
    try:
        db.session.flush()
    except IntegrityError as exc:  # a second click at the same moment
        db.session.rollback()
        raise AdminError(_l("The rollover for %(year)s has already been done.", year=plan.year_label)) from exc
    # Names first move out of the way (a class may take a name another class gives up).
    before = {move.school_class.id: move.school_class.name for move in plan.moves}
    for move in plan.moves:
        move.school_class.name = f"~rollover {rollover.id} {move.school_class.id}"
    db.session.flush()
    left = sum(_move(rollover, move, before[move.school_class.id], final[move.school_class.id],
                     move.school_class.id in keep_teachers) for move in plan.moves)
    rollover.pupils_left = left
    db.session.flush()
    return rollover


def _move(rollover: Rollover, move: ClassMove, old_name: str, new_name: str, keep: bool) -> int:
    """One class: renamed, moved up (or closed with its pupils), teachers off unless kept; recorded."""
    c = move.school_class
    db.session.add(RolloverClass(rollover_id=rollover.id, class_id=c.id, from_year=move.from_year,
                                 to_year=move.to_year, from_name=old_name, to_name=new_name,
                                 kept_teachers=keep))
    if not keep:
        for teacher in move.teachers:
            db.session.add(RolloverTeacher(rollover_id=rollover.id, class_id=c.id, staff_id=teacher.id))
        db.session.execute(delete(ClassTeacher).where(ClassTeacher.class_id == c.id))
    left = 0
    if move.to_year is None:
        left = _close_leavers(rollover, c)
        c.active = False
    else:
        c.year_group = move.to_year
        looks.fix_class(c)
    c.name = new_name
    db.session.flush()
    db.session.expire(c, ["teachers"])
    return left


def _close_leavers(rollover: Rollover, school_class: SchoolClass) -> int:
    leavers = list(db.session.scalars(select(Pupil.id).where(Pupil.class_id == school_class.id,
                                                             Pupil.active.is_(True))))
    for pupil_id in leavers:
        badges = list(db.session.scalars(select(Badge.id).where(Badge.pupil_id == pupil_id,
                                                                Badge.revoked_at.is_(None))))
        db.session.add(RolloverLeaver(rollover_id=rollover.id, pupil_id=pupil_id, badge_ids=badges))
    if leavers:
        db.session.execute(update(Pupil).where(Pupil.id.in_(leavers)).values(
            active=False, session_version=Pupil.session_version + 1))
        db.session.execute(update(Badge).where(Badge.pupil_id.in_(leavers), Badge.revoked_at.is_(None))
                           .values(revoked_at=utcnow()))
    return len(leavers)


def undo_rollover(school: School, editor: StaffUser, rollover_id: int, today: date | None = None) -> Rollover:
    """Put every class, teacher, leaver and badge back as it was before the rollover (window open only).

    Classes, pupils and staff added since stay as they are. Leavers' sessions are not revived: they
    sign in again.
    """
    win = window(today)
    rollover = db.session.get(Rollover, rollover_id)
    if rollover is None or rollover.school_id != school.id or rollover.undone_at is not None:
        raise AdminError(_l("That rollover cannot be undone: it is not the one in force."))
    if not win.is_open or rollover.academic_year != win.academic_year:
        raise AdminError(_l("A rollover can only be undone while the rollover window is open (until %(closes)s).",
                            closes=format_day(win.closes)))
    moves = list(db.session.scalars(select(RolloverClass).where(RolloverClass.rollover_id == rollover.id)))
    classes = {c.id: c for c in db.session.scalars(select(SchoolClass).where(
        SchoolClass.id.in_([m.class_id for m in moves])))}
    for m in moves:  # out of the way first, as the rollover did
        classes[m.class_id].name = f"~undo {rollover.id} {m.class_id}"
    db.session.flush()
    for m in moves:
        c = classes[m.class_id]
        c.name, c.year_group, c.active = m.from_name, m.from_year, True
    for t in db.session.scalars(select(RolloverTeacher).where(RolloverTeacher.rollover_id == rollover.id)):
        if not db.session.get(ClassTeacher, (t.class_id, t.staff_id)):
            db.session.add(ClassTeacher(class_id=t.class_id, staff_id=t.staff_id))
    for leaver in db.session.scalars(select(RolloverLeaver).where(RolloverLeaver.rollover_id == rollover.id)):
        db.session.execute(update(Pupil).where(Pupil.id == leaver.pupil_id).values(active=True))
        if leaver.badge_ids:
            db.session.execute(update(Badge).where(Badge.id.in_(leaver.badge_ids)).values(revoked_at=None))
    rollover.undone_at = utcnow()
    rollover.undone_by_id = editor.id
    db.session.flush()
    return rollover


def rollovers(school: School) -> list[Rollover]:
    return list(db.session.scalars(select(Rollover).where(Rollover.school_id == school.id)
                                   .order_by(Rollover.performed_at.desc())))
