"""Quiz attempts, and each pupil's progress per module (kept up to date for fast dashboards)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, CheckConstraint, Date, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from ..timeutil import utcnow


class QuizAttempt(db.Model):
    """One go at a module's quiz. Answers are saved one question at a time; finished_at closes it."""

    __tablename__ = "quiz_attempts"
    id: Mapped[int] = mapped_column(primary_key=True)
    pupil_id: Mapped[int] = mapped_column(ForeignKey("pupils.id", ondelete="CASCADE"))
    school_id: Mapped[int] = mapped_column(ForeignKey("schools.id"))
    class_id: Mapped[int | None] = mapped_column(ForeignKey("classes.id", ondelete="SET NULL"))
    year_group: Mapped[int | None] = mapped_column()  # the pupil's year group on the day
    module_id: Mapped[str] = mapped_column(String(60))
    content_version: Mapped[int] = mapped_column()
    # {question_id: [choice ids]} in the order answered; [choice ids] is one id, or the order steps.
    answers: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    score: Mapped[int | None] = mapped_column()
    total: Mapped[int] = mapped_column()
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column()

    __table_args__ = (
        Index("ix_quiz_attempts_pupil_module", "pupil_id", "module_id"),
        Index("ix_quiz_attempts_school_finished", "school_id", "finished_at"),
        Index("ix_quiz_attempts_class_module", "class_id", "module_id"),
    )

    @property
    def is_finished(self) -> bool:
        return self.finished_at is not None


class ModuleProgress(db.Model):
    """A pupil's standing in one module: started, finished, best score. Updated as they work."""

    __tablename__ = "module_progress"
    pupil_id: Mapped[int] = mapped_column(ForeignKey("pupils.id", ondelete="CASCADE"), primary_key=True)
    module_id: Mapped[str] = mapped_column(String(60), primary_key=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("schools.id"), index=True)
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    completed_at: Mapped[datetime | None] = mapped_column()
    best_score: Mapped[int | None] = mapped_column()
    best_total: Mapped[int | None] = mapped_column()
    attempts: Mapped[int] = mapped_column(default=0, server_default="0")
    last_activity_at: Mapped[datetime] = mapped_column(default=utcnow)


class Assignment(db.Model):
    """A module a teacher has set for a class, with optional dates; pupils see it first on their home."""

    __tablename__ = "assignments"
    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("schools.id"))
    class_id: Mapped[int] = mapped_column(ForeignKey("classes.id", ondelete="CASCADE"))
    module_id: Mapped[str] = mapped_column(String(60))
    starts_on: Mapped[date | None] = mapped_column(Date)  # pupils see it from this day (none: at once)
    due_on: Mapped[date | None] = mapped_column(Date)  # shown to pupils and on the class page
    assigned_by: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    __table_args__ = (
        UniqueConstraint("class_id", "module_id", name="one_per_module"),
        CheckConstraint("due_on IS NULL OR starts_on IS NULL OR due_on >= starts_on", name="due_after_start"),
        Index("ix_assignments_school", "school_id"),
    )
