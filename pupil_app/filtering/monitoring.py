"""Alerts from the school's monitoring system: per-school tokens, the JSON payload, and storing.

The payload format is ``docs/monitoring-alerts.schema.json`` (documented in
``docs/monitoring-alerts.md``); ``parse_alert`` is its check, written out so the app needs no JSON
Schema library and every message says which field is wrong. A payload is taken whole or not at all.
"""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import select, tuple_
from sqlalchemy.exc import IntegrityError

from .. import crypto
from ..concerns import audit
from ..extensions import db
from ..schools.models import StaffUser
from ..timeutil import utcnow
from . import notify
from .common import FilteringError, clean_text, to_utc
from .models import (
    MAX_CATEGORY,
    MAX_DEVICE,
    MAX_SOURCE,
    MAX_SOURCE_ID,
    MAX_TEXT,
    MAX_USER,
    SEVERITIES,
    MonitoringAlert,
    MonitoringToken,
)

MAX_BODY = 256 * 1024      # one request to the endpoint
MAX_ALERTS = 500           # alerts in one request
FIELDS = ("source", "source_id", "occurred_at", "severity", "device", "user", "category", "summary")
REQUIRED = ("source_id", "occurred_at", "severity")
LIMITS = {"source": MAX_SOURCE, "source_id": MAX_SOURCE_ID, "device": MAX_DEVICE, "user": MAX_USER,
          "category": MAX_CATEGORY, "summary": MAX_TEXT}
URGENT = {"high", "critical"}


# --- tokens ----------------------------------------------------------------------------------------

def new_token(staff: StaffUser, label: str | None) -> tuple[MonitoringToken, str]:
    """A new key for the school's monitoring system; the plain token is shown once, only its hash kept."""
    label = clean_text(label, MAX_SOURCE, _l("Name the monitoring system (for example AB Tutor)."))
    plain = "mon_" + secrets.token_urlsafe(24)
    row = MonitoringToken(school_id=staff.school_id, label=label, token_hash=crypto.token_hash(plain),
                          created_by_id=staff.id)
    db.session.add(row)
    db.session.flush()
    audit.record(staff, "monitoring.token_created", "monitoring_token", row.id)
    return row, plain


def tokens(school_id: int) -> list[MonitoringToken]:
    return list(db.session.scalars(select(MonitoringToken).where(MonitoringToken.school_id == school_id)
                                   .order_by(MonitoringToken.revoked_at.is_not(None), MonitoringToken.id.desc())))


def revoke_token(staff: StaffUser, token_id: int) -> MonitoringToken | None:
    row = db.session.get(MonitoringToken, token_id)
    if row is None or row.school_id != staff.school_id:
        return None
    if row.revoked_at is None:
        row.revoked_at, row.revoked_by_id = utcnow(), staff.id
        audit.record(staff, "monitoring.token_revoked", "monitoring_token", row.id)
    return row


def token_for(raw: str | None) -> MonitoringToken | None:
    """The live token row a request's bearer token names, or None (unknown, malformed or revoked)."""
    if not raw or len(raw) > 200 or not raw.isascii():
        return None
    row = db.session.scalar(select(MonitoringToken).where(MonitoringToken.token_hash == crypto.token_hash(raw)))
    if row is None or row.revoked_at is not None:
        return None
    return row


# --- the payload -----------------------------------------------------------------------------------

def parse_time(raw: str) -> datetime | None:
    """ISO 8601 (with a zone, or school time without one), or the dd/mm/yyyy hh:mm exports use."""
    raw = raw.strip()
    try:
        return to_utc(datetime.fromisoformat(raw))
    except ValueError:
        pass
    for fmt in ("%d/%m/%Y %H:%M:%S", "%d/%m/%Y %H:%M", "%d/%m/%Y"):
        try:
            return to_utc(datetime.strptime(raw, fmt))
        except ValueError:
            continue
    return None


def parse_alert(item, default_source: str) -> dict:
    """One alert checked against the schema; returns the values to store or raises FilteringError."""
    if not isinstance(item, dict):
        raise FilteringError(400, _l("Each alert must be a JSON object."))
    unknown = sorted(set(item) - set(FIELDS))
    if unknown:
        raise FilteringError(400, _l("Unknown field: %(field)s.", field=unknown[0][:40]))
    missing = [f for f in REQUIRED if item.get(f) in (None, "")]
    if missing:
        raise FilteringError(400, _l("Missing field: %(field)s.", field=missing[0]))
    values: dict = {}
    for field in FIELDS:
        value = item.get(field)
        if value is None:
            values[field] = None
            continue
        if not isinstance(value, str):
            raise FilteringError(400, _l("%(field)s must be a string.", field=field))
        value = value.replace("\x00", "").strip()
        if field in LIMITS and len(value) > LIMITS[field]:
            raise FilteringError(400, _l("%(field)s is too long (at most %(max)s characters).", field=field,
                                         max=LIMITS[field]))
        values[field] = value or None
    if values["severity"] not in SEVERITIES:
        raise FilteringError(400, _l("severity must be one of: %(values)s.", values=", ".join(SEVERITIES)))
    when = parse_time(values["occurred_at"])
    if when is None or when > utcnow() + timedelta(days=1):
        raise FilteringError(400, _l("occurred_at must be a date and time (ISO 8601), not in the future."))
    values["occurred_at"] = when
    values["source"] = values["source"] or default_source
    return values


def parse_payload(payload, default_source: str) -> list[dict]:
    """The endpoint's body: one alert, or {"alerts": [...]} with 1 to 500 of them."""
    if isinstance(payload, dict) and "alerts" in payload:
        if set(payload) != {"alerts"} or not isinstance(payload["alerts"], list):
            raise FilteringError(400, _l("\"alerts\" must be the only field, holding a list of alerts."))
        items = payload["alerts"]
    else:
        items = [payload]
    if not items or len(items) > MAX_ALERTS:
        raise FilteringError(400, _l("Send between 1 and %(max)s alerts at a time.", max=MAX_ALERTS))
    out = []
    for i, item in enumerate(items):
        try:
            out.append(parse_alert(item, default_source))
        except FilteringError as exc:
            raise FilteringError(400, _l("Alert %(number)s: %(problem)s", number=i + 1, problem=exc.message)) from exc
    return out


# --- storing ---------------------------------------------------------------------------------------

def known_ids(school_id: int, pairs: list[tuple[str, str]]) -> set[tuple[str, str]]:
    """Which (source, source id) pairs the school already has."""
    found: set[tuple[str, str]] = set()
    for start in range(0, len(pairs), 200):
        chunk = pairs[start:start + 200]
        rows = db.session.execute(select(MonitoringAlert.source, MonitoringAlert.source_id).where(
            MonitoringAlert.school_id == school_id,
            tuple_(MonitoringAlert.source, MonitoringAlert.source_id).in_(chunk)))
        found.update((source, ident) for source, ident in rows)
    return found


def store(school_id: int, alerts: list[dict], via: str) -> tuple[int, int]:
    """Store alerts not stored before (same source and source id: once). Returns (stored, duplicates).

    Each insert runs in a savepoint, so an alert a parallel request stored a moment ago counts as a
    duplicate instead of failing the whole batch. Queues one email to the DSLs for the new ones.
    """
    known = known_ids(school_id, list({(a["source"], a["source_id"]) for a in alerts}))
    stored = duplicates = 0
    urgent = False
    for values in alerts:
        pair = (values["source"], values["source_id"])
        if pair in known:
            duplicates += 1
            continue
        known.add(pair)
        alert = MonitoringAlert(
            school_id=school_id, source=values["source"], source_id=values["source_id"], severity=values["severity"],
            occurred_at=values["occurred_at"], device=values["device"], category=values["category"], via=via,
            user_enc=crypto.encrypt(values["user"]) if values["user"] else None,
            summary_enc=crypto.encrypt(values["summary"]) if values["summary"] else None)
        try:
            with db.session.begin_nested():
                db.session.add(alert)
        except IntegrityError:
            duplicates += 1
            continue
        stored += 1
        urgent = urgent or values["severity"] in URGENT
    notify.new_alerts(school_id, stored, urgent)
    return stored, duplicates


def receive(token: MonitoringToken, payload) -> tuple[int, int]:
    """The endpoint's work: check the whole payload, then store it; the token's use is noted."""
    alerts = parse_payload(payload, token.label)
    token.last_used_at = utcnow()
    return store(token.school_id, alerts, "api")
