"""Sign-in routes: staff and KS2 passwords, class picture passwords, QR badges, sign-out."""

from __future__ import annotations

from flask import abort, after_this_request, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_user, logout_user

from ...access import public, signed_in
from ...extensions import db
from ...forms import ConfirmForm
from ...i18n import use_school_languages
from ...ratelimit import rate_limited
from ...redirects import safe_path
from ...schools import looks
from ...schools.models import Role
from .. import lessons, service, throttle
from ..forms import PasswordSignInForm, StaffSignInForm
from .common import bp


def _begin_session(account, method: str) -> None:
    # The child's language lives in the session too, so even a page drawn without the database
    # (the database away) speaks it.
    lang = session.get("lang") or getattr(account, "language", None)
    session.clear()
    if lang:
        session["lang"] = lang
    login_user(account)
    session["signin_method"] = method
    db.session.commit()


def _password_sign_in(kind: str, form, check) -> service.SignInResult:
    """A typed password, through the throttle: a slowed client is not even checked."""
    who = throttle.account_key(kind, form.username.data)
    if not throttle.password_may_try(who):
        return service.SignInResult(None, "slow")
    result = check(form.username.data, form.password.data)
    db.session.commit()  # keeps the failure counter, nothing else
    if result.ok:
        throttle.password_succeeded(who)
        _begin_session(result.account, "password")
        after_this_request(lambda response: throttle.remember_device(response, who))
    else:
        throttle.password_failed(kind, form.username.data, who)
    return result


@bp.route("/sign-in", methods=["GET", "POST"])
@public
@rate_limited("SIGNIN_RATE_LIMIT", "sign-in", methods=("POST",))
def sign_in_choice():
    """Pupil sign-in with username and password (KS2 and up)."""
    if current_user.is_authenticated:
        return redirect(url_for("main.index"))
    form = PasswordSignInForm()
    status = 200
    error = None
    if request.method == "POST":
        if form.validate():
            result = _password_sign_in("pupil", form, service.pupil_password_sign_in)
            if result.ok:
                return redirect(url_for("learning.home"))
            error = (_("Too many tries. Please wait a few minutes, or ask your teacher for help.")
                     if result.error == "slow" else
                     _("That username or password did not work. Try again, or ask your teacher."))
            status = 429 if result.error == "slow" else 401
        else:
            status = 400
    idle = session.pop("idle_signed_out", None)
    return render_template("auth/sign_in.html", form=form, error=error, idle=idle), status


@bp.route("/staff/sign-in", methods=["GET", "POST"])
@public
@rate_limited("SIGNIN_RATE_LIMIT", "sign-in", methods=("POST",))
def staff_sign_in():
    """Staff sign-in with username and password."""
    if current_user.is_authenticated and current_user.is_staff:
        return redirect(url_for("coverage.home"))
    form = StaffSignInForm()
    status = 200
    error = None
    if request.method == "POST":
        if form.validate():
            result = _password_sign_in("staff", form, service.staff_sign_in)
            if result.ok:
                # A DSL's home is their safeguarding inbox and tasks; everyone else's their classes.
                home = url_for("records.home" if result.account.has_role(Role.DSL) else "coverage.home")
                return redirect(safe_path(request.args.get("next"), home))
            # One message for unknown and wrong (nothing tells which usernames exist); a slowed client waits.
            error = (_("Too many wrong tries from here. Please wait a few minutes; your account is not locked.")
                     if result.error == "slow" else _("Those details did not work."))
            status = 429 if result.error == "slow" else 401
        else:
            status = 400
    idle = session.pop("idle_signed_out", None)
    return render_template("auth/staff_sign_in.html", form=form, error=error, idle=idle), status


@bp.get("/class/<token>")
@public
def class_page(token: str):
    """A class's sign-in page: each child taps their own name and picture."""
    school_class = service.class_by_token(token)
    if school_class is None:
        return render_template("auth/link_not_working.html", kind="class"), 404
    use_school_languages(school_class.school_id)
    idle = session.pop("idle_signed_out", None)
    if not lessons.is_open(school_class):
        return render_template("auth/class_closed.html", school_class=school_class, idle=idle)
    pupils = [p for p in school_class.pupils if p.active and p.picture_password]
    return render_template("auth/class_page.html", school_class=school_class, pupils=pupils, token=token, idle=idle,
                           names=looks.tile_names(pupils))


@bp.route("/class/<token>/<int:pupil_id>", methods=["GET", "POST"])
@public
@rate_limited("SIGNIN_RATE_LIMIT", "sign-in", methods=("POST",))
def picture_sign_in(token: str, pupil_id: int):
    """Picture password: three taps from a grid of nine; each tap is a plain form post (no script)."""
    school_class = service.class_by_token(token)
    pupil = service.class_pupil(school_class, pupil_id) if school_class else None
    if pupil is None:
        return render_template("auth/link_not_working.html", kind="class"), 404
    use_school_languages(school_class.school_id)
    if not lessons.is_open(school_class):
        return render_template("auth/class_closed.html", school_class=school_class, idle=None), 403
    form = ConfirmForm()
    signed_in, so_far, error, status = None, [], None, 200
    if request.method == "POST":
        if not form.validate():
            abort(400)
        signed_in, so_far, error, status = _tap(school_class, pupil)
        if signed_in is not None:
            return signed_in
    return render_template("auth/picture_sign_in.html", school_class=school_class, pupil=pupil, token=token,
                           form=form, so_far=so_far, choices=service.PICTURE_PASSWORD_CHOICES,
                           length=service.PICTURE_PASSWORD_LENGTH, error=error), status


def _tap(school_class, pupil):
    """One tap of the picture password (the third one signs in): (response once signed in, taps so far,
    what to tell the child, status)."""
    so_far = request.form.get("so_far", "").split()
    pick = request.form.get("pick", "")
    if request.form.get("clear"):
        return None, [], None, 200
    if pick not in service.PICTURE_PASSWORD_CHOICES or len(so_far) >= service.PICTURE_PASSWORD_LENGTH \
            or any(p not in service.PICTURE_PASSWORD_CHOICES for p in so_far):
        return None, [], _("Let's start again. Tap your three pictures."), 400
    so_far.append(pick)
    if len(so_far) < service.PICTURE_PASSWORD_LENGTH:
        return None, so_far, None, 200
    if not throttle.picture_may_try(school_class.id, pupil):
        return None, [], _("Too many tries. Please ask your teacher for help."), 429
    result = service.picture_sign_in(school_class, pupil.id, so_far)
    db.session.commit()
    if result.ok:
        _begin_session(result.account, "picture")
        return redirect(url_for("learning.home")), [], None, 200
    throttle.picture_failed(school_class.id, pupil)
    return None, [], _("Not quite. Let's try again!"), 401


@bp.route("/badge/<token>", methods=["GET", "POST"])
@public
@rate_limited("BADGE_RATE_LIMIT", "badge")
def badge(token: str):
    """A QR badge link: shows whose card it is, and 'That's me' signs that pupil in."""
    pupil = service.pupil_for_badge(token)
    if pupil is None:
        return render_template("auth/link_not_working.html", kind="badge"), 404
    form = ConfirmForm()
    if request.method == "POST":
        if not form.validate():
            abort(400)
        result = service.badge_sign_in(token)
        if not result.ok:
            return render_template("auth/link_not_working.html", kind="badge"), 404
        _begin_session(result.account, "badge")
        return redirect(url_for("learning.home"))
    return render_template("auth/badge.html", pupil=pupil, form=form)


@bp.post("/sign-out")
@signed_in
def sign_out():
    """'I've finished': end this session everywhere and hand the device to the next person."""
    form = ConfirmForm()
    if not form.validate():
        abort(400)
    account = current_user._get_current_object()
    method = session.get("signin_method")
    if account.is_pupil and method == "picture" and account.school_class and account.school_class.active:
        target = url_for("auth.class_page", token=account.school_class.signin_token)
    elif account.is_staff:
        target = url_for("auth.staff_sign_in")
    else:
        target = url_for("auth.sign_in_choice")
    service.end_sessions(account)
    db.session.commit()
    lang = session.get("lang")
    logout_user()
    session.clear()
    if lang:
        session["lang"] = lang
    if account.is_pupil:
        session["signed_out_to"] = target  # Back to a lesson page then lands here, not on a password form
    flash(_("You have signed out. Well done today!") if account.is_pupil else _("You have signed out."), "info")
    response = redirect(target)
    if account.is_pupil and request.form.get("unsent", "") in ("", "0"):
        # Nothing waits to be sent from this device: wipe its kept pages and storage for the next child.
        response.headers["Clear-Site-Data"] = '"cache", "storage"'
    return response
