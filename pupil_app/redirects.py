"""The one check for where the app may send a browser next (``next=``, ``from=``, "Go back").

Only a path on this site is followed. Browsers drop tabs and newlines inside a URL and read a
backslash as a slash, so ``/\\t/evil.example`` or ``/\\evil.example`` would become ``//evil.example``
(another site): anything with a control character, a backslash, a scheme, a host or a leading
``//`` is refused, and the caller's default is used instead.
"""

from __future__ import annotations

import unicodedata
from urllib.parse import urlsplit

MAX_LENGTH = 500


def safe_path(target: object, default: str | None = None, *, refuse: tuple[str, ...] = ()) -> str | None:
    """``target`` if it is a plain path on this site (and starts with none of ``refuse``), else ``default``."""
    if not isinstance(target, str) or not target or len(target) > MAX_LENGTH:
        return default
    if "\\" in target or any(unicodedata.category(ch) in ("Cc", "Cf", "Zl", "Zp") for ch in target):
        return default
    if not target.startswith("/") or target.startswith("//"):
        return default
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return default
    if refuse and target.startswith(refuse):
        return default
    return target
