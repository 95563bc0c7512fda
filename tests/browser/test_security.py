"""Attacks 2 and 6 where the browser matters: nothing of a child's message stays in the tablet's
storage after their session, and the child's "Go back" never leads off the site."""

from __future__ import annotations

import json
from urllib.parse import quote, urlparse

import pytest

from ..concern_flow import count_concerns
from ..test_security_redirects import BYPASSES

pytestmark = pytest.mark.browser
WORDS = "Someone keeps messaging me at night"


def stored(tab):
    return tab.page.evaluate("window.localStorage.getItem('tell-adult:v1')")


def _sign_in_and_write(tab, pupil):
    """Picture sign-in, Tell an adult, tap "a stranger" (saved on the server), type words (kept in
    the browser until the next tap)."""
    page = tab.page
    tab.goto(f"/class/{pupil.token}/{pupil.id}")
    for pick in pupil.pictures:
        page.click(f'button[value="{pick}"]')
    page.wait_for_selector("text=Hello")
    page.click("a.tell-button")
    page.wait_for_selector("[data-tell-flow]")
    base = page.url.rsplit("/", 1)[0]
    tab.goto(base + "/what")
    page.click('button[value="stranger"]')
    page.wait_for_url("**/about")
    tab.goto(base + "/words")
    page.fill("[data-tell-words]", WORDS)
    assert json.loads(stored(tab))[base.rsplit("/", 1)[1]]["answers"]["words"] == WORDS


def test_nothing_stays_in_the_browser_after_ive_finished(tab, app, make_pupil):
    pupil = make_pupil(year_group=1, first_name="Ada", password=None)
    _sign_in_and_write(tab, pupil)
    tab.page.click("button.finished-button")
    tab.page.wait_for_load_state()
    assert stored(tab) is None
    assert WORDS not in tab.page.content()
    assert count_concerns(app, interrupted=True) == 1  # what the child wrote reached the DSL, marked


def test_nothing_stays_in_the_browser_after_an_idle_sign_out_or_another_session(tab, app, make_pupil):
    pupil = make_pupil(year_group=1, first_name="Ben", password=None)
    _sign_in_and_write(tab, pupil)  # typed, never saved on the server: only the browser has it
    # The next child signs in on the same tablet (a new session): the copy goes on the first page.
    other = make_pupil(year_group=1, first_name="Cat", password=None)
    tab.page.context.clear_cookies()  # the first session has ended (idle sign-out drops it the same way)
    tab.goto(f"/class/{other.token}")
    assert stored(tab) is None


@pytest.mark.parametrize("target", [b for b in BYPASSES if b.strip()][:12])
def test_go_back_on_calm_and_tell_stays_on_the_site(tab, target):
    for page_path in ("/calm", "/tell"):
        tab.goto(f"{page_path}?from=" + quote(target, safe=""))
        for link in tab.page.locator("a.big-button").all():
            href = link.evaluate("a => a.href")  # as the browser resolved it
            assert urlparse(href).hostname == "127.0.0.1", (target, href)
