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
from .models import CATEGORIES, Concern


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
