"""Collecting content faults: each names its file; pictures and TOML files read once."""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from .rules import ID_RE, MAX_PICTURE_BYTES, MAX_TEXT, PICTURE_RE


class _Checker:
    """Collects problems as ``file: message`` so one run reports all of them."""

    def __init__(self) -> None:
        self.problems: list[str] = []

    def fail(self, where: str, message: str) -> None:
        self.problems.append(f"{where}: {message}")

    def text(self, where: str, data: Mapping[str, Any], key: str, limit_key: str | None = None,
             limits: Mapping[str, int] = MAX_TEXT) -> str:
        value = data.get(key)
        if not isinstance(value, str) or not value.strip():
            self.fail(where, f"'{key}' must be non-empty text")
            return ""
        limit = limits.get(limit_key or key)
        if limit and len(value) > limit:
            self.fail(where, f"'{key}' is {len(value)} characters; the limit is {limit}")
        if "<" in value or ">" in value:
            self.fail(where, f"'{key}' contains '<' or '>': content is plain text, not HTML")
        return value.strip()

    def ident(self, where: str, data: Mapping[str, Any], key: str = "id") -> str:
        value = data.get(key)
        if not isinstance(value, str) or not ID_RE.match(value):
            self.fail(where, f"'{key}' must be lower-case letters, digits, '.' or '-' (got {value!r})")
            return str(value)
        return value

    def picture(self, where: str, name: Any, pictures: frozenset[str]) -> str:
        if not isinstance(name, str) or not PICTURE_RE.match(name):
            self.fail(where, f"picture must be a file name like 'name.svg' (got {name!r})")
            return str(name)
        if name not in pictures:
            self.fail(where, f"picture '{name}' is missing from content/pictures/")
        return name


def _read_toml(path: Path, root: Path, check: _Checker) -> dict[str, Any] | None:
    rel = str(path.relative_to(root))
    try:
        with path.open("rb") as fh:
            return tomllib.load(fh)
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        check.fail(rel, f"is not valid TOML: {exc}")
    except OSError as exc:
        check.fail(rel, f"cannot be read: {exc}")
    return None


def _load_pictures(root: Path, check: _Checker) -> frozenset[str]:
    names = set()
    pic_dir = root / "pictures"
    for path in sorted(pic_dir.glob("*.svg")):
        rel = f"pictures/{path.name}"
        data = path.read_bytes()
        if len(data) > MAX_PICTURE_BYTES:
            check.fail(rel, f"is {len(data)} bytes; pictures must be under {MAX_PICTURE_BYTES}")
        head = data[:2000].decode("utf-8", "replace").lower()
        body = data.decode("utf-8", "replace").lower()
        if "<svg" not in head:
            check.fail(rel, "is not an SVG file")
        for bad in ("<script", "href=\"http", "href='http", "url(http", "@import", "<foreignobject"):
            if bad in body:
                check.fail(rel, f"contains '{bad}': pictures must not load or run anything")
        names.add(path.name)
    return frozenset(names)


def whole_from_1(check: _Checker, where: str, data: Mapping[str, Any], key: str, default: int | None = None) -> int:
    """A whole number from 1 (``version``, ``order``); a fault is reported and 1 used instead."""
    value = data.get(key, default)
    if not isinstance(value, int) or isinstance(value, bool) or value < 1:
        check.fail(where, f"{key} must be a whole number from 1")
        return 1
    return value
