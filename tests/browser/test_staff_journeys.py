"""Staff journeys in Chromium on the demo school: a teacher's coverage grid, an admin's CSV import,
sign-in cards and year-end rollover; axe-core on every staff page of coverage and administration."""

from __future__ import annotations

import csv
import io
import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from pupil_app.coverage import classes
from pupil_app.demo import DEMO_PASSWORD, load_demo
from pupil_app.extensions import db
from pupil_app.schools.models import SchoolClass
from pupil_app.timeutil import local_today

from .mfa_steps import pass_second_factor

pytestmark = pytest.mark.browser

NEW_CLASS_CSV = (
    "UPN,Legal Forename,Legal Surname,NC Year,Reg Group,First Language\r\n"
    "K801200300401,Poppy,Ashworth,Year 2,Kestrels,English\r\n"
    "K801200300402,Dawid,Nowak,Year 2,Kestrels,Tigrinya\r\n"
    "K801200300403,Ffion,Rees,Year 2,Kestrels,Welsh\r\n"
)


@pytest.fixture
def demo(app):
    with app.app_context():
        load_demo()
        db.session.commit()


def staff_sign_in(tab, username: str):
    page = tab.page
    tab.goto("/staff/sign-in")
    page.fill("#username", username)
    page.fill("#password", DEMO_PASSWORD)
    page.click("button:has-text('Sign in')")
    pass_second_factor(page)
    page.wait_for_selector("h1:has-text('My classes')")


def test_teacher_sees_year_1_grid_finds_the_most_missed_question_and_exports_csv(tab, app, demo):
    page = tab.page
    staff_sign_in(tab, "teacher.demo")
    page.click("a:has-text('Year 1') >> nth=0")
    page.wait_for_selector("h1:has-text('Year 1')")
    tab.assert_accessible()
    page.click("nav.tabs a:has-text('Coverage grid')")
    page.wait_for_selector("h1:has-text('Coverage grid: Year 1')")
    # The demo class has real work: passed, started and untouched modules, each with its symbol.
    assert page.locator("td.cell--passed").count() > 10
    assert page.locator("td.cell--started").count() > 0 and page.locator("td.cell--not-started").count() > 0
    assert page.locator("tbody th a:has-text('Alfie Demo')").count() == 1
    assert page.locator("td.cell--passed .cell__symbol").first.inner_text() == "✓"
    assert "best quiz score at least 60%" in page.inner_text(".legend")
    tab.assert_accessible()
    tab.screenshot("coverage-grid")

    with page.expect_download() as download_info:
        page.click("a:has-text('Download the grid (CSV)')")
    download = download_info.value
    assert download.suggested_filename.startswith("Year-1-coverage-") and download.suggested_filename.endswith(".csv")
    rows = list(csv.reader(io.StringIO(open(download.path(), encoding="utf-8-sig").read())))
    assert rows[0][:3] == ["First name", "Last name", "Username"]
    assert len(rows) == 1 + page.locator("table.grid tbody tr").count()
    assert any(r[:2] == ["Alfie", "Demo"] for r in rows)

    page.click("nav.tabs a:has-text('Outcomes and questions')")
    page.wait_for_selector("h2:has-text('Difficult questions')")
    tab.assert_accessible()
    tab.screenshot("coverage-questions")
    with app.app_context():
        year1 = db.session.scalar(select(SchoolClass).where(SchoolClass.name == "Year 1"))
        module, ranked = classes.class_questions(year1).difficult[0]
        top = ranked[0]
        wrong = top.answer_text(top.top_wrong[0])[0]
    first_row = page.locator("table.difficult").first.locator("tbody tr").first
    assert top.question.prompt in first_row.inner_text()
    assert f"“{wrong}”" in first_row.inner_text()

    page.click("nav.tabs a:has-text('Coverage grid')")
    page.click("table.grid tbody th a >> nth=3")
    page.wait_for_selector("h2:has-text('Scores over time')")
    tab.assert_accessible()


def test_admin_imports_a_new_class_prints_its_cards_and_a_pupil_signs_in_with_the_badge(tab, demo):
    page = tab.page
    staff_sign_in(tab, "admin.demo")
    page.click("header nav a:has-text('Admin')")
    page.wait_for_selector("h1:has-text('Demo Primary')")
    tab.assert_accessible()
    page.click("nav.tabs a:has-text('Import pupils (CSV)')")
    tab.assert_accessible()
    page.set_input_files("#file", files=[{"name": "kestrels.csv", "mimeType": "text/csv",
                                          "buffer": NEW_CLASS_CSV.encode("utf-8")}])
    page.click("button:has-text('Check the file')")
    page.wait_for_selector("h1:has-text('Import preview')")
    assert "3 new pupils" in page.inner_text(".summary") and "Kestrels (Year 2)" in page.inner_text(".summary")
    assert "not offered yet" in page.inner_text("table.import-rows")
    tab.assert_accessible()
    tab.screenshot("import-preview")
    page.click("button:has-text('Import: 3 new, 0 updated')")
    page.wait_for_selector("h1:has-text('Import done')")
    tab.assert_accessible()
    page.click("button:has-text('Print sign-in cards for Kestrels')")
    page.wait_for_selector("h1:has-text('Sign-in cards for Kestrels')")
    assert page.locator(".signin-card").count() == 3
    tab.assert_accessible()
    tab.screenshot("import-cards")
    card = page.locator(".signin-card:has-text('Poppy Ashworth')")
    assert card.locator(".signin-card__pictures img").count() == 3  # Year 2: a picture password
    badge = card.locator(".signin-card__link a").get_attribute("href")
    page.click("button:has-text('Sign out')")
    page.wait_for_selector("h1:has-text('Staff sign in')")
    tab.goto(badge)
    assert "Are you Poppy?" in page.inner_text("h1")
    page.click("button:has-text(\"Yes, that's me\")")
    # A new pupil's first log-on: the pledge comes before anything else.
    page.wait_for_selector("a:has-text(\"Let's start\")")
    assert page.url.endswith("/pledge/")


def test_rollover_previews_moves_year_4_to_year_5_and_undoes(tab, app, demo):
    with app.app_context():  # the rollover window is open today
        today = local_today()
    before = app.config["ROLLOVER_WINDOW"]
    app.config["ROLLOVER_WINDOW"] = ((today - timedelta(days=1)).strftime("%m-%d"),
                                     (today + timedelta(days=1)).strftime("%m-%d"))
    try:
        page = tab.page
        staff_sign_in(tab, "admin.demo")
        page.click("header nav a:has-text('Admin')")
        page.click("nav.tabs a:has-text('Year-end rollover')")
        page.wait_for_selector("h1:has-text('Year-end rollover')")
        row = page.locator("tbody tr:has(th:has-text('Year 4'))")
        assert row.locator("input[name^='name-']").input_value() == "Year 5"
        tab.assert_accessible()
        # A wrong year typed: nothing happens, and the page says why.
        page.fill("#typed", "yes")
        page.click("button:has-text('Move ')")
        page.wait_for_selector(".field__error")
        assert "exactly to confirm" in page.inner_text(".field__error")
        tab.assert_accessible()
        year = re.search(r"rollover for (\d{4}/\d{2})", page.inner_text("h1")).group(1)
        page.fill("#typed", year)
        page.click("button:has-text('Move ')")
        page.wait_for_selector("text=Every class has moved up a year group")
        tab.assert_accessible()
        page.click("button:has-text('Undo the rollover')")
        page.wait_for_selector("text=The rollover is undone")
        with app.app_context():
            assert db.session.scalar(select(SchoolClass.year_group).where(SchoolClass.name == "Year 4")) == 4
    finally:
        app.config["ROLLOVER_WINDOW"] = before


def test_every_coverage_and_admin_page_passes_axe(tab, app, demo):
    """The trust admin reaches every page of coverage and administration."""
    page = tab.page
    staff_sign_in(tab, "trust.demo")
    with app.app_context():
        year4 = db.session.scalar(select(SchoolClass).where(SchoolClass.name == "Year 4"))
        school_id, class_id = year4.school_id, year4.id
        pupil_id = next(p.id for p in year4.pupils if p.active)
    paths = [
        f"/staff/coverage/schools/{school_id}", f"/staff/coverage/schools/{school_id}/report",
        "/staff/coverage/trust", f"/staff/coverage/classes/{class_id}", f"/staff/coverage/pupils/{pupil_id}",
        "/staff/admin/schools", f"/staff/admin/schools/{school_id}", f"/staff/admin/schools/{school_id}/classes/new",
        f"/staff/admin/classes/{class_id}", f"/staff/admin/schools/{school_id}/staff",
        f"/staff/admin/schools/{school_id}/staff/new", f"/staff/admin/schools/{school_id}/pupils",
        f"/staff/admin/schools/{school_id}/pupils/new", f"/staff/admin/pupils/{pupil_id}",
    ]
    for path in paths:
        response = tab.goto(path)
        assert response.status == 200, path
        tab.assert_accessible()
    tab.goto(f"/staff/coverage/schools/{school_id}")
    tab.screenshot("school-overview")
    assert page.locator("svg.heatmap").count() == 1
    tab.goto("/staff/coverage/trust")
    assert "Hillside Primary" in page.inner_text("main")
    tab.screenshot("trust-overview")
    # A bad form says what is wrong, next to the field, accessibly.
    tab.goto(f"/staff/admin/schools/{school_id}/pupils/new")
    page.fill("#first_name", "=cmd")
    page.fill("#last_name", "Jones")
    page.click("button:has-text('Add and print their card')")
    page.wait_for_selector(".field__error")
    assert "spreadsheet formula" in page.inner_text(".field__error")
    tab.assert_accessible()
    # A new colleague: the one-time link opens the set-password page.
    tab.goto(f"/staff/admin/schools/{school_id}/staff/new")
    page.fill("#username", "new.colleague")
    page.fill("#display_name", "Mr Owen Jenkins")
    page.check("input[name='roles'][value='teacher']")
    page.click("button:has-text('Add and make their set-password link')")
    link = page.inner_text(".secret code")
    tab.assert_accessible()
    page.click("button:has-text('Sign out')")
    tab.goto(link)
    page.wait_for_selector("h1:has-text('Choose your password')")
    tab.assert_accessible()
    page.fill("#password", "a kettle on the hill")
    page.fill("#confirm", "a kettle on the hill")
    page.click("button:has-text('Set my password')")
    page.wait_for_selector("text=Your password is set")
    page.fill("#username", "new.colleague")
    page.fill("#password", "a kettle on the hill")
    page.click("button:has-text('Sign in')")
    page.wait_for_selector("h1:has-text('My classes')")
