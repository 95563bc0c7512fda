"""Staff single sign-on with OpenID Connect: Google Workspace for Education and Microsoft Entra ID.

The authorization-code flow with PKCE, a one-time ``state`` and a ``nonce`` kept in the signed
session. The ID token is checked with Authlib's JOSE library (joserfc) against the provider's
published keys (RS256 only), with the issuer and audience pinned to the school's own settings
(never switched off):

- Google: issuer ``https://accounts.google.com``, ``hd`` must be the school's domain and
  ``email_verified`` true.
- Entra: issuer ``https://login.microsoftonline.com/<tenant>/v2.0`` and ``tid`` the school's tenant;
  the address (``email``, else ``preferred_username``) must be of the school's domain, which the
  pinned tenant owns.

The token is matched to an existing, active staff account of that school by email; nothing is
ever created. The provider's MFA claim (``amr``) is kept with the session so the DSL/admin
second-factor rule can accept it when the school has said so (``SsoConfig.idp_mfa_counts``).
"""

from __future__ import annotations

import secrets
import time
import urllib.parse
from dataclasses import dataclass, field

import requests
from authlib.oauth2.rfc7636 import create_s256_code_challenge
from flask import current_app
from joserfc import jwt
from joserfc.errors import InvalidKeyIdError, JoseError
from joserfc.jwk import KeySet
from sqlalchemy import func, select

from .. import crypto
from ..extensions import db
from ..schools.models import StaffUser
from ..timeutil import utcnow
from .sso_models import SsoConfig

PENDING_FOR = 600  # seconds a browser has to come back from the provider
LEEWAY = 60  # clock skew allowed on exp/iat
MFA_METHODS = frozenset({"mfa", "otp", "hwk", "swk", "fido", "sms", "tel"})
ALGORITHMS = ["RS256"]  # never "none", never a shared-secret algorithm


class SsoError(Exception):
    """Why a sign-in was refused (``reason`` is for the log and tests; the page says less)."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


@dataclass
class SsoResult:
    account: StaffUser
    provider: str
    amr: list[str] = field(default_factory=list)
    acr: str | None = None
    idp_mfa: bool = False  # the provider says a second factor was used, and the school accepts it


def issuer_of(cfg: SsoConfig) -> str:
    if cfg.provider == "google":
        return current_app.config["SSO_GOOGLE_ISSUER"]
    return f"{current_app.config['SSO_MICROSOFT_AUTHORITY'].rstrip('/')}/{cfg.tenant_id}/v2.0"


def redirect_uri() -> str:
    """Built from APP_BASE_URL, never from the request's Host header."""
    return current_app.config["APP_BASE_URL"].rstrip("/") + "/staff/sso/callback"


def _fetch_json(url: str, cache_key: str, force: bool = False) -> dict:
    cache = current_app.extensions.setdefault("sso_cache", {})
    hit = cache.get(cache_key)
    if hit and not force and time.monotonic() - hit[0] < 3600:
        return hit[1]
    try:
        response = requests.get(url, timeout=current_app.config["SSO_HTTP_TIMEOUT"])
        response.raise_for_status()
        data = response.json()
    except (requests.RequestException, ValueError) as exc:
        raise SsoError("provider-unreachable") from exc
    cache[cache_key] = (time.monotonic(), data)
    return data


def provider_metadata(issuer: str) -> dict:
    meta = _fetch_json(issuer.rstrip("/") + "/.well-known/openid-configuration", "meta:" + issuer)
    if meta.get("issuer") != issuer:
        raise SsoError("metadata-issuer")
    return meta


def config_for_email(email: str) -> SsoConfig | None:
    email = (email or "").strip().lower()
    if "@" not in email or len(email) > 254:
        return None
    domain = email.rsplit("@", 1)[1]
    return db.session.scalar(select(SsoConfig).where(SsoConfig.email_domain == domain, SsoConfig.active.is_(True)))


def begin(cfg: SsoConfig, email_hint: str) -> tuple[str, dict]:
    """The provider's authorization URL and what the session must keep until the browser is back."""
    meta = provider_metadata(issuer_of(cfg))
    pending = {"config_id": cfg.id, "state": secrets.token_urlsafe(32), "nonce": secrets.token_urlsafe(32),
               "verifier": secrets.token_urlsafe(48), "started": time.time()}
    params = {"response_type": "code", "client_id": cfg.client_id, "redirect_uri": redirect_uri(),
              "scope": "openid email profile", "state": pending["state"], "nonce": pending["nonce"],
              "code_challenge": create_s256_code_challenge(pending["verifier"]), "code_challenge_method": "S256",
              "login_hint": email_hint.strip().lower(), "prompt": "select_account"}
    if cfg.provider == "google":
        params["hd"] = cfg.email_domain
    return meta["authorization_endpoint"] + "?" + urllib.parse.urlencode(params), pending


def _exchange(cfg: SsoConfig, meta: dict, code: str, verifier: str) -> str:
    try:
        response = requests.post(meta["token_endpoint"], timeout=current_app.config["SSO_HTTP_TIMEOUT"], data={
            "grant_type": "authorization_code", "code": code, "redirect_uri": redirect_uri(),
            "client_id": cfg.client_id, "client_secret": crypto.decrypt(cfg.client_secret_enc) or "",
            "code_verifier": verifier})
        body = response.json()
    except (requests.RequestException, ValueError) as exc:
        raise SsoError("provider-unreachable") from exc
    if response.status_code != 200 or not isinstance(body.get("id_token"), str):
        raise SsoError("code-refused")
    return body["id_token"]


def _claims(cfg: SsoConfig, meta: dict, id_token: str, nonce: str) -> dict:
    issuer = issuer_of(cfg)
    registry = jwt.JWTClaimsRegistry(
        leeway=LEEWAY, iss={"essential": True, "value": issuer}, aud={"essential": True, "value": cfg.client_id},
        exp={"essential": True}, iat={"essential": True}, nonce={"essential": True, "value": nonce},
        sub={"essential": True})
    for attempt in (0, 1):  # keys rotate: an unknown key id fetches the key set once more
        try:
            keys = KeySet.import_key_set(_fetch_json(meta["jwks_uri"], "jwks:" + issuer, force=attempt == 1))
            claims = jwt.decode(id_token, keys, algorithms=ALGORITHMS).claims
            registry.validate(claims)
            break
        except InvalidKeyIdError as exc:
            if attempt:
                raise SsoError("unknown-key") from exc
        except (JoseError, ValueError) as exc:
            raise SsoError(f"token-{getattr(exc, 'error', 'invalid')}") from exc
    aud = claims["aud"]
    if isinstance(aud, list) and (len(aud) != 1 and claims.get("azp") != cfg.client_id):
        raise SsoError("token-azp")
    return claims


def _email_of(cfg: SsoConfig, claims: dict) -> str:
    if cfg.provider == "google":
        if claims.get("hd") != cfg.email_domain:
            raise SsoError("wrong-domain")
        if claims.get("email_verified") is not True:
            raise SsoError("email-not-verified")
        email = claims.get("email")
    else:
        if claims.get("tid") != cfg.tenant_id:
            raise SsoError("wrong-tenant")
        email = claims.get("email") or claims.get("preferred_username")
    email = (email or "").strip().lower()
    if not email.endswith("@" + cfg.email_domain):
        raise SsoError("wrong-domain")
    return email


def finish(pending: dict | None, args: dict) -> SsoResult:
    """Check what the provider sent back and find the staff account it vouches for."""
    if not pending or not secrets.compare_digest(str(args.get("state", "")), str(pending.get("state", ""))):
        raise SsoError("state")  # never started here, or already used (the session keeps one, once)
    if time.time() - float(pending.get("started", 0)) > PENDING_FOR:
        raise SsoError("too-slow")
    if args.get("error") or not args.get("code"):
        raise SsoError("provider-refused")
    cfg = db.session.get(SsoConfig, pending.get("config_id"))
    if cfg is None or not cfg.active:
        raise SsoError("not-configured")
    meta = provider_metadata(issuer_of(cfg))
    claims = _claims(cfg, meta, _exchange(cfg, meta, str(args["code"]), pending["verifier"]), pending["nonce"])
    email = _email_of(cfg, claims)
    staff = db.session.scalar(select(StaffUser).where(
        StaffUser.school_id == cfg.school_id, func.lower(StaffUser.email) == email))
    if staff is None or not staff.active:
        raise SsoError("no-account")
    if staff.locked_until is not None and staff.locked_until > utcnow():
        raise SsoError("locked")
    amr = [str(m) for m in claims.get("amr", []) if isinstance(m, str)] if isinstance(claims.get("amr"), list) else []
    idp_mfa = cfg.idp_mfa_counts and bool(MFA_METHODS & set(amr))
    return SsoResult(account=staff, provider=cfg.provider, amr=amr, acr=claims.get("acr"), idp_mfa=idp_mfa)


def save_config(school_id: int, provider: str, email_domain: str, client_id: str, client_secret: str,
                tenant_id: str | None = None, idp_mfa_counts: bool = False) -> SsoConfig:
    """Create or replace a school's settings for one provider (flushes; the caller commits)."""
    if provider not in ("google", "microsoft"):
        raise ValueError("The provider is google or microsoft.")
    if provider == "microsoft" and not tenant_id:
        raise ValueError("Microsoft Entra ID needs the school's tenant id.")
    email_domain = email_domain.strip().lower().lstrip("@")
    if not email_domain or "." not in email_domain or not client_id or not client_secret:
        raise ValueError("The email domain, client id and client secret are all needed.")
    cfg = db.session.scalar(select(SsoConfig).where(SsoConfig.school_id == school_id, SsoConfig.provider == provider))
    if cfg is None:
        cfg = SsoConfig(school_id=school_id, provider=provider)
        db.session.add(cfg)
    cfg.email_domain, cfg.client_id = email_domain, client_id.strip()
    cfg.client_secret_enc = crypto.encrypt(client_secret)
    cfg.tenant_id = tenant_id.strip() if tenant_id else None
    cfg.idp_mfa_counts, cfg.active = idp_mfa_counts, True
    db.session.flush()
    return cfg
