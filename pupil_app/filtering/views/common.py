"""The ``filtering`` blueprint and what its pages share."""

from __future__ import annotations

from flask import Blueprint, abort, request

from ...concerns import alerts
from ...extensions import db
from ...timeutil import local, utcnow
from .. import labels

bp = Blueprint("filtering", __name__, template_folder="../templates")
MAX_ID = 2**31 - 1


@bp.record_once
def _connect(state) -> None:
    from .. import cli, service

    state.app.jinja_env.globals["filtering_labels"] = labels
    state.app.jinja_env.globals["filtering_figures"] = service.governors_figures
    state.app.cli.add_command(cli.filtering_cli)


def local_now():
    """Now in the school's time zone, to the minute, naive: a date-time field's starting value."""
    return local(utcnow().replace(second=0, microsecond=0)).replace(tzinfo=None)


def id_or_404(value: int) -> int:
    if value > MAX_ID:
        abort(404)
    return value


def commit_and_send() -> None:
    """Commit, then send the emails this request queued (the concerns domain's alert queue)."""
    db.session.commit()
    alerts.after_commit()


def refuse_json() -> None:
    """Form routes take forms, never a JSON body (Flask-WTF would read it into the form)."""
    if request.method == "POST" and request.is_json:
        abort(400)


