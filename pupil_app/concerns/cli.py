"""Command-line tasks for concerns: ``flask concerns ...``.

    flask concerns sender          the alert sender, running until stopped (production: its own service)
    flask concerns send-alerts     one pass of the sender: send alert emails that are due
    flask concerns forget-drafts   delete unsent "Tell an adult" messages older than 30 days
"""

from __future__ import annotations

import click
from flask import current_app
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


@concerns_cli.command("sender")
@click.option("--poll", type=float, default=None, help="Seconds between passes when idle (ALERT_POLL_SECONDS).")
def sender(poll: float | None) -> None:
    """Send alert emails as they become due, until stopped. Several may run: claims are atomic, and
    a sender that dies mid-send has its alerts re-sent by another once their lease runs out."""
    from .sender import run_forever

    try:
        run_forever(current_app._get_current_object(), poll or current_app.config["ALERT_POLL_SECONDS"])
    except KeyboardInterrupt:
        click.echo("Alert sender stopped.")


@concerns_cli.command("forget-drafts")
def forget_drafts() -> None:
    """Delete unsent messages nobody has touched for 30 days (sent ones are concerns, kept for good)."""
    from .models import ConcernDraft
    from .service import DRAFT_KEEP

    result = db.session.execute(delete(ConcernDraft).where(
        ConcernDraft.send_requested_at.is_(None), ConcernDraft.updated_at < utcnow() - DRAFT_KEEP))
    db.session.commit()
    click.echo(f"Unsent messages forgotten: {result.rowcount}.")
