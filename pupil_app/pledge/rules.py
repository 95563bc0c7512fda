"""What the pledge's parts share: signing states, text limits, parents' relationships, the error raised.
"""

from __future__ import annotations

import re
from typing import Any

from flask_babel import lazy_gettext as _l

SIGNED, NOT_YET, AGAIN = "signed", "not_yet", "again"
MAX_TYPED_NAME = 60
MAX_PARENT_NAME = 120
MAX_NOTE = 200
PARENT_TOKEN_BYTES = 16  # 128 random bits
PARENT_TOKEN_RE = re.compile(r"^[a-z2-7]{26}$")
RELATIONSHIPS: dict[str, Any] = {
    "mother": _l("Mother"),
    "father": _l("Father"),
    "parent": _l("Parent"),
    "carer": _l("Carer"),
    "grandparent": _l("Grandparent"),
    "other": _l("Other family member or guardian"),
}


class PledgeError(Exception):
    """Something that cannot be done; ``status`` is the HTTP status the view returns, nothing is written."""

    def __init__(self, status: int, message, problems: list[str] | None = None):
        super().__init__(str(message))
        self.status = status
        self.message = message
        self.problems = problems or []
