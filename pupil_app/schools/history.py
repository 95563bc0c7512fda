"""School-year history: what each year-end rollover did, so reports for past terms can say which year
group a class was then. Administration writes it; coverage reads it."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from ..timeutil import utcnow


class Rollover(db.Model):
    """A school's year-end rollover: once per academic year (the unique key stops a double click)."""

    __tablename__ = "rollovers"
    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("schools.id", ondelete="CASCADE"))
    # The calendar year the new academic year starts in: 2026 for 2026/27.
    academic_year: Mapped[int] = mapped_column()
    performed_at: Mapped[datetime] = mapped_column(default=utcnow)
    performed_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id", ondelete="SET NULL"))
    pupils_left: Mapped[int] = mapped_column(default=0, server_default="0")

    __table_args__ = (UniqueConstraint("school_id", "academic_year"),)


class RolloverClass(db.Model):
    """What a rollover did to one class: moved up (to_year set) or left (to_year empty).

    Reports for past terms use it to know which year group a class was then.
    """

    __tablename__ = "rollover_classes"
    rollover_id: Mapped[int] = mapped_column(ForeignKey("rollovers.id", ondelete="CASCADE"), primary_key=True)
    class_id: Mapped[int] = mapped_column(ForeignKey("classes.id", ondelete="CASCADE"), primary_key=True, index=True)
    from_year: Mapped[int] = mapped_column()
    to_year: Mapped[int | None] = mapped_column()
    from_name: Mapped[str] = mapped_column(String(60))
    to_name: Mapped[str] = mapped_column(String(60))
