"""Which languages a school's pupils see, and each catalogue's review state for that school.

Functions flush; the caller commits.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from flask import g, has_request_context
from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError

from ..extensions import db
from ..timeutil import utcnow
from .catalogue import DEFAULT_OFFERED, LANGUAGES, Language
from .models import SchoolLanguage


class LanguageError(ValueError):
    pass


@dataclass(frozen=True)
class LanguageState:
    language: Language
    offered: bool
    reviewed_at: datetime | None
    reviewed_by: str | None

    @property
    def drafted(self) -> bool:
        """Shown to the school as "drafted, awaiting review by a fluent speaker"."""
        return not self.language.source and self.reviewed_at is None


def _rows(school_id: int) -> dict[str, SchoolLanguage]:
    return {row.language: row for row in db.session.scalars(
        select(SchoolLanguage).where(SchoolLanguage.school_id == school_id))}


def states(school_id: int) -> list[LanguageState]:
    """Every language with whether the school offers it and who marked it reviewed."""
    rows = _rows(school_id)
    result = []
    for code, language in LANGUAGES.items():
        row = rows.get(code)
        offered = language.source or (row.offered if row else code in DEFAULT_OFFERED)
        result.append(LanguageState(language, offered, row.reviewed_at if row else None,
                                    row.reviewed_by if row else None))
    return result


def offered(school_id: int) -> list[str]:
    """The codes a school's pupils may choose, in switcher order; English always."""
    return [s.language.code for s in states(school_id) if s.offered]


def offered_cached(school_id: int) -> list[str]:
    """offered(), looked up once per request (the locale selector and the switcher both ask).

    The language of a page must never be what breaks it: when the database cannot answer (an error
    page while it is away), every language counts as offered and the child keeps their own."""
    if not has_request_context():
        return offered(school_id)
    cache = g.setdefault("offered_languages", {})
    if school_id not in cache:
        try:
            cache[school_id] = offered(school_id)
        except SQLAlchemyError:
            db.session.rollback()
            cache[school_id] = list(LANGUAGES)
    return cache[school_id]


def _row(school_id: int, code: str) -> SchoolLanguage:
    if code not in LANGUAGES:
        raise LanguageError(code)
    row = db.session.get(SchoolLanguage, (school_id, code))
    if row is None:
        row = SchoolLanguage(school_id=school_id, language=code, offered=code in DEFAULT_OFFERED)
        db.session.add(row)
    return row


def set_offered(school_id: int, codes: set[str]) -> list[str]:
    """Offer exactly these languages (English is always offered). Returns the new list."""
    unknown = codes - set(LANGUAGES)
    if unknown:
        raise LanguageError(", ".join(sorted(unknown)))
    for code, language in LANGUAGES.items():
        if not language.source:
            _row(school_id, code).offered = code in codes
    db.session.flush()
    if has_request_context():
        g.pop("offered_languages", None)
    return offered(school_id)


def mark_reviewed(school_id: int, code: str, reviewer: str) -> None:
    """A fluent speaker at the school has read the catalogue: it no longer shows as drafted."""
    if code not in LANGUAGES or LANGUAGES[code].source:
        raise LanguageError(code)
    row = _row(school_id, code)
    row.reviewed_at, row.reviewed_by = utcnow(), reviewer[:120]
    db.session.flush()


def unmark_reviewed(school_id: int, code: str) -> None:
    """Undo a review mark: the catalogue shows as drafted again."""
    if code not in LANGUAGES or LANGUAGES[code].source:
        raise LanguageError(code)
    row = _row(school_id, code)
    row.reviewed_at = row.reviewed_by = None
    db.session.flush()
