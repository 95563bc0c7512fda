"""School-written text is data, never a format string.

A pledge in a school's own words ("Be 100% kind."), a class, school or staff name: shown exactly as
written. Such text is marked ``SchoolText``; the templates' ``_()`` / ``gettext`` (installed by
``install``) return it untouched - no catalogue lookup and no ``%`` formatting, which would raise on
"100% kind" - and ``translate`` does the same for Python code that takes a gettext function.
"""

from __future__ import annotations

from collections.abc import Callable

from jinja2 import pass_context
from markupsafe import Markup


class SchoolText(str):
    """Text a school wrote: never looked up in a catalogue, never formatted."""


def school_text(value: str | None) -> str | None:
    return None if value is None else SchoolText(value)


def translate(gettext: Callable[[str], str], value: str) -> str:
    return value if isinstance(value, SchoolText) else gettext(value)


def install(jinja_env, lookup: Callable) -> None:
    """Jinja's new-style gettext, except that school text passes through untouched.

    ``lookup(ctx, string)`` returns the translation of one of our strings."""

    @pass_context
    def gettext(ctx, string, **variables):
        if isinstance(string, SchoolText):
            return str(string)  # escaped like any other text by autoescape
        rv = lookup(ctx, string)
        if ctx.eval_ctx.autoescape:
            rv = Markup(rv)
        return rv % variables

    jinja_env.globals["gettext"] = gettext
