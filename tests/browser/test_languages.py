"""Every pupil page in all six languages in real Chromium: axe finds nothing; Urdu and Arabic pages are
right to left (dir, mirrored arrows, progress filling from the right) with no horizontal overflow on a
landscape tablet, a portrait tablet and a phone. Screenshots go to test-artifacts/."""

from __future__ import annotations

import pytest

from pupil_app.content import load_content
from pupil_app.extensions import db
from pupil_app.languages import service as language_service

from ..content_factory import REAL
from .mfa_steps import pass_second_factor

CONTENT = load_content(REAL)
pytestmark = pytest.mark.browser
LANGUAGES = ("en", "cy", "pl", "ro", "ur", "ar")
VIEWPORTS = ((1024, 768), (768, 1024), (390, 844))


@pytest.fixture
def year1(app, make_class, make_pupil):
    """A Year 1 class whose school offers all six languages, with one pupil who has not pledged yet."""
    school_class = make_class(1)
    with app.app_context():
        language_service.set_offered(school_class.school_id, set(LANGUAGES))
        db.session.commit()
    pupil = make_pupil(school_class, first_name="Zara", password=None, pictures=("cat", "sun", "boat"),
                       pledged=False)
    return school_class, pupil


def choose_language(tab, lang):
    page = tab.page
    menu = page.locator("details.language-menu")
    if menu.count():
        page.click("details.language-menu > summary")
    page.click(f'button[name="lang"][value="{lang}"]')
    page.wait_for_selector(f'html[lang="{lang}"]')


def check(tab, lang, name):
    tab.assert_accessible()
    direction = tab.page.evaluate("document.documentElement.dir")
    assert direction == ("rtl" if lang in ("ur", "ar") else "ltr"), name
    if lang in ("ur", "ar", "pl"):
        tab.screenshot(f"lang-{lang}-{name}")


def sign_in_with_pictures(tab, school_class, pupil):
    page = tab.page
    tab.goto(f"/class/{school_class.token}/{pupil.id}")
    for pick in pupil.pictures:
        page.click(f'button[value="{pick}"]')


@pytest.mark.parametrize("lang", LANGUAGES)
def test_every_pupil_page_passes_axe_in_each_language(tab, year1, lang):
    school_class, pupil = year1
    page = tab.page
    tab.goto("/sign-in")
    choose_language(tab, lang)
    check(tab, lang, "sign-in")
    tab.goto(f"/class/{school_class.token}")
    check(tab, lang, "class-page")
    tab.goto(f"/class/{school_class.token}/{pupil.id}")
    check(tab, lang, "picture-sign-in")
    sign_in_with_pictures(tab, school_class, pupil)
    page.wait_for_url("**/pledge/")
    check(tab, lang, "pledge-start")
    page.click("a.big-button--go[href='/pledge/1']")
    check(tab, lang, "promise")
    for _ in range(30):  # one tap per promise, until the sign page
        if "/pledge/sign" in page.url:
            break
        page.click("button.big-button--promise")
        page.wait_for_load_state()
    check(tab, lang, "pledge-sign")
    page.click("form button.big-button--huge")
    page.wait_for_url("**/pledge/done")
    check(tab, lang, "pledge-done")
    tab.goto("/learn/")
    check(tab, lang, "home")
    module = CONTENT.modules["ks1-contact"]
    tab.goto(f"/learn/{module.id}/1")
    check(tab, lang, "lesson")
    tab.goto(f"/learn/{module.id}/{len(module.screens)}")
    page.click("form button.big-button--go")
    page.wait_for_selector(".question__prompt")
    check(tab, lang, "question")
    for q in module.questions:
        page.wait_for_selector(".question__prompt")
        if q.is_order:
            for step in q.correct_answer:
                page.click(f'button[name="pick"][value="{step}"]')
            page.click("form button.big-button--go")
        else:
            page.click(f'button[name="answer"][value="{q.correct_answer[0]}"]')
    page.wait_for_selector(".result")
    check(tab, lang, "result")
    tab.goto("/pledge/mine")
    check(tab, lang, "my-promises")
    tab.goto("/tell")
    page.wait_for_selector("main form")  # the page's own form, not the language menu's
    check(tab, lang, "tell-an-adult")
    tab.goto("/calm")
    check(tab, lang, "calm")


RTL_PAGES = ("/learn/", "/learn/ks1-contact/2", "/pledge/mine", "/tell", "/calm")


@pytest.mark.parametrize("lang", ("ur", "ar"))
def test_right_to_left_pages_mirror_and_never_scroll_sideways(tab, year1, make_pupil, lang):
    school_class, _ = year1
    pupil = make_pupil(school_class, first_name="Omar", password=None, pictures=("dog", "star", "apple"))
    page = tab.page
    tab.goto("/sign-in")
    choose_language(tab, lang)
    sign_in_with_pictures(tab, school_class, pupil)
    page.wait_for_url("**/learn/")
    for width, height in VIEWPORTS:
        page.set_viewport_size({"width": width, "height": height})
        for path in RTL_PAGES:
            tab.goto(path)
            page.wait_for_load_state()
            layout = page.evaluate("""() => ({
                dir: document.documentElement.dir,
                overflow: document.documentElement.scrollWidth - document.documentElement.clientWidth,
                wide: [...document.querySelectorAll('body *')].filter(e => {
                    const r = e.getBoundingClientRect();
                    return r.width && (r.right > innerWidth + 1 || r.left < -1) && e.checkVisibility()
                        && !e.closest('.skip-link, .visually-hidden');
                }).map(e => {
                    const r = e.getBoundingClientRect();
                    return `${e.className || e.tagName} ${Math.round(r.left)}..${Math.round(r.right)}`;
                }).slice(0, 5),
            })""")
            assert layout["dir"] == "rtl", path
            assert layout["overflow"] <= 0, f"{path} at {width}x{height} scrolls sideways: {layout}"
            assert layout["wide"] == [], f"{path} at {width}x{height}: {layout['wide']} stick out"
            tab.screenshot(f"rtl-{lang}-{path.strip('/').replace('/', '-') or 'home'}-{width}x{height}")
    # On a lesson page the arrows point the way the page reads, and progress fills from the right.
    page.set_viewport_size({"width": 1024, "height": 768})
    tab.goto("/learn/ks1-contact/2")
    arrows = page.evaluate("""() => [...document.querySelectorAll('img[src*="/icons/next."], img[src*="/icons/back."]')]
        .filter(i => i.checkVisibility()).map(i => getComputedStyle(i).transform)""")
    assert arrows and all(t.startswith("matrix(-1") for t in arrows), arrows
    dots = page.evaluate("""() => [...document.querySelectorAll('.dots .dot')].map(d => ({
        x: d.getBoundingClientRect().x, filled: d.classList.contains('dot--filled')}))""")
    assert dots[0]["filled"] and dots[0]["x"] > dots[-1]["x"]  # the first page's dot is the rightmost
    # The Next button sits on the left (the end of a right-to-left line), Back on the right.
    back = page.locator(".lesson__nav a").first.bounding_box()
    forward = page.locator(".lesson__nav a.big-button--go").bounding_box()
    assert forward["x"] < back["x"]
    # Nastaliq/Naskh come from the app itself.
    family = page.evaluate("getComputedStyle(document.querySelector('.lesson__text')).fontFamily")
    assert ("Nastaliq" if lang == "ur" else "Naskh") in family
    face = "Noto Nastaliq Urdu" if lang == "ur" else "Noto Naskh Arabic"
    assert page.evaluate(f"document.fonts.check('16px \"{face}\"')")


def test_admin_languages_page_passes_axe_and_changes_what_pupils_see(tab, make_school, make_staff, make_class,
                                                                     make_pupil):
    from pupil_app.schools.models import Role

    from ..conftest import PASSWORD

    school = make_school()
    admin = make_staff(Role.ADMIN, school=school)
    page = tab.page
    tab.goto("/staff/sign-in")
    page.fill("#username", admin.username)
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    pass_second_factor(page)  # an admin sets up a second factor at their first sign-in (issue 12)
    tab.goto(f"/staff/admin/schools/{school.id}/languages/")
    tab.assert_accessible()
    page.check("#offered-ar")
    page.uncheck("#offered-cy")
    page.click("form button.button--primary")
    page.wait_for_selector("text=Pupils now see: English, Arabic.")
    page.click("tr[data-language='ar'] button")
    page.wait_for_selector("tr[data-language='ar'] >> text=reviewed by")
    tab.assert_accessible()
    tab.screenshot("admin-languages")
    pupil = make_pupil(make_class(4, school=school), first_name="Noor")
    child = tab.page.context.browser.new_context(viewport={"width": 1024, "height": 768})
    try:
        p = child.new_page()
        p.goto(tab.base + "/sign-in")
        p.fill("#username", pupil.username)
        p.fill("#password", PASSWORD)
        p.click("form.stack button[type=submit], main form button[type=submit]")
        p.wait_for_url("**/learn/")
        assert p.locator('button[name="lang"]').evaluate_all("bs => bs.map(b => b.value)") == ["en", "ar"]
    finally:
        child.close()
