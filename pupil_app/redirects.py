"""The one check for where the app may send a browser next (``next=``, ``from=``, "Go back").

Only a plain path on this site is followed. Browsers "fix" URLs before following them: they drop
tabs and newlines (``/\\t/evil.example`` becomes ``//evil.example``), read a backslash as a slash
(``/\\evil.example``), and some proxies decode ``%2f`` and ``%5c``. So a target is followed only
when it starts with exactly one ``/`` and is printable ASCII with no space, backslash, ``//``
anywhere, percent-encoded slash, backslash or control character, and nothing that looks like a
scheme; otherwise the caller's default is used. tests/test_security_redirects.py holds the list of
known bypasses it refuses.
"""

from __future__ import annotations

import re

MAX_LENGTH = 500
# A path and an optional query, made only of characters no browser rewrites.
_ALLOWED = re.compile(r"^/[A-Za-z0-9\-._~!$&'()*+,;=:@/?%]*$")
# Percent-encodings a browser or a proxy may decode into something that leaves the site.
_ENCODED_DANGER = re.compile(r"%(2f|5c|0[0-9a-f]|1[0-9a-f]|7f|25)", re.IGNORECASE)


def safe_path(target: object, default: str | None = None, *, refuse: tuple[str, ...] = ()) -> str | None:
    """``target`` if it is a plain path on this site (and starts with none of ``refuse``), else ``default``."""
    if not isinstance(target, str) or not target or len(target) > MAX_LENGTH:
        return default
    if not _ALLOWED.match(target):
        return default  # control characters, spaces, backslashes, non-ASCII, or no leading "/"
    path = target.split("?", 1)[0]
    if "//" in target or _ENCODED_DANGER.search(path) or ":" in path.split("/", 2)[1]:
        return default  # another host, an encoded one, or "/javascript:..."
    if refuse and target.startswith(refuse):
        return default
    return target
