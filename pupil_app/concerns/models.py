"""Safeguarding concerns: what pupils and staff report, what the DSL does about it, and who looked.

Text a person wrote (a pupil's words, a staff member's account, chronology entries, incidents) is
stored encrypted (``*_enc`` columns, Fernet via ``pupil_app.crypto``); a database dump shows none of
it. What a pupil sent is never edited and never deleted, chronology entries are append-only, and
the audit trail can be neither changed nor deleted: the ORM refuses here, and the migration adds
database triggers so that raw SQL cannot either.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import CheckConstraint, Date, ForeignKey, Index, Integer, String, Text, event, inspect
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

from .. import crypto
from ..extensions import db
from ..schools.models import Pupil, SchoolClass, StaffUser
from ..timeutil import utcnow

# The pupil's six "what happened" pictures, and the category each means for staff (the 4Cs of the
# policy, with cyber-bullying on its own as the policy's section 6 treats it).
WHAT_CHOICES = ("unkind", "upset", "stranger", "secrets", "money", "other")
WHAT_TO_CATEGORY = {
    "unkind": "bullying",
    "upset": "content",
    "stranger": "contact",
    "secrets": "contact",
    "money": "commerce",
    "other": "unsure",
}
CATEGORIES = ("content", "contact", "conduct", "commerce", "bullying", "unsure")
FEELINGS = ("worried", "sad", "scared", "angry", "confused", "ok")
ABOUT_CHOICES = ("me", "someone_else", "not_sure")
LOCATIONS = ("school", "school_web", "home", "game", "app", "dont_know")
STAFF_LOCATIONS = LOCATIONS + ("other",)
STATUSES = ("new", "acknowledged", "in_progress", "closed")
OUTCOMES = ("resolved_in_school", "monitoring", "early_help", "social_care", "police", "no_further_action")
ENTRY_KINDS = ("action", "decision", "conversation", "note", "change")
MARKERS = ("parents_informed_on", "social_care_on", "police_on", "early_help_on")
SOURCES = ("pupil", "staff")

# A submission key: what a browser sends again on a retry or a double tap (22-43 URL-safe characters).
KEY_LENGTH = 64


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


class ConcernDraft(db.Model):
    """A pupil's "Tell an adult" flow in progress, one row per flow, kept on the server.

    The token is both the flow's address (``/tell/<token>/...``) and the idempotency key of the
    concern it becomes, so a retried or doubled "Send" finds the concern already made. Only the
    pupil who started it, in the same session (``session_hash``: a keyed hash of that session's
    random id), can write, read or send it; when that session ends, what was chosen goes to the DSL
    marked as interrupted (``concerns.sessions``) and the draft is gone.
    """

    __tablename__ = "concern_drafts"
    id: Mapped[int] = mapped_column(primary_key=True)
    token: Mapped[str] = mapped_column(String(KEY_LENGTH), unique=True)
    pupil_id: Mapped[int] = mapped_column(ForeignKey("pupils.id", ondelete="CASCADE"), index=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("schools.id"))
    feeling: Mapped[str | None] = mapped_column(String(20))
    what: Mapped[str | None] = mapped_column(String(20))
    about: Mapped[str | None] = mapped_column(String(20))
    location: Mapped[str | None] = mapped_column(String(20))
    talk_to: Mapped[str | None] = mapped_column(String(20))
    words_enc: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    session_hash: Mapped[str | None] = mapped_column(String(64))


class Concern(db.Model):
    """One concern about a pupil: sent by the pupil through "Tell an adult", or logged by staff."""

    __tablename__ = "concerns"
    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("schools.id"))
    pupil_id: Mapped[int] = mapped_column(ForeignKey("pupils.id"), index=True)
    class_id: Mapped[int | None] = mapped_column(ForeignKey("classes.id", ondelete="SET NULL"))
    # The pupil's class and year group on the day (a class moves up a year and may be renamed;
    # the record says what was true then).
    class_name: Mapped[str | None] = mapped_column(String(60))
    year_group: Mapped[int | None] = mapped_column()
    source: Mapped[str] = mapped_column(String(10))

    def class_then(self, classes: dict) -> str:
        """The pupil's class on the day ("Year 4"), even after the class has moved up and been renamed."""
        if self.class_name:
            return self.class_name
        now = classes.get(self.class_id)
        return now.name if now else ""
    logged_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id"))
    idempotency_key: Mapped[str] = mapped_column(String(KEY_LENGTH), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # When it happened, if the person reporting said (staff do; pupils are not asked).
    occurred_at: Mapped[datetime | None] = mapped_column()

    # What was sent, exactly as sent: never changed after it is saved.
    feeling: Mapped[str | None] = mapped_column(String(20))
    what: Mapped[str | None] = mapped_column(String(20))
    about: Mapped[str | None] = mapped_column(String(20))
    location: Mapped[str | None] = mapped_column(String(20))
    talk_to: Mapped[str | None] = mapped_column(String(20))
    talk_to_staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id"))
    words_enc: Mapped[str | None] = mapped_column(Text)
    # Not sent by the child: their session ended mid-message, and what they had chosen was delivered.
    interrupted: Mapped[bool] = mapped_column(default=False, server_default="0")

    # The DSL's handling: every change writes a chronology entry and an audit row.
    category: Mapped[str] = mapped_column(String(20))
    urgent: Mapped[bool] = mapped_column(default=False, server_default="0")
    status: Mapped[str] = mapped_column(String(20), default="new", server_default="new")
    outcome: Mapped[str | None] = mapped_column(String(30))
    assigned_to_id: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id"))
    read_at: Mapped[datetime | None] = mapped_column()
    closed_at: Mapped[datetime | None] = mapped_column()
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    parents_informed_on: Mapped[date | None] = mapped_column(Date)
    social_care_on: Mapped[date | None] = mapped_column(Date)
    police_on: Mapped[date | None] = mapped_column(Date)
    early_help_on: Mapped[date | None] = mapped_column(Date)

    pupil: Mapped[Pupil] = relationship(lazy="joined", innerjoin=True)
    school_class: Mapped[SchoolClass | None] = relationship()
    logged_by: Mapped[StaffUser | None] = relationship(foreign_keys=[logged_by_id])
    assigned_to: Mapped[StaffUser | None] = relationship(foreign_keys=[assigned_to_id])
    talk_to_staff: Mapped[StaffUser | None] = relationship(foreign_keys=[talk_to_staff_id])
    entries: Mapped[list[ConcernEntry]] = relationship(order_by="ConcernEntry.id", back_populates="concern")
    linked: Mapped[list[ConcernPupil]] = relationship(order_by="ConcernPupil.created_at", back_populates="concern")

    __table_args__ = (
        # The inbox: one school's concerns, new first, newest first; and its counts by status.
        Index("ix_concerns_school_status_created", "school_id", "status", "created_at", "id"),
        Index("ix_concerns_school_created", "school_id", "created_at"),
        Index("ix_concerns_class_status_created", "class_id", "status", "created_at", "id"),
        Index("ix_concerns_logged_by", "logged_by_id"),
        CheckConstraint(_in("source", SOURCES), name="source"),
        CheckConstraint(_in("status", STATUSES), name="status"),
        CheckConstraint(_in("category", CATEGORIES), name="category"),
        CheckConstraint("(source = 'pupil') = (logged_by_id IS NULL)", name="logged_by_staff_only"),
    )

    @property
    def words(self) -> str | None:
        return crypto.decrypt(self.words_enc) if self.words_enc else None

    @property
    def is_closed(self) -> bool:
        return self.status == "closed"


# Columns fixed once a concern is saved: the pupil's (or staff member's) report as sent.
IMMUTABLE_CONCERN_COLUMNS = ("school_id", "pupil_id", "class_name", "year_group", "source", "logged_by_id", "idempotency_key", "created_at",
                             "occurred_at", "feeling", "what", "about", "location", "talk_to", "talk_to_staff_id",
                             "words_enc", "interrupted")


class ConcernEntry(db.Model):
    """A chronology entry: an action taken, a decision and its reason, a conversation, a change.

    Append-only. ``kind = 'change'`` entries are written by the app when a DSL changes the status,
    category, assignment or a marker, so the chronology alone tells the whole story.
    """

    __tablename__ = "concern_entries"
    id: Mapped[int] = mapped_column(primary_key=True)
    concern_id: Mapped[int] = mapped_column(ForeignKey("concerns.id"), index=True)
    kind: Mapped[str] = mapped_column(String(20))
    text_enc: Mapped[str] = mapped_column(Text)
    reason_enc: Mapped[str | None] = mapped_column(Text)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # When it happened ("Phoned mum 15:40", written up at 21:37); empty: when it was written.
    happened_at: Mapped[datetime | None] = mapped_column()
    # A correction is a new entry pointing at the one it corrects, which then shows struck through.
    corrects_id: Mapped[int | None] = mapped_column(ForeignKey("concern_entries.id"))

    concern: Mapped[Concern] = relationship(back_populates="entries")
    author: Mapped[StaffUser | None] = relationship(lazy="joined")

    __table_args__ = (CheckConstraint(_in("kind", ENTRY_KINDS), name="kind"),)

    @property
    def when(self) -> datetime:
        return self.happened_at or self.created_at

    @property
    def text(self) -> str | None:
        return crypto.decrypt(self.text_enc)

    @property
    def reason(self) -> str | None:
        return crypto.decrypt(self.reason_enc) if self.reason_enc else None


class ConcernPupil(db.Model):
    """Another pupil involved in a concern (as a witness, or the other side of it)."""

    __tablename__ = "concern_pupils"
    concern_id: Mapped[int] = mapped_column(ForeignKey("concerns.id"), primary_key=True)
    pupil_id: Mapped[int] = mapped_column(ForeignKey("pupils.id"), primary_key=True, index=True)
    added_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    concern: Mapped[Concern] = relationship(back_populates="linked")
    pupil: Mapped[Pupil] = relationship(lazy="joined")


class Incident(db.Model):
    """An online safety incident recorded straight into the log (policy appendix 6), not about one pupil:
    a filtering breach, something shown on a class screen, a staff account misused."""

    __tablename__ = "incidents"
    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("schools.id"))
    idempotency_key: Mapped[str] = mapped_column(String(KEY_LENGTH), unique=True)
    occurred_on: Mapped[date] = mapped_column(Date)
    location_enc: Mapped[str] = mapped_column(Text)
    description_enc: Mapped[str] = mapped_column(Text)
    action_enc: Mapped[str | None] = mapped_column(Text)
    recorded_by_id: Mapped[int] = mapped_column(ForeignKey("staff_users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    recorded_by: Mapped[StaffUser] = relationship(lazy="joined")

    __table_args__ = (Index("ix_incidents_school_occurred", "school_id", "occurred_on"),)

    @property
    def location(self) -> str | None:
        return crypto.decrypt(self.location_enc)

    @property
    def description(self) -> str | None:
        return crypto.decrypt(self.description_enc)

    @property
    def action(self) -> str | None:
        return crypto.decrypt(self.action_enc) if self.action_enc else None


class AuditEvent(db.Model):
    """Who did what to which safeguarding record, and when. Append-only, here and in the database.

    ``target_id`` is a plain number, not a foreign key: a refused look at another school's concern
    is recorded with the number that was asked for, whether or not it exists.
    """

    __tablename__ = "audit_events"
    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("schools.id"))
    actor_kind: Mapped[str] = mapped_column(String(10))
    actor_id: Mapped[int | None] = mapped_column(Integer)
    actor_name: Mapped[str] = mapped_column(String(120))
    action: Mapped[str] = mapped_column(String(40))
    target: Mapped[str] = mapped_column(String(20))
    target_id: Mapped[int | None] = mapped_column(Integer)
    detail: Mapped[str | None] = mapped_column(String(300))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    __table_args__ = (
        Index("ix_audit_events_target", "target", "target_id"),
        Index("ix_audit_events_school_created", "school_id", "created_at"),
    )


class PendingMail(db.Model):
    """An alert waiting to go out (or gone). Written in the same transaction as its concern, so an
    alert is never lost; sent by the alert sender (``sender.py``), never by a request, and retried
    with back-off; ``claimed_until`` is a sender's lease. Holds no concern text and no child's name."""

    __tablename__ = "pending_mail"
    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("schools.id"))
    concern_id: Mapped[int | None] = mapped_column(ForeignKey("concerns.id"))
    to_addr: Mapped[str] = mapped_column(String(254))
    subject: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    attempts: Mapped[int] = mapped_column(default=0, server_default="0")
    next_attempt_at: Mapped[datetime | None] = mapped_column(default=utcnow)
    claimed_until: Mapped[datetime | None] = mapped_column()
    last_error: Mapped[str | None] = mapped_column(String(300))
    sent_at: Mapped[datetime | None] = mapped_column()

    __table_args__ = (Index("ix_pending_mail_due", "sent_at", "next_attempt_at"),)


# Every encrypted column, for key rotation (``flask data-key rotate``).
for _table, _column in (("concern_drafts", "words_enc"), ("concerns", "words_enc"), ("concern_entries", "text_enc"),
                        ("concern_entries", "reason_enc"), ("incidents", "location_enc"),
                        ("incidents", "description_enc"), ("incidents", "action_enc")):
    crypto.register_encrypted(_table, "id", _column)


# ---------------------------------------------------------------------------------------------
# Guards: what was sent is never edited or deleted; chronology and audit are append-only.
# (Key rotation re-encrypts on a plain connection, below the ORM, and changes no plaintext.)


class ProtectedRecordError(RuntimeError):
    """Raised when code tries to edit or delete a record that must never change."""


@event.listens_for(Concern, "before_update")
def _concern_report_is_fixed(_mapper, _conn, target: Concern) -> None:
    state = inspect(target)
    changed = [c for c in IMMUTABLE_CONCERN_COLUMNS if state.attrs[c].history.has_changes()]
    if changed:
        raise ProtectedRecordError(f"A concern's report is never edited (tried: {', '.join(changed)}).")


def _refuse(what: str):
    def listener(_mapper, _conn, _target):
        raise ProtectedRecordError(what)
    return listener


event.listen(Concern, "before_delete", _refuse("Concerns are never deleted."))
for _model, _name in ((ConcernEntry, "Chronology entries"), (AuditEvent, "Audit rows")):
    event.listen(_model, "before_update", _refuse(f"{_name} are never edited."))
    event.listen(_model, "before_delete", _refuse(f"{_name} are never deleted."))

_APPEND_ONLY_TABLES = {"audit_events", "concern_entries"}


@event.listens_for(Session, "do_orm_execute")
def _no_bulk_changes(state) -> None:
    """ORM bulk UPDATE/DELETE (``update(AuditEvent)``...) skip the per-object hooks above: refuse them."""
    if not state.is_orm_statement or not (state.is_update or state.is_delete):
        return
    mapper = state.bind_mapper
    table = mapper.local_table.name if mapper is not None else None
    if table in _APPEND_ONLY_TABLES or (table == "concerns" and state.is_delete):
        raise ProtectedRecordError(f"{table} rows are never changed in bulk.")

# The database half of the guard: triggers in migrations/versions/0003_concerns.py.
