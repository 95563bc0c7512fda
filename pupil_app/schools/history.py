"""School-year history: what each year-end rollover did, so reports for past terms can say which year
group a class was then. Administration writes it; coverage reads it."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Index, String, text
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from ..timeutil import utcnow


class Rollover(db.Model):
    """A school's year-end rollover: once per academic year (a partial unique index stops a double
    click); an undone rollover stays as history (undone_at) and the year may be rolled over again."""

    __tablename__ = "rollovers"
    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("schools.id", ondelete="CASCADE"))
    # The calendar year the new academic year starts in: 2026 for 2026/27.
    academic_year: Mapped[int] = mapped_column()
    performed_at: Mapped[datetime] = mapped_column(default=utcnow)
    performed_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id", ondelete="SET NULL"))
    pupils_left: Mapped[int] = mapped_column(default=0, server_default="0")
    undone_at: Mapped[datetime | None] = mapped_column()
    undone_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id", ondelete="SET NULL"))

    __table_args__ = (
        Index("uq_rollovers_school_year_in_force", "school_id", "academic_year", unique=True,
              sqlite_where=text("undone_at IS NULL"), postgresql_where=text("undone_at IS NULL")),
    )


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
    kept_teachers: Mapped[bool] = mapped_column(default=False, server_default="0")


class RolloverTeacher(db.Model):
    """A teacher the rollover took off a class (teachers stay with their room unless the admin kept them)."""

    __tablename__ = "rollover_teachers"
    rollover_id: Mapped[int] = mapped_column(ForeignKey("rollovers.id", ondelete="CASCADE"), primary_key=True)
    class_id: Mapped[int] = mapped_column(ForeignKey("classes.id", ondelete="CASCADE"), primary_key=True)
    staff_id: Mapped[int] = mapped_column(ForeignKey("staff_users.id", ondelete="CASCADE"), primary_key=True)


class RolloverLeaver(db.Model):
    """A Year 6 pupil whose account the rollover closed, and the sign-in badges it cancelled (for undo)."""

    __tablename__ = "rollover_leavers"
    rollover_id: Mapped[int] = mapped_column(ForeignKey("rollovers.id", ondelete="CASCADE"), primary_key=True)
    pupil_id: Mapped[int] = mapped_column(ForeignKey("pupils.id", ondelete="CASCADE"), primary_key=True)
    badge_ids: Mapped[list[int]] = mapped_column(JSON, default=list)
