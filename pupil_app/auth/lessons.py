"""A class open for a lesson: the class page takes picture sign-ins only while a teacher has opened it.

The class page and its sign-in link are printed on a poster, so anyone can reach them. A teacher
opens the class from their class page (or the poster) at the start of a lesson; it closes itself
after ``CLASS_OPEN_FOR`` and never stays open past ``SCHOOL_DAY_ENDS`` (school time zone), or the
teacher closes it. While it is closed the class page shows no names and takes no sign-in.
Badges and typed passwords are not affected (they are not guessable in the same way).
"""

from __future__ import annotations

from datetime import UTC, datetime, time
from zoneinfo import ZoneInfo

from flask import current_app

from ..extensions import db
from ..schools.models import SchoolClass
from ..timeutil import utcnow


def _end_of_school_day(now_utc: datetime) -> datetime:
    zone = ZoneInfo(current_app.config["TIMEZONE"])
    local = now_utc.replace(tzinfo=UTC).astimezone(zone)
    hours, minutes = (int(x) for x in current_app.config["SCHOOL_DAY_ENDS"].split(":"))
    end = datetime.combine(local.date(), time(hours, minutes), tzinfo=zone)
    return end.astimezone(UTC).replace(tzinfo=None)


def clock(moment_utc: datetime) -> str:
    """A time of today as staff read it (school time zone), e.g. "14:30"."""
    zone = ZoneInfo(current_app.config["TIMEZONE"])
    return moment_utc.replace(tzinfo=UTC).astimezone(zone).strftime("%H:%M")


def is_open(school_class: SchoolClass) -> bool:
    return school_class.signin_open_until is not None and school_class.signin_open_until > utcnow()


def open_for_lesson(school_class: SchoolClass) -> datetime | None:
    """Open the class for picture sign-in now; returns until when (UTC), or None after the school day."""
    now = utcnow()
    until = min(now + current_app.config["CLASS_OPEN_FOR"], _end_of_school_day(now))
    if until <= now:
        return None
    school_class.signin_open_until = until
    db.session.flush()
    return until


def close(school_class: SchoolClass) -> None:
    school_class.signin_open_until = None
    db.session.flush()
