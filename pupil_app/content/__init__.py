"""Load and validate the lesson content in ``content/`` into immutable objects.

Content is data: modules, quizzes, outcomes and the Acceptable Use pledges are TOML files (see
``content/README.md``).
``load_content`` reads them once at start-up; every problem is collected and reported together,
each naming the file and the fault, and start-up stops (``ContentError``).
``python -m pupil_app.content.loader [DIR]`` and ``flask content check`` run the same validation.
"""

from __future__ import annotations

from flask import current_app

from .loader import extract_content_strings, load_content
from .model import (
    Band,
    Category,
    Choice,
    Content,
    ContentError,
    Module,
    Outcome,
    ParentAup,
    ParentStatement,
    Pledge,
    PledgeStatement,
    PolicySection,
    Question,
    Risk,
    Screen,
)
from .pledges import check_pledge_wording
from .rules import BAND_TYPES, BANDS, CATEGORIES

__all__ = [
    "BAND_TYPES", "BANDS", "CATEGORIES", "Band", "Category", "Choice", "Content", "ContentError", "Module", "Outcome",
    "ParentAup", "ParentStatement", "Pledge", "PledgeStatement", "PolicySection", "Question", "Risk", "Screen",
    "check_pledge_wording", "current_content", "extract_content_strings", "load_content",
]


def current_content() -> Content:
    """The content loaded at start-up by this app (read-only, shared by every request)."""
    return current_app.extensions["content"]
