"""Each role's journey in real Chromium; axe-core on every pupil page along the way."""

from __future__ import annotations

import re

import pytest

from pupil_app.auth import service as auth_service
from pupil_app.content import load_content
from pupil_app.extensions import db
from pupil_app.schools.models import Pupil, Role

from ..content_factory import REAL
from ..helpers import PASSWORD

CONTENT = load_content(REAL)
pytestmark = pytest.mark.browser


def answer_quiz(tab, module, check_each=False):
    """Answer every question right by tapping, as a child would; order questions step by step."""
    page = tab.page
    for n, q in enumerate(module.questions, 1):
        page.wait_for_selector(".question__prompt")
        assert page.inner_text(".question__prompt").strip() == q.prompt
        if check_each and n <= 2:
            tab.assert_accessible()
        if q.is_order:
            for step in q.correct_answer:
                page.click(f'button[name="pick"][value="{step}"]')
            if check_each:
                tab.assert_accessible()
            page.click("text=That's my order")
        else:
            page.click(f'button[name="answer"][value="{q.correct_answer[0]}"]')
    page.wait_for_selector(".result")


def read_lesson(tab, module, check=True):
    page = tab.page
    for n in range(1, len(module.screens) + 1):
        assert module.screens[n - 1].text in page.inner_text(".lesson__text")
        if check and n == 1:
            tab.assert_accessible()
        if n < len(module.screens):
            page.click("a:has-text('Next')")
    page.click("button:has-text('Start the quiz')")


def test_ks2_pupil_signs_in_with_password_and_completes_a_module(tab, make_pupil):
    pupil = make_pupil(year_group=4, first_name="Priya")
    page = tab.page
    tab.goto("/")
    tab.assert_accessible()
    page.fill("#username", pupil.username)
    page.fill("#password", PASSWORD)
    page.click("button:has-text('Sign in')")
    page.wait_for_selector("text=Hello Priya!")
    tab.assert_accessible()
    tab.screenshot("ks2-home")
    module = CONTENT.modules["ks2-contact"]
    page.click(f"a[href='/learn/{module.id}/1']")
    read_lesson(tab, module)
    answer_quiz(tab, module, check_each=True)
    assert "Amazing! You got every one right!" in page.inner_text(".result")
    tab.assert_accessible()
    tab.screenshot("ks2-result")
    page.click("a:has-text('Home')")
    assert page.locator(f"a[href='/learn/{module.id}/1'].module-card--done").count() == 1


def test_wrong_password_message_is_accessible(tab, make_pupil):
    pupil = make_pupil(year_group=5)
    tab.goto("/sign-in")
    tab.page.fill("#username", pupil.username)
    tab.page.fill("#password", "not it")
    tab.page.click("button:has-text('Sign in')")
    assert "did not work" in tab.page.inner_text(".form-error")
    tab.assert_accessible()


def test_reception_pupil_signs_in_by_name_and_pictures_and_does_a_quiz(tab, make_class, make_pupil):
    reception = make_class(0, name="Reception")
    make_pupil(reception, first_name="Ada", password=None, pictures=("dog", "fish", "tree"))
    pupil = make_pupil(reception, first_name="Bilal", password=None, pictures=("cat", "sun", "boat"))
    page = tab.page
    tab.goto(f"/class/{reception.token}")
    tab.assert_accessible()
    tab.screenshot("class-page")
    page.click("a.name-tile:has-text('Bilal')")
    page.wait_for_selector("text=Hello Bilal!")
    tab.assert_accessible()
    # A wrong try first: a kind message and the grid again.
    for pick in ("fish", "fish", "fish"):
        page.click(f'button[value="{pick}"]')
    assert "Not quite" in page.inner_text(".form-error")
    tab.assert_accessible()
    page.click('button[value="cat"]')
    assert page.locator(".dot--filled").count() == 1
    tab.screenshot("picture-password")
    page.click('button[value="sun"]')
    page.click('button[value="boat"]')
    page.wait_for_selector("text=Hello Bilal!")
    assert "/learn/" in page.url
    tab.assert_accessible()
    tab.screenshot("ks1-home")
    module = CONTENT.modules["r-contact"]  # Reception's own module
    page.click(f"a[href='/learn/{module.id}/1']")
    tab.screenshot("ks1-lesson")
    read_lesson(tab, module)
    tab.screenshot("ks1-question")
    answer_quiz(tab, module, check_each=True)
    tab.assert_accessible()
    tab.screenshot("ks1-result")
    # "I've finished" hands the device back to the class page for the next child.
    page.click("button:has-text(\"I've finished\")")
    page.wait_for_selector("text=Tap your name")
    assert pupil.token in page.url


def test_reception_pupil_signs_in_with_qr_badge(tab, app, make_class, make_pupil):
    reception = make_class(0)
    pupil = make_pupil(reception, first_name="Zara", password=None)
    with app.app_context():
        token = auth_service.issue_badge(db.session.get(Pupil, pupil.id))
        db.session.commit()
    page = tab.page
    tab.goto(f"/badge/{token}")
    assert "Are you Zara?" in page.inner_text("h1")
    tab.assert_accessible()
    page.click("button:has-text(\"Yes, that's me\")")
    page.wait_for_selector("text=Hello Zara!")
    module = CONTENT.modules["r-commerce"]
    page.click(f"a[href='/learn/{module.id}/1']")
    read_lesson(tab, module, check=False)
    answer_quiz(tab, module)
    assert "Amazing" in page.inner_text(".result")


def test_forged_badge_page_is_accessible(tab):
    response = tab.goto("/badge/forged-token-AAAAAAAAAAAAA")
    assert response.status == 404
    assert "This card does not work any more" in tab.page.inner_text("h1")
    tab.assert_accessible()


def test_read_aloud_speaks_the_screen_in_the_page_language(tab, make_pupil, login_as):
    pupil = make_pupil(year_group=1, password=None)
    tab.page.add_init_script("""
        window.__spoken = [];
        window.speechSynthesis.speak = (u) => { window.__spoken.push({text: u.text, lang: u.lang}); };
    """)
    tab.goto(f"/class/{pupil.token}/{pupil.id}")
    for pick in pupil.pictures:
        tab.page.click(f'button[value="{pick}"]')
    module = CONTENT.modules["ks1-content"]
    tab.goto(f"/learn/{module.id}/1")
    tab.page.click("[data-read-aloud]")
    spoken = tab.page.evaluate("window.__spoken")
    assert spoken and module.screens[0].text in spoken[0]["text"] and spoken[0]["lang"] == "en"


def test_staff_sign_in_and_class_page(tab, make_class, make_pupil, make_staff):
    school_class = make_class(1, name="Year 1")
    make_pupil(school_class, first_name="Ada", password=None)
    teacher = make_staff(Role.TEACHER, classes=(school_class,))
    page = tab.page
    tab.goto("/staff/sign-in")
    tab.assert_accessible()
    page.fill("#username", teacher.username)
    page.fill("#password", PASSWORD)
    page.press("#password", "Enter")  # keyboard only
    page.wait_for_selector("h1:has-text('My classes')")
    tab.assert_accessible()
    page.click("a:has-text('Year 1')")
    assert "Ada" in page.inner_text("table")
    tab.assert_accessible()
    page.once("dialog", lambda d: d.accept())
    page.click("button:has-text('Print new sign-in cards')")
    page.wait_for_selector(".signin-card")
    assert page.locator(".signin-card svg.qr").count() == 1
    tab.screenshot("sign-in-cards")
    link = page.locator(".signin-card__link a").get_attribute("href")
    assert re.match(r"http://127\.0\.0\.1:\d+/badge/[\w-]{22,}$", link)
