"""Staff single sign-on routes: start at the provider, come back with a code (auth.sso has the checks)."""

from __future__ import annotations

import logging

from flask import Blueprint, abort, redirect, render_template, request, session, url_for
from flask_babel import gettext as _

from ..access import public
from ..extensions import db
from ..ratelimit import rate_limited
from . import sso
from .forms import SsoStartForm
from .views.sign_in import _begin_session

bp = Blueprint("sso", __name__, template_folder="templates")
log = logging.getLogger(__name__)
PENDING_KEY = "sso_pending"


@bp.post("/staff/sso")
@public
@rate_limited("SIGNIN_RATE_LIMIT", "sso")
def start():
    """'Sign in with Google or Microsoft': the address's domain picks the school's provider."""
    if request.is_json:
        abort(400)
    form = SsoStartForm()
    if not form.validate():
        abort(400)
    cfg = sso.config_for_email(form.email.data)
    if cfg is None:
        return _failed(_("Your school has not set up Google or Microsoft sign-in for this address. "
                         "Sign in with your username and password."), 404)
    try:
        url, pending = sso.begin(cfg, form.email.data)
    except sso.SsoError:
        return _failed(_("Google or Microsoft did not answer. Try again, or sign in with your password."), 502)
    session[PENDING_KEY] = pending
    return redirect(url, 303)


@bp.get("/staff/sso/callback")
@public
@rate_limited("SIGNIN_RATE_LIMIT", "sso")
def callback():
    """Back from the provider: one try per start (the state is used once), then the staff home."""
    pending = session.pop(PENDING_KEY, None)
    try:
        result = sso.finish(pending, request.args)
    except sso.SsoError as exc:
        db.session.rollback()
        log.warning("Single sign-on refused: %s", exc.reason)
        if exc.reason == "provider-unreachable":
            return _failed(_("Google or Microsoft did not answer. Try again, or sign in with your password."), 502)
        if exc.reason == "no-account":
            return _failed(_("There is no staff account with this email address at your school. "
                             "Ask your school's admin to add it."), 403)
        return _failed(_("That sign-in did not work. Start again from the staff sign-in page."), 401)
    _begin_session(result.account, f"sso-{result.provider}")
    session["sso_amr"] = result.amr
    session["mfa_by_idp"] = result.idp_mfa
    return redirect(url_for("coverage.home"))


def _failed(message: str, status: int):
    return render_template("auth/sso_failed.html", message=message), status
