"""Concern counts for the school overview and the report to governors: numbers only.

Nothing here reads a concern's words, a pupil or a member of staff: one grouped count per
category and term.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Protocol

from sqlalchemy import and_, case, func, select

from ..extensions import db
from .models import CATEGORIES, Concern, Incident


class TermLike(Protocol):
    id: str
    start: date
    end: date  # exclusive


def counts_by_category_and_term(school_id: int, terms: Sequence[TermLike]) -> dict[str, dict[str, int]]:
    """{category: {term id: concerns logged in that term}} for every category: one query."""
    out = {c: {t.id: 0 for t in terms} for c in CATEGORIES}
    if not terms:
        return out
    bounds = [(t.id, datetime.combine(t.start, datetime.min.time()), datetime.combine(t.end, datetime.min.time()))
              for t in terms]
    term_of = case(*[(and_(Concern.created_at >= start, Concern.created_at < end), tid) for tid, start, end in bounds])
    rows = db.session.execute(
        select(Concern.category, term_of, func.count())
        .where(Concern.school_id == school_id, Concern.created_at >= min(b[1] for b in bounds),
               Concern.created_at < max(b[2] for b in bounds))
        .group_by(Concern.category, term_of))
    for category, term_id, n in rows:
        if category in out and term_id in out[category]:
            out[category][term_id] = n
    return out


def _term_bounds(terms: Sequence[TermLike]):
    return [(t.id, datetime.combine(t.start, datetime.min.time()), datetime.combine(t.end, datetime.min.time()))
            for t in terms]


def incidents_by_term(school_id: int, terms: Sequence[TermLike]) -> dict[str, int]:
    """{term id: incidents recorded directly in the log}: one query a term (two terms at most)."""
    return {t.id: db.session.scalar(select(func.count()).select_from(Incident).where(
        Incident.school_id == school_id, Incident.occurred_on >= t.start, Incident.occurred_on < t.end)) or 0
        for t in terms}


OUTCOME_MARKERS = ("social_care_on", "police_on", "early_help_on")


def outcomes_by_term(school_id: int, terms: Sequence[TermLike]) -> dict[str, dict[str, int]]:
    """{marker: {term id: concerns where that agency was informed in the term}}: referrals, police, Early Help."""
    out = {}
    for marker in OUTCOME_MARKERS:
        column = getattr(Concern, marker)
        out[marker] = {t.id: db.session.scalar(select(func.count()).select_from(Concern).where(
            Concern.school_id == school_id, column >= t.start, column < t.end)) or 0 for t in terms}
    return out
