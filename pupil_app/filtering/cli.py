"""Command-line tasks of filtering.

    flask filtering remind    email each school whose yearly filtering review falls due (run daily)
"""

from __future__ import annotations

import click
from flask.cli import AppGroup

from ..extensions import db
from .common import local_today

filtering_cli = AppGroup("filtering", help="Filtering and monitoring: the yearly review reminder.")


@filtering_cli.command("remind")
def remind() -> None:
    """Queue the review-due email for each school whose review is due within a month, once per review."""
    from ..concerns.alerts import after_commit
    from .review import send_reminders

    count = send_reminders(local_today())
    db.session.commit()
    after_commit()  # sends what was just queued; failures stay queued for `flask concerns send-alerts`
    click.echo(f"Review reminders queued: {count}.")
