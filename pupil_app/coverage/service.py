"""Curriculum coverage: what "passed" means, percentages, the 4Cs grouping, and the registry other
features use to add a column or a section to the coverage pages.

The summary table ``module_progress`` (one row per pupil and module) answers the grid and the heat
maps with one aggregate query each, whatever the number of pupils; quiz answers (``quiz_attempts``)
answer the outcome and question views. Every function of this package takes already-authorised
objects (the views load them through the scoped loaders of ``schools.service``) and knows nothing
of HTTP: ``classes`` (a class and a pupil), ``overviews`` (school and trust heat maps, pledge
completion), ``terms`` (terms and the report to governors), ``charts`` (what the SVG templates draw).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import and_

from ..content import CATEGORIES, Module, current_content as content
from ..schools.models import Pupil
from . import models  # noqa: F401  (the indexes the queries below read through)

# ---------------------------------------------------------------------------------------------
# The one definition of "passed": a module is passed when the pupil's best quiz score is at least
# PASS_PERCENT of the questions (the same line as two stars on the pupil's own page).
PASS_PERCENT = 60
# "Who needs help": a finished module below the pass line, or this many tries without passing.
HELP_RETRIES = 3
# Trust-level figures hide any group smaller than this, so no child can be picked out.
MIN_GROUP = 5

NOT_STARTED, STARTED, PASSED = "not_started", "started", "passed"



def is_pass(score: int | None, total: int | None) -> bool:
    return score is not None and bool(total) and score * 100 >= total * PASS_PERCENT


def passed_sql(score, total):
    return and_(total > 0, score * 100 >= total * PASS_PERCENT)


def percent(part: int, whole: int) -> int | None:
    """A whole percentage, rounded down (so 'every pupil' really means every one); None for 0 of 0."""
    if not whole:
        return None
    return math.floor(part * 100 / whole)


def grouped_modules(year_group: int) -> list[tuple[str, list[Module]]]:
    """The year's modules grouped by risk category in the 4Cs order (Content, Contact, Conduct, Commerce)."""
    groups: dict[str, list[Module]] = {c: [] for c in CATEGORIES}
    for module in content().modules_for_year(year_group):
        groups[module.category].append(module)
    return [(c, ms) for c, ms in groups.items() if ms]


# ---------------------------------------------------------------------------------------------
# Extra pupil columns and sections: other features (pledge status, parent acknowledgement, pledge
# history) add a column to the class grid, its CSV and the pupil page, or a section to the pupil
# page, by registering it here once (e.g. from their blueprint module); nothing else changes.

@dataclass(frozen=True)
class PupilColumn:
    key: str
    label: Any  # a lazy string
    # Given the pupils' ids, one query answering {pupil_id: text to show}; missing ids show "".
    values: Callable[[list[int]], dict[int, str]]


PUPIL_COLUMNS: list[PupilColumn] = []


def register_pupil_column(column: PupilColumn) -> None:
    if any(c.key == column.key for c in PUPIL_COLUMNS):
        raise ValueError(f"pupil column {column.key!r} is already registered")
    PUPIL_COLUMNS.append(column)


@dataclass(frozen=True)
class PupilSection:
    """A section of the pupil page from another feature (e.g. pledge history)."""

    key: str
    template: str  # rendered with ``pupil`` and ``data`` in its context
    data: Callable[[Pupil], Any]


PUPIL_SECTIONS: list[PupilSection] = []


def register_pupil_section(section: PupilSection) -> None:
    if any(s.key == section.key for s in PUPIL_SECTIONS):
        raise ValueError(f"pupil section {section.key!r} is already registered")
    PUPIL_SECTIONS.append(section)


def extra_values(pupil_ids: list[int]) -> dict[str, dict[int, str]]:
    return {c.key: c.values(pupil_ids) if pupil_ids else {} for c in PUPIL_COLUMNS}


# Pledge completion on the overviews: the feature that keeps signatures answers, for some schools,
# {(school_id, year_group): pupils signed}; coverage draws the shares without knowing how.
SignedCounts = Callable[[list[int]], dict[tuple[int, int], int]]
_signed_counts: list[SignedCounts] = []


def register_signed_counts(counts: SignedCounts) -> None:
    if _signed_counts:
        raise ValueError("signed counts are already registered")
    _signed_counts.append(counts)


def signed_by_year(school_ids: list[int]) -> dict[tuple[int, int], int]:
    return _signed_counts[0](school_ids) if _signed_counts else {}


STATUS_LABELS = {
    NOT_STARTED: _l("not started"),
    STARTED: _l("started"),
    PASSED: _l("passed"),
}


# Notes on the report to governors: the pledge feature names the major versions published in a term
# (pupils then sign again, so completion falls to zero and must not read as a failure).
_version_notes: list[Callable[[int, date, date], list]] = []


def register_version_notes(notes: Callable[[int, date, date], list]) -> None:
    _version_notes.append(notes)


def major_versions_between(school_id: int, start: date, end: date) -> list:
    return [v for notes in _version_notes for v in notes(school_id, start, end)]
