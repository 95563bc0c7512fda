"""Attack 6: open redirects. Staff sign-in's ``next=``, the language switch's ``next`` and the child's
"Go back" on /calm and /tell follow same-origin paths only (one helper, pupil_app/redirects.py)."""

from __future__ import annotations

import re
from urllib.parse import quote, urlsplit

import pytest

from pupil_app.redirects import safe_path
from pupil_app.schools.models import Role

from .concern_flow import csrf

# Known ways to make a "local path" check send a browser elsewhere.
BYPASSES = [
    "//evil.example",
    "//evil.example/staff",
    "///evil.example",
    "////evil.example",
    "/\t/evil.example",
    "/%09/evil.example",
    "/\n/evil.example",
    "/\r/evil.example",
    "/\r\n/evil.example",
    "/\x00/evil.example",
    "/\x0b/evil.example",
    "/\x1f/evil.example",
    "/\\evil.example",
    "\\\\evil.example",
    "/\\/evil.example",
    "\\/evil.example",
    "/%5cevil.example",
    "/%5Cevil.example",
    "/%2f/evil.example",
    "/%2F%2Fevil.example",
    "/%252f%252fevil.example",
    "https://evil.example",
    "http://evil.example/staff",
    "HTTPS://evil.example",
    "javascript:alert(1)",
    "JaVaScRiPt:alert(1)",
    "/javascript:alert(1)",
    "data:text/html,<script>alert(1)</script>",
    "evil.example",
    " /\t/evil.example",
    " //evil.example",
    "/ /evil.example",
    "/\u3000/evil.example",
    "/\u00a0/evil.example",
    "/\u2028/evil.example",
    "/．/evil.example",
    "/evil.example\\@site",
    "/staff/../\\evil.example",
    "/staff/..//evil.example",
    "/staff//evil.example",
    "https:evil.example",
    "/" + "a" * 600,
    "",
    "\t",
]


@pytest.mark.parametrize("target", BYPASSES)
def test_the_helper_refuses_every_known_bypass(target):
    assert safe_path(target) is None


@pytest.mark.parametrize("target", ["/", "/learn/", "/staff/concerns?status=new", "/staff/concerns/8",
                                    "/class/AbC-_123", "/learn/ks1.personal-info/2"])
def test_the_helper_keeps_plain_paths(target):
    assert safe_path(target) == target


def _lands_on_site(location: str | None) -> bool:
    if not location:
        return True
    parts = urlsplit(location)
    if parts.scheme or parts.netloc:
        return parts.netloc in ("localhost", "") and parts.scheme in ("http", "")
    # What a browser would make of it: tabs and newlines dropped, backslashes as slashes.
    cleaned = re.sub(r"[\t\r\n]", "", location).replace("\\", "/")
    return cleaned.startswith("/") and not cleaned.startswith("//")


@pytest.mark.parametrize("target", BYPASSES[:36])
def test_staff_sign_in_never_sends_the_browser_off_the_site(app, client, make_staff, target):
    staff = make_staff(Role.DSL)
    url = "/staff/sign-in?next=" + quote(target, safe="")
    r = client.post(url, data={"csrf_token": csrf(client, url), "username": staff.username,
                               "password": staff.password})
    assert r.status_code in (302, 303)
    assert _lands_on_site(r.location), r.location
    assert r.location == "/staff/safeguarding"  # a DSL's own home, never the target


def test_staff_sign_in_follows_a_local_next(client, make_staff):
    staff = make_staff(Role.DSL)
    url = "/staff/sign-in?next=" + quote("/staff/concerns?status=new", safe="")
    r = client.post(url, data={"csrf_token": csrf(client, url), "username": staff.username,
                               "password": staff.password})
    assert r.location == "/staff/concerns?status=new"


@pytest.mark.parametrize("page", ["/calm", "/tell"])
@pytest.mark.parametrize("target", BYPASSES[:36])
def test_the_childs_go_back_link_stays_on_the_site(client, page, target):
    body = client.get(f"{page}?from=" + quote(target, safe="")).get_data(as_text=True)
    for href in re.findall(r'href="([^"]*)"', body):
        assert "evil.example" not in href and not href.startswith("//"), href


def test_the_language_switch_stays_on_the_site(client):
    token = csrf(client, "/sign-in")
    for target in BYPASSES[:36]:
        r = client.post("/language", data={"csrf_token": token, "lang": "en", "next": target})
        assert r.status_code == 302 and _lands_on_site(r.location), (target, r.location)
