"""A school's choice of the languages its pupils see, and its review of each catalogue."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db


class SchoolLanguage(db.Model):
    """One row per language a school has decided about; without a row the defaults hold
    (English and Welsh offered, nothing marked reviewed)."""

    __tablename__ = "school_languages"
    school_id: Mapped[int] = mapped_column(ForeignKey("schools.id", ondelete="CASCADE"), primary_key=True)
    language: Mapped[str] = mapped_column(String(10), primary_key=True)
    offered: Mapped[bool] = mapped_column(default=False, server_default="0")
    # Who marked the catalogue reviewed, kept as written on the day (a staff account may be closed later).
    reviewed_at: Mapped[datetime | None] = mapped_column()
    reviewed_by: Mapped[str | None] = mapped_column(String(120))
