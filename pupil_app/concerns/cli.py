"""Command-line tasks for concerns: ``flask concerns ...``.

    flask concerns send-alerts     send alert emails that are due (new or to retry); run it from cron
    flask concerns forget-drafts   delete unsent "Tell an adult" messages older than 30 days
"""

from __future__ import annotations

import click
from flask.cli import AppGroup
from sqlalchemy import delete

from ..extensions import db
from ..timeutil import utcnow

concerns_cli = AppGroup("concerns", help="Concerns: alert emails and unsent messages.")


@concerns_cli.command("send-alerts")
def send_alerts() -> None:
    """Send every alert email that is due (new ones, and failed ones whose retry time has come)."""
    from .alerts import send_due

    sent, failed = send_due(limit=1000)
    click.echo(f"Alerts sent: {sent}; failed (will be retried): {failed}.")
    if failed:
        raise SystemExit(1)


@concerns_cli.command("forget-drafts")
def forget_drafts() -> None:
    """Delete unsent messages nobody has touched for 30 days (sent ones are concerns, kept for good)."""
    from .models import ConcernDraft
    from .service import DRAFT_KEEP

    result = db.session.execute(delete(ConcernDraft).where(
        ConcernDraft.send_requested_at.is_(None), ConcernDraft.updated_at < utcnow() - DRAFT_KEEP))
    db.session.commit()
    click.echo(f"Unsent messages forgotten: {result.rowcount}.")
