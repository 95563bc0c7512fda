"""The filtering journey in Chromium on the demo school: a teacher reports a website, the filtering
lead records that it was blocked, and the DSL sees the report and its action in the incident log;
axe-core on each filtering page (monitoring alerts, the review) on the way."""

from __future__ import annotations

import re

import pytest

from pupil_app.demo import DEMO_PASSWORD, load_demo
from pupil_app.extensions import db

from .conftest import Page
from .mfa_steps import pass_second_factor

pytestmark = pytest.mark.browser


@pytest.fixture
def demo(app):
    with app.app_context():
        load_demo()
        db.session.commit()


def signed_in(browser, live_server, username: str) -> tuple[Page, object]:
    context = browser.new_context(viewport={"width": 1024, "height": 768}, locale="en-GB")
    tab = Page(context.new_page(), live_server)
    tab.goto("/staff/sign-in")
    tab.page.fill("#username", username)
    tab.page.fill("#password", DEMO_PASSWORD)
    tab.page.press("#password", "Enter")
    pass_second_factor(tab.page)
    tab.page.wait_for_selector("h1:has-text('My classes'), h1:has-text('Safeguarding today')")
    return tab, context


def test_a_teacher_reports_a_website_the_filtering_lead_blocks_it_and_the_dsl_sees_it_in_the_log(
        browser, live_server, demo):
    teacher, context = signed_in(browser, live_server, "teacher.demo")
    page = teacher.page
    page.click("nav a:has-text('Filtering')")
    page.click("a.button:has-text('Report a website')")
    page.wait_for_selector("h1:has-text('Report a website')")
    teacher.assert_accessible()
    page.fill("#address", "https://scary-clowns.example/video")
    page.fill("#device", "Year 4 laptop 7")
    page.fill("#seen", "A frightening clown video autoplayed after a search for circus pictures.")
    page.check("input[name=request][value=block]")
    page.check("#child_involved")
    page.click("button:has-text('Send to the filtering lead')")
    page.wait_for_selector("text=The filtering lead has your report.")
    title = page.inner_text("h1")
    number = re.search(r"F(\d+)", title).group(1)
    assert "scary-clowns.example" in page.inner_text(".facts")
    teacher.assert_accessible()
    teacher.check_clean()
    context.close()

    it, context = signed_in(browser, live_server, "it.demo")
    page = it.page
    page.click("nav a:has-text('Filtering')")
    page.wait_for_selector("h1:has-text('Filtering reports')")
    row = page.locator(f"tbody tr:has(a:text-is('F{number}'))")
    assert "Waiting" in row.inner_text() and "Child involved" in row.inner_text()
    it.assert_accessible()
    row.locator(f"a:text-is('F{number}')").click()
    page.wait_for_selector("h2:has-text('Record what was done')")
    page.check("input[name=kind][value=blocked]")
    page.fill("#note", "Blocked the domain in Smoothwall and reported the category to the provider.")
    page.click("button:has-text('Record')")
    page.wait_for_selector(".chronology__text:has-text('Blocked in the filter')")
    it.assert_accessible()
    it.screenshot("filtering-report")
    page.click("nav.tabs a:has-text('Yearly review')")
    page.wait_for_selector("h1:has-text('Yearly review')")
    assert "is due by" in page.inner_text("main")  # the demo's review was 340 days ago
    it.assert_accessible()
    it.check_clean()
    context.close()

    dsl, context = signed_in(browser, live_server, "dsl.demo")
    page = dsl.page
    page.click("nav a:has-text('Incident log')")
    page.wait_for_selector("h1:has-text('Online safety incident log')")
    row = page.locator(f"tbody tr:has(a:text-is('F{number}'))")
    text = row.inner_text()
    assert "scary-clowns.example" in text and "Blocked in the filter" in text and "Ms Rachel Okafor" in text
    dsl.assert_accessible()
    dsl.screenshot("incident-log-filtering")
    page.click("nav a:has-text('Filtering')")
    page.click("nav.tabs a:has-text('Monitoring alerts')")
    page.wait_for_selector("h1:has-text('Monitoring alerts')")
    assert page.locator("tbody tr").count() == 3 and "ABT-20460" in page.inner_text("tbody")
    dsl.assert_accessible()
    dsl.screenshot("monitoring-alerts")
    dsl.check_clean()
    context.close()
