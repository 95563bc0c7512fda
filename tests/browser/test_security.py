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


def test_a_closed_class_page_is_calm_accessible_and_shows_no_names(tab, app, make_class, make_pupil, make_staff,
                                                                   browser, live_server, monkeypatch):
    from sqlalchemy import update

    from ..test_security_signin import morning_zone

    monkeypatch.setitem(app.config, "TIMEZONE", morning_zone())
    from pupil_app.extensions import db
    from pupil_app.schools.models import Role, SchoolClass

    klass = make_class(1, name="Year 1")
    make_pupil(klass, first_name="Alfie", password=None)
    with app.app_context():
        db.session.execute(update(SchoolClass).where(SchoolClass.id == klass.id).values(signin_open_until=None))
        db.session.commit()
    for width, height in ((1024, 768), (768, 1024), (390, 844)):
        tab.page.set_viewport_size({"width": width, "height": height})
        tab.goto(f"/class/{klass.token}")
        assert "Your class is not open for signing in yet" in tab.page.inner_text("h1")
        assert "Alfie" not in tab.page.content()
        tab.screenshot(f"class-closed-{width}x{height}")
    tab.assert_accessible()
    # The teacher opens it from their class page.
    staff_context = browser.new_context(viewport={"width": 1024, "height": 768})
    staff_page = staff_context.new_page()
    teacher = make_staff(Role.TEACHER, classes=(klass,))
    staff_page.goto(live_server + "/staff/sign-in")
    staff_page.fill("#username", teacher.username)
    staff_page.fill("#password", teacher.password)
    staff_page.click("button[type=submit]")
    staff_page.goto(live_server + f"/staff/classes/{klass.id}")
    staff_page.click("button:has-text('Open picture sign-in for this lesson')")
    staff_page.wait_for_selector("text=Open for picture sign-in until")
    staff_page.screenshot(path="test-artifacts/class-opened-staff.png", full_page=True)
    staff_context.close()
    tab.goto(f"/class/{klass.token}")
    tab.page.wait_for_selector("a.name-tile:has-text('Alfie')")
