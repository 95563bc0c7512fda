"""Which language a page is shown in: the pupil's tap-chosen language, else English.

A signed-in pupil, and a class's sign-in pages, offer only the languages the school offers
(pupil_app/languages); any other page before sign-in offers every language of the app.
"""

from __future__ import annotations

from flask import current_app, g, session
from flask_babel import get_locale
from flask_login import current_user

RTL_LANGUAGES = {"ar", "fa", "he", "ur", "ps", "yi"}


def _pupil_school_id() -> int | None:
    if current_user and current_user.is_authenticated and current_user.is_pupil:
        return current_user.school_id
    return g.get("language_school_id")


def use_school_languages(school_id: int) -> None:
    """A page before sign-in that belongs to one school (its class page): offer that school's languages.
    Call before anything on the page is translated."""
    g.language_school_id = school_id


def allowed_languages() -> list[str]:
    """The codes this visitor may choose: a signed-in pupil's school's choice, else all of the app's."""
    from .languages.service import offered_cached

    languages = list(current_app.config["LANGUAGES"])
    school_id = _pupil_school_id()
    if school_id is None:
        return languages
    return [code for code in offered_cached(school_id) if code in languages]


def select_locale() -> str:
    """Flask-Babel's locale selector: session choice, then the pupil's saved choice, then English."""
    languages = allowed_languages()
    chosen = session.get("lang")
    if chosen in languages:
        return chosen
    if current_user and current_user.is_authenticated and getattr(current_user, "language", None) in languages:
        return current_user.language
    return current_app.config["BABEL_DEFAULT_LOCALE"]


def switcher_languages() -> dict[str, str]:
    """code -> own name, for the language switcher on pupil pages."""
    names = current_app.config["LANGUAGES"]
    return {code: names[code] for code in allowed_languages()}


def current_language() -> str:
    locale = get_locale()
    return locale.language if locale else "en"


def is_rtl() -> bool:
    locale = get_locale()
    return bool(locale and locale.text_direction == "rtl")
