"""Filtering reports and what was done about them, monitoring alerts, and the yearly review.

What a person wrote (an address, what was seen, a note, an alert's captured text and the user it
names) is stored encrypted with the data key, like concern text. A filtering report and the actions
on it are append-only: the ORM refuses edits and deletes (``ProtectedRecordError``).
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import CheckConstraint, Date, ForeignKey, Index, String, Text, UniqueConstraint, event, inspect
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

from .. import crypto
from ..extensions import db
from ..schools.models import Pupil, StaffUser
from ..timeutil import utcnow

REPORT_SOURCES = ("staff", "pupil")
REQUESTS = ("block", "unblock")            # should be blocked / was wrongly blocked
ACTION_KINDS = ("blocked", "allowed", "provider", "no_change")
SEVERITIES = ("low", "medium", "high", "critical")
ALERT_STATUSES = ("new", "linked", "dismissed", "concern")
ALERT_VIA = ("api", "csv")
CHECK_OUTCOMES = ("met", "partly", "not_met")
# The DfE filtering and monitoring standards for schools and colleges (2023), one check per standard.
STANDARDS = ("roles", "review", "filtering", "monitoring")

MAX_ADDRESS = 2000
MAX_DEVICE = 120
MAX_TEXT = 5000
MAX_SOURCE = 60
MAX_SOURCE_ID = 120
MAX_USER = 120
MAX_CATEGORY = 60
MAX_NAME = 120
KEY_LENGTH = 64


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


def _plain(value: str | None) -> str | None:
    return crypto.decrypt(value) if value else None


class FilterReport(db.Model):
    """"Report a website": by a member of staff, or made from a pupil's Tell an adult ("a website or
    app at school"; then the child's words stay with the concern, which only the DSL reads)."""

    __tablename__ = "filter_reports"
    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("schools.id"))
    source: Mapped[str] = mapped_column(String(10))
    reported_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id"))
    concern_id: Mapped[int | None] = mapped_column(ForeignKey("concerns.id"), unique=True)
    idempotency_key: Mapped[str] = mapped_column(String(KEY_LENGTH), unique=True)
    address_enc: Mapped[str | None] = mapped_column(Text)
    device: Mapped[str] = mapped_column(String(MAX_DEVICE))
    occurred_at: Mapped[datetime] = mapped_column()
    seen_enc: Mapped[str | None] = mapped_column(Text)
    request: Mapped[str] = mapped_column(String(10))
    child_involved: Mapped[bool] = mapped_column(default=False, server_default="0")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    reported_by: Mapped[StaffUser | None] = relationship(lazy="joined")
    actions: Mapped[list[FilterAction]] = relationship(order_by="FilterAction.id", back_populates="report")

    __table_args__ = (
        Index("ix_filter_reports_school_created", "school_id", "created_at"),
        CheckConstraint(_in("source", REPORT_SOURCES), name="source"),
        CheckConstraint(_in("request", REQUESTS), name="request"),
        CheckConstraint("(source = 'staff') = (reported_by_id IS NOT NULL)", name="reporter"),
    )

    @property
    def address(self) -> str | None:
        return _plain(self.address_enc)

    @property
    def seen(self) -> str | None:
        return _plain(self.seen_enc)

    @property
    def is_open(self) -> bool:
        return not self.actions


class FilterAction(db.Model):
    """What the filtering lead did about a report. Append-only: a correction is a new action."""

    __tablename__ = "filter_actions"
    id: Mapped[int] = mapped_column(primary_key=True)
    report_id: Mapped[int] = mapped_column(ForeignKey("filter_reports.id"), index=True)
    kind: Mapped[str] = mapped_column(String(20))
    done_at: Mapped[datetime] = mapped_column()
    note_enc: Mapped[str | None] = mapped_column(Text)
    recorded_by_id: Mapped[int] = mapped_column(ForeignKey("staff_users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    report: Mapped[FilterReport] = relationship(back_populates="actions")
    recorded_by: Mapped[StaffUser] = relationship(lazy="joined")

    __table_args__ = (
        CheckConstraint(_in("kind", ACTION_KINDS), name="kind"),
        CheckConstraint("kind != 'no_change' OR note_enc IS NOT NULL", name="no_change_reason"),
    )

    @property
    def note(self) -> str | None:
        return _plain(self.note_enc)


class MonitoringToken(db.Model):
    """A school's key for its monitoring system to send alerts: shown once, stored as a keyed hash."""

    __tablename__ = "monitoring_tokens"
    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("schools.id"), index=True)
    label: Mapped[str] = mapped_column(String(MAX_SOURCE))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column()
    revoked_at: Mapped[datetime | None] = mapped_column()
    revoked_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id"))


class MonitoringAlert(db.Model):
    """One alert from a monitoring product, as sent; the DSL's triage is the only thing that changes."""

    __tablename__ = "monitoring_alerts"
    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("schools.id"))
    source: Mapped[str] = mapped_column(String(MAX_SOURCE))
    source_id: Mapped[str] = mapped_column(String(MAX_SOURCE_ID))
    severity: Mapped[str] = mapped_column(String(10))
    occurred_at: Mapped[datetime] = mapped_column()
    device: Mapped[str | None] = mapped_column(String(MAX_DEVICE))
    user_enc: Mapped[str | None] = mapped_column(Text)
    category: Mapped[str | None] = mapped_column(String(MAX_CATEGORY))
    summary_enc: Mapped[str | None] = mapped_column(Text)
    via: Mapped[str] = mapped_column(String(5))
    received_at: Mapped[datetime] = mapped_column(default=utcnow)

    status: Mapped[str] = mapped_column(String(10), default="new", server_default="new")
    pupil_id: Mapped[int | None] = mapped_column(ForeignKey("pupils.id"))
    concern_id: Mapped[int | None] = mapped_column(ForeignKey("concerns.id"))
    dismiss_reason_enc: Mapped[str | None] = mapped_column(Text)
    triaged_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id"))
    triaged_at: Mapped[datetime | None] = mapped_column()

    pupil: Mapped[Pupil | None] = relationship()
    triaged_by: Mapped[StaffUser | None] = relationship()

    __table_args__ = (
        UniqueConstraint("school_id", "source", "source_id", name="one_per_source_id"),
        Index("ix_monitoring_alerts_school_status", "school_id", "status", "occurred_at"),
        CheckConstraint(_in("severity", SEVERITIES), name="severity"),
        CheckConstraint(_in("status", ALERT_STATUSES), name="status"),
        CheckConstraint(_in("via", ALERT_VIA), name="via"),
    )

    @property
    def user(self) -> str | None:
        return _plain(self.user_enc)

    @property
    def summary(self) -> str | None:
        return _plain(self.summary_enc)

    @property
    def dismiss_reason(self) -> str | None:
        return _plain(self.dismiss_reason_enc)


class AlertUpload(db.Model):
    """An uploaded alert log between its preview and its load (the file kept encrypted)."""

    __tablename__ = "alert_uploads"
    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("schools.id"), index=True)
    uploaded_by_id: Mapped[int] = mapped_column(ForeignKey("staff_users.id"))
    filename: Mapped[str] = mapped_column(String(200))
    source: Mapped[str] = mapped_column(String(MAX_SOURCE))
    content_enc: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    loaded_at: Mapped[datetime | None] = mapped_column()
    loaded_count: Mapped[int | None] = mapped_column()


class FilteringReview(db.Model):
    """The yearly review of filtering and monitoring provision (DfE standards)."""

    __tablename__ = "filtering_reviews"
    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("schools.id"), index=True)
    reviewed_on: Mapped[date] = mapped_column(Date)
    senior_leader: Mapped[str] = mapped_column(String(MAX_NAME))
    governor: Mapped[str] = mapped_column(String(MAX_NAME))
    next_due_on: Mapped[date] = mapped_column(Date)
    recorded_by_id: Mapped[int] = mapped_column(ForeignKey("staff_users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    reminder_sent_at: Mapped[datetime | None] = mapped_column()

    recorded_by: Mapped[StaffUser] = relationship(lazy="joined")
    checks: Mapped[list[ReviewCheck]] = relationship(order_by="ReviewCheck.id", cascade="all, delete-orphan")
    actions: Mapped[list[ReviewAction]] = relationship(order_by="ReviewAction.id", cascade="all, delete-orphan")


class ReviewCheck(db.Model):
    __tablename__ = "review_checks"
    id: Mapped[int] = mapped_column(primary_key=True)
    review_id: Mapped[int] = mapped_column(ForeignKey("filtering_reviews.id", ondelete="CASCADE"), index=True)
    standard: Mapped[str] = mapped_column(String(20))
    outcome: Mapped[str] = mapped_column(String(10))
    note: Mapped[str | None] = mapped_column(Text)

    __table_args__ = (
        UniqueConstraint("review_id", "standard"),
        CheckConstraint(_in("standard", STANDARDS), name="standard"),
        CheckConstraint(_in("outcome", CHECK_OUTCOMES), name="outcome"),
    )


class ReviewAction(db.Model):
    __tablename__ = "review_actions"
    id: Mapped[int] = mapped_column(primary_key=True)
    review_id: Mapped[int] = mapped_column(ForeignKey("filtering_reviews.id", ondelete="CASCADE"), index=True)
    text: Mapped[str] = mapped_column(String(500))
    owner: Mapped[str] = mapped_column(String(MAX_NAME))
    due_on: Mapped[date] = mapped_column(Date)
    done_on: Mapped[date | None] = mapped_column(Date)
    done_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id"))


for _table, _column in (("filter_reports", "address_enc"), ("filter_reports", "seen_enc"),
                        ("filter_actions", "note_enc"), ("monitoring_alerts", "user_enc"),
                        ("monitoring_alerts", "summary_enc"), ("monitoring_alerts", "dismiss_reason_enc"),
                        ("alert_uploads", "content_enc")):
    crypto.register_encrypted(_table, "id", _column)


class FilteringRecordError(RuntimeError):
    """Raised when code tries to edit or delete a filtering report or an action on one."""


def _refuse(what: str):
    def listener(_mapper, _conn, _target):
        raise FilteringRecordError(what)
    return listener


def _refuse_edits(what: str):
    """Refuse a change to any column (a new action only touches the report's collection: allowed)."""
    def listener(mapper, _conn, target):
        state = inspect(target)
        if any(state.attrs[c.key].history.has_changes() for c in mapper.column_attrs):
            raise FilteringRecordError(what)
    return listener


for _model, _name in ((FilterReport, "Filtering reports"), (FilterAction, "Filtering actions")):
    event.listen(_model, "before_update", _refuse_edits(f"{_name} are never edited."))
    event.listen(_model, "before_delete", _refuse(f"{_name} are never deleted."))


@event.listens_for(Session, "do_orm_execute")
def _no_bulk_changes(state) -> None:
    if not state.is_orm_statement or not (state.is_update or state.is_delete):
        return
    mapper = state.bind_mapper
    if mapper is not None and mapper.local_table.name in ("filter_reports", "filter_actions"):
        raise FilteringRecordError(f"{mapper.local_table.name} rows are never changed in bulk.")
