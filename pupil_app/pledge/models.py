"""Pledge versions per school, pupils' signatures, parent links and acknowledgements.

Versions, signatures and acknowledgements are records of what was agreed: once written they are
never changed or deleted through the app (the ORM refuses; see ``_immutable``). A new wording is a
new version; signing again is a new signature.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Index, String, UniqueConstraint, event
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from ..issued_tokens import IssuedToken
from ..timeutil import utcnow

CHANGE_KINDS = ("first", "minor", "major")


class PledgeVersion(db.Model):
    """One published wording of a pledge (ks1 or ks2) for one school: major.minor.

    ``statements`` is the full text as published (id, text, why, picture, alt, policy, modules,
    outcomes per promise), so an old version can always be shown exactly as it was.
    """

    __tablename__ = "pledge_versions"
    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("schools.id", ondelete="CASCADE"))
    pledge: Mapped[str] = mapped_column(String(10))
    major: Mapped[int] = mapped_column()
    minor: Mapped[int] = mapped_column()
    change: Mapped[str] = mapped_column(String(10))
    # "shipped": the app's own text (content/pledges, at shipped_version); "school": the school's wording.
    source: Mapped[str] = mapped_column(String(10))
    shipped_version: Mapped[int] = mapped_column()
    title: Mapped[str] = mapped_column(String(80))
    statements: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    text_sha256: Mapped[str] = mapped_column(String(64))
    note: Mapped[str | None] = mapped_column(String(200))
    published_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id", ondelete="SET NULL"))
    published_at: Mapped[datetime] = mapped_column(default=utcnow)

    __table_args__ = (
        UniqueConstraint("school_id", "pledge", "major", "minor"),
        CheckConstraint("change IN ('first', 'minor', 'major')", name="known_change"),
        CheckConstraint("source IN ('shipped', 'school')", name="known_source"),
        Index("ix_pledge_versions_school_pledge", "school_id", "pledge"),
    )

    @property
    def label(self) -> str:
        return f"{self.major}.{self.minor}"


class PledgeSignature(db.Model):
    """A pupil made every promise of a version and signed: who, which band and version, what text, when, where."""

    __tablename__ = "pledge_signatures"
    id: Mapped[int] = mapped_column(primary_key=True)
    pupil_id: Mapped[int] = mapped_column(ForeignKey("pupils.id", ondelete="CASCADE"))
    school_id: Mapped[int] = mapped_column(ForeignKey("schools.id", ondelete="CASCADE"), index=True)
    class_id: Mapped[int | None] = mapped_column(ForeignKey("classes.id", ondelete="SET NULL"))
    class_name: Mapped[str] = mapped_column(String(60))
    year_group: Mapped[int | None] = mapped_column()  # on the day of signing
    band: Mapped[str] = mapped_column(String(10))
    version_id: Mapped[int] = mapped_column(ForeignKey("pledge_versions.id"), index=True)
    pledge: Mapped[str] = mapped_column(String(10))
    major: Mapped[int] = mapped_column()
    minor: Mapped[int] = mapped_column()
    # SHA-256 of the exact text the pupil was shown and signed (title and promises, in `language`).
    text_sha256: Mapped[str] = mapped_column(String(64))
    language: Mapped[str] = mapped_column(String(10))
    method: Mapped[str] = mapped_column(String(10))  # "tap" (EYFS/KS1) or "name" (KS2 types their first name)
    typed_name: Mapped[str | None] = mapped_column(String(60))
    signed_at: Mapped[datetime] = mapped_column(default=utcnow)

    __table_args__ = (
        Index("ix_pledge_signatures_pupil_signed", "pupil_id", "signed_at"),
        CheckConstraint("method IN ('tap', 'name')", name="known_method"),
    )

    @property
    def label(self) -> str:
        return f"{self.major}.{self.minor}"


class PledgeSettings(db.Model):
    """A school's pledge settings: from which date every pupil signs again (a new school year)."""

    __tablename__ = "pledge_settings"
    school_id: Mapped[int] = mapped_column(ForeignKey("schools.id", ondelete="CASCADE"), primary_key=True)
    resign_from: Mapped[date | None] = mapped_column()
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id", ondelete="SET NULL"))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class ParentLink(IssuedToken, db.Model):
    """The per-pupil link printed on the parent letter. Only its keyed hash is stored."""

    __tablename__ = "parent_links"
    id: Mapped[int] = mapped_column(primary_key=True)
    pupil_id: Mapped[int] = mapped_column(ForeignKey("pupils.id", ondelete="CASCADE"), index=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("schools.id", ondelete="CASCADE"))


class ParentAcknowledgement(db.Model):
    """A parent or carer acknowledged the Parent/Carer AUP (every statement ticked) for a pupil."""

    __tablename__ = "parent_acknowledgements"
    id: Mapped[int] = mapped_column(primary_key=True)
    pupil_id: Mapped[int] = mapped_column(ForeignKey("pupils.id", ondelete="CASCADE"))
    school_id: Mapped[int] = mapped_column(ForeignKey("schools.id", ondelete="CASCADE"), index=True)
    class_id: Mapped[int | None] = mapped_column(ForeignKey("classes.id", ondelete="SET NULL"))
    link_id: Mapped[int | None] = mapped_column(ForeignKey("parent_links.id", ondelete="SET NULL"))
    parent_name: Mapped[str] = mapped_column(String(120))
    relationship: Mapped[str] = mapped_column(String(20))
    aup_version: Mapped[int] = mapped_column()
    pledge_version_id: Mapped[int | None] = mapped_column(ForeignKey("pledge_versions.id"))
    statements: Mapped[list[str]] = mapped_column(JSON)
    text_sha256: Mapped[str] = mapped_column(String(64))
    language: Mapped[str] = mapped_column(String(10))
    acknowledged_at: Mapped[datetime] = mapped_column(default=utcnow)

    __table_args__ = (Index("ix_parent_acknowledgements_pupil_at", "pupil_id", "acknowledged_at"),)


class ImmutableRecord(Exception):
    """Raised when code tries to change or delete a published version, a signature or an acknowledgement."""


def _immutable(model: type) -> None:
    def refuse(_mapper, _connection, target):
        raise ImmutableRecord(f"{type(target).__name__} {target.id} is a record of what was agreed: it is never changed")

    event.listen(model, "before_update", refuse)
    event.listen(model, "before_delete", refuse)


for _model in (PledgeVersion, PledgeSignature, ParentAcknowledgement):
    _immutable(_model)
