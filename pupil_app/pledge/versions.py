"""The pledge's wording and versions: the shipped text, a school's own wording, publishing a version.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from ..content import Pledge, check_pledge_wording, current_content as content
from ..extensions import db
from ..schools.models import StaffUser
from ..schooltext import SchoolText
from .models import PledgeVersion
from .rules import MAX_NOTE, PledgeError

# ---------------------------------------------------------------- wording and versions

@dataclass(frozen=True)
class Promise:
    id: str
    text: str
    why: str
    picture: str
    alt: str
    policy: str
    modules: tuple[str, ...]
    outcomes: tuple[str, ...]


@dataclass(frozen=True)
class PledgeText:
    """A pledge as a pupil sees it: a school's published version, or the shipped text not yet published."""

    pledge: Pledge  # the shipped pledge (sign method, intro, picture)
    major: int
    minor: int
    title: str
    promises: tuple[Promise, ...]
    version_id: int | None
    source: str = "shipped"
    published_at: datetime | None = None

    @property
    def key(self) -> str:
        return self.pledge.id

    @property
    def label(self) -> str:
        return f"{self.major}.{self.minor}"

    def promise(self, promise_id: str) -> Promise | None:
        return next((p for p in self.promises if p.id == promise_id), None)


def shipped_statements(pledge: Pledge) -> list[dict[str, Any]]:
    return [{"id": s.id, "text": s.text, "why": s.why, "picture": s.picture, "alt": s.alt, "policy": s.policy,
             "modules": list(s.modules), "outcomes": list(s.outcomes)} for s in pledge.statements]


def fingerprint(title: str, statements: list[dict[str, Any]]) -> str:
    """SHA-256 of a version's wording (the source text, before translation)."""
    canonical = json.dumps({"title": title, "statements": statements}, sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def text_of(pledge: Pledge, version: PledgeVersion) -> PledgeText:
    own = SchoolText if version.source == "school" else str  # a school's own words are shown as written
    promises = tuple(Promise(s["id"], own(s["text"]), own(s["why"]), s["picture"], s["alt"], s["policy"], tuple(s["modules"]),
                             tuple(s["outcomes"])) for s in version.statements)
    return PledgeText(pledge, version.major, version.minor, version.title, promises, version.id, version.source,
                      version.published_at)


def shipped_text(pledge: Pledge) -> PledgeText:
    promises = tuple(Promise(s.id, s.text, s.why, s.picture, s.alt, s.policy, s.modules, s.outcomes)
                     for s in pledge.statements)
    return PledgeText(pledge, 1, 0, pledge.title, promises, None)


def pledge_key(band: str | None) -> str | None:
    pledge = content().pledge_for_band(band)
    return pledge.id if pledge else None


def latest_version(school_id: int, key: str) -> PledgeVersion | None:
    return db.session.scalar(
        select(PledgeVersion).where(PledgeVersion.school_id == school_id, PledgeVersion.pledge == key)
        .order_by(PledgeVersion.major.desc(), PledgeVersion.minor.desc()).limit(1))


def versions(school_id: int, key: str) -> list[PledgeVersion]:
    return list(db.session.scalars(
        select(PledgeVersion).where(PledgeVersion.school_id == school_id, PledgeVersion.pledge == key)
        .order_by(PledgeVersion.major.desc(), PledgeVersion.minor.desc())))


def version_by_id(school_id: int, version_id: int) -> PledgeVersion | None:
    version = db.session.get(PledgeVersion, version_id)
    return version if version is not None and version.school_id == school_id else None


def text_of_version(version: PledgeVersion) -> PledgeText:
    return text_of(content().pledges[version.pledge], version)


def current_text(school_id: int, key: str) -> PledgeText:
    """The wording pupils of this school see now, without writing anything."""
    pledge = content().pledges[key]
    version = latest_version(school_id, key)
    return text_of(pledge, version) if version else shipped_text(pledge)


def ensure_current_version(school_id: int, key: str) -> PledgeVersion:
    """The school's current version, creating version 1.0 from the shipped text the first time it is needed."""
    version = latest_version(school_id, key)
    if version is not None:
        return version
    pledge = content().pledges[key]
    statements = shipped_statements(pledge)
    try:
        with db.session.begin_nested():  # two pupils of a new school at once: one creates, the other reads
            version = PledgeVersion(school_id=school_id, pledge=key, major=1, minor=0, change="first",
                                    source="shipped", shipped_version=pledge.version, title=pledge.title,
                                    statements=statements, text_sha256=fingerprint(pledge.title, statements))
            db.session.add(version)
    except IntegrityError:
        version = latest_version(school_id, key)
        if version is None:  # pragma: no cover - the other writer rolled back
            raise
    return version


def publish(school_id: int, key: str, change: str, staff: StaffUser | None, *,
            wording: Mapping[str, Mapping[str, str]] | None = None, note: str = "") -> PledgeVersion:
    """Publish a new version: the shipped text (``wording`` None) or the school's own wording of each promise.

    ``change`` "minor" keeps everyone's signature; "major" asks every pupil of the pledge's bands to
    sign again at their next sign-in.
    """
    if change not in ("minor", "major"):
        raise PledgeError(400, _l("Choose whether this is a small wording fix or a change everyone signs again."))
    if key not in content().pledges:
        raise PledgeError(404, _l("There is no such pledge."))
    note = (note or "").strip()
    if len(note) > MAX_NOTE:
        raise PledgeError(400, _l("The note is too long (at most %(max)d characters).", max=MAX_NOTE))
    if "<" in note or ">" in note:
        raise PledgeError(400, _l("The note must be plain text, without < or >."))
    pledge = content().pledges[key]
    current = ensure_current_version(school_id, key)
    if wording is None:
        statements, source = shipped_statements(pledge), "shipped"
    else:
        problems = check_pledge_wording(pledge, wording)
        if problems:
            raise PledgeError(400, _l("Some promises need changing before they can be published."), problems)
        # The school words each promise its own way; picture, policy statement and modules stay the app's.
        statements = [dict(s, text=wording[s["id"]]["text"].strip(), why=wording[s["id"]]["why"].strip())
                      for s in shipped_statements(pledge)]
        source = "school"
    digest = fingerprint(pledge.title, statements)
    if digest == current.text_sha256 and change == "minor":
        raise PledgeError(409, _l("That is already the current wording: nothing has changed."))
    major, minor = (current.major + 1, 0) if change == "major" else (current.major, current.minor + 1)
    version = PledgeVersion(school_id=school_id, pledge=key, major=major, minor=minor, change=change, source=source,
                            shipped_version=pledge.version, title=pledge.title, statements=statements,
                            text_sha256=digest, note=note or None, published_by_id=staff.id if staff else None)
    try:
        with db.session.begin_nested():
            db.session.add(version)
    except IntegrityError:
        raise PledgeError(409, _l("Someone else has just published a version. Please look again.")) from None
    return version


def preview_wording(key: str, wording: Mapping[str, Mapping[str, str]]) -> tuple[list[Promise], list[str]]:
    """The promises as they would read with ``wording``, and any problems (validated like content)."""
    pledge = content().pledges[key]
    problems = check_pledge_wording(pledge, wording)
    promises = [Promise(s.id, SchoolText((wording.get(s.id, {}).get("text") or "").strip()),
                        SchoolText((wording.get(s.id, {}).get("why") or "").strip()), s.picture, s.alt, s.policy, s.modules,
                        s.outcomes) for s in pledge.statements]
    return promises, problems
