"""A teacher in Chromium: finds a lesson, previews it as a pupil (nothing stored), then teaches it in
teach mode from the keyboard: arrows and Page Up/Down move, R reveals the answer, N shows notes."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from pupil_app.content import current_content
from pupil_app.extensions import db
from pupil_app.learning.models import ModuleProgress, QuizAttempt

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
