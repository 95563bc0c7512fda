"""Where a ``next=`` (or similar) may send a browser: a path on this site, nothing else.

Browsers drop tabs and new lines in URLs and treat ``\\`` as ``/``, so ``/\\t/evil.example`` would
become ``//evil.example``: any control character, a backslash, or a scheme-relative start refuses.
"""

from __future__ import annotations

import re

_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def safe_path(target: str | None, default: str | None = None, max_length: int = 2000) -> str | None:
    """``target`` when it is a local path (``/...``), else ``default``."""
    if not target or len(target) > max_length or _CONTROL.search(target) or "\\" in target:
        return default
    if not target.startswith("/") or target.startswith("//"):
        return default
    return target
