"""Safeguarding records in Chromium: a screenshot pasted onto a concern, its thumbnail, its download."""

from __future__ import annotations

import base64
import io

import pytest
from PIL import Image

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


def test_dsl_pastes_a_screenshot_onto_a_concern_sees_its_thumbnail_and_downloads_it(tab, demo):
    page = tab.page
    tab.goto("/staff/sign-in")
    page.fill("#username", "dsl.demo")
    page.fill("#password", DEMO_PASSWORD)
    page.press("#password", "Enter")
    pass_second_factor(page)
    page.wait_for_selector("h1:has-text('Safeguarding today')")
    page.click("nav a:has-text('Concerns')")
    page.locator("table.inbox tbody tr a").first.click()
    page.wait_for_selector("h2:has-text('Files and screenshots')")
    page.wait_for_load_state("load")  # attach.js runs after the heading is parsed: paste only once it listens
    before = page.locator(".attachment").count()

    picture = io.BytesIO()
    Image.new("RGB", (800, 600), (30, 120, 200)).save(picture, "PNG")
    # What Ctrl+V does with a screenshot on the clipboard: a paste event carrying an image file.
    page.evaluate("""(b64) => {
        const bytes = Uint8Array.from(atob(b64), c => c.charCodeAt(0));
        const dt = new DataTransfer();
        dt.items.add(new File([bytes], "image.png", {type: "image/png"}));
        document.dispatchEvent(new ClipboardEvent("paste", {clipboardData: dt, bubbles: true}));
    }""", base64.b64encode(picture.getvalue()).decode())
    assert "Pasted screenshot ready" in page.inner_text("[data-attach-chosen]")
    tab.assert_accessible()
    page.click("button:has-text('Attach')")
    page.wait_for_url("**#attachments")
    assert page.locator(".attachment").count() == before + 1
    thumb = page.locator(".attachment__thumb").last
    thumb.wait_for()
    assert page.evaluate("(img) => img.complete && img.naturalWidth", thumb.element_handle()) == 320
    tab.screenshot("concern-attachments")
    with page.expect_download() as download_info:
        page.locator(".attachment a").last.click()
    download = download_info.value
    assert download.suggested_filename.startswith("screenshot-") and download.suggested_filename.endswith(".png")
    assert open(download.path(), "rb").read() == picture.getvalue()

    # A review date for today, owned by this DSL: it shows on their home and in the staff bar.
    page.select_option("#t-kind", "review")
    page.fill("#t-text", "Check the account is still blocked")
    page.fill("#t-due", page.evaluate("() => { const d = new Date(); d.setMinutes(d.getMinutes() - "
                                      "d.getTimezoneOffset()); return d.toISOString().slice(0, 10); }"))
    page.click("button:has-text('Add task')")
    page.wait_for_url("**#tasks")
    assert "Check the account is still blocked" in page.inner_text("#tasks")
    page.click("nav a:has-text('Safeguarding')")
    page.wait_for_selector("h1:has-text('Safeguarding today')")
    assert "1 today" in page.inner_text(".count-badge")
    assert "Check the account is still blocked" in page.inner_text("#my-tasks + table")
    tab.assert_accessible()
    tab.screenshot("dsl-home")

    # The child's whole record, then the version for an outside agency.
    page.locator("#my-tasks + table tbody a").first.click()
    page.click("a:has-text('Whole record of')")
    page.wait_for_selector("h1:has-text('Record of')")
    assert "Check the account is still blocked" in page.inner_text("table.timeline")
    tab.assert_accessible()
    tab.screenshot("child-record")
    page.click("button:has-text('Make the redacted version')")
    page.wait_for_selector("text=redacted for an outside agency")
    tab.assert_accessible()


def dsl_signs_in(browser, live_server, username):
    context = browser.new_context(viewport={"width": 1024, "height": 768}, locale="en-GB")
    tab = Page(context.new_page(), live_server)
    tab.goto("/staff/sign-in")
    tab.page.fill("#username", username)
    tab.page.fill("#password", DEMO_PASSWORD)
    tab.page.press("#password", "Enter")
    pass_second_factor(tab.page)
    tab.page.wait_for_selector("h1:has-text('Safeguarding today')")
    return context, tab


def test_a_file_sent_from_demo_primary_is_accepted_at_hillside(browser, live_server, demo):
    sender_context, sender = dsl_signs_in(browser, live_server, "dsl.demo")
    sender.page.click("a:has-text('File transfers')")
    sender.page.wait_for_selector("h1:has-text('Child protection file transfers')")
    sender.page.select_option("#tr-pupil", index=1)
    child = sender.page.locator("#tr-pupil option").nth(1).inner_text()
    sender.page.select_option("#tr-school", label="Hillside Primary")
    sender.assert_accessible()
    sender.page.click("button:has-text('Send the file')")
    sender.page.wait_for_selector("h2:has-text('Sent') + table")
    last, first = child.split(", ")
    assert f"{first} {last}" in sender.page.inner_text("h2:has-text('Sent') + table")

    receiver_context, receiver = dsl_signs_in(browser, live_server, "dsl.hillside")
    receiver.page.click("a:has-text('File transfers')")
    receiver.page.click("a:has-text('Open the file')")
    receiver.page.wait_for_selector(f"h1:has-text('Child protection file: {first} {last}')")
    receiver.assert_accessible()
    receiver.screenshot("transfer-received")
    receiver.page.click("button:has-text('Accept the file')")
    receiver.page.wait_for_selector("h1:has-text('Child protection file transfers')")
    assert "Accepted (received)" in receiver.page.inner_text("h2:has-text('Received') + table")

    sender.page.reload()
    assert "Accepted (received)" in sender.page.inner_text("h2:has-text('Sent') + table")
    for tab, context in ((sender, sender_context), (receiver, receiver_context)):
        tab.check_clean()
        context.close()
