"""Time in one place.

Stored: UTC, naive in the database (SQLite keeps no zone). Shown: in the school's time zone
(``TIMEZONE``, also Flask-Babel's ``BABEL_DEFAULT_TIMEZONE``), in the page's language, English in
British order ("5 January 2028"). Every date a page, a CSV or an email shows goes through the
``format_*`` functions here (the templates' ``dateformat``, ``datetimeformat``, ``local_time`` and
``child_date`` filters call them), so a concern page and a pledge page never disagree about the day.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

from babel.dates import format_date as babel_format_date, format_datetime as babel_format_datetime
from flask import current_app, has_request_context
from flask_babel import get_locale

# Babel's plain "en" is American English (month first); the app's English is British.
FORMAT_LOCALES = {"en": "en_GB"}


def utcnow() -> datetime:
    """Now in UTC as a naive datetime, the form every DateTime column stores."""
    return datetime.now(UTC).replace(tzinfo=None)


def zone() -> ZoneInfo:
    return ZoneInfo(current_app.config["TIMEZONE"])


def local(moment: datetime | None) -> datetime | None:
    """A stored (naive UTC) moment in the school's time zone."""
    if moment is None:
        return None
    return moment.replace(tzinfo=UTC).astimezone(zone())


def local_today() -> date:
    return datetime.now(zone()).date()


def day_start_utc(day: date) -> datetime:
    """The UTC instant (naive) at which ``day`` begins in the school's time zone."""
    return datetime.combine(day, time.min, tzinfo=zone()).astimezone(UTC).replace(tzinfo=None)


def to_utc(moment: datetime) -> datetime:
    """A local (naive, school time zone) datetime as naive UTC."""
    return moment.replace(tzinfo=zone()).astimezone(UTC).replace(tzinfo=None)


def _locale(language: str | None = None) -> str:
    if language is None:
        locale = get_locale() if has_request_context() else None
        language = str(locale) if locale else "en"
    return FORMAT_LOCALES.get(language, language)


def format_day(value: date | datetime | None, fmt: str = "d MMMM yyyy", language: str | None = None) -> str:
    """A day: a ``date`` as it is, a stored moment as the day it was in the school's time zone."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        value = local(value).date()
    return babel_format_date(value, fmt, locale=_locale(language))


def format_moment(value: datetime | None, fmt: str = "d MMM yyyy, HH:mm", language: str | None = None) -> str:
    """A stored moment as a date and time in the school's time zone."""
    if value is None:
        return ""
    return babel_format_datetime(local(value), fmt, tzinfo=zone(), locale=_locale(language))


def format_local(value: datetime | None, fmt: str = "%d/%m/%Y %H:%M") -> str:
    """A stored moment in the school's time zone with a ``strftime`` pattern (numbers only: tables, CSV)."""
    moment = local(value)
    return moment.strftime(fmt) if moment else ""


def register_filters(app) -> None:
    """The templates' date filters, replacing Flask-Babel's (which would show English in US order)."""
    app.jinja_env.filters.update(
        dateformat=format_day, datetimeformat=format_moment, local_time=format_local,
        child_date=lambda moment: format_day(moment, "EEEE d MMMM"))
