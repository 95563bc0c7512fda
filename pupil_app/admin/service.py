"""Running a school: limits, the error admin actions raise, small checks, schools and classes.

Plain functions that flush and never commit; the views commit once. Every function takes objects
the view has already loaded through a scoped loader (``schools.service``), and refuses bad input
with ``AdminError`` before writing anything. Staff accounts are in ``staff_accounts``, pupils in
``pupils``, the year-end rollover in ``rollover``, the MIS import in ``importer``.
"""

from __future__ import annotations

import re
import unicodedata

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from unidecode import unidecode

from .. import csv_export
from ..auth import service as auth_service
from ..extensions import db
from ..schools.models import Pupil, School, SchoolClass, StaffUser, Trust

MAX_SCHOOL_NAME = 120
MAX_CLASS_NAME = 60
MAX_PERSON_NAME = 60
MAX_DISPLAY_NAME = 120
MAX_EMAIL = 254
STAFF_USERNAME_RE = re.compile(r"^[a-z0-9][a-z0-9._-]{2,59}$")
UPN_RE = re.compile(r"^[A-Z][0-9]{11}[0-9A-Z]$")
PASSWORD_LINK_DAYS = 7
MIN_STAFF_PASSWORD = 10
LANGUAGE_CODES = ("en", "cy", "pl", "ro", "ur", "ar")


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
    return csv_export.looks_like_formula(text)


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
    """Plain letters a child can type: 'Łukasz' -> 'lukasz', 'Zoë' -> 'zoe' (transliterated, never dropped)."""
    return re.sub(r"[^a-z0-9]", "", unidecode(unicodedata.normalize("NFKC", text)).lower())


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
