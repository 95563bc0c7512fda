"""The six languages the pupil pages and content are written in, and the state each catalogue ships in.

A catalogue other than English ships "drafted, awaiting review by a fluent speaker"; a school marks it
reviewed on its Languages admin page once a fluent speaker there has read it (see ``service``).
"""

from __future__ import annotations

from dataclasses import dataclass

from flask_babel import lazy_gettext as _l


@dataclass(frozen=True)
class Language:
    code: str
    name: str  # in the language itself: what a child or parent recognises on the switcher
    english: str  # for staff pages
    direction: str = "ltr"
    source: bool = False
    shipped_note: str = ""


LANGUAGES: dict[str, Language] = {language.code: language for language in (
    Language("en", "English", "English", source=True),
    Language("cy", "Cymraeg", "Welsh",
             shipped_note="Read by a second-language reviewer in December 2026 and corrected"),
    Language("pl", "Polski", "Polish"),
    Language("ro", "Română", "Romanian"),
    Language("ur", "اردو", "Urdu", direction="rtl"),
    Language("ar", "العربية", "Arabic", direction="rtl"),
)}

# What a school offers before it chooses: the two languages offered since the first release.
DEFAULT_OFFERED = frozenset({"en", "cy"})

DRAFTED = _l("drafted, awaiting review by a fluent speaker")
SOURCE = _l("the language the pages are written in")


def names() -> dict[str, str]:
    """code -> the language's own name, in the order the switcher shows them (app.config["LANGUAGES"])."""
    return {code: language.name for code, language in LANGUAGES.items()}


def direction(code: str) -> str:
    language = LANGUAGES.get(code)
    return language.direction if language else "ltr"
