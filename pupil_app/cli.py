"""The app's commands: ``flask content check``, ``flask demo load``, ``flask badge issue``, ``flask data-key ...``.

    flask data-key rotate          a new data key; every encrypted value re-encrypted with it
    flask data-key retire          re-encrypt with the newest key and drop the older keys
    flask data-key generate        print a new key (for deployments that set DATA_KEY)

Domains bring their own groups (``flask concerns ...``); ``register`` adds them all.
"""

from __future__ import annotations

from pathlib import Path

import click
from cryptography.fernet import Fernet, MultiFernet
from flask import Flask, current_app, url_for
from flask.cli import AppGroup
from sqlalchemy import select

from . import crypto
from .concerns.cli import concerns_cli
from .content import ContentError, load_content
from .extensions import db


def register(app: Flask) -> None:
    app.cli.add_command(content_cli)
    app.cli.add_command(demo_cli)
    app.cli.add_command(badge_cli)
    from .auth.sso_cli import sso_cli
    from .coverage.cli import coverage_cli

    app.cli.add_command(coverage_cli)
    app.cli.add_command(sso_cli)
    app.cli.add_command(data_key_cli)
    app.cli.add_command(concerns_cli)


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


@content_cli.command("map")
def content_map() -> None:
    """Print the curriculum map (year x risk, module titles) as the Markdown table in README.md."""
    from .content.curriculum import curriculum_map

    try:
        content = load_content(current_app.config["CONTENT_DIR"])
    except ContentError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(curriculum_map(content), nl=False)


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
        made_in, recorded_in = audio.audio_dir(current_app) / lang, audio.recordings_dir(current_app) / lang
        click.echo(f"{lang}: {done.made} made, {done.kept} kept, {done.bytes / 1_000_000:.1f} MB "
                   f"in {made_in} (recordings in {recorded_in} win)")


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


@click.group("data-key", cls=AppGroup)
def data_key_cli() -> None:
    """The key that encrypts safeguarding text and picture passwords at rest."""


def _reencrypt(keys: list[bytes]) -> dict[str, int]:
    fernet = MultiFernet([Fernet(k) for k in keys])
    db.session.remove()
    with db.engine.begin() as conn:  # one transaction: every value is re-encrypted, or none is
        counts = crypto.reencrypt_all(conn, fernet)
    crypto.use_keys(current_app, keys)
    return counts


def _report(counts: dict[str, int]) -> None:
    for column, n in counts.items():
        click.echo(f"  {column}: {n} re-encrypted")


@data_key_cli.command("generate")
def generate() -> None:
    """Print a new key."""
    click.echo(Fernet.generate_key().decode("ascii"))


@data_key_cli.command("rotate")
def rotate() -> None:
    """Make a new key and re-encrypt every encrypted value with it.

    Key file: the new key is written first in the file (older keys stay after it, so app processes
    still running keep working), then everything is re-encrypted. Restart the app, then run
    `flask data-key retire` to drop the old keys.

    DATA_KEY: put a new key (`flask data-key generate`) first in DATA_KEY on every process and
    restart them; then this command re-encrypts everything with it.
    """
    source, keys = crypto.configured_keys(current_app)
    if source == "env":
        if len(keys) < 2:
            raise click.ClickException(
                "DATA_KEY holds one key. Put a new key first (DATA_KEY=NEW,OLD, see `flask data-key generate`) "
                "on every app process, restart them, then run this again.")
        counts = _reencrypt(keys)
        _report(counts)
        click.echo("Everything is now encrypted with the first key of DATA_KEY. When every process runs with it, "
                   "remove the older keys from DATA_KEY.")
        return
    path = Path(current_app.config["DATA_KEY_FILE"])
    new = Fernet.generate_key()
    crypto.write_key_file(path, [new] + keys)  # first: a crash after this point loses nothing
    counts = _reencrypt([new] + keys)
    _report(counts)
    click.echo(f"New key in use ({path}). Restart the app processes, then run `flask data-key retire`.")


@data_key_cli.command("retire")
def retire() -> None:
    """Re-encrypt with the newest key anything still under an older one, then drop the older keys."""
    source, keys = crypto.configured_keys(current_app)
    counts = _reencrypt(keys)
    _report(counts)
    if source == "env":
        click.echo("Everything is encrypted with the first key of DATA_KEY; remove the others from DATA_KEY.")
        return
    path = Path(current_app.config["DATA_KEY_FILE"])
    crypto.write_key_file(path, keys[:1])
    crypto.use_keys(current_app, keys[:1])
    click.echo(f"Older keys removed from {path}; only the newest key is kept.")
