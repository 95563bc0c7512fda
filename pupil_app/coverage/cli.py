"""`flask coverage aggregates`: check or rebuild the quiz figures the trust-scale pages read."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from ..content import current_content
from ..extensions import db
from . import aggregates


@click.group("coverage", cls=AppGroup)
def coverage_cli() -> None:
    """Curriculum coverage figures."""


@coverage_cli.command("aggregates")
@click.option("--check", "mode", flag_value="check", default=True, help="compare with a fresh count (default)")
@click.option("--rebuild", "mode", flag_value="rebuild", help="count everything again from the quiz attempts")
def aggregates_command(mode: str) -> None:
    """The per-pupil, per-term quiz figures: kept by the app as quizzes finish; rebuild them after
    loading attempts some other way (a bulk import, a restore of only that table)."""
    db.session.remove()
    with db.engine.begin() as conn:
        if mode == "rebuild":
            rows = aggregates.rebuild(conn, current_content().modules)
            click.echo(f"Quiz figures rebuilt: {rows} rows.")
            return
        differ = aggregates.differences(conn, current_content().modules)
    if differ:
        click.echo(f"{differ} figures differ from a fresh count: run `flask coverage aggregates --rebuild`.")
        raise SystemExit(1)
    click.echo("The quiz figures match a fresh count from the attempts.")
