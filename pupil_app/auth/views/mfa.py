"""Second-factor pages: the challenge after the password, enrolment, one's own devices, colleagues' resets."""

from __future__ import annotations

from flask import abort, current_app, flash, jsonify, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, logout_user

from ... import crypto
from ...access import role_required, staff_required
from ...extensions import db
from ...forms import ConfirmForm
from ...guards import accepts_json
from ...qr import qr_svg
from ...ratelimit import rate_limited
from ...schools.models import Role
from .. import mfa, service
from ..mfa_forms import RESET_REASON_LABELS, CodeForm, ResetForm, TeachersSettingForm, TotpSetupForm
from ..stepup import NEXT, before_second_factor, enforce_second_factor, fresh_factor_required, is_fresh, mark_done
from .common import bp

bp.before_app_request(enforce_second_factor)

PENDING_TOTP = "mfa_totp_pending"
CHALLENGE = "mfa_challenge"
NEW_CODES = "mfa_new_codes"
WRONG = "mfa_wrong_codes"
MAX_WRONG_CODES = 5


def _me():
    return current_user._get_current_object()


def _rp() -> tuple[str, str]:
    """Relying-party id and origin: from settings in production, else this request's own host."""
    cfg = current_app.config
    origin = cfg.get("WEBAUTHN_ORIGIN") or request.host_url.rstrip("/")
    return cfg.get("WEBAUTHN_RP_ID") or request.host.split(":")[0], origin


def _done(first_device: bool):
    """The second factor was given: mark the session, show new recovery codes once, go on."""
    mark_done()
    if first_device:
        session[NEW_CODES] = crypto.encrypt(" ".join(mfa.new_recovery_codes(_me())))
    db.session.commit()
    return url_for("auth.mfa_recovery_codes") if first_device else session.pop(NEXT, None) or url_for("coverage.home")


def _may_add_device() -> bool:
    """A first device right after the password; any further one only with a fresh second factor."""
    return mfa.factor_count(_me()) == 0 or is_fresh()


def _json_body() -> dict:
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        abort(400)
    return body


@bp.get("/staff/second-factor")
@staff_required
@before_second_factor
def mfa_check():
    """The challenge: a passkey first, else an authenticator code, else a recovery code."""
    me = _me()
    kinds = {c.kind for c in mfa.factors(me)}
    if not kinds:
        return redirect(url_for("auth.mfa_setup"))
    return render_template("auth/mfa/check.html", kinds=kinds, form=CodeForm(), confirm=ConfirmForm())


@bp.post("/staff/second-factor/code")
@staff_required
@before_second_factor
@rate_limited("SIGNIN_RATE_LIMIT", "sign-in")
def mfa_code():
    """An authenticator-app code or a recovery code; wrong ones count towards the account's pause."""
    me, form = _me(), CodeForm()
    if form.validate() and (mfa.verify_totp(me, form.code.data) or mfa.use_recovery_code(me, form.code.data)):
        service._record_success(me)
        return redirect(_done(first_device=False))
    if not form.errors:
        service._record_failure(me)
        session[WRONG] = session.get(WRONG, 0) + 1
        if session[WRONG] >= MAX_WRONG_CODES:  # a guesser starts again from the password
            service.end_sessions(me)
            db.session.commit()
            logout_user()
            session.clear()
            flash(_("Too many wrong codes: please sign in again."))
            return redirect(url_for("auth.staff_sign_in"))
        db.session.commit()
        form.code.errors = [_("That code did not work. Try the newest code from your app.")]
    kinds = {c.kind for c in mfa.factors(me)}
    return render_template("auth/mfa/check.html", kinds=kinds, form=form, confirm=ConfirmForm()), 401


@bp.post("/staff/second-factor/passkey/options")
@accepts_json  # passkey.js posts JSON (the body is checked in the view)
@staff_required
@before_second_factor
def mfa_passkey_options():
    options, session[CHALLENGE] = mfa.authentication_options(_me(), _rp()[0])
    return current_app.response_class(options, mimetype="application/json")


@bp.post("/staff/second-factor/passkey")
@accepts_json  # passkey.js posts JSON (the body is checked in the view)
@staff_required
@before_second_factor
@rate_limited("SIGNIN_RATE_LIMIT", "sign-in")
def mfa_passkey():
    rp_id, origin = _rp()
    if not mfa.verify_passkey(_me(), _json_body().get("credential"), session.pop(CHALLENGE, None), rp_id, origin):
        return jsonify(ok=False, message=_("That passkey did not work. Try again, or use another way.")), 401
    return jsonify(ok=True, next=_done(first_device=False))


@bp.get("/staff/second-factor/setup")
@staff_required
@before_second_factor
def mfa_setup():
    """Enrolment: forced at the first sign-in of anyone who must use a second factor."""
    if not _may_add_device():
        return redirect(url_for("auth.mfa_check"))
    return render_template("auth/mfa/setup.html", first=mfa.factor_count(_me()) == 0, confirm=ConfirmForm())


@bp.route("/staff/second-factor/setup/app", methods=["GET", "POST"])
@staff_required
@before_second_factor
def mfa_setup_app():
    """An authenticator app: scan the QR code (or type the key), then type the code it shows."""
    if not _may_add_device():
        return redirect(url_for("auth.mfa_check"))
    me, form = _me(), TotpSetupForm()
    secret = crypto.decrypt(session.get(PENDING_TOTP, "")) if session.get(PENDING_TOTP) else None
    if request.method == "POST" and secret and form.validate():
        first = mfa.factor_count(me) == 0
        if mfa.add_totp(me, secret, form.code.data, form.name.data):
            session.pop(PENDING_TOTP, None)
            return redirect(_done(first_device=first))
        form.code.errors = [_("That code did not match. Type the newest code your app shows.")]
    if secret is None:
        secret = mfa.new_totp_secret()
        session[PENDING_TOTP] = crypto.encrypt(secret)
    uri = mfa.totp_uri(me, secret)
    status = 400 if request.method == "POST" else 200
    return render_template("auth/mfa/setup_app.html", form=form, secret=secret,
                           qr=qr_svg(uri, _("QR code for your authenticator app")), uri=uri), status


@bp.post("/staff/second-factor/setup/passkey/options")
@accepts_json  # passkey.js posts JSON (the body is checked in the view)
@staff_required
@before_second_factor
def mfa_setup_passkey_options():
    if not _may_add_device():
        abort(403)
    options, session[CHALLENGE] = mfa.registration_options(_me(), _rp()[0])
    return current_app.response_class(options, mimetype="application/json")


@bp.post("/staff/second-factor/setup/passkey")
@accepts_json  # passkey.js posts JSON (the body is checked in the view)
@staff_required
@before_second_factor
def mfa_setup_passkey():
    if not _may_add_device():
        abort(403)
    body, (rp_id, origin), me = _json_body(), _rp(), _me()
    first = mfa.factor_count(me) == 0
    name = body.get("name") if isinstance(body.get("name"), str) else None
    if mfa.add_passkey(me, body.get("credential"), session.pop(CHALLENGE, None), rp_id, origin, name) is None:
        return jsonify(ok=False, message=_("The passkey was not saved. Please try again.")), 400
    return jsonify(ok=True, next=_done(first_device=first))


@bp.get("/staff/second-factor/recovery-codes")
@staff_required
@before_second_factor
def mfa_recovery_codes():
    """New recovery codes, shown once: after this page only their hashes exist."""
    token = session.pop(NEW_CODES, None)
    codes = (crypto.decrypt(token) or "").split() if token else []
    if not codes:
        return redirect(session.pop(NEXT, None) or url_for("coverage.home"))
    return render_template("auth/mfa/recovery_codes.html", codes=codes,
                           next_url=session.pop(NEXT, None) or url_for("coverage.home"))


@bp.get("/staff/security")
@staff_required
def mfa_devices():
    """Your own second factors: add, remove, new recovery codes."""
    me = _me()
    return render_template("auth/mfa/devices.html", factors=mfa.factors(me), required=mfa.required_for(me),
                           codes_left=mfa.recovery_codes_left(me), confirm=ConfirmForm(),
                           may_reset=me.has_role(*mfa.RESET_ROLES))


@bp.post("/staff/security/<int:credential_id>/remove")
@staff_required
@fresh_factor_required
def mfa_remove(credential_id: int):
    if not ConfirmForm().validate():
        abort(400)
    outcome = mfa.remove_factor(_me(), credential_id)
    if outcome == "missing":
        abort(404)
    db.session.commit()
    flash(_("Removed.") if outcome == "removed" else _("Add another device first: you must keep one."))
    return redirect(url_for("auth.mfa_devices"))


@bp.post("/staff/security/recovery-codes")
@staff_required
@fresh_factor_required
def mfa_new_codes():
    if not ConfirmForm().validate():
        abort(400)
    session[NEW_CODES] = crypto.encrypt(" ".join(mfa.new_recovery_codes(_me())))
    session[NEXT] = url_for("auth.mfa_devices")
    db.session.commit()
    return redirect(url_for("auth.mfa_recovery_codes"))


@bp.get("/staff/security/colleagues")
@role_required(*mfa.RESET_ROLES)
def mfa_colleagues():
    """Colleagues' second factors, for a reset when someone has lost every device."""
    me = _me()
    people = [(s, mfa.factor_count(s), mfa.required_for(s)) for s in mfa.resettable_staff(me)]
    setting = TeachersSettingForm(required=me.school.mfa_for_teachers)
    return render_template("auth/mfa/colleagues.html", people=people, setting=setting,
                           may_set=me.has_role(Role.ADMIN, Role.TRUST_ADMIN))


@bp.route("/staff/security/colleagues/<int:staff_id>/reset", methods=["GET", "POST"])
@role_required(*mfa.RESET_ROLES)
@fresh_factor_required
def mfa_reset(staff_id: int):
    """Reset a colleague's second factor (they enrol again at their next sign-in); audited."""
    me, form = _me(), ResetForm()
    colleague = next((s for s in mfa.resettable_staff(me) if s.id == staff_id), None)
    if colleague is None:
        abort(404)
    if request.method == "POST" and form.validate():
        mfa.reset_factors(me, staff_id, form.reason.data)
        db.session.commit()
        flash(_("Second factor reset for %(name)s. They set up a new device at their next sign-in.",
                name=colleague.display_name))
        return redirect(url_for("auth.mfa_colleagues"))
    status = 400 if request.method == "POST" else 200
    return render_template("auth/mfa/reset.html", colleague=colleague, devices=mfa.factor_count(colleague),
                           form=form, labels=RESET_REASON_LABELS), status


@bp.post("/staff/security/teachers")
@role_required(Role.ADMIN, Role.TRUST_ADMIN)
@fresh_factor_required
def mfa_teachers_setting():
    form = TeachersSettingForm()
    if not form.validate():
        abort(400)
    mfa.set_teachers_required(_me(), bool(form.required.data))
    db.session.commit()
    flash(_("Saved. Teachers set up a second factor at their next sign-in.") if form.required.data
          else _("Saved. Teachers may still add a second factor themselves."))
    return redirect(url_for("auth.mfa_colleagues"))
