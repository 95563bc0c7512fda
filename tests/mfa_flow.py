"""The second factor through the pages, for tests that sign staff in with the real forms."""

from __future__ import annotations

import re
import time

import pyotp

from .concern_flow import csrf_of


def enrol_app(client) -> tuple[str, list[str]]:
    """Set up an authenticator app through the pages; returns the secret and the recovery codes shown."""
    page = client.get("/staff/second-factor/setup/app").get_data(as_text=True)
    secret = re.search(r'data-totp-secret="([A-Z2-7]+)"', page).group(1)
    r = client.post("/staff/second-factor/setup/app",
                    data={"csrf_token": csrf_of(page), "code": pyotp.TOTP(secret).now(), "name": "My phone"})
    assert r.status_code == 302 and r.headers["Location"].endswith("/staff/second-factor/recovery-codes")
    shown = client.get("/staff/second-factor/recovery-codes").get_data(as_text=True)
    codes = re.findall(r"<li><code>([a-z2-9]{5}-[a-z2-9]{5})</code></li>", shown)
    return secret, codes


def next_code(secret: str) -> str:
    """The app's next code (the server accepts one step of clock drift; the current one is spent)."""
    return pyotp.TOTP(secret).at(time.time() + 30)


def give_code(client, code: str):
    page = client.get("/staff/second-factor").get_data(as_text=True)
    return client.post("/staff/second-factor/code", data={"csrf_token": csrf_of(page), "code": code})
