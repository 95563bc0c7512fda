"""The one check for every redirect or "Go back" link built from a request: same-origin paths only.

Browsers "fix" URLs before following them: they drop tabs and newlines (``/\\t/evil.example``
becomes ``//evil.example``), turn backslashes into slashes (``/\\evil.example``), and decode
nothing of the path before deciding where it points. So a target is followed only when it is a
plain path on this site: it starts with exactly one ``/``, holds no control character, no
backslash, no whitespace, no ``//`` anywhere (nor its percent-encoded forms), and no scheme.
"""

from __future__ import annotations

import re

MAX_LENGTH = 300
# A path, an optional query and nothing a browser might rewrite: printable ASCII without spaces,
# backslashes, quotes or angle brackets.
_ALLOWED = re.compile(r"^/[A-Za-z0-9\-._~!$&'()*+,;=:@/?%]*$")
# Percent-encodings that a browser or a proxy may decode into something that leaves the site:
# slash, backslash, control characters, dot runs are harmless; these are not.
_ENCODED_DANGER = re.compile(r"%(2f|5c|0[0-9a-f]|1[0-9a-f]|7f|09|25)", re.IGNORECASE)


def safe_path(target: str | None, *, refuse_prefixes: tuple[str, ...] = ()) -> str | None:
    """``target`` when it is a path on this site, else None (callers then use their own default).

    ``refuse_prefixes`` names paths that must not be a destination here (for example "Go back"
    from Tell an adult never leads back into a message).
    """
    if not target or not isinstance(target, str) or len(target) > MAX_LENGTH:
        return None
    if not _ALLOWED.match(target):
        return None  # control characters, spaces, backslashes, non-ASCII, or not starting with "/"
    path = target.split("?", 1)[0]
    if "//" in target or _ENCODED_DANGER.search(path):
        return None
    if ":" in path.split("/", 2)[1]:
        return None  # "/javascript:..." is a path, but refuse anything that looks like a scheme
    if any(path == p or path.startswith(p.rstrip("/") + "/") for p in refuse_prefixes):
        return None
    return target


def safe_path_or(target: str | None, default: str, **kwargs) -> str:
    """``safe_path``, falling back to ``default``."""
    return safe_path(target, **kwargs) or default
