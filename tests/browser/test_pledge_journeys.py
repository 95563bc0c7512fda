"""The pledge in real Chromium: first log-on for EYFS/KS1 and KS2, versions, and the parent's QR letter.

axe-core runs on every pledge and parent page along the way; the QR codes on the printed class
pack are decoded from a screenshot with zxing-cpp (a PyPI wheel) and must give each letter's link.
"""

from __future__ import annotations

import io
import re

import pytest
import zxingcpp
from PIL import Image

from pupil_app.content import load_content
from pupil_app.schools.models import Role

from ..content_factory import REAL
from ..helpers import PASSWORD
from .mfa_steps import pass_second_factor

CONTENT = load_content(REAL)
pytestmark = pytest.mark.browser


def sign_in_with_password(tab, username: str, password: str = PASSWORD):
    tab.goto("/sign-in")
    tab.page.fill("#username", username)
    tab.page.fill("#password", password)
    tab.page.click("button:has-text('Sign in')")


def staff_sign_in(tab, username: str):
    tab.goto("/staff/sign-in")
    tab.page.fill("#username", username)
    tab.page.fill("#password", PASSWORD)
    tab.page.press("#password", "Enter")
    pass_second_factor(tab.page)
    tab.page.wait_for_selector("h1:has-text('My classes')")


def make_every_promise(tab, pledge, check=True, name="pledge", back=True):
    """One promise per screen: read it, tap 'I promise'; the dots fill as the child goes."""
    page = tab.page
    for n, statement in enumerate(pledge.statements, 1):
        page.wait_for_selector(".pledge__text")
        assert page.inner_text(".pledge__text").strip() == statement.text
        assert statement.why in page.inner_text(".pledge__why")
        assert page.locator(".dot--filled").count() == n - 1
        if check and n == 1:
            tab.assert_accessible()
            tab.screenshot(f"{name}-promise-1")
        if back and n == 2:
            # A way back: the promise before is already made, and "Next" returns here.
            page.click("a:has-text('Back')")
            assert "You made this promise." in page.inner_text(".pledge")
            tab.assert_accessible()
            page.click("a:has-text('Next')")
            page.wait_for_selector(f".pledge__text:has-text(\"{statement.text[:30]}\")")
        page.click("button:has-text('I promise')")
    page.wait_for_url("**/pledge/sign")


def test_ks1_pupil_is_held_at_the_pledge_makes_every_promise_and_then_reaches_the_modules(
        tab, make_class, make_pupil):
    year1 = make_class(1, name="Year 1")
    make_pupil(year1, first_name="Alfie", password=None, pictures=("cat", "sun", "boat"), pledged=False)
    page = tab.page
    tab.page.add_init_script("""
        window.__spoken = [];
        window.speechSynthesis.speak = (u) => { window.__spoken.push(u.text); };
    """)
    tab.goto(f"/class/{year1.token}")
    page.click("a.name-tile:has-text('Alfie')")
    for pick in ("cat", "sun", "boat"):
        page.click(f'button[value="{pick}"]')
    # First log-on: the pledge, not the modules.
    page.wait_for_url("**/pledge/")
    assert page.inner_text("h1") == "My online promises"
    tab.assert_accessible()
    tab.screenshot("pledge-ks1-start")
    module = CONTENT.modules["ks1-content"]
    tab.goto(f"/learn/{module.id}/1")  # straight to a module by URL: held at the pledge
    assert page.url.endswith("/pledge/")
    tab.goto("/pledge/5")  # skipping ahead by URL: told kindly, nothing recorded
    assert "One promise at a time" in page.inner_text("h1")
    tab.assert_accessible()
    page.click("a:has-text('Go to promise 1')")
    # Read to me reads the promise and why it matters.
    page.click("[data-read-aloud]")
    spoken = page.evaluate("window.__spoken")
    first = CONTENT.pledges["ks1"].statements[0]
    assert first.text in spoken[0] and first.why in spoken[0]
    make_every_promise(tab, CONTENT.pledges["ks1"], name="pledge-ks1")
    assert "Tap the big button" in page.inner_text("h1")
    assert page.locator("input[name=name]").count() == 0
    tab.assert_accessible()
    tab.screenshot("pledge-ks1-sign")
    page.click("button:has-text('I promise!')")
    page.wait_for_url("**/pledge/done")
    assert "Well done, Alfie!" in page.inner_text("h1")
    tab.assert_accessible()
    tab.screenshot("pledge-ks1-done")
    page.click("a:has-text('Start learning')")
    page.wait_for_selector("text=Hello Alfie!")
    page.click(f"a[href='/learn/{module.id}/1']")
    assert module.screens[0].text in page.inner_text(".lesson__text")
    tab.goto("/pledge/mine")
    assert "You made these promises on" in page.inner_text("main")
    tab.assert_accessible()
    tab.screenshot("pledge-ks1-my-promises")


def test_ks2_pupil_types_their_name_to_sign_and_the_module_ends_with_their_promises(tab, make_pupil):
    pupil = make_pupil(year_group=4, first_name="Priya", pledged=False)
    page = tab.page
    sign_in_with_password(tab, pupil.username)
    page.wait_for_url("**/pledge/")
    assert "There are 18 promises" in page.inner_text("main")
    tab.assert_accessible()
    page.click("a:has-text(\"Let's start\")")
    make_every_promise(tab, CONTENT.pledges["ks2"], name="pledge-ks2", back=False)
    assert "Type your first name" in page.inner_text("h1")
    page.fill("#name", "Sam")
    page.click("button:has-text('Sign my promises')")
    assert "not quite your first name" in page.inner_text(".form-error")
    tab.assert_accessible()
    tab.screenshot("pledge-ks2-sign-error")
    page.fill("#name", "Priya")
    page.click("button:has-text('Sign my promises')")
    page.wait_for_url("**/pledge/done")
    tab.assert_accessible()
    page.click("a:has-text('Start learning')")
    page.wait_for_selector("text=Hello Priya!")
    page.click("a:has-text('My promises')")
    page.wait_for_url("**/pledge/mine")
    assert page.locator(".promise-card").count() == 18
    tab.assert_accessible()


def test_major_version_asks_the_pupil_again_and_a_minor_one_does_not(tab, browser, live_server, make_class,
                                                                      make_pupil, make_staff):
    from .conftest import Page

    year4 = make_class(4, name="Year 4")
    pupil = make_pupil(year4, first_name="Priya")  # has signed version 1.0
    admin = make_staff(Role.ADMIN, classes=(year4,))

    def pupil_signs_in_again():
        context = browser.new_context(viewport={"width": 1024, "height": 768})
        child = Page(context.new_page(), live_server)
        sign_in_with_password(child, pupil.username)
        child.page.wait_for_load_state()
        url, heading = child.page.url, child.page.inner_text("h1")
        child.check_clean()
        context.close()
        return url, heading

    page = tab.page
    staff_sign_in(tab, admin.username)
    page.click("nav a:has-text('Pledges')")
    page.click("a:has-text('Pledge versions')")
    tab.assert_accessible()
    # A minor wording fix through the edit screen, previewed first.
    page.click("section:has(#pledge-ks2) a:has-text('Edit the wording')")
    page.fill("#text-ask-first", "I always ask an adult before I go on the internet.")
    page.click("button:has-text('Preview')")
    assert "I always ask an adult before I go on the internet." in page.inner_text(".promise-preview")
    tab.assert_accessible()
    tab.screenshot("pledge-admin-preview")
    page.click("button:has-text('Publish this wording')")
    page.wait_for_selector("text=Version 1.1 is published.")
    url, _heading = pupil_signs_in_again()
    assert url.endswith("/learn/")  # a minor version: not asked again
    # A major version: the app's own wording, and everyone signs again.
    page.check("section:has(#pledge-ks2) input[name=change][value=major]")
    page.fill("#note-ks2", "New school rules")
    page.click("section:has(#pledge-ks2) button:has-text('Publish')")
    # Asked once more, with how many pupils it asks to sign again.
    page.wait_for_selector(".confirm-panel")
    assert "pupils who have signed will be asked to sign again" in page.inner_text(".confirm-panel")
    tab.assert_accessible()
    page.click(".confirm-panel button:has-text('Publish, and ask them to sign again')")
    page.wait_for_selector("text=Version 2.0 is published.")
    assert "New school rules" in page.inner_text("section:has(#pledge-ks2)")
    url, heading = pupil_signs_in_again()
    assert url.endswith("/pledge/") and heading == "My online promises"


def test_parent_opens_the_qr_link_from_the_class_pack_and_acknowledges(tab, browser, live_server, make_school,
                                                                        make_class, make_pupil, make_staff):
    from .conftest import Page

    school = make_school("Hill Primary")
    year4 = make_class(4, school=school, name="Year 4")  # KS2: the longest pledge must still fit one page
    for name in ("Alfie", "Bea", "Cai"):
        make_pupil(year4, first_name=name)
    teacher = make_staff(Role.TEACHER, classes=(year4,))
    page = tab.page
    page.set_viewport_size({"width": 1024, "height": 900})
    staff_sign_in(tab, teacher.username)
    page.click("a:has-text('Year 4')")
    page.click("a:has-text('Pledges and parent letters')")
    assert "Alfie" in page.inner_text("table")
    tab.assert_accessible()
    page.once("dialog", lambda d: d.accept())
    page.click("button:has-text('Parent letters: whole class')")
    page.wait_for_selector(".letter")
    assert page.locator(".letter").count() == 3
    tab.assert_accessible()
    page.emulate_media(media="print")
    tab.screenshot("pledge-class-pack-print")
    pdf = page.pdf(format="A4")
    assert len(re.findall(rb"/Type\s*/Page[^s]", pdf)) == 3  # printed: one A4 page per pupil
    page.emulate_media(media="screen")
    # Every QR code, as rendered, decodes to the link printed beside it, and each pupil's is different.
    links = {}
    for i in range(3):
        letter = page.locator(".letter").nth(i)
        shown = letter.locator(".letter__url a").get_attribute("href")
        png = letter.locator("svg.qr").screenshot()
        decoded = [r.text for r in zxingcpp.read_barcodes(Image.open(io.BytesIO(png)))]
        assert decoded == [shown], (decoded, shown)
        assert re.match(r"http://127\.0\.0\.1:\d+/p/[a-z2-7]{5}(-[a-z2-7]{5}){3}-[a-z2-7]{6}$", shown)
        links[letter.get_attribute("aria-label")] = shown
    assert len(set(links.values())) == 3
    alfie = next(link for label, link in links.items() if "Alfie" in label)

    # The parent, on a phone, with no sign-in.
    context = browser.new_context(viewport={"width": 390, "height": 844}, locale="en-GB")
    parent = Page(context.new_page(), live_server)
    parent.goto(alfie)
    p = parent.page
    assert "Alfie's online promises" in p.inner_text("h1") and "Class: Year 4" in p.inner_text("main")
    parent.assert_accessible()
    parent.screenshot("pledge-parent-page")
    p.click("button:has-text('Send my acknowledgement')")  # nothing ticked: a clear message, nothing recorded
    assert "Tick every statement" in p.inner_text(".form-error")
    parent.assert_accessible()
    for box in p.locator("input[name=ack]").all():
        box.check()
    p.fill("#parent_name", "Jo Smith")
    p.select_option("#relationship", "carer")
    p.click("button:has-text('Send my acknowledgement')")
    p.wait_for_url("**/thanks")
    assert "We have recorded your acknowledgement for Alfie" in p.inner_text("main")
    parent.assert_accessible()
    parent.goto(alfie + "x")  # a mistyped link
    assert "This link no longer works" in p.inner_text("h1")
    parent.assert_accessible()
    parent.check_clean()
    context.close()

    # The teacher sees it beside Alfie's pledge status.
    page.click("a:has-text('Back to the class')")
    row = page.locator("tr:has-text('Alfie')")
    assert "Acknowledged" in row.inner_text() and "Jo Smith (Carer)" in row.inner_text()
