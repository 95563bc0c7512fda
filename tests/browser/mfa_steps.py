"""The second factor in browser journeys: what a DSL or admin does at their first sign-in."""

from __future__ import annotations

import re

import pyotp


def pass_second_factor(page) -> str | None:
    """After the password: if the app asks for a second factor to be set up, set up an authenticator
    app the way a person would (type the key shown, then the code); returns the app's secret."""
    page.wait_for_load_state()
    if not re.search(r"/staff/second-factor/setup$", page.url):
        return None
    page.click("a:has-text('Use an authenticator app')")
    secret = page.get_attribute("[data-totp-secret]", "data-totp-secret")
    page.fill("#code", pyotp.TOTP(secret).now())
    page.click("button:has-text('Confirm and save')")
    page.wait_for_selector("h1:has-text('Your recovery codes')")
    page.click("a:has-text('I have saved them: continue')")
    return secret
