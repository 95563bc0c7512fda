"""What every part of filtering shares: its error, who reads what, and text and time as stored."""

from __future__ import annotations

from datetime import UTC, datetime

from flask_babel import lazy_gettext as _l

from .. import timeutil
from ..schools.models import Role
from ..timeutil import local, local_today  # noqa: F401  (school time, for the rest of filtering)

# Who reads filtering reports and the review; who records what was done in the filter; who triages alerts.
READERS = (Role.FILTERING_LEAD, Role.ONLINE_SAFETY_LEAD, Role.DSL)
FILTER_ACTORS = (Role.FILTERING_LEAD,)
TRIAGERS = (Role.DSL,)
REVIEWERS = (Role.ONLINE_SAFETY_LEAD, Role.FILTERING_LEAD, Role.DSL)
REVIEW_READERS = REVIEWERS + (Role.ADMIN,)


class FilteringError(Exception):
    """Input that cannot be taken; ``status`` is the HTTP status, ``message`` says what to do."""

    def __init__(self, status: int, message):
        super().__init__(str(message))
        self.status = status
        self.message = message


def clean_text(raw: str | None, limit: int, required_message=None) -> str | None:
    """Text a person typed: line ends made plain, NULs dropped, length checked; blank is None."""
    text = (raw or "").replace("\r\n", "\n").replace("\x00", "").strip()
    if len(text) > limit:
        raise FilteringError(400, _l("That text is too long (at most %(limit)s characters).", limit=f"{limit:,}"))
    if not text:
        if required_message is not None:
            raise FilteringError(400, required_message)
        return None
    return text


def to_utc(moment: datetime) -> datetime:
    """A moment as naive UTC: an aware one converted, a naive one read as school time."""
    if moment.tzinfo is None:
        return timeutil.to_utc(moment)
    return moment.astimezone(UTC).replace(tzinfo=None)
