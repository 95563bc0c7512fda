"""Second factors of staff accounts: passkeys, authenticator apps and single-use recovery codes."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from .. import crypto
from ..extensions import db
from ..timeutil import utcnow


class MfaCredential(db.Model):
    """One device of one staff member: a passkey (WebAuthn public key) or an authenticator app.

    A passkey keeps only its public key and signature counter; an app keeps its TOTP secret
    encrypted with the data key, and the last time step it accepted (a code works once).
    """

    __tablename__ = "mfa_credentials"
    id: Mapped[int] = mapped_column(primary_key=True)
    staff_id: Mapped[int] = mapped_column(ForeignKey("staff_users.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(10))
    name: Mapped[str] = mapped_column(String(60))
    # Passkeys: base64url credential id (unique across the deployment) and COSE public key.
    credential_id: Mapped[str | None] = mapped_column(String(1400), unique=True)
    public_key: Mapped[str | None] = mapped_column(Text)
    sign_count: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    # Authenticator apps: Fernet token of the base32 secret.
    totp_secret: Mapped[str | None] = mapped_column(String(255))
    last_time_step: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column()

    __table_args__ = (CheckConstraint("kind IN ('passkey', 'totp')", name="known_kind"),)


class RecoveryCode(db.Model):
    """A single-use recovery code; only its keyed hash is kept, the code is shown once."""

    __tablename__ = "mfa_recovery_codes"
    id: Mapped[int] = mapped_column(primary_key=True)
    staff_id: Mapped[int] = mapped_column(ForeignKey("staff_users.id", ondelete="CASCADE"), index=True)
    code_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    used_at: Mapped[datetime | None] = mapped_column()


crypto.register_encrypted("mfa_credentials", "id", "totp_secret")  # rotated with the data key
