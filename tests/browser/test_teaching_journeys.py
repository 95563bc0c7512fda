"""A teacher in Chromium: finds a lesson, previews it as a pupil (nothing stored), then teaches it in
teach mode from the keyboard: arrows and Page Up/Down move, R reveals the answer, N shows notes."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from pupil_app.content import current_content
from pupil_app.extensions import db
from pupil_app.learning.models import ModuleProgress, QuizAttempt
from pupil_app.schools.models import Role, StaffUser

from ..conftest import PASSWORD
from .test_staff_journeys import demo, staff_sign_in  # noqa: F401 (the demo fixture)

pytestmark = pytest.mark.browser


def stored(app) -> int:
    with app.app_context():
        return (db.session.scalar(select(func.count()).select_from(QuizAttempt))
                + db.session.scalar(select(func.count()).select_from(ModuleProgress)))


def test_teacher_previews_a_module_then_teaches_it_with_the_keyboard(tab, app, demo):  # noqa: F811
    page = tab.page
    with app.app_context():
        module = current_content().modules["y3-content"]
    before = stored(app)
    staff_sign_in(tab, "teacher.demo")
    page.click(".staff-bar a:has-text('Lessons')")
    page.wait_for_selector("h1:has-text('Lessons, Reception to Year 6')")
    tab.assert_accessible()
    page.click(f"a:has-text('{module.title}')")
    page.wait_for_selector(f"h1:has-text('{module.title}')")
    assert "Education for a Connected World" in page.inner_text("table.evidence")
    tab.assert_accessible()

    # Preview: the pupil's screens and questions, the answer behind a reveal; nothing stored.
    page.click("a:has-text('Preview as a pupil')")
    for screen in module.screens:
        page.wait_for_selector(f".lesson__text:has-text('{screen.text[:30]}')")
        assert page.is_visible("text=Preview: nothing you do here is recorded.")
        page.click(".lesson__nav .big-button--go")
    page.wait_for_selector(f"#prompt:has-text('{module.questions[0].prompt[:30]}')")
    assert not page.is_visible(f"text={module.questions[0].explain[:30]}")
    page.click("summary:has-text('Show the answer')")
    assert page.is_visible(f"text={module.questions[0].explain[:30]}")
    tab.assert_accessible()
    assert stored(app) == before

    # Teach mode: one slide at a time, moved by the keys a clicker sends.
    page.click("a:has-text('Teach mode')")
    page.wait_for_selector("body.teach--js")
    visible = page.locator("[data-slide]:visible")
    assert visible.count() == 1 and module.title in visible.inner_text()
    assert page.inner_text("[data-count]") == f"Slide 1 of {len(module.screens) + len(module.questions) + 2}"
    page.keyboard.press("ArrowRight")
    assert module.screens[0].text in visible.inner_text() and module.screens[0].discuss in visible.inner_text()
    assert not page.is_visible(f"text={module.screens[0].notes[:30]}")
    page.keyboard.press("n")
    assert page.is_visible(f"text={module.screens[0].notes[:30]}")
    page.keyboard.press("PageDown")
    assert module.screens[1].text in visible.inner_text()
    page.keyboard.press("PageUp")
    assert module.screens[0].text in visible.inner_text()
    tab.screenshot("teach-mode-screen")
    for _ in module.screens:
        page.keyboard.press("ArrowRight")
    question = module.questions[0]
    assert question.prompt in visible.inner_text() and question.explain not in visible.inner_text()
    page.keyboard.press("r")
    assert question.explain in visible.inner_text()
    assert page.locator("[data-slide]:visible .slide__choice--right").count() == 1
    tab.screenshot("teach-mode-reveal")
    tab.assert_accessible()
    page.keyboard.press("End")
    assert "Well done, everyone!" in visible.inner_text()
    assert page.url.endswith(f"#slide-{len(module.screens) + len(module.questions) + 2}")
    assert stored(app) == before


def test_teacher_sets_a_module_the_pupil_sees_it_first_and_the_evidence_pack_prints(tab, app, make_class,
                                                                                     make_pupil, make_staff):
    cls = make_class(4, name="Otters")
    pupil = make_pupil(cls, first_name="Priya")
    teacher = make_staff(Role.TEACHER, classes=(cls,))
    with app.app_context():
        module = current_content().modules["y3-commerce"]  # last year's, to revisit
        teacher_name = db.session.get(StaffUser, teacher.id).username
    page = tab.page
    tab.goto("/staff/sign-in")
    page.fill("#username", teacher_name)
    page.fill("#password", PASSWORD)
    page.click("button:has-text('Sign in')")
    page.wait_for_selector("h1:has-text('My classes')")
    assert page.is_visible("h3:has-text('What to teach next')")  # at the top of the home page
    tab.assert_accessible()
    page.click("table a:has-text('Otters')")
    page.click("a:has-text('Set modules')")
    page.select_option("#module", module.id)
    page.fill("#due_on", "2099-01-01")  # more than a year ahead: refused, nothing set
    page.click("button:has-text('Set it')")
    assert page.is_visible("text=A date can be at most a year ahead.")
    page.fill("#due_on", "")
    page.click("button:has-text('Set it')")
    page.wait_for_selector(f"table.assignments th:has-text('{module.title}')")
    assert "0 of 1" in page.inner_text("table.assignments")
    tab.assert_accessible()

    # The evidence pack: printed to PDF by Chromium's own print path, with the toolbar left out.
    page.click("a:has-text('Back to Otters')")
    page.click("a:has-text('Evidence pack')")
    page.wait_for_selector("h1:has-text('Online safety evidence pack: Otters')")
    tab.assert_accessible()
    page.evaluate("() => { window.__printed = false; window.print = () => { window.__printed = true; }; }")
    page.click("button:has-text('Print the evidence pack')")
    assert page.evaluate("() => window.__printed") is True
    page.emulate_media(media="print")
    assert not page.is_visible("button:has-text('Print the evidence pack')")
    assert page.pdf(format="A4").startswith(b"%PDF")
    page.emulate_media(media="screen")
    page.click("form button:has-text('Sign out')")

    tab.goto("/")
    page.fill("#username", pupil.username)
    page.fill("#password", PASSWORD)
    page.click("button:has-text('Sign in')")
    page.wait_for_selector("text=Hello Priya!")
    first_card = page.locator(".module-card").first
    assert first_card.get_attribute("href") == f"/learn/{module.id}/1"
    assert page.is_visible("h2:has-text('From your teacher')")
    tab.assert_accessible()
    tab.screenshot("pupil-home-set-module")
