"""Every child, every device, in real Chromium: the pupil bar stays one row and the main action of
every pupil page is on the first screen at 1024x768, 768x1024 and 390x844; every demo class page
shows each child a look nobody else in the class has; speaker buttons read just their item; with
no voice for the language the pre-made audio plays; a lesson carries on with the network gone."""

from __future__ import annotations

import re

import pytest

from pupil_app import audio
from pupil_app.content import load_content
from pupil_app.demo import load_demo
from pupil_app.extensions import db
from pupil_app.schools.models import SchoolClass

from ..conftest import PASSWORD
from ..content_factory import REAL
from .conftest import Page

CONTENT = load_content(REAL)
pytestmark = pytest.mark.browser
SIZES = [(1024, 768), (768, 1024), (390, 844)]

LAYOUT = """() => {
  const vw = window.innerWidth, vh = window.innerHeight;
  const bar = document.querySelector('.pupil-bar');
  const tops = bar ? [...bar.children].map(c => Math.round(c.getBoundingClientRect().top)) : [];
  const primary = [...document.querySelectorAll('[data-primary]')].map(e => {
    const r = e.getBoundingClientRect();
    return {top: r.top, bottom: r.bottom, left: r.left, right: r.right, what: e.textContent.trim().slice(0, 40)};
  });
  return {vw, vh, barHeight: bar ? bar.getBoundingClientRect().height : 0, tops, primary,
          overflow: document.documentElement.scrollWidth - vw};
}"""


def check_layout(tab: Page, name: str, failures: list[str], needs_primary: bool = True) -> None:
    """The bar is one row (every group at the same height), the main action is fully on screen."""
    tab.page.wait_for_load_state("load")  # styles and pictures in place, as the child sees the page
    tab.page.evaluate("window.scrollTo(0, 0)")
    got = tab.page.evaluate(LAYOUT)
    where = f"{name} at {got['vw']}x{got['vh']}"
    if got["tops"] and max(got["tops"]) - min(got["tops"]) > 12:
        failures.append(f"{where}: the pupil bar wraps (group tops {got['tops']})")
    if got["barHeight"] > 100:
        failures.append(f"{where}: the pupil bar is {got['barHeight']:.0f}px tall")
    if got["overflow"] > 0:
        failures.append(f"{where}: {got['overflow']}px of horizontal scrolling")
    if needs_primary and not got["primary"]:
        failures.append(f"{where}: no main action marked")
    for box in got["primary"]:
        if box["top"] < 0 or box["bottom"] > got["vh"] + 0.5 or box["left"] < 0 or box["right"] > got["vw"] + 0.5:
            failures.append(f"{where}: '{box['what']}' is not fully on screen ({box})")


@pytest.fixture
def sized(browser, live_server):
    """A tab at a given viewport size (closed with its checks at the end of the test)."""
    opened = []

    def make(width: int, height: int) -> Page:
        context = browser.new_context(viewport={"width": width, "height": height}, locale="en-GB")
        tab = Page(context.new_page(), live_server)
        opened.append((tab, context))
        return tab

    yield make
    for tab, context in opened:
        tab.check_clean()
        context.close()


def walk_ks1(tab: Page, school_class, failures: list[str]) -> None:
    page = tab.page
    tab.goto(f"/class/{school_class.token}")
    check_layout(tab, "class page", failures)
    page.click("a.name-tile:has-text('Alfie')")
    check_layout(tab, "picture password", failures)
    for pick in ("cat", "sun", "boat"):
        page.click(f'button[value="{pick}"]')
    page.wait_for_url("**/learn/")
    check_layout(tab, "home", failures)
    module = CONTENT.modules["ks1-contact"]
    tab.goto(f"/learn/{module.id}/1")
    check_layout(tab, "lesson screen", failures)
    tab.goto(f"/learn/{module.id}/{len(module.screens)}")
    check_layout(tab, "last lesson screen", failures)
    page.click("button:has-text('Start the quiz')")
    for n, q in enumerate(module.questions, 1):
        page.wait_for_selector(".question__prompt")
        check_layout(tab, f"question {n} ({q.type})", failures)
        wrong = [c.id for c in q.choices if not c.correct]
        page.click(f'button[name="answer"][value="{wrong[0] if n == 1 else q.correct_answer[0]}"]')
    page.wait_for_selector(".result")
    check_layout(tab, "results", failures)
    first = page.locator(".result__nav .big-button").first
    assert "Try again" in first.inner_text()
    tab.goto("/tell")
    page.wait_for_selector(".choices--tell")
    check_layout(tab, "tell an adult", failures)
    tab.goto("/pledge/mine")
    check_layout(tab, "my promises", failures, needs_primary=False)


def walk_ks2(tab: Page, pupil, failures: list[str]) -> None:
    page = tab.page
    tab.goto("/sign-in")
    check_layout(tab, "sign in", failures)
    page.fill("#username", pupil.username)
    page.fill("#password", PASSWORD)
    page.click("button[data-primary]")
    page.wait_for_url("**/pledge/")
    check_layout(tab, "pledge start", failures)
    page.click("a[data-primary]")
    check_layout(tab, "KS2 promise", failures)
    module = next(m for m in CONTENT.modules.values() if m.band == "ks2" and any(q.is_order for q in m.questions))
    order = next(q for q in module.questions if q.is_order)
    assert order and module  # an order question to lay out
    tab.goto("/calm")
    check_layout(tab, "calm page", failures, needs_primary=False)
    tab.goto("/offline")
    check_layout(tab, "offline page", failures)
    tab.assert_accessible()


@pytest.mark.parametrize("width,height", SIZES)
def test_every_pupil_page_keeps_the_bar_on_one_row_and_the_main_action_on_screen(
        sized, make_class, make_pupil, width, height):
    year1 = make_class(1, name="Year 1")
    for first in ("Ada", "Bilal", "Chloe", "Dev", "Erin", "Finn", "Grace", "Hana"):
        make_pupil(year1, first_name=first, password=None)
    make_pupil(year1, first_name="Alfie", password=None, pictures=("cat", "sun", "boat"))
    year4 = make_class(4, name="Year 4")
    priya = make_pupil(year4, first_name="Priya", pledged=False)
    failures: list[str] = []
    walk_ks1(sized(width, height), year1, failures)
    walk_ks2(sized(width, height), priya, failures)
    assert failures == []


def test_order_questions_fit_and_focus_stays_with_the_choices(sized, make_pupil, login_as):
    module = next(m for m in CONTENT.modules.values() if m.band == "ks2" and any(q.is_order for q in m.questions))
    number = next(n for n, q in enumerate(module.questions, 1) if q.is_order)
    question = module.questions[number - 1]
    for width, height in SIZES:
        pupil = make_pupil(year_group=4, first_name="Priya")
        tab = sized(width, height)
        page = tab.page
        tab.goto("/sign-in")
        page.fill("#username", pupil.username)
        page.fill("#password", PASSWORD)
        page.click("button[data-primary]")
        page.wait_for_url("**/learn/")
        tab.goto(f"/learn/{module.id}/{len(module.screens)}")
        page.click("button:has-text('Start the quiz')")
        for q in module.questions[:number - 1]:
            page.wait_for_selector(".question__prompt")
            page.click(f'button[name="answer"][value="{q.correct_answer[0]}"]')
        page.wait_for_selector(".choices--order")
        failures: list[str] = []
        check_layout(tab, "order question", failures)
        page.click(f'button[name="pick"][value="{question.correct_answer[0]}"]')
        page.wait_for_selector(".order-step--placed")
        page.wait_for_load_state("load")
        # After a tap, the next choice has the focus: no tabbing back through the page.
        focused = page.evaluate("document.activeElement.matches('#order button')")
        assert focused, "focus went back to the top of the page"
        check_layout(tab, "order question after a tap", failures)
        for n, step in enumerate(question.correct_answer[1:], 2):
            page.click(f'button[name="pick"][value="{step}"]')
            page.locator(".order-step--placed").nth(n - 1).wait_for()
        page.wait_for_load_state("load")
        check_layout(tab, "order question, all placed", failures)
        tick = page.locator("button[data-primary] img[src*='tick']")
        assert tick.evaluate("img => getComputedStyle(img).filter") == "none"  # the tick is a tick, not a blank disc
        assert failures == []


def test_every_demo_class_page_shows_each_child_a_look_and_name_of_their_own(app, tab):
    with app.app_context():
        load_demo()
        db.session.commit()
        tokens = [c.signin_token for c in db.session.query(SchoolClass).filter(SchoolClass.active.is_(True))]
    assert len(tokens) >= 4
    for token in tokens:
        tab.goto(f"/class/{token}")
        tiles = tab.page.evaluate("""() => [...document.querySelectorAll('.name-grid__item')].map(li => ({
            look: li.className.match(/look--(\\w+)/)[1] + ' ' + li.querySelector('img').src.match(/avatar-(\\w+)/)[1],
            name: li.querySelector('.name-tile__name').innerText.trim(),
            visible: li.querySelector('.name-tile__name').getBoundingClientRect().width > 0}))""")
        if not tiles:
            continue
        looks_ = [t["look"] for t in tiles]
        names = [t["name"] for t in tiles]
        assert len(set(looks_)) == len(looks_), f"two children share a look on {token}: {looks_}"
        assert all(t["visible"] and re.match(r"^\w", t["name"]) for t in tiles)
        assert len(set(names)) == len(names) or len(tiles) > 40, f"two tiles read the same: {names}"
    tab.assert_accessible()
    tab.screenshot("class-page-demo")


def sign_in_with_pictures(tab: Page, school_class, pupil, name: str = "Alfie") -> None:
    """As a Reception or KS1 child does: their name on the class page, then their three pictures."""
    tab.goto(f"/class/{school_class.token}")
    tab.page.click(f"a.name-tile:has-text('{name}')")
    for pick in pupil.pictures:
        tab.page.click(f'button[value="{pick}"]')
    tab.page.wait_for_url("**/learn/")


def wait_until(page, expression: str, tries: int = 300) -> None:
    """Poll a page expression (wait_for_function evaluates strings, which the app's CSP refuses)."""
    for _ in range(tries):
        if page.evaluate(expression):
            return
        page.wait_for_timeout(100)
    state = page.evaluate("navigator.serviceWorker ? navigator.serviceWorker.getRegistrations()"
                          ".then(rs => rs.map(r => [!!r.installing, !!r.waiting, !!r.active])) : null")
    raise AssertionError(f"never true: {expression} (service workers: {state})")


SPY = """
  window.__spoken = [];
  window.speechSynthesis.speak = (u) => { window.__spoken.push({text: u.text, lang: u.lang}); };
"""


def test_speaker_buttons_read_just_their_item(tab, make_class, make_pupil, login_as):
    year1 = make_class(1, name="Year 1")
    make_pupil(year1, first_name="Seren", password=None)
    alfie = make_pupil(year1, first_name="Alfie", password=None, pictures=("cat", "sun", "boat"))
    page = tab.page
    page.add_init_script(SPY)
    tab.goto(f"/class/{year1.token}")
    page.click("li:has-text('Seren') .say-button")
    assert page.evaluate("window.__spoken") == [{"text": "Seren", "lang": "en"}]
    page.click("button.read-names")
    assert page.evaluate("window.__spoken")[-1]["text"] == "Alfie. Seren"
    page.click("a.name-tile:has-text('Alfie')")
    for pick in alfie.pictures:
        page.click(f'button[value="{pick}"]')
    page.wait_for_url("**/learn/")
    module = CONTENT.modules["ks1-content"]
    tab.goto(f"/learn/{module.id}/1")
    page.click(".say-row .say-button")
    assert page.evaluate("window.__spoken")[-1]["text"] == module.screens[0].text
    tab.goto(f"/learn/{module.id}/{len(module.screens)}")
    page.click("button:has-text('Start the quiz')")
    question = module.questions[0]
    choice = question.choices[1]
    page.click(f".choice-wrap:has(button[value='{choice.id}']) .say-button")
    spoken = page.evaluate("window.__spoken")[-1]["text"]
    assert spoken == page.inner_text(f"#choice-{choice.id}").strip() and question.prompt not in spoken
    page.click(".say-row:has(#prompt) .say-button")
    assert page.evaluate("window.__spoken")[-1]["text"] == question.prompt
    for q in module.questions:
        wrong = [c.id for c in q.choices if not c.correct]
        page.click(f'button[name="answer"][value="{wrong[0] if q is question else q.correct_answer[0]}"]')
    page.wait_for_selector(".result")
    page.click(".review__item >> nth=0 >> .say-button")
    said = page.evaluate("window.__spoken")[-1]["text"]
    assert said.startswith("One to learn. " + question.prompt)
    page.click(".review__item >> nth=1 >> .say-button")
    assert page.evaluate("window.__spoken")[-1]["text"].startswith("You got it!")
    tab.assert_accessible()


@pytest.mark.skipif(audio.engine() is None, reason="espeak-ng is not installed (make test installs it as root)")
def test_without_a_voice_for_the_language_the_made_audio_plays(app, tab, make_class, make_pupil, tmp_path,
                                                              monkeypatch):
    monkeypatch.setitem(app.config, "AUDIO_DIR", tmp_path / "audio")
    year1 = make_class(1, name="Year 1")
    alfie = make_pupil(year1, first_name="Alfie", password=None, pictures=("cat", "sun", "boat"))
    page = tab.page
    # The tablet speaks English only: no Welsh voice. Record what speech and audio are asked to do.
    page.add_init_script("""
      window.__spoken = []; window.__played = [];
      window.speechSynthesis.getVoices = () => [{lang: 'en-GB', name: 'English'}];
      window.speechSynthesis.speak = (u) => { window.__spoken.push(u.text); };
      const play = HTMLMediaElement.prototype.play;
      HTMLMediaElement.prototype.play = function () {
        this.addEventListener('playing', () => window.__played.push(decodeURIComponent(this.src)));
        return play.call(this);
      };
    """)
    sign_in_with_pictures(tab, year1, alfie)
    page.click("details.language-menu > summary")
    page.click("button[value='cy']")
    module = CONTENT.modules["ks1-content"]
    tab.goto(f"/learn/{module.id}/1")
    welsh = page.inner_text("#screen-text").strip()
    with app.app_context():
        assert welsh in audio.pupil_strings(app, "cy")  # the command renders exactly what the page reads
        audio.render(app, "cy", only=[welsh])
    page.click(".say-row .say-button")
    wait_until(page, "window.__played.length > 0")
    assert page.evaluate("window.__spoken") == []
    assert page.evaluate("window.__played")[0].endswith("/audio/cy?text=" + welsh)


KEPT_URLS = """async () => {
  const urls = [];
  for (const name of await caches.keys()) {
    for (const request of await (await caches.open(name)).keys()) { urls.push(new URL(request.url).pathname); }
  }
  return urls;
}"""


def test_offline_mid_lesson_the_next_screen_shows_and_personal_pages_do_not(app, browser, live_server, make_class,
                                                                            make_pupil):
    from pupil_app.learning.models import QuizAttempt

    context = browser.new_context(viewport={"width": 1024, "height": 768}, locale="en-GB")
    tab = Page(context.new_page(), live_server)
    page = tab.page
    # Playwright lets requests bypass service workers while it routes them: watch them instead.
    page.unroute("**/*")
    page.on("request", lambda r: None if r.url.startswith(live_server) else tab.blocked.append(r.url))
    year1 = make_class(1, name="Year 1")
    alfie = make_pupil(year1, first_name="Alfie", password=None, pictures=("cat", "sun", "boat"))
    sign_in_with_pictures(tab, year1, alfie)
    module = CONTENT.modules["ks1-content"]
    tab.goto(f"/learn/{module.id}/1")
    wait_until(page, "navigator.serviceWorker.controller !== null")
    last = f"/learn/{module.id}/{len(module.screens)}"
    wait_until(page, "document.documentElement.hasAttribute('data-lesson-kept')")  # the module's screens
    wait_until(page, "caches.match('/pictures/worry-calm.svg').then(r => !!r)")  # the last of the files

    # The Wi-Fi drops mid-lesson.
    context.set_offline(True)
    page.click("a[data-primary]:has-text('Next')")
    page.wait_for_selector("#screen-text")
    assert page.inner_text("#screen-text").strip() == module.screens[1].text
    tab.goto(last)
    assert page.inner_text("#screen-text").strip() == module.screens[-1].text
    # Starting the quiz needs the server: the calm offline page, and nothing is queued to send later.
    page.click("button:has-text('Start the quiz')")
    page.wait_for_selector("h1:has-text('The internet is resting')")
    # A personal page (the child's home, their promises) was never kept: the offline page instead.
    for personal in ("/learn/", "/pledge/mine"):
        tab.goto(personal)
        assert "The internet is resting" in page.inner_text("h1"), personal
    kept = page.evaluate(KEPT_URLS)
    assert f"/learn/{module.id}/2" in kept and "/static/css/app.css" in kept, " ".join(kept)
    assert not {"/learn/", "/pledge/mine", "/tell", "/pledge/"} & set(kept), kept
    context.set_offline(False)
    tab.goto(f"/learn/{module.id}/1")
    with app.app_context():
        assert db.session.query(QuizAttempt).count() == 0  # the offline tap was never sent on
    # "I've finished": nothing unsent, so caches, storage and the worker are gone for the next child.
    page.evaluate("localStorage.setItem('something', 'of this child')")
    page.click("button.finished-button")
    page.wait_for_selector("text=Tap your name")
    wait_until(page, "caches.keys().then(k => k.length === 0)")
    assert page.evaluate("localStorage.length") == 0
    assert page.evaluate("navigator.serviceWorker.getRegistrations().then(r => r.length)") == 0
    tab.check_clean()
    context.close()


def test_finishing_with_a_message_still_unsent_leaves_no_copy_on_the_device(tab, make_class, make_pupil):
    # Since issue 9 the browser's copy of a Tell-an-adult message belongs to its session: it stays
    # while the child's session goes on, and "I've finished" removes it (the server has what the child
    # chose and delivers it to the DSL when the session ends), so the next child never sees it.
    year1 = make_class(1, name="Year 1")
    alfie = make_pupil(year1, first_name="Alfie", password=None, pictures=("cat", "sun", "boat"))
    page = tab.page
    sign_in_with_pictures(tab, year1, alfie)
    page.evaluate("""localStorage.setItem('tell-adult:v1', JSON.stringify({abc: {answers: {feeling: 'sad'},
        session: document.querySelector('header[data-pupil]').getAttribute('data-tell-session'),
        created: Date.now(), updated: Date.now()}}))""")
    tab.goto("/learn/")
    assert "abc" in page.evaluate("localStorage.getItem('tell-adult:v1') || ''")  # same session: kept
    page.click("button.finished-button")
    page.wait_for_selector("text=Tap your name")
    assert page.evaluate("localStorage.getItem('tell-adult:v1')") is None


def test_hiding_the_page_hides_its_title_and_small_targets_are_big_enough(tab, make_class, make_pupil):
    year1 = make_class(1, name="Year 1")
    alfie = make_pupil(year1, first_name="Alfie", password=None, pictures=("cat", "sun", "boat"))
    page = tab.page
    tab.goto("/sign-in")
    staff_link = page.locator("a:has-text('Staff sign in')").bounding_box()
    assert staff_link["height"] >= 44 and staff_link["width"] >= 44
    page.keyboard.press("Tab")
    ring = page.evaluate("getComputedStyle(document.activeElement).outlineColor")
    assert ring == "rgb(29, 36, 51)"  # a dark ring (with a light halo): visible on white and on colour
    sign_in_with_pictures(tab, year1, alfie)
    module = CONTENT.modules["ks1-content"]
    tab.goto(f"/learn/{module.id}/1")
    assert module.title in page.title()
    page.click("[data-hide-page]")
    assert module.title not in page.title() and page.title() == "This page is hidden"
    page.click("[data-calm-show]")
    assert module.title in page.title()
