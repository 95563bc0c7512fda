"""`flask records ...`: the daily digest to each DSL (run it once a day from cron)."""

from __future__ import annotations

import click

from ..extensions import db
from . import tasks, transfers
from .views.common import bp


@bp.cli.command("digest")
def digest_command() -> None:
    """Queue today's digest for every DSL (counts and a link, no names) and the reminders of files not
    received after 5 school days; `flask concerns send-alerts` sends them."""
    queued = tasks.queue_digest()
    reminded = transfers.queue_reminders()
    db.session.commit()
    click.echo(f"{queued} digest emails queued; {reminded} transfer reminders.")
