"""Tell an adult, in Chromium: a Year 1 child with pictures only, the DSL handling it, words that
survive a database failure, and "Hide this page" by keyboard. axe-core on every pupil screen."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.exc import OperationalError

from pupil_app.auth import lessons
from pupil_app.concerns import telling
from pupil_app.concerns.models import Concern
from pupil_app.content import load_content
from pupil_app.extensions import db
from pupil_app.pledge import service, versions
from pupil_app.schools.models import Pupil, SchoolClass
from pupil_app.timeutil import utcnow

from ..concern_flow import count_concerns
from ..content_factory import REAL
from ..helpers import PASSWORD
from .conftest import Page
from .mfa_steps import pass_second_factor

CONTENT = load_content(REAL)
pytestmark = pytest.mark.browser
WORDS = "A girl in my class keeps posting mean pictures of Maya in the group chat.\nMaya cried at lunch."


def stored(tab) -> dict:
    return json.loads(tab.page.evaluate("window.localStorage.getItem('tell-adult:v1') || '{}'"))


def sign_in_with_password(tab, username):
    tab.goto("/sign-in")
    tab.page.fill("#username", username)
    tab.page.fill("#password", PASSWORD)
    tab.page.click("button:has-text('Sign in')")
    tab.page.wait_for_selector(".page-title")


def expected_503(tab):
    """The failed send is logged by the browser as a 503; that one is expected, nothing else is."""
    assert any("status of 503" in e for e in tab.console_errors)
    tab.console_errors[:] = [e for e in tab.console_errors if "status of 503" not in e]


def test_ks1_child_tells_an_adult_from_a_quiz_with_pictures_and_the_dsl_handles_it(tab, app, runner, browser,
                                                                                    live_server):
    assert runner.invoke(args=["demo", "load"]).exit_code == 0
    with app.app_context():
        year1 = db.session.scalar(select(SchoolClass).where(SchoolClass.name == "Year 1"))
        token = year1.signin_token
        lessons.open_for_lesson(year1) or setattr(year1, "signin_open_until", utcnow() + timedelta(hours=1))
        # Alfie made his promises on an earlier day (the pledge journey has its own tests).
        alfie = db.session.scalar(select(Pupil).where(Pupil.username == "ks1.demo"))
        service.record_signature(alfie, versions.ensure_current_version(
            alfie.school_id, versions.pledge_key(alfie.band)))
        db.session.commit()
    page = tab.page
    tab.goto(f"/class/{token}")
    page.click("a.name-tile:has-text('Alfie')")
    for pick in ("cat", "sun", "boat"):
        page.click(f'button[value="{pick}"]')
    page.wait_for_selector("text=Hello Alfie!")
    module = CONTENT.modules["ks1-contact"]
    tab.goto(f"/learn/{module.id}/{len(module.screens)}")
    page.click("button:has-text('Start the quiz')")
    page.wait_for_selector(".question__prompt")
    quiz_url = page.url

    page.click("a.tell-button")  # from inside the quiz
    for prompt, pick, shot in (("How do you feel?", "scared", "tell-1-feel"), ("What happened?", "stranger", "tell-2-what"),
                               ("Is it about you or someone else?", "me", None),
                               ("Where did it happen?", "game", None)):
        page.wait_for_selector(f"h1:has-text('{prompt}')")
        tab.assert_accessible()
        if shot:
            tab.screenshot(shot)
        page.click(f'button[name="choice"][value="{pick}"]')
    page.wait_for_selector("h1:has-text('Is there anything else you want to tell us?')")
    tab.assert_accessible()
    page.click("button:has-text('Next')")  # no typing: a four-year-old need not write
    page.wait_for_selector("h1:has-text('Who would you like to talk to?')")
    tab.assert_accessible()
    tab.screenshot("tell-6-adult")
    page.click("button[name='choice']:has-text('Mr David Hughes')")
    page.wait_for_selector("h1:has-text('Ready to send your message?')")
    tab.assert_accessible()
    tab.screenshot("tell-7-send")
    page.click("button:has-text('Send my message')")
    page.wait_for_selector("h1:has-text('Thank you for telling us, Alfie')")
    assert "Mr David Hughes helps keep children safe" in page.inner_text("main")
    assert count_concerns(app, urgent=True, what="stranger", status="new") == 1
    assert stored(tab) == {}  # the server confirmed it: nothing is left in the browser
    tab.assert_accessible()
    tab.screenshot("tell-8-thanks")
    page.click("a:has-text('Go back to what I was doing')")
    page.wait_for_url(quiz_url)

    # The DSL, on another device.
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="en-GB")
    dsl = Page(context.new_page(), live_server)
    dsl.goto("/staff/sign-in")
    dsl.page.fill("#username", "dsl.demo")
    dsl.page.fill("#password", "demo-pass-2026")
    dsl.page.press("#password", "Enter")
    pass_second_factor(dsl.page)
    dsl.page.wait_for_selector("h1:has-text('Safeguarding today')")
    dsl.page.click("nav a:has-text('Concerns')")
    first_row = dsl.page.locator("table.inbox tbody tr").first
    assert "Alfie Demo" in first_row.inner_text() and "Urgent" in first_row.inner_text()
    assert "Not read" in first_row.inner_text()
    dsl.assert_accessible()
    dsl.screenshot("dsl-inbox")
    first_row.locator("a").click()
    dsl.page.wait_for_selector("h2:has-text('In the pupil')")
    facts = dsl.page.inner_text(".facts")
    assert "Scared" in facts and "Someone unknown talked to them" in facts and "Mr David Hughes" in facts
    dsl.page.select_option("#e-kind", "action")
    dsl.page.fill("#e-text", "Spoke with Alfie and his mum. The game account is blocked and reported.")
    dsl.page.click("#entry_form button:has-text('Add')")
    dsl.page.wait_for_selector("text=Added to the chronology.")
    dsl.page.select_option("#h-status", "closed")
    dsl.page.select_option("#h-outcome", "resolved_in_school")
    dsl.page.fill("#h-reason", "Parents aware; settings changed; no further contact.")
    dsl.page.click("#handling_form button:has-text('Save')")
    dsl.page.wait_for_selector(".chronology__text:has-text('Status: New → Closed')")
    assert "Spoke with Alfie and his mum" in dsl.page.inner_text(".chronology")
    dsl.assert_accessible()
    dsl.screenshot("dsl-concern")
    dsl.check_clean()
    context.close()

    # The child sees that a grown-up has read it (and nothing more).
    page.click("a.tool-button:has-text('Home')")
    page.wait_for_selector(".tell-status")
    assert "A grown-up has read it" in page.inner_text(".tell-status")
    assert "Spoke with" not in page.inner_text("main")
    tab.assert_accessible()
    tab.screenshot("tell-9-home-read")


def _message_up_to_send(tab):
    page = tab.page
    page.click("a.tell-button")
    for pick in ("worried", "unkind", "someone_else", "app"):
        page.click(f'button[name="choice"][value="{pick}"]')
    page.fill("textarea#words", WORDS)
    page.click("button:has-text('Next')")
    page.click("button[name='choice'][value='anyone']")
    page.wait_for_selector("h1:has-text('Ready to send your message?')")
    page.wait_for_load_state("load")  # tell.js has taken over the form: a tap before that is a plain post


def _fail_first_send(monkeypatch):
    real, calls = telling.submit, []

    def submit(*args, **kwargs):
        calls.append(1)
        if len(calls) == 1:  # the database connection drops during this one
            raise OperationalError("INSERT INTO concerns", {}, Exception("server closed the connection unexpectedly"))
        return real(*args, **kwargs)

    monkeypatch.setattr(telling, "submit", submit)
    return calls


def test_the_words_survive_a_database_failure_and_are_sent_exactly_once_on_retry(tab, app, make_pupil,
                                                                                  monkeypatch):
    pupil = make_pupil(year_group=4, first_name="Priya")
    sign_in_with_password(tab, pupil.username)
    _message_up_to_send(tab)
    calls = _fail_first_send(monkeypatch)
    page = tab.page
    page.click("button:has-text('Send my message')")
    page.wait_for_selector("[data-tell-failed]:not([hidden])")
    assert "Please tell the adult in your room now" in page.inner_text("[data-tell-failed]")
    assert page.inner_text(".tell-summary__words") == WORDS  # still on the page
    (entry,) = stored(tab).values()  # and kept in the browser
    assert entry["answers"]["words"] == WORDS and entry["send"] is True
    assert count_concerns(app) == 0
    expected_503(tab)
    tab.assert_accessible()
    tab.screenshot("tell-failed")
    page.click("button:has-text('Try again')")
    page.wait_for_selector("h1:has-text('Thank you for telling us, Priya')")
    assert len(calls) == 2 and count_concerns(app) == 1
    with app.app_context():
        assert db.session.scalar(select(Concern)).words == WORDS
    assert stored(tab) == {}


def test_words_kept_in_the_browser_are_sent_once_from_the_next_page(tab, app, make_pupil, monkeypatch):
    pupil = make_pupil(year_group=5, first_name="Tom")
    sign_in_with_password(tab, pupil.username)
    _message_up_to_send(tab)
    _fail_first_send(monkeypatch)
    page = tab.page
    page.click("button:has-text('Send my message')")
    page.wait_for_selector("[data-tell-failed]:not([hidden])")
    expected_503(tab)
    page.click("a.tool-button:has-text('Home')")  # the child wanders off instead of trying again
    page.wait_for_selector("p.notice:has-text('We have sent your message')")
    assert count_concerns(app) == 1 and stored(tab) == {}
    page.reload()
    page.wait_for_selector(".tell-status")
    assert count_concerns(app) == 1
    assert "A grown-up will read it soon" in page.inner_text(".tell-status")


def test_hide_this_page_covers_the_screen_at_once_by_keyboard(tab, make_pupil, login_as):
    pupil = make_pupil(year_group=1, first_name="Ada", password=None)
    page = tab.page
    tab.goto(f"/class/{pupil.token}/{pupil.id}")
    for pick in pupil.pictures:
        page.click(f'button[value="{pick}"]')
    page.wait_for_selector("text=Hello Ada!")
    tab.goto("/learn/ks1-content/2")
    page.keyboard.press("Tab")  # the skip link
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent").strip() == "Tell an adult"
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent").strip() == "Hide this page"
    page.keyboard.press("Enter")
    assert page.is_visible("#calm-cover")
    assert page.evaluate("document.activeElement.id") == "calm-cover-title"
    assert page.evaluate("document.getElementById('main').inert") is True
    tab.assert_accessible()
    tab.screenshot("hide-this-page")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent").strip() == "Tell an adult"
    page.click("[data-calm-show]")
    assert not page.is_visible("#calm-cover")
    assert page.evaluate("document.activeElement.textContent").strip() == "Hide this page"
    assert page.evaluate("document.getElementById('main').inert") is False


def test_a_child_on_the_class_page_is_told_to_tell_the_adult_in_the_room(tab, app, make_pupil):
    pupil = make_pupil(year_group=0, first_name="Bea", password=None)
    page = tab.page
    tab.goto(f"/class/{pupil.token}")
    page.click("a.tell-button")
    page.wait_for_selector("h1:has-text('Please tell the adult in your room now')")
    tab.assert_accessible()
    tab.screenshot("tell-not-signed-in")
    page.click("a:has-text('Go back')")
    page.wait_for_selector("text=Tap your name")
    assert count_concerns(app) == 0
