"""Second factors for staff, testable without a request: passkeys, authenticator apps, recovery codes.

Who must use one: every DSL, admin and trust admin; a teacher when their school turns it on, or
once they have chosen to add a device. A passkey (WebAuthn, the ``webauthn`` package) is offered
first; an authenticator app (TOTP, ``pyotp``) is the alternative; ten single-use recovery codes,
kept as keyed hashes, cover a lost device. A lost-everything reset is done by another DSL or admin
of the same school and is audited. The web routes live in ``views/mfa.py``; "fresh" step-up checks
in ``stepup``.
"""

from __future__ import annotations

import json
import secrets
import time

import pyotp
from flask import current_app
from sqlalchemy import delete, func, select
from webauthn import (
    generate_authentication_options,
    generate_registration_options,
    options_to_json,
    verify_authentication_response,
    verify_registration_response,
)
from webauthn.helpers import base64url_to_bytes, bytes_to_base64url
from webauthn.helpers.exceptions import WebAuthnException
from webauthn.helpers.structs import (
    AuthenticatorSelectionCriteria,
    PublicKeyCredentialDescriptor,
    ResidentKeyRequirement,
    UserVerificationRequirement,
)

from .. import crypto
from ..concerns import audit
from ..extensions import db
from ..schools.models import Role, StaffUser
from ..timeutil import utcnow
from .mfa_models import MfaCredential, RecoveryCode

MFA_ROLES = frozenset({Role.DSL, Role.ADMIN, Role.TRUST_ADMIN})
RESET_ROLES = MFA_ROLES
RESET_REASONS = ("lost_device", "new_device", "locked_out", "other")
RECOVERY_CODES = 10
TOTP_STEP = 30
MAX_CODE = 20
MAX_NAME = 60
MAX_CREDENTIAL_JSON = 16_000


# --- who needs a second factor -------------------------------------------------------------------

def factors(staff: StaffUser) -> list[MfaCredential]:
    return list(db.session.scalars(
        select(MfaCredential).where(MfaCredential.staff_id == staff.id).order_by(MfaCredential.id)))


def factor_count(staff: StaffUser) -> int:
    return db.session.scalar(select(func.count()).where(MfaCredential.staff_id == staff.id)) or 0


def required_for(staff: StaffUser) -> bool:
    """Safeguarding roles always; teachers when the school asks, or once they have a device."""
    if staff.has_role(*MFA_ROLES) or staff.school.mfa_for_teachers:
        return True
    return factor_count(staff) > 0


def recovery_codes_left(staff: StaffUser) -> int:
    return db.session.scalar(select(func.count()).where(
        RecoveryCode.staff_id == staff.id, RecoveryCode.used_at.is_(None))) or 0


def _clean_name(name: str | None, default: str) -> str:
    name = " ".join((name or "").split())[:MAX_NAME]
    return name or default


# --- authenticator apps (TOTP) -------------------------------------------------------------------

def new_totp_secret() -> str:
    return pyotp.random_base32()


def totp_uri(staff: StaffUser, secret: str) -> str:
    return pyotp.TOTP(secret).provisioning_uri(name=staff.username, issuer_name=current_app.config["APP_NAME"])


def _matching_step(secret: str, code: str, after: int) -> int | None:
    """The time step (now, or one either side for clock drift) whose code is ``code``, if newer than ``after``."""
    code = "".join((code or "").split())[:MAX_CODE]
    if not (code.isdigit() and len(code) == 6):
        return None
    totp = pyotp.TOTP(secret)
    now_step = int(time.time()) // TOTP_STEP
    for step in (now_step - 1, now_step, now_step + 1):
        if step > after and secrets.compare_digest(totp.at(step * TOTP_STEP), code):
            return step
    return None


def add_totp(staff: StaffUser, secret: str, code: str, name: str | None = None) -> MfaCredential | None:
    """Keep an authenticator app once it has shown it knows the secret (its current code)."""
    step = _matching_step(secret, code, after=0)
    if step is None:
        return None
    cred = MfaCredential(staff_id=staff.id, kind="totp", name=_clean_name(name, "Authenticator app"),
                         totp_secret=crypto.encrypt(secret), last_time_step=step, last_used_at=utcnow())
    db.session.add(cred)
    db.session.flush()
    audit.record(staff, "mfa.added", "staff", staff.id, detail=f"authenticator app #{cred.id}")
    return cred


def verify_totp(staff: StaffUser, code: str) -> bool:
    """A current code of one of the staff member's apps; each code works once."""
    for cred in factors(staff):
        if cred.kind != "totp" or not cred.totp_secret:
            continue
        secret = crypto.decrypt(cred.totp_secret)
        step = _matching_step(secret, code, after=cred.last_time_step) if secret else None
        if step is not None:
            cred.last_time_step, cred.last_used_at = step, utcnow()
            db.session.flush()
            return True
    return False


# --- recovery codes ------------------------------------------------------------------------------

def _normalise_code(code: str) -> str:
    return "".join(ch for ch in (code or "").lower()[:MAX_CODE * 2] if ch.isalnum())


def new_recovery_codes(staff: StaffUser) -> list[str]:
    """Replace every recovery code with ten new ones; the codes are returned once and kept hashed."""
    db.session.execute(delete(RecoveryCode).where(RecoveryCode.staff_id == staff.id))
    alphabet = "abcdefghjkmnpqrstuvwxyz23456789"  # no 0/o, 1/l/i to misread
    codes = []
    for _ in range(RECOVERY_CODES):
        raw = "".join(secrets.choice(alphabet) for _ in range(10))  # ~49 bits each
        codes.append(f"{raw[:5]}-{raw[5:]}")
        db.session.add(RecoveryCode(staff_id=staff.id, code_hash=crypto.token_hash(_normalise_code(raw))))
    db.session.flush()
    audit.record(staff, "mfa.recovery_codes", "staff", staff.id, detail=f"{RECOVERY_CODES} new codes")
    return codes


def use_recovery_code(staff: StaffUser, code: str) -> bool:
    wanted = _normalise_code(code)
    if len(wanted) != 10:
        return False
    row = db.session.scalar(select(RecoveryCode).where(
        RecoveryCode.staff_id == staff.id, RecoveryCode.code_hash == crypto.token_hash(wanted),
        RecoveryCode.used_at.is_(None)))
    if row is None:
        return False
    row.used_at = utcnow()
    db.session.flush()
    audit.record(staff, "mfa.recovery_code_used", "staff", staff.id,
                 detail=f"{recovery_codes_left(staff)} codes left")
    return True


# --- passkeys (WebAuthn) -------------------------------------------------------------------------

def _passkeys(staff: StaffUser) -> list[MfaCredential]:
    return [c for c in factors(staff) if c.kind == "passkey" and c.credential_id]


def registration_options(staff: StaffUser, rp_id: str) -> tuple[str, str]:
    """Options for ``navigator.credentials.create`` (JSON) and the challenge to keep in the session."""
    options = generate_registration_options(
        rp_id=rp_id, rp_name=current_app.config["APP_NAME"], user_name=staff.username,
        user_id=f"staff-{staff.id}".encode(), user_display_name=staff.display_name,
        authenticator_selection=AuthenticatorSelectionCriteria(
            resident_key=ResidentKeyRequirement.PREFERRED, user_verification=UserVerificationRequirement.REQUIRED),
        exclude_credentials=[PublicKeyCredentialDescriptor(id=base64url_to_bytes(c.credential_id))
                             for c in _passkeys(staff)],
    )
    return options_to_json(options), bytes_to_base64url(options.challenge)


def _credential_json(raw: str | dict | None) -> str | None:
    text = raw if isinstance(raw, str) else json.dumps(raw) if isinstance(raw, dict) else None
    return text if text and len(text) <= MAX_CREDENTIAL_JSON else None


def add_passkey(staff: StaffUser, credential: str | dict | None, challenge: str | None, rp_id: str, origin: str,
                name: str | None = None) -> MfaCredential | None:
    text = _credential_json(credential)
    if text is None or not challenge:
        return None
    try:
        verified = verify_registration_response(
            credential=text, expected_challenge=base64url_to_bytes(challenge), expected_rp_id=rp_id,
            expected_origin=origin, require_user_verification=True)
    except (WebAuthnException, ValueError, KeyError, TypeError):
        return None
    cred_id = bytes_to_base64url(verified.credential_id)
    if db.session.scalar(select(MfaCredential.id).where(MfaCredential.credential_id == cred_id)) is not None:
        return None
    cred = MfaCredential(staff_id=staff.id, kind="passkey", name=_clean_name(name, "Passkey"),
                         credential_id=cred_id, public_key=bytes_to_base64url(verified.credential_public_key),
                         sign_count=verified.sign_count, last_used_at=utcnow())
    db.session.add(cred)
    db.session.flush()
    audit.record(staff, "mfa.added", "staff", staff.id, detail=f"passkey #{cred.id}")
    return cred


def authentication_options(staff: StaffUser, rp_id: str) -> tuple[str, str]:
    options = generate_authentication_options(
        rp_id=rp_id, user_verification=UserVerificationRequirement.REQUIRED,
        allow_credentials=[PublicKeyCredentialDescriptor(id=base64url_to_bytes(c.credential_id))
                           for c in _passkeys(staff)])
    return options_to_json(options), bytes_to_base64url(options.challenge)


def verify_passkey(staff: StaffUser, credential: str | dict | None, challenge: str | None, rp_id: str,
                   origin: str) -> bool:
    """A signed answer to this session's challenge from one of the staff member's own passkeys."""
    text = _credential_json(credential)
    if text is None or not challenge:
        return False
    try:
        cred_id = json.loads(text).get("id")
    except (ValueError, AttributeError):
        return False
    cred = next((c for c in _passkeys(staff) if isinstance(cred_id, str) and c.credential_id == cred_id), None)
    if cred is None:
        return False
    try:
        verified = verify_authentication_response(
            credential=text, expected_challenge=base64url_to_bytes(challenge), expected_rp_id=rp_id,
            expected_origin=origin, credential_public_key=base64url_to_bytes(cred.public_key),
            credential_current_sign_count=cred.sign_count, require_user_verification=True)
    except (WebAuthnException, ValueError, KeyError, TypeError):
        return False
    cred.sign_count, cred.last_used_at = verified.new_sign_count, utcnow()
    db.session.flush()
    return True


# --- managing devices ----------------------------------------------------------------------------

def remove_factor(staff: StaffUser, credential_id: int) -> str:
    """"removed", "missing", or "last" (the only device of someone who must keep one)."""
    cred = db.session.get(MfaCredential, credential_id)
    if cred is None or cred.staff_id != staff.id:
        return "missing"
    if factor_count(staff) <= 1 and (staff.has_role(*MFA_ROLES) or staff.school.mfa_for_teachers):
        return "last"
    db.session.delete(cred)
    db.session.flush()
    audit.record(staff, "mfa.removed", "staff", staff.id, detail=f"{cred.kind} #{credential_id}")
    return "removed"


def resettable_staff(actor: StaffUser) -> list[StaffUser]:
    """Colleagues of the actor's school whose second factor the actor may reset."""
    return list(db.session.scalars(select(StaffUser).where(
        StaffUser.school_id == actor.school_id, StaffUser.id != actor.id).order_by(StaffUser.display_name)))


def reset_factors(actor: StaffUser, staff_id: int, reason: str) -> StaffUser | None:
    """Another DSL or admin of the same school removes every device and code of a colleague.

    The colleague's sessions end and they enrol again at their next sign-in. Audited with the reason
    (one of ``RESET_REASONS``: a choice, never free text).
    """
    if reason not in RESET_REASONS:
        return None
    staff = db.session.get(StaffUser, staff_id)
    if (staff is None or staff.id == actor.id or staff.school_id != actor.school_id
            or not actor.has_role(*RESET_ROLES)):
        return None
    removed = db.session.execute(delete(MfaCredential).where(MfaCredential.staff_id == staff.id)).rowcount
    db.session.execute(delete(RecoveryCode).where(RecoveryCode.staff_id == staff.id))
    staff.session_version += 1
    db.session.flush()
    audit.record(actor, "mfa.reset", "staff", staff.id, detail=f"{removed} devices removed; reason: {reason}")
    return staff


def set_teachers_required(actor: StaffUser, required: bool) -> None:
    school = actor.school
    if bool(school.mfa_for_teachers) != required:
        school.mfa_for_teachers = required
        db.session.flush()
        audit.record(actor, "mfa.teachers_setting", "school", school.id, detail="on" if required else "off")
