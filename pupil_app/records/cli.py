"""`flask records ...`: the daily digest to each DSL (run it once a day from cron)."""

from __future__ import annotations

import click

from ..extensions import db
from . import tasks
from .views.common import bp


@bp.cli.command("digest")
def digest_command() -> None:
    """Queue today's digest for every DSL: counts and a link, no names; `flask concerns send-alerts` sends it."""
    queued = tasks.queue_digest()
    db.session.commit()
    click.echo(f"{queued} digest emails queued.")
