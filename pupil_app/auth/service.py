"""Sign-in logic for every route, testable without a request.

Every check answers the same way for an unknown account and a wrong secret (no enumeration), and
every failure leaves the database as it was except the account's own failure counter.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from flask import current_app
from sqlalchemy import select

from .. import crypto
from ..extensions import db
from ..schools.models import Pupil, SchoolClass, StaffUser
from ..timeutil import utcnow
from .models import Badge

PICTURE_PASSWORD_CHOICES = ("cat", "dog", "sun", "star", "tree", "fish", "car", "apple", "boat")
PICTURE_PASSWORD_LENGTH = 3
BADGE_TOKEN_BYTES = 16  # 128 random bits
MAX_USERNAME = 60
MAX_PASSWORD = 200


@dataclass(frozen=True)
class SignInResult:
    account: Pupil | StaffUser | None
    error: str | None = None  # "invalid" | "locked" | "inactive"

    @property
    def ok(self) -> bool:
        return self.account is not None and self.error is None


def _hasher() -> PasswordHasher:
    cfg = current_app.config
    key = (cfg["ARGON2_TIME_COST"], cfg["ARGON2_MEMORY_COST"], cfg["ARGON2_PARALLELISM"])
    cache = current_app.extensions.setdefault("argon2", {})
    if key not in cache:
        cache[key] = PasswordHasher(time_cost=key[0], memory_cost=key[1], parallelism=key[2])
    return cache[key]


def hash_password(password: str) -> str:
    return _hasher().hash(password)


def _dummy_hash() -> str:
    cache = current_app.extensions.setdefault("argon2_dummy", {})
    if "hash" not in cache:
        cache["hash"] = hash_password(secrets.token_urlsafe(16))
    return cache["hash"]


def verify_password(stored: str | None, password: str) -> bool:
    """Check a password; with no stored hash, still spend the same time (no account enumeration)."""
    try:
        return _hasher().verify(stored or _dummy_hash(), password) and stored is not None
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def _record_failure(account: Pupil | StaffUser) -> None:
    """Count the wrong try (shown to staff). Nothing locks here: ``auth.throttle`` slows the guesser."""
    account.failed_signins += 1
    db.session.flush()


def _record_success(account: Pupil | StaffUser) -> None:
    # (``locked_until`` marks an account-wide slow-down for staff pages; it runs out by itself, or an
    # adult lifts it: the owner signing in on a known device does not end it for everyone else.)
    if account.failed_signins:
        account.failed_signins = 0
        db.session.flush()


def _check_secret(account: Pupil | StaffUser | None, good: bool) -> SignInResult:
    if account is None:
        return SignInResult(None, "invalid")
    if not good:
        _record_failure(account)
        return SignInResult(None, "invalid")
    if not account.active:
        return SignInResult(None, "invalid")
    _record_success(account)
    return SignInResult(account)


def staff_sign_in(username: str, password: str) -> SignInResult:
    username = (username or "").strip().lower()[:MAX_USERNAME]
    staff = db.session.scalar(select(StaffUser).where(StaffUser.username == username))
    good = verify_password(staff.password_hash if staff else None, password or "")
    return _check_secret(staff, good)


def pupil_password_sign_in(username: str, password: str) -> SignInResult:
    username = (username or "").strip().lower()[:MAX_USERNAME]
    pupil = db.session.scalar(select(Pupil).where(Pupil.username == username))
    good = verify_password(pupil.password_hash if pupil else None, password or "")
    return _check_secret(pupil, good)


def set_picture_password(pupil: Pupil, sequence: list[str] | tuple[str, ...]) -> None:
    if len(sequence) != PICTURE_PASSWORD_LENGTH or any(p not in PICTURE_PASSWORD_CHOICES for p in sequence) \
            or len(set(sequence)) != len(sequence):
        raise ValueError("A picture password is 3 different pictures from the grid.")
    pupil.picture_password = crypto.encrypt(" ".join(sequence))
    db.session.flush()


def picture_password_of(pupil: Pupil) -> tuple[str, ...] | None:
    """The pupil's picture password, for their printed sign-in card."""
    if not pupil.picture_password:
        return None
    plain = crypto.decrypt(pupil.picture_password)
    return tuple(plain.split()) if plain and not isinstance(plain, crypto.Unreadable) else None


def random_picture_password() -> tuple[str, ...]:
    """Three different pictures (9 x 8 x 7 = 504 sequences; a repeat is easy to see over a shoulder)."""
    return tuple(secrets.SystemRandom().sample(PICTURE_PASSWORD_CHOICES, PICTURE_PASSWORD_LENGTH))


def class_by_token(token: str) -> SchoolClass | None:
    if not token or len(token) > 64:
        return None
    return db.session.scalar(
        select(SchoolClass).where(SchoolClass.signin_token == token, SchoolClass.active.is_(True))
    )


def class_pupil(school_class: SchoolClass, pupil_id: int) -> Pupil | None:
    """A pupil of this class who may use the picture sign-in, or None."""
    pupil = db.session.get(Pupil, pupil_id)
    if pupil is None or pupil.class_id != school_class.id or not pupil.active:
        return None
    return pupil


def picture_sign_in(school_class: SchoolClass, pupil_id: int, sequence: list[str]) -> SignInResult:
    pupil = class_pupil(school_class, pupil_id)
    if pupil is None:
        return SignInResult(None, "invalid")
    stored = picture_password_of(pupil)
    good = stored is not None and secrets.compare_digest(" ".join(stored), " ".join(sequence))
    return _check_secret(pupil, good)


def new_class_token() -> str:
    return secrets.token_urlsafe(16)


def issue_badge(pupil: Pupil, issued_by: StaffUser | None = None) -> str:
    """Revoke the pupil's live badges and return the token of a new one (shown once, on the card)."""
    now = utcnow()
    for badge in db.session.scalars(select(Badge).where(Badge.pupil_id == pupil.id, Badge.revoked_at.is_(None))):
        badge.revoked_at = now
    token = secrets.token_urlsafe(BADGE_TOKEN_BYTES)
    db.session.add(Badge(pupil_id=pupil.id, token_hash=crypto.token_hash(token),
                         created_by_id=issued_by.id if issued_by else None,
                         expires_at=now + current_app.config["BADGE_LIFETIME"]))
    db.session.flush()
    return token


def revoke_badges(pupil: Pupil) -> int:
    now = utcnow()
    badges = list(db.session.scalars(select(Badge).where(Badge.pupil_id == pupil.id, Badge.revoked_at.is_(None))))
    for badge in badges:
        badge.revoked_at = now
    db.session.flush()
    return len(badges)


def pupil_for_badge(token: str) -> Pupil | None:
    """The active pupil a live badge belongs to; None for a forged, revoked, expired or malformed token.

    Badges only ever sign in pupils: the table references pupils, never staff.
    """
    if not token or len(token) > 64:
        return None
    badge = db.session.scalar(
        select(Badge).where(Badge.token_hash == crypto.token_hash(token), Badge.revoked_at.is_(None),
                            Badge.expires_at > utcnow())
    )
    if badge is None or not badge.pupil.active:
        return None
    return badge.pupil


def badge_sign_in(token: str) -> SignInResult:
    pupil = pupil_for_badge(token)
    if pupil is None:
        return SignInResult(None, "invalid")
    db.session.execute(
        Badge.__table__.update().where(Badge.token_hash == crypto.token_hash(token)).values(last_used_at=utcnow())
    )
    return SignInResult(pupil)


def end_sessions(account: Pupil | StaffUser) -> None:
    """Sign-out: bump the session version so every copy of the old session cookie stops working."""
    account.session_version += 1
    db.session.flush()


def load_account(user_id: str) -> Pupil | StaffUser | None:
    """Flask-Login's loader: ``kind:id:version``; a stale version means the session was ended."""
    try:
        kind, raw_id, raw_version = user_id.split(":")
        ident, version = int(raw_id), int(raw_version)
    except (ValueError, AttributeError):
        return None
    model = {"pupil": Pupil, "staff": StaffUser}.get(kind)
    if model is None:
        return None
    account = db.session.get(model, ident)
    if account is None or account.session_version != version or not account.active:
        return None
    return account


def idle_limit(account: Pupil | StaffUser) -> timedelta:
    cfg = current_app.config
    return cfg["PUPIL_IDLE_TIMEOUT"] if account.is_pupil else cfg["STAFF_IDLE_TIMEOUT"]
