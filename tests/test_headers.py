"""Security headers on every response; no inline script or style anywhere."""

from __future__ import annotations

import re

import pytest

URLS = ["/sign-in", "/staff/sign-in", "/healthz", "/pictures/pw-cat.svg", "/static/css/app.css", "/nope"]


@pytest.mark.parametrize("url", URLS)
def test_security_headers_on_every_response(client, url):
    with client.get(url) as r:
        pass
    csp = r.headers["Content-Security-Policy"]
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
    assert r.headers["X-Content-Type-Options"] == "nosniff"
    assert r.headers["X-Frame-Options"] == "DENY"
    assert r.headers["Referrer-Policy"] == "same-origin"


def test_pages_have_no_inline_scripts_styles_or_external_assets(client, make_pupil, login_as):
    login_as(make_pupil())
    for url in ["/learn/", "/learn/ks2-content/1"]:
        html = client.get(url).get_data(as_text=True)
        assert not re.search(r"<script(?![^>]*\bsrc=)", html)
        assert " style=" not in html and "<style" not in html
        assert not re.search(r'(src|href)="(https?:)?//', html)


def test_error_pages_are_friendly_not_tracebacks(client):
    r = client.get("/learn/../../etc/passwd")
    assert r.status_code == 404
    assert "We could not find that page" in r.get_data(as_text=True)


def test_stylesheet_is_well_formed():
    """An unclosed block (easy to leave when sections are merged) silently drops every rule after it."""
    from pathlib import Path

    css = (Path(__file__).resolve().parent.parent / "pupil_app/static/css/app.css").read_text()
    css = re.sub(r"/\*.*?\*/", "", css, flags=re.S)
    depth = 0
    for n, line in enumerate(css.splitlines(), 1):
        depth += line.count("{") - line.count("}")
        assert depth >= 0, f"app.css line {n}: '}}' without an opening block"
    assert depth == 0, "app.css: a block is never closed"
