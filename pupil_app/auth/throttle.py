"""Sign-in throttles: wrong tries slow the guesser down; they never lock the owner out.

Typed passwords (staff and pupils), counted by username so unknown names count the same way:

- per account and client: ``PASSWORD_FAILS_PER_CLIENT_ACCOUNT`` (5 per 5 minutes), then that
  client waits; the owner on another device is not affected;
- per client over every account: ``PASSWORD_FAILS_PER_CLIENT`` (one client spraying many names);
- per account over every client: ``PASSWORD_FAILS_PER_ACCOUNT`` (20 an hour), then only devices
  this account has signed in on before (a signed "known device" cookie) may try, so a guesser
  spread over many addresses still cannot shut the owner out. Staff are told by email (at most
  once an hour) that someone tried; an admin or DSL lifts a pause ("Let them sign in").

Picture passwords (the class page), only while a teacher has opened the class for a lesson:

- per pupil over every device: ``PICTURE_FAILS_PER_PUPIL`` (5 per 10 minutes): the figure behind
  the README's "expected time to guess one child's pictures";
- per device: ``PICTURE_FAILS_PER_DEVICE``; devices without the device cookie share one count
  per address, so clearing cookies does not buy more tries;
- per class: ``PICTURE_FAILS_PER_CLASS``.

A client is the device cookie (a random id set by the sign-in pages), else its address. Counters
live in the rate-limit store (``ratelimit``: Redis when configured) and fail open.
"""

from __future__ import annotations

import secrets
from datetime import timedelta

from flask import current_app, request
from flask_babel import gettext as _
from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy import select

from .. import ratelimit
from ..extensions import db
from ..schools.models import Pupil, StaffUser
from ..timeutil import utcnow

DEVICE_COOKIE = "so_device"
KNOWN_COOKIE = "so_known"
KNOWN_MAX = 8  # accounts remembered per device
COOKIE_AGE = 400 * 24 * 3600


def _cfg(name: str) -> str:
    return current_app.config[name]


def client_id() -> str:
    device = request.cookies.get(DEVICE_COOKIE, "")
    if 16 <= len(device) <= 64 and device.replace("-", "").replace("_", "").isalnum():
        return "dev:" + device
    return "addr:" + (request.remote_addr or "-")


def ensure_device_cookie(response):
    """Give this browser a device id (set on the sign-in pages; HttpOnly, no personal data)."""
    if DEVICE_COOKIE not in request.cookies:
        response.set_cookie(DEVICE_COOKIE, secrets.token_urlsafe(18), max_age=COOKIE_AGE, httponly=True,
                            samesite="Lax", secure=current_app.config.get("SESSION_COOKIE_SECURE", False))
    return response


def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt="known-devices")


def _known() -> list[str]:
    raw = request.cookies.get(KNOWN_COOKIE)
    if not raw:
        return []
    try:
        value = _serializer().loads(raw)
    except BadSignature:
        return []
    return [str(v) for v in value][:KNOWN_MAX] if isinstance(value, list) else []


def remember_device(response, who: str):
    """After a successful sign-in: this device may keep trying this account during an account-wide pause."""
    known = [k for k in _known() if k != who][: KNOWN_MAX - 1]
    response.set_cookie(KNOWN_COOKIE, _serializer().dumps([who] + known), max_age=COOKIE_AGE, httponly=True,
                        samesite="Lax", secure=current_app.config.get("SESSION_COOKIE_SECURE", False))
    return response


def account_key(kind: str, username: str) -> str:
    name = (username or "").strip().lower()[:60]
    return f"{kind}:{name}:g{ratelimit.generation(kind, name)}"


# ---- typed passwords ----------------------------------------------------------------------------

def password_may_try(who: str) -> bool:
    """Whether this client may try a password for ``who`` (``account_key``) now."""
    client = client_id()
    if not ratelimit.under(_cfg("PASSWORD_FAILS_PER_CLIENT_ACCOUNT"), "pw-client-account", who, client):
        return False
    if not ratelimit.under(_cfg("PASSWORD_FAILS_PER_CLIENT"), "pw-client", client):
        return False
    if not ratelimit.under(_cfg("PASSWORD_FAILS_PER_ACCOUNT"), "pw-account", who):
        return who in _known()  # the account is under attack from many places: known devices only
    return True


def password_failed(kind: str, username: str, who: str) -> None:
    client = client_id()
    ratelimit.count(_cfg("PASSWORD_FAILS_PER_CLIENT_ACCOUNT"), "pw-client-account", who, client)
    ratelimit.count(_cfg("PASSWORD_FAILS_PER_CLIENT"), "pw-client", client)
    ratelimit.count(_cfg("PASSWORD_FAILS_PER_ACCOUNT"), "pw-account", who)
    # Now at a limit: this client waits (and the owner hears of it), or the whole account is slowed.
    client_ok = ratelimit.under(_cfg("PASSWORD_FAILS_PER_CLIENT_ACCOUNT"), "pw-client-account", who, client)
    account_ok = ratelimit.under(_cfg("PASSWORD_FAILS_PER_ACCOUNT"), "pw-account", who)
    if kind == "staff" and not (client_ok and account_ok):
        _tell_staff(username, paused=not account_ok)
    elif not account_ok:
        _mark_paused(Pupil, username, "PASSWORD_FAILS_PER_ACCOUNT")


def password_succeeded(who: str) -> None:
    ratelimit.forget(_cfg("PASSWORD_FAILS_PER_CLIENT_ACCOUNT"), "pw-client-account", who, client_id())


def _window(setting: str) -> timedelta:
    from limits import parse

    return timedelta(seconds=parse(_cfg(setting)).get_expiry())


def _mark_paused(model, username: str, setting: str) -> None:
    """Show the pause on the staff pages (the class page, the staff list) until it runs out."""
    account = db.session.scalar(select(model).where(model.username == (username or "").strip().lower()[:60]))
    if account is not None:
        account.locked_until = utcnow() + _window(setting)
        db.session.commit()


def _tell_staff(username: str, paused: bool) -> None:
    """Tell the staff member (by email, at most once an hour) that someone is trying their account."""
    from ..concerns import alerts

    staff = db.session.scalar(select(StaffUser).where(StaffUser.username == (username or "").strip().lower()[:60]))
    if staff is None:
        return
    if paused:
        staff.locked_until = utcnow() + _window("PASSWORD_FAILS_PER_ACCOUNT")
    told = False
    if staff.email and ratelimit.count("1 per hour", "pw-owner-told", staff.id):
        told = True
        alerts.queue_notice(
            staff.school_id, lambda: _("Safe Online: someone tried to sign in to your account"),
            lambda: _("Someone typed a wrong password for your account %(username)s. If it was not you, tell your "
                      "admin or DSL and set a new password. You can still sign in as usual.",
                      username=staff.username), addresses=[staff.email])
    db.session.commit()
    if told:
        alerts.after_commit()


def lift(account: Pupil | StaffUser) -> None:
    """An adult lets the account sign in again now: every count for it starts again. Flushes."""
    kind = "staff" if isinstance(account, StaffUser) else "pupil"
    ratelimit.generation(kind, account.username, bump=True)
    account.failed_signins = 0
    account.locked_until = None
    db.session.flush()


# ---- picture passwords --------------------------------------------------------------------------

def picture_may_try(class_id: int, pupil: Pupil) -> bool:
    gen = ratelimit.generation("pupil", pupil.username)
    return (ratelimit.under(_cfg("PICTURE_FAILS_PER_PUPIL"), "pic-pupil", pupil.id, gen)
            and ratelimit.under(_cfg("PICTURE_FAILS_PER_DEVICE"), "pic-device", class_id, client_id())
            and ratelimit.under(_cfg("PICTURE_FAILS_PER_CLASS"), "pic-class", class_id))


def picture_failed(class_id: int, pupil: Pupil) -> None:
    gen = ratelimit.generation("pupil", pupil.username)
    ratelimit.count(_cfg("PICTURE_FAILS_PER_PUPIL"), "pic-pupil", pupil.id, gen)
    ratelimit.count(_cfg("PICTURE_FAILS_PER_DEVICE"), "pic-device", class_id, client_id())
    ratelimit.count(_cfg("PICTURE_FAILS_PER_CLASS"), "pic-class", class_id)
    if not ratelimit.under(_cfg("PICTURE_FAILS_PER_PUPIL"), "pic-pupil", pupil.id, gen):
        pupil.locked_until = utcnow() + _window("PICTURE_FAILS_PER_PUPIL")
        db.session.commit()
