"""Browser journeys in Debian's Chromium, driven by Playwright, against the app served locally.

Every request that is not to 127.0.0.1 is blocked: the pages must need nothing from outside.
axe-core (an npm dev dependency) is served to the page from a same-origin route, so the app's
Content-Security-Policy stays on during the checks.
"""

from __future__ import annotations

import json
import os
import threading
from pathlib import Path
from urllib.parse import urlparse

import pytest
from werkzeug.serving import make_server

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
AXE = Path(__file__).resolve().parents[2] / "node_modules" / "axe-core" / "axe.min.js"
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"

pytestmark = pytest.mark.browser


def pytest_collection_modifyitems(items):
    reason = None
    if not Path(CHROMIUM).exists():
        reason = f"Chromium is not installed at {CHROMIUM} (make test installs Debian's chromium as root)"
    elif not AXE.exists():
        reason = "axe-core is not installed (make test runs npm ci)"
    for item in items:
        if "browser" in str(item.fspath) and reason:
            item.add_marker(pytest.mark.skip(reason=reason))


@pytest.fixture(scope="session")
def live_server(app):
    server = make_server("127.0.0.1", 0, app, threaded=False)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(timeout=5)


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path=CHROMIUM,
            args=["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--no-first-run", "--disable-sync"],
        )
        yield browser
        browser.close()


class Page:
    """A tab with the checks every journey wants: no outside requests, no console errors, axe."""

    def __init__(self, page, base: str):
        self.page = page
        self.base = base
        self.console_errors: list[str] = []
        self.blocked: list[str] = []
        page.on("console", self._console)
        page.on("pageerror", lambda e: self.console_errors.append(str(e)))
        page.route("**/*", self._route)

    def _console(self, message):
        # 4xx pages are part of the journeys (a wrong password is a 401); anything else is a fault,
        # including every CSP violation ("Refused to ...").
        if message.type == "error" and "the server responded with a status of 4" not in message.text:
            self.console_errors.append(message.text)

    def _route(self, route):
        url = route.request.url
        if urlparse(url).path == "/__test__/axe.js":
            return route.fulfill(path=str(AXE), content_type="application/javascript")
        if urlparse(url).hostname != "127.0.0.1":
            self.blocked.append(url)
            return route.abort()
        return route.continue_()

    def goto(self, path: str):
        return self.page.goto(self.base + path if path.startswith("/") else path)

    def axe(self) -> list[dict]:
        """Run axe-core (WCAG 2.x A/AA and best practice) on the current page; return violations."""
        self.page.wait_for_load_state("load")  # a tap that posts a form may still be loading the next page
        self.page.add_script_tag(url=self.base + "/__test__/axe.js")
        result = self.page.evaluate(
            "async () => (await axe.run(document, {runOnly: {type: 'tag', values: "
            "['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa', 'best-practice']}})).violations"
        )
        return [{"id": v["id"], "help": v["help"], "nodes": [n["target"] for n in v["nodes"]][:5]} for v in result]

    def assert_accessible(self):
        violations = self.axe()
        assert violations == [], f"{self.page.url}: " + json.dumps(violations, indent=1)

    def screenshot(self, name: str):
        ARTIFACTS.mkdir(exist_ok=True)
        self.page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)

    def check_clean(self):
        # The axe script itself is served same-origin; nothing else may have been asked of the outside.
        assert self.blocked == [], f"requests to outside hosts: {self.blocked}"
        assert self.console_errors == [], f"console errors (CSP violations show here): {self.console_errors}"


@pytest.fixture
def tab(browser, live_server):
    context = browser.new_context(viewport={"width": 1024, "height": 768}, locale="en-GB")
    page = Page(context.new_page(), live_server)
    yield page
    page.check_clean()
    context.close()
