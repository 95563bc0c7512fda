"""Pupils: search, adding (with first sign-in secrets), changing, leaving and returning.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from ..auth import service as auth_service
from ..extensions import db
from ..schools import looks
from ..schools.models import Pupil, School, SchoolClass, band_for_year
from .service import LANGUAGE_CODES, UPN_RE, AdminError, UsernamePicker, clean, person_name_problem

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


def namesakes(school: School, first: str, last: str) -> list[Pupil]:
    """Pupils on roll with this name (any case): adding one more by hand is probably a second account."""
    return list(db.session.scalars(select(Pupil).where(
        Pupil.school_id == school.id, Pupil.active.is_(True), func.lower(Pupil.first_name) == first.lower(),
        func.lower(Pupil.last_name) == last.lower())))


def create_pupil(school: School, first: str, last: str, class_id: int, upn: str | None,
                 language: str | None, picker: UsernamePicker | None = None, *, namesake_ok: bool = True) -> Pupil:
    first, last, school_class, upn, language = _pupil_fields(school, first, last, class_id, upn, language)
    if not namesake_ok and (same := namesakes(school, first, last)):
        raise AdminError(_l("%(name)s is already on roll (%(where)s). If this is a different child, tick "
                            "'A different child with the same name' and add them again.", name=same[0].full_name,
                            where=", ".join(p.class_name or "" for p in same)))
    pupil = Pupil(school_id=school.id, class_id=school_class.id, first_name=first, last_name=last,
                  username=(picker or UsernamePicker()).pick(first, last), upn=upn, language=language,
                  avatar="")
    looks.give_look(pupil, school_class.id)
    db.session.add(pupil)
    db.session.flush()
    give_first_credentials(pupil, school_class.year_group)
    return pupil


def update_pupil(pupil: Pupil, first: str, last: str, class_id: int, upn: str | None, language: str | None) -> None:
    first, last, school_class, upn, language = _pupil_fields(pupil.school, first, last, class_id, upn, language,
                                                             pupil.id)
    moving_to_ks1 = school_class.band == "ks1" and pupil.picture_password is None
    pupil.first_name, pupil.last_name, pupil.upn, pupil.language = first, last, upn, language
    if pupil.class_id != school_class.id:
        looks.give_look(pupil, school_class.id)
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
    looks.give_look(pupil)
    pupil.active = True
    db.session.flush()
