"""The ``pledge`` blueprint and the first-log-on gate: a pupil who has not made their band's current
pledge sees it before anything else (Tell an adult always stays open).
"""

from __future__ import annotations

import time

from flask import Blueprint, redirect, request, session, url_for
from flask_babel import get_locale
from flask_login import current_user

from ...auth.service import idle_limit
from .. import reports, service

bp = Blueprint("pledge", __name__, template_folder="../templates")

# What a pupil who has not signed their band's current pledge may still reach.
ALLOWED_ENDPOINTS = frozenset({
    "auth.sign_out",  # "I've finished"
    "static", "main.picture",  # the page's own files and pictures
    "main.set_language", "health.healthz", "health.readyz",
    "offline.audio_file", "offline.service_worker", "offline.offline_page",  # read-aloud audio, working offline
})
# Whole blueprints a pupil may always reach: the pledge itself, and "Tell an adult" (the concerns
# blueprint, built alongside this one): a child must be able to tell an adult before anything else.
ALLOWED_BLUEPRINTS = frozenset({"pledge", "concerns"})
SESSION_KEY = "pledge"  # {"v": version id, "n": promises made so far, in order}
SIGNED_KEY = "pledge_ok"  # this sign-in has a counting signature (checked once per sign-in)


def page_language() -> str:
    locale = get_locale()
    return str(locale) if locale else "en"


# ---------------------------------------------------------------- the first-log-on gate

@bp.before_app_request
def first_log_on_gate():
    """A pupil who has not signed the current version of their band's pledge is sent to it."""
    if request.endpoint is None or request.endpoint in ALLOWED_ENDPOINTS or request.blueprint in ALLOWED_BLUEPRINTS:
        return None  # checked first: a stylesheet never loads the account
    if not current_user.is_authenticated or not current_user.is_pupil:
        return None
    pupil = current_user._get_current_object()
    marker = pupil.get_id()
    if session.get(SIGNED_KEY) == marker:
        return None
    seen = session.get("seen")
    if seen is not None and time.time() - seen > idle_limit(pupil).total_seconds():
        return None  # the idle sign-out hook runs next and ends this session
    if service.has_signed_current(pupil):
        session[SIGNED_KEY] = marker  # a new version asks again at the next sign-in
        return None
    return redirect(url_for("pledge.start"))


@bp.app_template_global()
def promises_for_module(module_id: str) -> list:
    """'Remember your promise': the promises a module is about, for the signed-in pupil's school and band."""
    if not current_user.is_authenticated or not current_user.is_pupil:
        return []
    return reports.promises_for_module(current_user.school_id, current_user.band, module_id)
