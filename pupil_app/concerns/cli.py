"""Command-line tasks for concerns and the data key.

    flask concerns sender          the alert sender, running until stopped (production: its own service)
    flask concerns send-alerts     one pass of the sender: send alert emails that are due
    flask concerns forget-drafts   delete unsent "Tell an adult" messages older than 30 days
    flask data-key rotate          a new data key; every encrypted value re-encrypted with it
    flask data-key retire          re-encrypt with the newest key and drop the older keys
    flask data-key generate        print a new key (for deployments that set DATA_KEY)
"""

from __future__ import annotations

from pathlib import Path

import click
from cryptography.fernet import Fernet, MultiFernet
from flask import current_app
from flask.cli import AppGroup
from sqlalchemy import delete

from .. import crypto
from ..extensions import db
from ..timeutil import utcnow
from .views import bp


@bp.cli.command("send-alerts")
def send_alerts() -> None:
    """Send every alert email that is due (new ones, and failed ones whose retry time has come)."""
    from .alerts import send_due

    sent, failed = send_due(limit=1000)
    click.echo(f"Alerts sent: {sent}; failed (will be retried): {failed}.")
    if failed:
        raise SystemExit(1)


@bp.cli.command("sender")
@click.option("--poll", type=float, default=None, help="Seconds between passes when idle (ALERT_POLL_SECONDS).")
def sender(poll: float | None) -> None:
    """Send alert emails as they become due, until stopped. Several may run: claims are atomic, and
    a sender that dies mid-send has its alerts re-sent by another once their lease runs out."""
    from .sender import run_forever

    try:
        run_forever(current_app._get_current_object(), poll or current_app.config["ALERT_POLL_SECONDS"])
    except KeyboardInterrupt:
        click.echo("Alert sender stopped.")


@bp.cli.command("forget-drafts")
def forget_drafts() -> None:
    """Delete unsent messages nobody has touched for 30 days (sent ones are concerns, kept for good)."""
    from .models import ConcernDraft
    from .service import DRAFT_KEEP

    result = db.session.execute(delete(ConcernDraft).where(
        ConcernDraft.send_requested_at.is_(None), ConcernDraft.updated_at < utcnow() - DRAFT_KEEP))
    db.session.commit()
    click.echo(f"Unsent messages forgotten: {result.rowcount}.")


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
