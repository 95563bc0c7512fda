"""Routes that belong to no single domain: the front door, pictures, language choice."""

from __future__ import annotations

from flask import Blueprint, abort, redirect, request, send_from_directory, session, url_for
from flask_login import current_user

from .access import public
from .content import current_content
from .extensions import db
from .i18n import allowed_languages
from .redirects import safe_path

bp = Blueprint("main", __name__)


@bp.get("/")
@public
def index():
    """Send each person to their own home page, or to sign-in."""
    if current_user.is_authenticated:
        return redirect(url_for("learning.home" if current_user.is_pupil else "coverage.home"))
    return redirect(url_for("auth.sign_in_choice"))


@bp.get("/pictures/<name>")
@public
def picture(name: str):
    """Serve a content picture (SVG) by name; only names the content loader found."""
    content = current_content()
    if name not in content.pictures:
        abort(404)
    response = send_from_directory(content.root / "pictures", name, mimetype="image/svg+xml", max_age=86400)
    response.headers["Content-Security-Policy"] = "default-src 'none'"
    return response


@bp.post("/language")
@public
def set_language():
    """Switch the page language with one tap; remembered for a signed-in pupil."""
    lang = request.form.get("lang", "")
    if lang not in allowed_languages():  # a pupil: only what their school offers
        abort(400)
    session["lang"] = lang
    if current_user.is_authenticated and current_user.is_pupil:
        current_user.language, current_user.language_chosen_by_child = lang, True
        db.session.commit()
    return redirect(safe_path(request.form.get("next"), url_for("main.index")))
