"""A school's single sign-on settings: which identity provider vouches for its staff."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from .. import crypto
from ..extensions import db
from ..timeutil import utcnow

crypto.register_encrypted("sso_configs", "id", "client_secret_enc")


class SsoConfig(db.Model):
    """Google Workspace for Education or Microsoft Entra ID for one school's staff.

    Staff sign in with an address of ``email_domain``; the provider's token must come from this
    school's Google domain (``hd``) or Entra tenant (issuer and ``tid``), for this school's client
    id (audience). No account is ever created from a token: it is matched to an existing staff
    account of the school by its verified email address.
    """

    __tablename__ = "sso_configs"
    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("schools.id", ondelete="CASCADE"), index=True)
    provider: Mapped[str] = mapped_column(String(20))
    email_domain: Mapped[str] = mapped_column(String(253), unique=True)
    client_id: Mapped[str] = mapped_column(String(255))
    client_secret_enc: Mapped[str] = mapped_column(Text)
    tenant_id: Mapped[str | None] = mapped_column(String(64))  # Entra: the school's (or trust's) tenant
    # The school accepts the provider's own second factor (amr "mfa") for the DSL/admin MFA rule.
    idp_mfa_counts: Mapped[bool] = mapped_column(default=False, server_default="0")
    active: Mapped[bool] = mapped_column(default=True, server_default="1")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    __table_args__ = (
        UniqueConstraint("school_id", "provider"),
        CheckConstraint("provider IN ('google', 'microsoft')", name="known_provider"),
        CheckConstraint("provider = 'google' OR tenant_id IS NOT NULL", name="entra_has_tenant"),
    )
