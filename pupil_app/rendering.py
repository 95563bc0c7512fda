"""Pages that are the same for every pupil but for the CSRF token are rendered once per process.

A lesson screen depends only on the module, the screen, the language and the app's URL root;
its forms carry the session's CSRF token. The HTML is rendered once with a marker in place of the
token and the marker is swapped for this session's token on every request. Anything personal (a
flashed message) bypasses the cache.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Hashable
from threading import Lock

from flask import current_app, render_template, request, session
from flask_babel import get_locale
from flask_wtf.csrf import generate_csrf

MARKER = "\x00csrf-token\x00"
MAX_PAGES = 2048


class _PageCache:
    def __init__(self, size: int):
        self.size = size
        self.pages: OrderedDict[Hashable, str] = OrderedDict()
        self.lock = Lock()

    def get(self, key: Hashable) -> str | None:
        with self.lock:
            page = self.pages.get(key)
            if page is not None:
                self.pages.move_to_end(key)
            return page

    def put(self, key: Hashable, page: str) -> None:
        with self.lock:
            self.pages[key] = page
            while len(self.pages) > self.size:
                self.pages.popitem(last=False)


def render_shared(key: Hashable, template: str, **context) -> str:
    """``render_template`` for a page that is identical for every viewer apart from the CSRF token."""
    if session.get("_flashes"):
        return render_template(template, **context)
    cache: _PageCache = current_app.extensions.setdefault("page_cache", _PageCache(MAX_PAGES))
    full_key = (template, key, str(get_locale()), request.script_root)
    page = cache.get(full_key)
    if page is None:
        page = render_template(template, csrf_token=lambda: MARKER, **context)
        cache.put(full_key, page)
    return page.replace(MARKER, generate_csrf())
