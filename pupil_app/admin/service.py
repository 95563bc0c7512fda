"""Running a school: schools, classes, staff with roles, pupils, set-password links, year-end rollover.

Plain functions that flush and never commit; the views commit once. Every function takes objects
the view has already loaded through a scoped loader (``schools.service``), and refuses bad input
with ``AdminError`` before writing anything.
"""

from __future__ import annotations

import re
import secrets
import unicodedata
from dataclasses import dataclass
from datetime import date, timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, func, select, update
from sqlalchemy.exc import IntegrityError

from .. import crypto
from ..auth import service as auth_service
from ..auth.models import Badge
from ..extensions import db
from ..schools.history import Rollover, RolloverClass
from ..schools.models import (
    YEAR_GROUP_NAMES,
    Pupil,
    Role,
    School,
    SchoolClass,
    StaffRole,
    StaffUser,
    Trust,
    band_for_year,
)
from ..timeutil import utcnow
from .models import StaffPasswordLink

MAX_SCHOOL_NAME = 120
MAX_CLASS_NAME = 60
MAX_PERSON_NAME = 60
MAX_DISPLAY_NAME = 120
MAX_EMAIL = 254
STAFF_USERNAME_RE = re.compile(r"^[a-z0-9][a-z0-9._-]{2,59}$")
UPN_RE = re.compile(r"^[A-Z][0-9]{11}[0-9A-Z]$")
PASSWORD_LINK_DAYS = 7
MIN_STAFF_PASSWORD = 10
LANGUAGE_CODES = ("en", "cy")

AVATARS = ("fox", "owl", "bear", "rabbit", "frog", "panda", "lion", "penguin", "tiger", "koala", "mouse", "elephant")

class AdminError(Exception):
    """Bad input for an admin action; ``message`` is shown to the admin, nothing was written."""

    def __init__(self, message):
        super().__init__(message)  # a lazy string: translated when shown, in the request's language
        self.message = message


# --- small helpers ----------------------------------------------------------------------------

def clean(text: str | None) -> str:
    """Trim and collapse inner whitespace."""
    return " ".join((text or "").split())


def looks_like_formula(text: str) -> bool:
    return text[:1] in ("=", "+", "-", "@", "\t", "\r")


NAME_PUNCTUATION = set(" '’-.")


def person_name_problem(text: str):
    """Why ``text`` cannot be a pupil's first or last name, or None."""
    if not text:
        return _l("is empty")
    if len(text) > MAX_PERSON_NAME:
        return _l("is longer than %(n)s characters", n=MAX_PERSON_NAME)
    if looks_like_formula(text):
        return _l("starts with '%(char)s', like a spreadsheet formula", char=text[0])
    for ch in text:
        if ch in NAME_PUNCTUATION:
            continue
        if not unicodedata.category(ch).startswith(("L", "M")):
            return _l("has a character a name does not have: '%(char)s'", char=ch)
    return None


def plain_text_problem(text: str, limit: int):
    if not text:
        return _l("is empty")
    if len(text) > limit:
        return _l("is longer than %(n)s characters", n=limit)
    if looks_like_formula(text):
        return _l("starts with '%(char)s', like a spreadsheet formula", char=text[0])
    if any(unicodedata.category(ch).startswith("C") or ch in "<>" for ch in text):
        return _l("has characters that are not allowed (< > or control characters)")
    return None


def _ascii_slug(text: str) -> str:
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii").lower()
    return re.sub(r"[^a-z0-9]", "", folded)


def username_base(first: str, last: str) -> str:
    """'Zoë', 'O'Neill' -> 'zoe.o' (first name and the last name's initial, plain letters)."""
    first_part = _ascii_slug(first)[:40] or "pupil"
    last_part = _ascii_slug(last)[:1]
    return f"{first_part}.{last_part}" if last_part else first_part


class UsernamePicker:
    """Pupil usernames unique across the whole installation."""

    def __init__(self) -> None:
        self.taken: set[str] | None = None

    def pick(self, first: str, last: str) -> str:
        base = username_base(first, last)
        if self.taken is None:
            # Every pupil username, once per import: one query, right under any collation (a
            # range or LIKE on the stem depends on how the database sorts '.'), small in memory.
            self.taken = set(db.session.scalars(select(Pupil.username)))
        name, n = base, 1
        while name in self.taken:
            n += 1
            name = f"{base}{n}"
        self.taken.add(name)
        return name


# --- schools ----------------------------------------------------------------------------------

def _school_name(name: str) -> str:
    name = clean(name)
    problem = plain_text_problem(name, MAX_SCHOOL_NAME)
    if problem:
        raise AdminError(_l("The school name %(problem)s.", problem=problem))
    return name


def create_school(trust: Trust, name: str) -> School:
    name = _school_name(name)
    if db.session.scalar(select(School.id).where(School.trust_id == trust.id, School.name == name)):
        raise AdminError(_l("The trust already has a school called %(name)s.", name=name))
    school = School(trust_id=trust.id, name=name)
    db.session.add(school)
    db.session.flush()
    return school


def rename_school(school: School, name: str) -> None:
    name = _school_name(name)
    clash = db.session.scalar(select(School.id).where(
        School.trust_id == school.trust_id, School.name == name, School.id != school.id))
    if clash:
        raise AdminError(_l("The trust already has a school called %(name)s.", name=name))
    school.name = name
    db.session.flush()


# --- classes ----------------------------------------------------------------------------------

def school_classes(school: School, include_inactive: bool = True) -> list[SchoolClass]:
    query = select(SchoolClass).where(SchoolClass.school_id == school.id)
    if not include_inactive:
        query = query.where(SchoolClass.active.is_(True))
    return list(db.session.scalars(query.order_by(SchoolClass.active.desc(), SchoolClass.year_group,
                                                  SchoolClass.name)))


def _class_name(school: School, name: str, own_id: int | None = None) -> str:
    name = clean(name)
    problem = plain_text_problem(name, MAX_CLASS_NAME)
    if problem:
        raise AdminError(_l("The class name %(problem)s.", problem=problem))
    clash = db.session.scalar(select(SchoolClass.id).where(
        SchoolClass.school_id == school.id, func.lower(SchoolClass.name) == name.lower(),
        SchoolClass.id != (own_id or 0)))
    if clash:
        raise AdminError(_l("There is already a class called %(name)s (perhaps closed).", name=name))
    return name


def _year(year_group: int) -> int:
    if not isinstance(year_group, int) or not 0 <= year_group <= 6:
        raise AdminError(_l("Choose a year group from Reception to Year 6."))
    return year_group


def _teachers(school: School, staff_ids: list[int]) -> list[StaffUser]:
    if not staff_ids:
        return []
    staff = list(db.session.scalars(select(StaffUser).where(
        StaffUser.id.in_(staff_ids), StaffUser.school_id == school.id)))
    if len(staff) != len(set(staff_ids)):
        raise AdminError(_l("Teachers must be staff of this school."))
    return staff


def create_class(school: School, name: str, year_group: int, teacher_ids: list[int] = ()) -> SchoolClass:
    school_class = SchoolClass(school_id=school.id, name=_class_name(school, name), year_group=_year(year_group),
                               signin_token=auth_service.new_class_token())
    school_class.teachers = _teachers(school, list(teacher_ids))
    db.session.add(school_class)
    db.session.flush()
    return school_class


def update_class(school_class: SchoolClass, name: str, year_group: int, teacher_ids: list[int]) -> None:
    school = school_class.school
    school_class.name = _class_name(school, name, school_class.id)
    school_class.year_group = _year(year_group)
    school_class.teachers = _teachers(school, list(teacher_ids))
    db.session.flush()


def active_pupil_count(school_class: SchoolClass) -> int:
    return db.session.scalar(select(func.count()).select_from(Pupil).where(
        Pupil.class_id == school_class.id, Pupil.active.is_(True))) or 0


def deactivate_class(school_class: SchoolClass) -> None:
    """Close a class. Its pupils must be moved or marked as left first: nobody is lost by accident."""
    if active_pupil_count(school_class):
        raise AdminError(_l("Move the class's pupils to another class, or mark them as left, before closing it."))
    school_class.active = False
    db.session.flush()


def reactivate_class(school_class: SchoolClass) -> None:
    school_class.active = True
    db.session.flush()


# --- staff ------------------------------------------------------------------------------------

def assignable_roles(editor: StaffUser) -> list[Role]:
    """Admins give teacher and admin. DSL (which reads safeguarding concerns) is given by a DSL or
    a trust admin, and trust admin only by a trust admin: nobody hands out more than they hold."""
    roles = [Role.TEACHER]
    if editor.has_role(Role.DSL, Role.TRUST_ADMIN):
        roles.append(Role.DSL)
    roles.append(Role.ADMIN)
    if editor.has_role(Role.TRUST_ADMIN):
        roles.append(Role.TRUST_ADMIN)
    return roles


def may_manage_account(editor: StaffUser, staff: StaffUser) -> bool:
    """Whether ``editor`` may reset, close or reopen ``staff``'s account.

    A set-password link lets whoever holds it sign in as that account, so an admin manages only
    accounts with no role beyond what they could give themselves: a school admin cannot take over
    a DSL's account (and read concerns) or a trust admin's (and run every school).
    """
    return set(staff.roles) <= set(assignable_roles(editor))


def _roles(editor: StaffUser, wanted: list[str], current: frozenset[Role] = frozenset()) -> list[Role]:
    allowed = set(assignable_roles(editor))
    try:
        asked = {Role(r) for r in wanted}
    except ValueError as exc:
        raise AdminError(_l("That role does not exist.")) from exc
    if asked - allowed - set(current):
        raise AdminError(_l("You cannot give a role you could not be given by yourself: a DSL or a trust admin "
                            "gives the DSL role, a trust admin the trust admin role."))
    # A role the editor may not give stays as it was (an admin neither adds nor removes trust admin).
    roles = (asked & allowed) | (set(current) - allowed)
    if not roles:
        raise AdminError(_l("Give the staff member at least one role."))
    return sorted(roles, key=lambda r: list(Role).index(r))


def _display_name(name: str) -> str:
    name = clean(name)
    problem = plain_text_problem(name, MAX_DISPLAY_NAME)
    if problem:
        raise AdminError(_l("The name %(problem)s.", problem=problem))
    return name


def _email(email: str | None) -> str | None:
    email = (email or "").strip()
    if not email:
        return None
    if len(email) > MAX_EMAIL or not re.fullmatch(r"[^@\s<>]+@[^@\s<>]+\.[^@\s<>]+", email) or looks_like_formula(email):
        raise AdminError(_l("That email address does not look right."))
    return email


def _classes_for(school: School, class_ids: list[int]) -> list[SchoolClass]:
    if not class_ids:
        return []
    classes = list(db.session.scalars(select(SchoolClass).where(
        SchoolClass.id.in_(class_ids), SchoolClass.school_id == school.id)))
    if len(classes) != len(set(class_ids)):
        raise AdminError(_l("Classes must be classes of this school."))
    return classes


def school_staff(school: School) -> list[StaffUser]:
    return list(db.session.scalars(select(StaffUser).where(StaffUser.school_id == school.id)
                                   .order_by(StaffUser.active.desc(), StaffUser.display_name)))


def create_staff(school: School, editor: StaffUser, username: str, display_name: str, email: str | None,
                 roles: list[str], class_ids: list[int]) -> tuple[StaffUser, str]:
    """A new staff account with no usable password, and the one-time link to set one."""
    username = (username or "").strip().lower()
    if not STAFF_USERNAME_RE.match(username):
        raise AdminError(_l("A username is 3 to 60 lower-case letters, digits, dots, dashes or underscores."))
    if db.session.scalar(select(StaffUser.id).where(StaffUser.username == username)):
        raise AdminError(_l("The username %(name)s is taken.", name=username))
    staff = StaffUser(school_id=school.id, username=username, display_name=_display_name(display_name),
                      email=_email(email),
                      # Nobody knows this password: the account works once its owner follows the link.
                      password_hash=auth_service.hash_password(secrets.token_urlsafe(32)))
    staff.role_rows = [StaffRole(role=r.value) for r in _roles(editor, roles)]
    staff.classes = _classes_for(school, class_ids)
    db.session.add(staff)
    try:
        db.session.flush()
    except IntegrityError as exc:  # the same username created at the same moment elsewhere
        db.session.rollback()
        raise AdminError(_l("The username %(name)s is taken.", name=username)) from exc
    return staff, issue_password_link(staff, editor)


def update_staff(staff: StaffUser, editor: StaffUser, display_name: str, email: str | None, roles: list[str],
                 class_ids: list[int]) -> None:
    new_roles = _roles(editor, roles, staff.roles)
    if staff.id == editor.id and not {Role.ADMIN, Role.TRUST_ADMIN} & set(new_roles) & staff.roles:
        raise AdminError(_l("You cannot take away your own admin role: ask another admin."))
    staff.display_name = _display_name(display_name)
    staff.email = _email(email)
    have = {r.role: r for r in staff.role_rows}
    staff.role_rows = [have.get(r.value) or StaffRole(role=r.value) for r in new_roles]
    staff.classes = _classes_for(staff.school, class_ids)
    db.session.flush()


def deactivate_staff(staff: StaffUser, editor: StaffUser) -> None:
    """The account stops working at once (every session ends); its records stay."""
    if staff.id == editor.id:
        raise AdminError(_l("You cannot close your own account."))
    if not may_manage_account(editor, staff):
        raise AdminError(_l("This account has roles you do not have: ask a DSL or a trust admin."))
    staff.active = False
    staff.session_version += 1
    db.session.execute(delete(StaffPasswordLink).where(StaffPasswordLink.staff_id == staff.id,
                                                       StaffPasswordLink.used_at.is_(None)))
    db.session.flush()


def reactivate_staff(staff: StaffUser, editor: StaffUser) -> None:
    if not may_manage_account(editor, staff):
        raise AdminError(_l("This account has roles you do not have: ask a DSL or a trust admin."))
    staff.active = True
    db.session.flush()


def issue_password_link(staff: StaffUser, editor: StaffUser | None) -> str:
    """A new one-time set-password token (earlier unused ones stop working). Shown once.

    ``editor`` None is the command line (no one to check); an admin must be allowed to manage the account.
    """
    if editor is not None and staff.id != editor.id and not may_manage_account(editor, staff):
        raise AdminError(_l("This account has roles you do not have: ask a DSL or a trust admin."))
    db.session.execute(delete(StaffPasswordLink).where(StaffPasswordLink.staff_id == staff.id,
                                                       StaffPasswordLink.used_at.is_(None)))
    token = secrets.token_urlsafe(16)
    db.session.add(StaffPasswordLink(staff_id=staff.id, token_hash=crypto.token_hash(token),
                                     created_by_id=editor.id if editor else None,
                                     expires_at=utcnow() + timedelta(days=PASSWORD_LINK_DAYS)))
    db.session.flush()
    return token


def password_link(token: str) -> StaffPasswordLink | None:
    """The live link for ``token``: not used, not expired, its account active. Else None."""
    if not token or len(token) > 64:
        return None
    link = db.session.scalar(select(StaffPasswordLink).where(StaffPasswordLink.token_hash == crypto.token_hash(token)))
    if link is None or link.used_at is not None or link.expires_at <= utcnow():
        return None
    staff = db.session.get(StaffUser, link.staff_id)
    if staff is None or not staff.active:
        return None
    return link


def staff_password_problem(staff: StaffUser, password: str, confirm: str):
    if len(password) < MIN_STAFF_PASSWORD:
        return _l("Use at least %(n)s characters.", n=MIN_STAFF_PASSWORD)
    if len(password) > auth_service.MAX_PASSWORD:
        return _l("Use at most %(n)s characters.", n=auth_service.MAX_PASSWORD)
    if password.strip().lower() in {staff.username, staff.display_name.lower()}:
        return _l("Do not use your name or username as your password.")
    if password != confirm:
        return _l("The two passwords are not the same.")
    return None


def use_password_link(token: str, password: str, confirm: str) -> StaffUser:
    """Set the password and spend the link; every older session of the account ends."""
    link = password_link(token)
    if link is None:
        raise AdminError(_l("This link does not work any more. Ask your school admin for a new one."))
    staff = db.session.get(StaffUser, link.staff_id)
    problem = staff_password_problem(staff, password, confirm)
    if problem:
        raise AdminError(problem)
    spent = db.session.execute(update(StaffPasswordLink).where(
        StaffPasswordLink.id == link.id, StaffPasswordLink.used_at.is_(None)).values(used_at=utcnow()))
    if spent.rowcount != 1:  # used by another request a moment ago
        raise AdminError(_l("This link does not work any more. Ask your school admin for a new one."))
    staff.password_hash = auth_service.hash_password(password)
    staff.session_version += 1
    staff.failed_signins = 0
    staff.locked_until = None
    db.session.flush()
    return staff


# --- pupils -----------------------------------------------------------------------------------

@dataclass(frozen=True)
class PupilFilter:
    class_id: int | None = None
    show_left: bool = False
    search: str = ""


def school_pupils(school: School, filt: PupilFilter, limit: int = 2000) -> list[Pupil]:
    query = select(Pupil).where(Pupil.school_id == school.id)
    if not filt.show_left:
        query = query.where(Pupil.active.is_(True))
    if filt.class_id:
        query = query.where(Pupil.class_id == filt.class_id)
    if filt.search:
        like = f"%{filt.search.lower()}%"
        query = query.where(func.lower(Pupil.first_name + " " + Pupil.last_name).like(like)
                            | func.lower(Pupil.username).like(like) | (Pupil.upn == filt.search.upper()))
    return list(db.session.scalars(query.order_by(Pupil.last_name, Pupil.first_name, Pupil.id).limit(limit)))


def normalise_upn(upn: str | None) -> str | None:
    upn = (upn or "").strip().upper().replace(" ", "")
    return upn or None


def upn_problem(upn: str):
    if not UPN_RE.match(upn):
        return _l("is not a UPN (a letter then 12 digits, or 11 digits and a letter)")
    return None


def _pupil_fields(school: School, first: str, last: str, class_id: int, upn: str | None, language: str | None,
                  own_id: int | None = None) -> tuple[str, str, SchoolClass, str | None, str | None]:
    first, last = clean(first), clean(last)
    for label, value in ((_l("The first name"), first), (_l("The last name"), last)):
        problem = person_name_problem(value)
        if problem:
            raise AdminError(_l("%(field)s %(problem)s.", field=label, problem=problem))
    school_class = db.session.get(SchoolClass, class_id) if class_id else None
    if school_class is None or school_class.school_id != school.id or not school_class.active:
        raise AdminError(_l("Choose one of the school's open classes."))
    upn = normalise_upn(upn)
    if upn:
        problem = upn_problem(upn)
        if problem:
            raise AdminError(_l("The UPN %(problem)s.", problem=problem))
        clash = db.session.scalar(select(Pupil.id).where(Pupil.school_id == school.id, Pupil.upn == upn,
                                                         Pupil.id != (own_id or 0)))
        if clash:
            raise AdminError(_l("Another pupil of the school has the UPN %(upn)s.", upn=upn))
    if language and language not in LANGUAGE_CODES:
        raise AdminError(_l("Choose a language from the list."))
    return first, last, school_class, upn, language or None


@dataclass(frozen=True)
class Credentials:
    pupil: Pupil
    password: str | None  # shown once
    pictures: tuple[str, ...] | None


def give_first_credentials(pupil: Pupil, year_group: int) -> None:
    """What a school expects for a new pupil: EYFS/KS1 get a random picture password (printed on
    their card); KS2 and up get a typed password when their first card is printed."""
    if band_for_year(year_group) == "ks1":
        auth_service.set_picture_password(pupil, auth_service.random_picture_password())


def create_pupil(school: School, first: str, last: str, class_id: int, upn: str | None,
                 language: str | None, picker: UsernamePicker | None = None) -> Pupil:
    first, last, school_class, upn, language = _pupil_fields(school, first, last, class_id, upn, language)
    pupil = Pupil(school_id=school.id, class_id=school_class.id, first_name=first, last_name=last,
                  username=(picker or UsernamePicker()).pick(first, last), upn=upn, language=language,
                  avatar=secrets.choice(AVATARS))
    db.session.add(pupil)
    db.session.flush()
    give_first_credentials(pupil, school_class.year_group)
    return pupil


def update_pupil(pupil: Pupil, first: str, last: str, class_id: int, upn: str | None, language: str | None) -> None:
    first, last, school_class, upn, language = _pupil_fields(pupil.school, first, last, class_id, upn, language,
                                                             pupil.id)
    moving_to_ks1 = school_class.band == "ks1" and pupil.picture_password is None
    pupil.first_name, pupil.last_name, pupil.upn, pupil.language = first, last, upn, language
    pupil.class_id = school_class.id
    pupil.school_class = school_class
    if moving_to_ks1:
        auth_service.set_picture_password(pupil, auth_service.random_picture_password())
    db.session.flush()


def deactivate_pupil(pupil: Pupil) -> None:
    """A leaver: cannot sign in any more (sessions end, badges stop); every record is kept."""
    pupil.active = False
    pupil.session_version += 1
    auth_service.revoke_badges(pupil)
    db.session.flush()


def reactivate_pupil(pupil: Pupil) -> None:
    if pupil.school_class is None or not pupil.school_class.active:
        raise AdminError(_l("Put the pupil in an open class first."))
    pupil.active = True
    db.session.flush()


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
