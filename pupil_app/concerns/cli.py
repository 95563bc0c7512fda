"""Command-line tasks for concerns: ``flask concerns ...``.

    flask concerns sender          the alert sender, running until stopped (production: its own service)
    flask concerns send-alerts     one pass of the sender: send alert emails that are due
    flask concerns end-drafts      deliver "Tell an adult" messages whose session ended (marked so)
"""

from __future__ import annotations

import click
from flask import current_app
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
