"""What administration keeps: CSV imports awaiting apply, set-password links.

Year-end rollovers are school history (``schools.history``): coverage reads them too.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, CheckConstraint, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from ..timeutil import utcnow


class ImportBatch(db.Model):
    """An uploaded pupil CSV between preview and apply. The file text is kept only until it is applied."""

    __tablename__ = "import_batches"
    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("schools.id", ondelete="CASCADE"), index=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    filename: Mapped[str] = mapped_column(String(200))
    sha256: Mapped[str] = mapped_column(String(64))
    content: Mapped[str | None] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(12), default="preview", server_default="preview")
    applied_at: Mapped[datetime | None] = mapped_column()
    # Counts shown after applying: {"new": n, "updated": n, "unchanged": n, "classes": n, "class_ids": [...]}
    summary: Mapped[dict[str, Any] | None] = mapped_column(JSON)

    __table_args__ = (CheckConstraint("status IN ('preview', 'applied')", name="known_status"),)


class StaffPasswordLink(db.Model):
    """A one-time link for a staff member to choose their own password (new account or reset).

    Only the keyed hash of the token is stored; the link is shown once, to the admin who made it.
    """

    __tablename__ = "staff_password_links"
    id: Mapped[int] = mapped_column(primary_key=True)
    staff_id: Mapped[int] = mapped_column(ForeignKey("staff_users.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id", ondelete="SET NULL"))
    expires_at: Mapped[datetime] = mapped_column()
    used_at: Mapped[datetime | None] = mapped_column()
