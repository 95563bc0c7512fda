"""When a second factor is asked for: once per sign-in (the gate) and fresh before sensitive actions.

The session remembers when the second factor was last given (``mfa_at``, a time in seconds). The
gate sends a staff member who must use a second factor to the challenge (or to enrolment, when
they have no device yet) before any other page. ``fresh_factor_required`` guards opening a
concern's words, exports, prints and transfers: the factor must be at most ``MFA_FRESH_MINUTES``
old (15 by default). There is no "remember this device".
"""

from __future__ import annotations

import time
from collections.abc import Callable
from functools import wraps
from typing import TypeVar

from flask import current_app, flash, redirect, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user

from ..access import PUBLIC, access_of
from ..redirects import safe_path

F = TypeVar("F", bound=Callable)

DONE_AT = "mfa_at"
NOT_NEEDED = "mfa_not_needed"
NEXT = "mfa_next"


def mark_done() -> None:
    session[DONE_AT] = time.time()
    session.pop(NOT_NEEDED, None)


def _fresh_seconds() -> float:
    return float(current_app.config.get("MFA_FRESH_MINUTES", 15)) * 60


def is_fresh() -> bool:
    done = session.get(DONE_AT)
    return isinstance(done, (int, float)) and 0 <= time.time() - done <= _fresh_seconds()


def before_second_factor(view: F) -> F:
    """Mark a view as usable between the password and the second factor (the challenge itself)."""
    view.mfa_exempt = True  # type: ignore[attr-defined]
    return view


def _needs_factor() -> bool:
    from .mfa import required_for

    return required_for(current_user._get_current_object())


def _to_challenge(next_path: str | None):
    session[NEXT] = safe_path(next_path, url_for("coverage.home"))
    return redirect(url_for("auth.mfa_check"))


def enforce_second_factor():
    """``before_app_request``: a staff member who must give a second factor gives it before anything else."""
    if request.endpoint in ("static", "main.picture", "auth.sign_out"):  # signing out is never held up
        return None  # files need no account (and load while the database is away)
    if not current_user.is_authenticated or not current_user.is_staff:
        return None
    if DONE_AT in session or session.get(NOT_NEEDED) or request.endpoint is None:
        return None
    view = current_app.view_functions.get(request.endpoint)
    declared = access_of(view) if view else None
    if view is None or getattr(view, "mfa_exempt", False) or (declared and declared[0] == PUBLIC):
        return None
    if not _needs_factor():
        session[NOT_NEEDED] = True
        return None
    return _to_challenge(request.full_path.rstrip("?") if request.method == "GET" else None)


def fresh_factor_required(view: F) -> F:
    """The wrapped view needs a second factor given in the last ``MFA_FRESH_MINUTES`` minutes."""

    @wraps(view)
    def wrapper(*args, **kwargs):
        if current_user.is_authenticated and current_user.is_staff and not is_fresh() and _needs_factor():
            flash(_("Please confirm it is you: this page holds safeguarding records."))
            if request.method == "GET":
                return _to_challenge(request.full_path.rstrip("?"))
            referrer = request.referrer or ""
            root = request.host_url.rstrip("/")
            return _to_challenge(referrer[len(root):] if referrer.startswith(root + "/") else None)
        return view(*args, **kwargs)

    wrapper.fresh_factor = True  # type: ignore[attr-defined]
    return wrapper  # type: ignore[return-value]
