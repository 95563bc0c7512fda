"""Sign-in badges: printable QR cards that sign one pupil in."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from ..schools.models import Pupil
from ..timeutil import utcnow


class Badge(db.Model):
    """A revocable badge token. Only its keyed SHA-256 is stored; the token is shown once, on the card."""

    __tablename__ = "badges"
    id: Mapped[int] = mapped_column(primary_key=True)
    pupil_id: Mapped[int] = mapped_column(ForeignKey("pupils.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id", ondelete="SET NULL"))
    # Cards are printed for a school year; an old card stops working on its own.
    expires_at: Mapped[datetime] = mapped_column()
    revoked_at: Mapped[datetime | None] = mapped_column()
    last_used_at: Mapped[datetime | None] = mapped_column()

    pupil: Mapped[Pupil] = relationship()
