"""Attachments of safeguarding records: encrypted at rest with the data key, never changed."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import CheckConstraint, Date, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .. import crypto
from ..extensions import db
from ..schools.models import StaffUser
from ..timeutil import utcnow

KINDS = ("image/png", "image/jpeg", "application/pdf", "text/plain")


class Attachment(db.Model):
    """A file kept with a concern. Its bytes, its name and its thumbnail are encrypted with the data
    key; its type was found from its content (never from its name)."""

    __tablename__ = "attachments"
    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("schools.id"), index=True)
    concern_id: Mapped[int] = mapped_column(ForeignKey("concerns.id"), index=True)
    mime: Mapped[str] = mapped_column(String(40))
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))  # of the plain bytes: the transfer bundle checks it
    name_enc: Mapped[str] = mapped_column(Text)
    content_enc: Mapped[str] = mapped_column(Text)
    thumb_enc: Mapped[str | None] = mapped_column(Text)
    added_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    __table_args__ = (CheckConstraint("mime IN ('image/png', 'image/jpeg', 'application/pdf', 'text/plain')",
                                      name="known_mime"),)


for _column in ("name_enc", "content_enc", "thumb_enc"):
    crypto.register_encrypted("attachments", "id", _column)  # rotated with the data key


TASK_KINDS = ("task", "review")


class Task(db.Model):
    """Something to do about a concern, by someone, by a date; a review is the date to look again
    (required when a concern is closed with monitoring). Its words are encrypted like the chronology."""

    __tablename__ = "concern_tasks"
    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("schools.id"))
    concern_id: Mapped[int] = mapped_column(ForeignKey("concerns.id"), index=True)
    kind: Mapped[str] = mapped_column(String(10))
    text_enc: Mapped[str] = mapped_column(Text)
    owner_id: Mapped[int] = mapped_column(ForeignKey("staff_users.id"), index=True)
    due_on: Mapped[date] = mapped_column(Date)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    done_at: Mapped[datetime | None] = mapped_column()
    done_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id"))

    owner: Mapped[StaffUser] = relationship(foreign_keys=[owner_id], lazy="joined")

    __table_args__ = (
        CheckConstraint("kind IN ('task', 'review')", name="known_kind"),
        Index("ix_concern_tasks_open", "school_id", "done_at", "due_on"),
    )

    @property
    def text(self) -> str:
        return crypto.decrypt(self.text_enc) or ""


crypto.register_encrypted("concern_tasks", "id", "text_enc")


AGENCIES = ("social_care", "police", "early_help", "lado", "health", "other")


class AgencyReference(db.Model):
    """A referral or contact with an outside agency: which agency, their reference number, the date
    and who was spoken to. Reference and contact are encrypted; a reference is added, never changed."""

    __tablename__ = "agency_references"
    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("schools.id"))
    concern_id: Mapped[int] = mapped_column(ForeignKey("concerns.id"), index=True)
    agency: Mapped[str] = mapped_column(String(20))
    reference_enc: Mapped[str | None] = mapped_column(Text)
    contact_enc: Mapped[str | None] = mapped_column(Text)
    made_on: Mapped[date] = mapped_column(Date)
    added_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    __table_args__ = (CheckConstraint(
        "agency IN ('social_care', 'police', 'early_help', 'lado', 'health', 'other')", name="known_agency"),)

    @property
    def reference(self) -> str:
        return (crypto.decrypt(self.reference_enc) or "") if self.reference_enc else ""

    @property
    def contact(self) -> str:
        return (crypto.decrypt(self.contact_enc) or "") if self.contact_enc else ""


for _column in ("reference_enc", "contact_enc"):
    crypto.register_encrypted("agency_references", "id", _column)


TRANSFER_STATUSES = ("sent", "viewed", "accepted", "returned")


class RecordTransfer(db.Model):
    """A child-protection file sent to another school of this deployment. The file is the child's
    record as it stood when sent (encrypted JSON); the sending school keeps its own records."""

    __tablename__ = "record_transfers"
    id: Mapped[int] = mapped_column(primary_key=True)
    pupil_id: Mapped[int] = mapped_column(ForeignKey("pupils.id"), index=True)
    from_school_id: Mapped[int] = mapped_column(ForeignKey("schools.id"), index=True)
    to_school_id: Mapped[int] = mapped_column(ForeignKey("schools.id"), index=True)
    status: Mapped[str] = mapped_column(String(10), default="sent", server_default="sent")
    file_enc: Mapped[str] = mapped_column(Text)
    sent_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id"))
    sent_at: Mapped[datetime] = mapped_column(default=utcnow)
    viewed_at: Mapped[datetime | None] = mapped_column()
    decided_at: Mapped[datetime | None] = mapped_column()
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id"))
    return_reason_enc: Mapped[str | None] = mapped_column(Text)
    reminded_at: Mapped[datetime | None] = mapped_column()

    __table_args__ = (CheckConstraint("status IN ('sent', 'viewed', 'accepted', 'returned')", name="known_status"),)


for _column in ("file_enc", "return_reason_enc"):
    crypto.register_encrypted("record_transfers", "id", _column)
