"""Second factors in Chromium: a passkey made and used with Chromium's virtual authenticator (the
DevTools protocol's WebAuthn domain through Playwright's CDP session), an authenticator app set up
and used, and the fresh second factor asked for before a concern's words are shown."""

from __future__ import annotations

import re
import time
from urllib.parse import urlparse

import pyotp
import pytest

from pupil_app.demo import DEMO_PASSWORD, load_demo
from pupil_app.extensions import db

from .conftest import AXE, Page
from .mfa_steps import pass_second_factor

pytestmark = pytest.mark.browser


class LocalhostPage(Page):
    """A tab on http://localhost: passkeys need a domain name (an IP address cannot be a WebAuthn
    relying party). Still nothing beyond this machine is allowed."""

    def _route(self, route):
        url = route.request.url
        if urlparse(url).path == "/__test__/axe.js":
            return route.fulfill(path=str(AXE), content_type="application/javascript")
        if urlparse(url).hostname not in ("127.0.0.1", "localhost"):
            self.blocked.append(url)
            return route.abort()
        return route.continue_()


@pytest.fixture
def demo(app):
    with app.app_context():
        load_demo()
        db.session.commit()


@pytest.fixture
def fresh_minutes(app):
    """Set how long a second factor stays fresh, for one test."""
    before = app.config["MFA_FRESH_MINUTES"]
    yield lambda minutes: app.config.update(MFA_FRESH_MINUTES=minutes)
    app.config["MFA_FRESH_MINUTES"] = before


def password_step(tab, username: str):
    tab.goto("/staff/sign-in")
    tab.page.fill("#username", username)
    tab.page.fill("#password", DEMO_PASSWORD)
    tab.page.press("#password", "Enter")


def sign_out(tab):
    tab.page.click(".staff-bar button:has-text('Sign out')")
    tab.page.wait_for_selector("h1:has-text('Staff sign in')")


def test_dsl_makes_a_passkey_signs_in_with_it_and_confirms_again_before_opening_words(
        browser, live_server, demo, fresh_minutes):
    context = browser.new_context(viewport={"width": 1024, "height": 768}, locale="en-GB")
    tab = LocalhostPage(context.new_page(), live_server.replace("127.0.0.1", "localhost"))
    cdp = context.new_cdp_session(tab.page)
    cdp.send("WebAuthn.enable")
    authenticator = cdp.send("WebAuthn.addVirtualAuthenticator", {"options": {
        "protocol": "ctap2", "transport": "internal", "hasResidentKey": True,
        "hasUserVerification": True, "isUserVerified": True}})["authenticatorId"]
    page = tab.page

    password_step(tab, "dsl.demo")
    page.wait_for_selector("h1:has-text('Set up a second factor')")
    tab.assert_accessible()
    tab.screenshot("mfa-setup")
    page.fill("#passkey-name", "Office laptop")
    page.click("button:has-text('Create a passkey')")
    page.wait_for_selector("h1:has-text('Your recovery codes')")
    assert page.locator(".mfa-codes li").count() == 10
    tab.assert_accessible()
    page.click("a:has-text('I have saved them: continue')")
    page.wait_for_selector("h1:has-text('Safeguarding today')")
    assert len(cdp.send("WebAuthn.getCredentials", {"authenticatorId": authenticator})["credentials"]) == 1

    sign_out(tab)
    password_step(tab, "dsl.demo")
    page.wait_for_selector("h1:has-text('Confirm it is you')")
    tab.assert_accessible()
    page.click("button:has-text('Use my passkey')")
    page.wait_for_selector("h1:has-text('Safeguarding today')")

    # Later: the second factor is no longer fresh, so a concern's words wait for it again.
    fresh_minutes(0)
    page.click("nav a:has-text('Concerns')")
    page.locator("table.inbox tbody tr a").first.click()
    page.wait_for_selector("h1:has-text('Confirm it is you')")
    assert "Please confirm it is you" in page.inner_text("main")
    concern_url = re.compile(r"/staff/concerns/\d+$")
    fresh_minutes(15)
    page.click("button:has-text('Use my passkey')")
    page.wait_for_url(concern_url)
    page.wait_for_selector("h2:has-text('In the pupil')")
    tab.screenshot("mfa-step-up-then-words")
    tab.check_clean()
    context.close()


def test_admin_sets_up_an_authenticator_app_and_signs_in_with_its_next_code(tab, demo):
    password_step(tab, "admin.demo")
    secret = pass_second_factor(tab.page)
    assert secret
    tab.page.wait_for_selector("h1:has-text('My classes')")
    tab.page.click("a:has-text('Sign-in security')")
    tab.page.wait_for_selector("h1:has-text('Sign-in security')")
    assert "Authenticator app" in tab.page.inner_text("table")
    tab.assert_accessible()
    sign_out(tab)

    password_step(tab, "admin.demo")
    tab.page.wait_for_selector("h1:has-text('Confirm it is you')")
    assert tab.page.locator("button:has-text('Use my passkey')").count() == 0
    tab.page.fill("#code", pyotp.TOTP(secret).at(time.time() + 30))
    tab.page.press("#code", "Enter")
    tab.page.wait_for_selector("h1:has-text('My classes')")
