"""Command-line tasks: ``flask content check``, ``flask demo load``, ``flask badge issue``."""

from __future__ import annotations

import click
from flask.cli import AppGroup
from flask import Flask, current_app, url_for
from sqlalchemy import select

from .content import ContentError, load_content
from .extensions import db


def register(app: Flask) -> None:
    app.cli.add_command(content_cli)
    app.cli.add_command(demo_cli)
    app.cli.add_command(badge_cli)


@click.group("content", cls=AppGroup)
def content_cli() -> None:
    """Lesson content in content/."""


@content_cli.command("check")
def content_check() -> None:
    """Validate every content file (the same checks as start-up)."""
    try:
        content = load_content(current_app.config["CONTENT_DIR"])
    except ContentError as exc:
        raise click.ClickException(str(exc)) from exc
    questions = sum(len(m.questions) for m in content.modules.values())
    promises = sum(len(p.statements) for p in content.pledges.values())
    click.echo(f"Content OK: {len(content.modules)} modules, {questions} questions, "
               f"{len(content.outcomes)} outcomes, {len(content.risks)} risks, "
               f"{len(content.pledges)} pledges ({promises} promises), {len(content.pictures)} pictures.")


@content_cli.command("audio")
@click.option("--lang", "langs", multiple=True, help="Only these languages (default: every language offered).")
def content_audio(langs: tuple[str, ...]) -> None:
    """Render pupil-facing strings and lesson screens to audio files (espeak-ng), for devices with no voice."""
    from . import audio

    if audio.engine() is None:
        click.echo("espeak-ng is not installed: no audio made (read-aloud uses the device's voices only). "
                   "Debian: apt-get install espeak-ng")
        return
    for lang in langs or tuple(current_app.config["LANGUAGES"]):
        done = audio.render(current_app, lang)
        click.echo(f"{lang}: {done.made} made, {done.kept} kept, {done.bytes / 1_000_000:.1f} MB "
                   f"in {audio.audio_dir(current_app) / lang} (recordings in {audio.recordings_dir(current_app) / lang} win)")


@click.group("demo", cls=AppGroup)
def demo_cli() -> None:
    """The demo school (development only)."""


@demo_cli.command("load")
def demo_load() -> None:
    """Create the demo trust and school; does nothing if they exist."""
    from .demo import load_demo

    if load_demo():
        db.session.commit()
        click.echo("Demo school loaded: see README.md for the accounts.")
    else:
        click.echo("Demo school already loaded; nothing changed.")


@click.group("badge", cls=AppGroup)
def badge_cli() -> None:
    """Pupils' QR sign-in badges."""


@badge_cli.command("issue")
@click.argument("username")
@click.option("--base-url", default="http://127.0.0.1:5000", show_default=True)
def badge_issue(username: str, base_url: str) -> None:
    """Issue a new badge for a pupil (their old one stops working) and print its link."""
    from .auth.service import issue_badge
    from .schools.models import Pupil

    pupil = db.session.scalar(select(Pupil).where(Pupil.username == username.lower()))
    if pupil is None:
        raise click.ClickException(f"No pupil with username {username!r}.")
    token = issue_badge(pupil)
    db.session.commit()
    with current_app.test_request_context(base_url=base_url):
        click.echo(url_for("auth.badge", token=token, _external=True))
