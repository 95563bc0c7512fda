"""Malformed input is a clear 4xx before it reaches a view, never a 500 and never a half-saved row.

- ``<int:...>`` in every route is bounded to PostgreSQL's ``integer`` (2^31-1): a larger id is a 404
  before any query (SQLite would take it, PostgreSQL overflows).
- A JSON body is refused (400) unless the route is marked ``@accepts_json`` (and then validates
  it itself): Flask-WTF would read JSON into a form, and validators then fail on lists and numbers.
- NUL and other control characters (except tab and new lines in form text) in the path, the query
  or a form are refused (400): PostgreSQL cannot store NUL, and redirects must never carry them.
"""

from __future__ import annotations

import re

from flask import Flask, abort, current_app, request
from werkzeug.routing import IntegerConverter

MAX_ID = 2**31 - 1
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_CONTROL_STRICT = re.compile(r"[\x00-\x1f\x7f]")
_DIGITS = re.compile(r"[0-9]{1,10}")


class BoundedIntConverter(IntegerConverter):
    """``<int:id>`` that matches only 0..2^31-1 (ids larger than any database integer are a 404)."""

    def __init__(self, map, fixed_digits: int = 0, min: int | None = None, max: int | None = None,
                 signed: bool = False) -> None:
        bound = MAX_ID if max is None else (max if max < MAX_ID else MAX_ID)
        super().__init__(map, fixed_digits=fixed_digits, min=min, max=bound, signed=signed)


def accepts_json(view):
    """Mark a route that takes a JSON body (it must check every value's type itself)."""
    view.accepts_json = True
    return view


def id_arg(raw: str | None) -> int | None:
    """A database id from a query or form value: None when absent or not a valid id."""
    if raw is None or not _DIGITS.fullmatch(raw):
        return None
    value = int(raw)
    return value if 0 < value <= MAX_ID else None


# Where to go next is never followed with a control character in it (redirects.safe_path falls back
# to the page's default), so a bad ``next`` only loses the redirect, not the whole request.
LEFT_TO_SAFE_PATH = frozenset({"next"})


def _checked(values) -> list[str]:
    return [v for k, v in values.items(multi=True) if k not in LEFT_TO_SAFE_PATH]


def _has_control(values, pattern) -> bool:
    return any(pattern.search(v) for v in values if isinstance(v, str))


def refuse_malformed():
    """The before-request check (cheap: a few regex scans of what the request already holds)."""
    if request.method in ("POST", "PUT", "PATCH", "DELETE") and request.is_json:
        view = current_app.view_functions.get(request.endpoint or "")
        if not getattr(view, "accepts_json", False):
            abort(400)
    if _CONTROL_STRICT.search(request.path):
        abort(400)
    args = request.args
    # Query values may carry a page's own text with its line breaks (read-aloud asks /audio by text);
    # every other control character, and any in a parameter's name, is refused.
    if args and (_has_control(args.keys(), _CONTROL_STRICT) or _has_control(_checked(args), _CONTROL)):
        abort(400)
    limit = current_app.config.get("MAX_CONTENT_LENGTH")
    if request.method == "POST" and request.mimetype in ("application/x-www-form-urlencoded", "multipart/form-data") \
            and (limit is None or (request.content_length or 0) <= limit):
        # (a larger body is left to the route: an upload route raises its own limit and says so kindly)
        form = request.form
        if _has_control(form.keys(), _CONTROL_STRICT) or _has_control(_checked(form), _CONTROL):
            abort(400)
    return None


def install_converters(app: Flask) -> None:
    """Before blueprints are registered, so every ``<int:...>`` rule uses the bounded converter."""
    app.url_map.converters["int"] = BoundedIntConverter


def init_app(app: Flask) -> None:
    app.before_request_funcs.setdefault(None, []).insert(0, refuse_malformed)
