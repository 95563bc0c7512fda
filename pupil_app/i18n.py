"""Which language a page is shown in: the pupil's tap-chosen language, else English."""

from __future__ import annotations

from flask import current_app, session
from flask_babel import get_locale
from flask_login import current_user

RTL_LANGUAGES = {"ar", "fa", "he", "ur", "ps", "yi"}


def select_locale() -> str:
    """Flask-Babel's locale selector: session choice, then the pupil's saved choice, then English."""
    languages = current_app.config["LANGUAGES"]
    chosen = session.get("lang")
    if chosen in languages:
        return chosen
    if current_user and current_user.is_authenticated and getattr(current_user, "language", None) in languages:
        return current_user.language
    return current_app.config["BABEL_DEFAULT_LOCALE"]


def current_language() -> str:
    locale = get_locale()
    return locale.language if locale else "en"


def is_rtl() -> bool:
    locale = get_locale()
    return bool(locale and locale.text_direction == "rtl")
