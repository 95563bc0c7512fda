"""The ``concerns`` blueprint and what its pupil and staff pages share.

One blueprint for pupils and staff: the first-log-on pledge gate lets every endpoint of it through,
so a child can always tell an adult.
"""

from __future__ import annotations

from typing import NoReturn

from flask import Blueprint, Response, abort, jsonify, render_template, request
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy.exc import SQLAlchemyError
from wtforms.fields.choices import SelectChoice

from ...extensions import db
from .. import inbox as inbox_service, labels, sessions, staff_logging, telling

bp = Blueprint("concerns", __name__, template_folder="../templates")


def signed_in_pupil():
    return current_user._get_current_object() if current_user.is_authenticated and current_user.is_pupil else None


def wants_json() -> bool:
    return request.accept_mimetypes.best == "application/json"


def json(status: str, code: int = 200, **extra):
    return jsonify(status=status, **{k: str(v) if v is not None and not isinstance(v, (bool, int)) else v
                                     for k, v in extra.items()}), code


@bp.record_once
def _connect(state) -> None:
    """Deliver, when a session ends, what a pupil had started (``sessions``)."""
    state.app.jinja_env.globals["concern_labels"] = labels
    state.app.jinja_env.globals["tell_session_tag"] = sessions.page_tag
    sessions.connect(state.app)


@bp.app_template_global()
def tell_messages(pupil):
    """A pupil's recent messages and whether a grown-up has read each (their home page)."""
    try:
        return telling.pupil_messages(pupil)
    except SQLAlchemyError:
        db.session.rollback()
        return []


def pupil_choices(school_id: int) -> list[SelectChoice]:
    """Every pupil of the school, grouped by class, after a "Choose a pupil" prompt."""
    classes = inbox_service.classes_of(school_id)
    out = [SelectChoice("", _("Choose a pupil…"))]
    for p in staff_logging.school_pupils(school_id):
        group = classes[p.class_id].name if p.class_id in classes else _("No class")
        out.append(SelectChoice(str(p.id), p.full_name, optgroup=group))
    return out


def bad_filter(exc) -> NoReturn:
    """A filter or a date range that could not be read: a 400 page that says what to change."""
    abort(Response(render_template("error.html", code=400, title=_("That filter did not work"),
                                   message=exc.message), 400))
