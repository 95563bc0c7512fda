"""Concerns as plain functions: what every part shares (limits, the error they raise).

The work is in telling (a pupil's Tell an adult), staff_logging (any staff member logs a concern
or an incident), handling (the DSL's work on one concern), inbox (the DSL's list, filters and
search) and incident_log (policy appendix 6). Functions flush; views commit once. Every read of a
concern by staff goes through handling.load_for_dsl (own school only, refusals audited); every
view, export and change adds an audit row in the same transaction as the change itself.
"""

from __future__ import annotations

import re
from datetime import timedelta

from .models import ABOUT_CHOICES, FEELINGS, LOCATIONS, WHAT_CHOICES

MAX_WORDS = 4000          # a pupil's words: a full page of writing
MAX_STAFF_TEXT = 10000    # what a staff member saw or heard
MAX_ENTRY = 5000          # one chronology entry
MAX_REASON = 2000
MAX_INCIDENT_LOCATION = 200
MAX_SEARCH = 100
MESSAGES_SHOWN_FOR = timedelta(days=60)
KEY_RE = re.compile(r"^[A-Za-z0-9_-]{16,64}$")
STEPS = ("feel", "what", "about", "where", "words", "adult", "send")
CHOICE_STEPS: dict[str, tuple[str, tuple[str, ...]]] = {
    "feel": ("feeling", FEELINGS),
    "what": ("what", WHAT_CHOICES),
    "about": ("about", ABOUT_CHOICES),
    "where": ("location", LOCATIONS),
}
URGENT_WHAT = {"stranger", "secrets"}
URGENT_FEELINGS = {"scared"}
PER_PAGE = 50
WORD_SEARCH_LIMIT = 2000
OPEN_STATUSES = ("new", "acknowledged", "in_progress")
# The inbox's order: new first, then the rest still open (urgent first in both), then closed; newest first.
INBOX_GROUPS = (("new",), ("acknowledged", "in_progress"), ("closed",))


class ConcernError(Exception):
    """Input that cannot be taken; ``status`` is the HTTP status, ``message`` says what to do."""

    def __init__(self, status: int, message):
        super().__init__(str(message))
        self.status = status
        self.message = message
