"""Who may use each route, declared on the route itself.

Every view function carries exactly one of these decorators; ``tests/test_access.py`` walks the URL
map and fails on any endpoint without a declaration (``access_of``) or reachable by the wrong role.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import TypeVar

from flask import abort, redirect, request, session, url_for
from flask_login import current_user

from .schools.models import Role

F = TypeVar("F", bound=Callable)

PUBLIC = "public"
PUPIL = "pupil"
STAFF = "staff"
SIGNED_IN = "signed-in"


def _declare(view: F, who: str, roles: frozenset[Role] = frozenset()) -> F:
    view.access = who  # type: ignore[attr-defined]
    view.access_roles = roles  # type: ignore[attr-defined]
    return view


def access_of(view: Callable) -> tuple[str, frozenset[Role]] | None:
    who = getattr(view, "access", None)
    return (who, getattr(view, "access_roles", frozenset())) if who else None


def _to_sign_in():
    if request.path.startswith("/staff"):
        return redirect(url_for("auth.staff_sign_in", next=request.full_path.rstrip("?")))
    # A child who just tapped "I've finished" goes back to where they signed in (their class page).
    return redirect(session.get("signed_out_to") or url_for("auth.sign_in_choice"))


def public(view: F) -> F:
    """Anyone, signed in or not (sign-in pages, pictures, error pages)."""
    return _declare(view, PUBLIC)


def signed_in(view: F) -> F:
    """Any signed-in pupil or staff member (sign-out)."""

    @wraps(view)
    def wrapper(*args, **kwargs):
        if not current_user.is_authenticated:
            return _to_sign_in()
        return view(*args, **kwargs)

    return _declare(wrapper, SIGNED_IN)


def pupil_required(view: F) -> F:
    """A signed-in pupil; their own data only (views take the pupil from ``current_user``)."""

    @wraps(view)
    def wrapper(*args, **kwargs):
        if not current_user.is_authenticated:
            return _to_sign_in()
        if not current_user.is_pupil:
            abort(403)
        return view(*args, **kwargs)

    return _declare(wrapper, PUPIL)


def role_required(*roles: Role) -> Callable[[F], F]:
    """A signed-in staff member holding at least one of ``roles`` (none given: any staff role)."""
    wanted = frozenset(roles) or frozenset(Role)

    def decorator(view: F) -> F:
        @wraps(view)
        def wrapper(*args, **kwargs):
            if not current_user.is_authenticated:
                return _to_sign_in()
            if not current_user.is_staff or not current_user.has_role(*wanted):
                abort(403)
            return view(*args, **kwargs)

        return _declare(wrapper, STAFF, wanted)

    return decorator


staff_required = role_required()


def declare_static(app) -> None:
    """Flask's own static route serves public files; mark it so the URL-map walk accepts it."""
    view = app.view_functions.get("static")
    if view is not None and access_of(view) is None:
        _declare(view, PUBLIC)
