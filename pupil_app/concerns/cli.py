"""Command-line tasks for concerns: ``flask concerns ...``.

    flask concerns send-alerts     send alert emails that are due (new or to retry); run it from cron
    flask concerns end-drafts      deliver "Tell an adult" messages whose session ended (marked so)
"""

from __future__ import annotations

import click
from flask.cli import AppGroup

from ..extensions import db

concerns_cli = AppGroup("concerns", help="Concerns: alert emails and unsent messages.")


@concerns_cli.command("send-alerts")
def send_alerts() -> None:
    """Send every alert email that is due (new ones, and failed ones whose retry time has come)."""
    from .alerts import send_due

    sent, failed = send_due(limit=1000)
    click.echo(f"Alerts sent: {sent}; failed (will be retried): {failed}.")
    if failed:
        raise SystemExit(1)


@concerns_cli.command("end-drafts")
def end_drafts() -> None:
    """Unsent messages untouched for an hour belong to a session that has ended: what the child had
    chosen goes to the DSL, marked as interrupted; empty ones are deleted. Run it from cron."""
    from . import alerts
    from .sessions import end_stale

    delivered = end_stale()
    db.session.commit()
    if delivered:
        alerts.after_commit()
    click.echo(f"Interrupted messages delivered to the DSL: {delivered}.")
