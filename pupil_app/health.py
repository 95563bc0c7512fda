"""Health probes for load balancers and monitoring: cheap, public, and never a secret in the body.

- ``/healthz`` (liveness): 200 with ``{"status": "ok"}``, or ``{"status": "degraded", "reasons": [...]}``
  when an optional part is away (Redis for rate-limit counters, the mail server, the alert sender).
  The app still serves children then, so this is still 200.
- ``/readyz`` (readiness): 200 only when the database answers, its migrations are at head and a
  configured data key opens the stored check value; otherwise 503 with the reasons.
"""

from __future__ import annotations

import time
from datetime import timedelta

from flask import Blueprint, current_app, jsonify
from sqlalchemy import func, select, text
from sqlalchemy.exc import SQLAlchemyError

from .access import public
from .extensions import db

bp = Blueprint("health", __name__)

CACHE_SECONDS = 2.0  # a probe every second from several balancers costs one look every 2 s


def _cached(name: str, compute):
    app = current_app._get_current_object()
    cache = app.extensions.setdefault("health_cache", {})
    hit = cache.get(name)
    now = time.monotonic()
    if hit is None or now - hit[0] > CACHE_SECONDS:
        hit = cache[name] = (now, compute())
    return hit[1]


def _mail_reasons() -> list[str]:
    """Alerts failing or stuck across the whole deployment (counts only)."""
    from .concerns.alerts import CLAIM_FOR
    from .concerns.models import PendingMail
    from .timeutil import utcnow

    now = utcnow()
    try:
        failing = db.session.scalar(select(func.count()).select_from(PendingMail).where(
            PendingMail.sent_at.is_(None), PendingMail.attempts > 0))
        stuck = db.session.scalar(select(func.count()).select_from(PendingMail).where(
            PendingMail.sent_at.is_(None), PendingMail.attempts == 0,
            PendingMail.next_attempt_at < now - CLAIM_FOR - timedelta(seconds=30)))
        db.session.rollback()
    except SQLAlchemyError:
        db.session.rollback()
        return ["database unreachable"]
    reasons = []
    if failing:
        reasons.append(f"mail: {failing} alert(s) failed to send and wait for a retry")
    if stuck:
        reasons.append(f"mail: {stuck} alert(s) not yet tried after {int(CLAIM_FOR.total_seconds())} s "
                       "(is the alert sender running?)")
    return reasons


def degraded_reasons() -> list[str]:
    from . import ratelimit

    reasons = []
    redis = ratelimit.degraded_reason(current_app)
    if redis:
        reasons.append(redis)
    reasons += _cached("mail", _mail_reasons)
    return reasons


@bp.get("/healthz")
@public
def healthz():
    """Liveness, and what is degraded (children are still served)."""
    reasons = degraded_reasons()
    if reasons:
        return jsonify(status="degraded", reasons=reasons)
    return jsonify(status="ok")


def _migration_reason() -> str | None:
    from alembic.runtime.migration import MigrationContext
    from alembic.script import ScriptDirectory
    from flask_migrate import Migrate

    migrate: Migrate = current_app.extensions["migrate"]
    heads = current_app.extensions.get("migration_heads")
    if heads is None:
        config = migrate.migrate.get_config(migrate.directory)
        heads = current_app.extensions["migration_heads"] = set(ScriptDirectory.from_config(config).get_heads())
    with db.engine.connect() as connection:
        current = set(MigrationContext.configure(connection).get_current_heads())
        connection.execute(text("SELECT 1"))
    if current != heads:
        return "database: migrations not at head (run flask db upgrade)"
    return None


def _ready_reasons() -> list[str]:
    from .datakey import status

    try:
        reason = _migration_reason()
    except SQLAlchemyError as exc:
        return [f"database unreachable ({type(exc).__name__})"]
    reasons = [reason] if reason else []
    key = status(current_app)
    if key:
        reasons.append(key)
    return reasons


@bp.get("/readyz")
@public
def readyz():
    """Ready to serve: database reachable, migrations at head, data key opens the check value."""
    reasons = _cached("ready", _ready_reasons)
    if reasons:
        return jsonify(status="unavailable", reasons=reasons), 503
    return jsonify(status="ready")
