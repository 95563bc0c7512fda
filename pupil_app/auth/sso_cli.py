"""`flask sso ...`: a school's Google or Microsoft sign-in settings.

    flask sso set --school-id 3 --provider google --domain example.sch.uk --client-id ID
        (the secret is asked for, or read from SSO_CLIENT_SECRET)
    flask sso set --school-id 3 --provider microsoft --tenant TENANT-ID --domain ... --client-id ID [--idp-mfa-counts]
    flask sso list
    flask sso disable --school-id 3 --provider google
"""

from __future__ import annotations

import click
from flask.cli import AppGroup
from sqlalchemy import select

from ..extensions import db
from ..schools.models import School
from . import sso
from .sso_models import SsoConfig


@click.group("sso", cls=AppGroup)
def sso_cli() -> None:
    """Staff single sign-on with Google or Microsoft, per school."""


@sso_cli.command("set")
@click.option("--school-id", type=int, required=True)
@click.option("--provider", type=click.Choice(["google", "microsoft"]), required=True)
@click.option("--domain", "email_domain", required=True, help="the staff email domain, e.g. example.sch.uk")
@click.option("--client-id", required=True)
@click.option("--client-secret", envvar="SSO_CLIENT_SECRET", prompt=True, hide_input=True)
@click.option("--tenant", "tenant_id", help="Microsoft Entra ID: the school's (or trust's) tenant id")
@click.option("--idp-mfa-counts", is_flag=True, help="accept the provider's own second factor for the MFA rule")
def set_config(school_id, provider, email_domain, client_id, client_secret, tenant_id, idp_mfa_counts) -> None:
    """Turn on (or change) Google or Microsoft sign-in for one school's staff."""
    if db.session.get(School, school_id) is None:
        raise click.ClickException(f"No school with id {school_id}.")
    try:
        cfg = sso.save_config(school_id, provider, email_domain, client_id, client_secret, tenant_id, idp_mfa_counts)
    except ValueError as exc:
        raise click.ClickException(str(exc)) from exc
    db.session.commit()
    click.echo(f"{provider} sign-in on for school {school_id}, addresses @{cfg.email_domain}; "
               f"redirect URI to register with the provider: {sso.redirect_uri()}")


@sso_cli.command("list")
def list_configs() -> None:
    """Every school's single sign-on settings (never the secrets)."""
    for cfg in db.session.scalars(select(SsoConfig).order_by(SsoConfig.school_id, SsoConfig.provider)):
        click.echo(f"school {cfg.school_id}  {cfg.provider:<9}  @{cfg.email_domain}  client {cfg.client_id}"
                   f"{'  tenant ' + cfg.tenant_id if cfg.tenant_id else ''}"
                   f"{'  idp-mfa-counts' if cfg.idp_mfa_counts else ''}{'' if cfg.active else '  (off)'}")


@sso_cli.command("disable")
@click.option("--school-id", type=int, required=True)
@click.option("--provider", type=click.Choice(["google", "microsoft"]), required=True)
def disable(school_id, provider) -> None:
    """Turn a provider off for a school (staff sign in with their passwords)."""
    cfg = db.session.scalar(select(SsoConfig).where(SsoConfig.school_id == school_id, SsoConfig.provider == provider))
    if cfg is None:
        raise click.ClickException("No such setting.")
    cfg.active = False
    db.session.commit()
    click.echo(f"{provider} sign-in off for school {school_id}.")
