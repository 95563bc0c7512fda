"""Sign-in badges: printable QR cards that sign one pupil in."""

from __future__ import annotations

from sqlalchemy import ForeignKey
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from ..issued_tokens import IssuedToken
from ..schools.models import Pupil


class Badge(IssuedToken, db.Model):
    """A revocable badge token. Only its keyed SHA-256 is stored; the token is shown once, on the card."""

    __tablename__ = "badges"
    id: Mapped[int] = mapped_column(primary_key=True)
    pupil_id: Mapped[int] = mapped_column(ForeignKey("pupils.id", ondelete="CASCADE"), index=True)
    # Cards are printed for a school year; an old card stops working on its own (expires_at).

    pupil: Mapped[Pupil] = relationship()
