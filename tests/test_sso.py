"""Staff single sign-on end to end against a real OpenID provider on loopback (tests/oidc_provider.py).

Each test walks the browser's path: the staff sign-in form posts the school address, the app
redirects to the provider, the provider redirects back with a code, the app exchanges it over HTTP
and checks the signed ID token.
"""

from __future__ import annotations

import time
import urllib.error
import urllib.parse
import urllib.request

import pytest
from sqlalchemy import func, select

from pupil_app.auth import sso
from pupil_app.extensions import db
from pupil_app.schools.models import Role, StaffUser
from tests.concern_flow import csrf
from tests.oidc_provider import Provider

GOOGLE_DOMAIN = "hillside.sch.uk"
TENANT = "6f1c1a5e-0000-4000-8000-00000000a001"
OTHER_TENANT = "6f1c1a5e-0000-4000-8000-00000000b002"
ENTRA_DOMAIN = "oakfield.sch.uk"


@pytest.fixture(scope="module")
def provider():
    with Provider() as p:
        p.clients = {"google-client": "google-secret", "entra-client": "entra-secret",
                     "someone-elses-client": "their-secret"}
        yield p


@pytest.fixture(autouse=True)
def _point_at_provider(app, provider):
    saved = {k: app.config[k] for k in ("SSO_GOOGLE_ISSUER", "SSO_MICROSOFT_AUTHORITY")}
    app.config.update(SSO_GOOGLE_ISSUER=provider.issuer(None), SSO_MICROSOFT_AUTHORITY=provider.base)
    app.extensions.pop("sso_cache", None)
    provider.tamper, provider.sign_with_rogue_key, provider.user = {}, False, {}
    yield
    app.config.update(saved)


@pytest.fixture
def schools(app, make_school, make_staff, in_app):
    """A Google school and an Entra school, each with a DSL whose email is on their domain."""
    google, entra = make_school("Hillside Primary"), make_school("Oakfield Primary")
    g_dsl, e_dsl = make_staff(Role.DSL, school=google), make_staff(Role.DSL, school=entra)

    def setup():
        db.session.get(StaffUser, g_dsl.id).email = f"Ms.Khan@{GOOGLE_DOMAIN}"  # stored with capitals
        db.session.get(StaffUser, e_dsl.id).email = f"mr.jones@{ENTRA_DOMAIN}"
        sso.save_config(google.id, "google", GOOGLE_DOMAIN, "google-client", "google-secret")
        sso.save_config(entra.id, "microsoft", ENTRA_DOMAIN, "entra-client", "entra-secret", tenant_id=TENANT,
                        idp_mfa_counts=True)

    in_app(setup)
    return {"google": google, "entra": entra, "google_dsl": g_dsl, "entra_dsl": e_dsl}


def google_user(email=f"ms.khan@{GOOGLE_DOMAIN}", **extra):
    return {"sub": "g-1001", "email": email, "email_verified": True, "hd": GOOGLE_DOMAIN, **extra}


def entra_user(email=f"mr.jones@{ENTRA_DOMAIN}", **extra):
    return {"sub": "e-2002", "preferred_username": email, "email": email, "amr": ["pwd", "mfa"], **extra}


def go_to_provider(client, email: str):
    page = client.get("/staff/sign-in").get_data(as_text=True)
    assert "Continue with Google or Microsoft" in page
    r = client.post("/staff/sso", data={"csrf_token": csrf(client, "/staff/sign-in"), "email": email})
    return r


def provider_redirect(url: str) -> str:
    """The browser at the provider: it answers with a redirect back to the app (path and query)."""

    class Stop(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args, **kwargs):
            return None

    try:
        urllib.request.build_opener(Stop()).open(url, timeout=10)
    except urllib.error.HTTPError as e:
        assert e.code == 302, e.code
        back = urllib.parse.urlsplit(e.headers["Location"])
        return f"{back.path}?{back.query}"
    raise AssertionError("the provider did not redirect back")


def sign_in(client, email: str):
    """The whole round trip; returns (callback path, response to the callback)."""
    r = go_to_provider(client, email)
    assert r.status_code == 303, r.status_code
    callback = provider_redirect(r.location)
    return callback, client.get(callback)


def staff_count(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(StaffUser))


def test_google_sign_in_links_the_existing_account_by_verified_email(app, client, schools, provider):
    provider.user = google_user()
    before = staff_count(app)
    r = go_to_provider(client, f"ms.khan@{GOOGLE_DOMAIN}")
    assert r.status_code == 303 and r.location.startswith(provider.issuer(None) + "/authorize?")
    query = urllib.parse.parse_qs(urllib.parse.urlsplit(r.location).query)
    assert query["hd"] == [GOOGLE_DOMAIN] and query["code_challenge_method"] == ["S256"]
    r = client.get(provider_redirect(r.location))
    assert r.status_code == 302 and r.location.endswith("/staff/")
    # A DSL signed in by SSO still gives the app's second factor (the school has not said the
    # provider's own MFA counts): the MFA rules of the DSL tools apply to every way in.
    home = client.get("/staff/")
    assert home.status_code == 302 and home.location.endswith("/staff/second-factor")
    with client.session_transaction() as sess:
        assert sess["_user_id"].startswith(f"staff:{schools['google_dsl'].id}:")
        assert sess["signin_method"] == "sso-google"
    assert staff_count(app) == before  # nothing created


def test_entra_sign_in_records_the_providers_mfa_claim(client, schools, provider):
    provider.user = entra_user()
    _callback, r = sign_in(client, f"mr.jones@{ENTRA_DOMAIN}")
    assert r.status_code == 302 and r.location.endswith("/staff/")
    with client.session_transaction() as sess:
        assert sess["_user_id"].startswith(f"staff:{schools['entra_dsl'].id}:")
        assert sess["sso_amr"] == ["pwd", "mfa"]
        assert sess["mfa_by_idp"] is True  # the school accepts the provider's second factor


def test_mfa_claim_counts_only_when_the_school_says_so(client, schools, provider, in_app):
    in_app(lambda: sso.save_config(schools["entra"].id, "microsoft", ENTRA_DOMAIN, "entra-client", "entra-secret",
                                   tenant_id=TENANT, idp_mfa_counts=False))
    provider.user = entra_user()
    _callback, r = sign_in(client, f"mr.jones@{ENTRA_DOMAIN}")
    assert r.status_code == 302
    with client.session_transaction() as sess:
        assert sess["sso_amr"] == ["pwd", "mfa"] and sess["mfa_by_idp"] is False


def refused(client, r, status=401):
    assert r.status_code == status, r.status_code
    with client.session_transaction() as sess:
        assert "_user_id" not in sess
    assert client.get("/staff/").status_code == 302  # still signed out


def test_a_token_from_another_entra_tenant_is_refused(client, schools, provider):
    # Signed by the provider, valid in every other way, but issued by (and for) another tenant.
    provider.user = entra_user()
    provider.tamper = {"iss": provider.issuer(OTHER_TENANT), "tid": OTHER_TENANT}
    _callback, r = sign_in(client, f"mr.jones@{ENTRA_DOMAIN}")
    refused(client, r)


def test_the_right_issuer_with_another_tenant_id_is_refused(client, schools, provider):
    provider.user = entra_user()
    provider.tamper = {"tid": OTHER_TENANT}
    _callback, r = sign_in(client, f"mr.jones@{ENTRA_DOMAIN}")
    refused(client, r)


def test_a_token_for_another_audience_is_refused(client, schools, provider):
    provider.user = google_user()
    provider.tamper = {"aud": "someone-elses-client"}
    _callback, r = sign_in(client, f"ms.khan@{GOOGLE_DOMAIN}")
    refused(client, r)


def test_an_expired_token_is_refused(client, schools, provider):
    provider.user = google_user()
    provider.tamper = {"iat": int(time.time()) - 7200, "exp": int(time.time()) - 3600}
    _callback, r = sign_in(client, f"ms.khan@{GOOGLE_DOMAIN}")
    refused(client, r)


def test_a_token_signed_with_another_key_is_refused(client, schools, provider):
    provider.user = google_user()
    provider.sign_with_rogue_key = True
    _callback, r = sign_in(client, f"ms.khan@{GOOGLE_DOMAIN}")
    refused(client, r)


def test_google_accounts_of_another_domain_or_unverified_email_are_refused(client, schools, provider):
    provider.user = google_user(hd="gmail.com")
    refused(client, sign_in(client, f"ms.khan@{GOOGLE_DOMAIN}")[1])
    provider.user = google_user(email_verified=False)
    refused(client, sign_in(client, f"ms.khan@{GOOGLE_DOMAIN}")[1])


def test_a_replayed_state_is_refused(app, client, schools, provider):
    provider.user = google_user()
    callback, r = sign_in(client, f"ms.khan@{GOOGLE_DOMAIN}")
    assert r.status_code == 302
    client.post("/sign-out", data={"csrf_token": csrf(client, "/staff/second-factor/setup")})
    # The same answer again (from history, a log, or an attacker's copy): the state was used once.
    refused(client, client.get(callback))
    # In another browser that never started a sign-in, the same answer is refused too.
    other = app.test_client()
    refused(other, other.get(callback))
    # And a state the browser did not start, with a fresh code, is refused before the code is spent.
    r = go_to_provider(client, f"ms.khan@{GOOGLE_DOMAIN}")
    fresh = provider_redirect(r.location)
    forged = fresh.replace("state=", "state=x", 1)
    requests_before = provider.token_requests
    refused(client, client.get(forged))
    assert provider.token_requests == requests_before


def test_no_account_is_created_for_an_unknown_address(app, client, schools, provider):
    provider.user = google_user(email=f"new.teacher@{GOOGLE_DOMAIN}")
    before = staff_count(app)
    _callback, r = sign_in(client, f"new.teacher@{GOOGLE_DOMAIN}")
    refused(client, r, 403)
    assert "no staff account" in r.get_data(as_text=True)
    assert staff_count(app) == before


def test_an_address_of_a_school_without_sso_and_bad_input(client, schools):
    r = go_to_provider(client, "someone@elsewhere.sch.uk")
    assert r.status_code == 404 and "username and password" in r.get_data(as_text=True)
    token = csrf(client, "/staff/sign-in")
    assert client.post("/staff/sso", data={"csrf_token": token, "email": "x" * 300}).status_code == 400
    assert client.post("/staff/sso", json={"email": f"a@{GOOGLE_DOMAIN}"}).status_code == 400
    assert client.get("/staff/sso/callback?code=abc&state=def").status_code == 401


def test_a_provider_that_does_not_answer_gives_a_calm_page(app, client, schools):
    app.config["SSO_GOOGLE_ISSUER"] = "http://127.0.0.1:9"  # nothing listens on the discard port
    r = go_to_provider(client, f"ms.khan@{GOOGLE_DOMAIN}")
    assert r.status_code == 502 and "did not answer" in r.get_data(as_text=True)


def test_sso_cli_sets_lists_and_disables(app, runner, schools):
    r = runner.invoke(args=["sso", "set", "--school-id", str(schools["google"].id), "--provider", "microsoft",
                            "--domain", "second.sch.uk", "--client-id", "abc"], input="s3cret\n")
    assert r.exit_code == 1 and "tenant" in r.output  # Entra needs the tenant
    r = runner.invoke(args=["sso", "list"])
    assert f"@{GOOGLE_DOMAIN}" in r.output and "google-secret" not in r.output
    r = runner.invoke(args=["sso", "disable", "--school-id", str(schools["google"].id), "--provider", "google"])
    assert r.exit_code == 0
    with app.app_context():
        assert sso.config_for_email(f"ms.khan@{GOOGLE_DOMAIN}") is None
