"""The Acceptable Use pledge as plain functions: versions, signing, who must sign, parent links.

Who must sign: a pupil needs a signature of their band's pledge (EYFS/KS1 or KS2), made in their
current band, at the current *major* version of their school's pledge, and not before the school's
"sign again from" date once that date has come. A minor version is a wording fix and asks nobody to
sign again.

Functions flush, never commit: the view commits once.
"""

from __future__ import annotations

import hashlib
import json
import re
import secrets
import unicodedata
from base64 import b32encode
from dataclasses import dataclass
from datetime import date, datetime, time
from typing import Any, Callable, Iterable, Mapping

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, literal, or_, select, union_all
from sqlalchemy.exc import IntegrityError

from .. import crypto
from ..content import Pledge, check_pledge_wording, current_content as content
from ..extensions import db
from ..learning.models import ModuleProgress
from ..schools.models import Pupil, SchoolClass, StaffUser, band_for_year
from ..schooltext import SchoolText, translate
from ..timeutil import utcnow
from .models import ParentAcknowledgement, ParentLink, PledgeSettings, PledgeSignature, PledgeVersion

SIGNED, NOT_YET, AGAIN = "signed", "not_yet", "again"
MAX_TYPED_NAME = 60
MAX_PARENT_NAME = 120
MAX_NOTE = 200
PARENT_TOKEN_BYTES = 16  # 128 random bits
PARENT_TOKEN_RE = re.compile(r"^[a-z2-7]{26}$")
RELATIONSHIPS: dict[str, Any] = {
    "mother": _l("Mother"),
    "father": _l("Father"),
    "parent": _l("Parent"),
    "carer": _l("Carer"),
    "grandparent": _l("Grandparent"),
    "other": _l("Other family member or guardian"),
}


class PledgeError(Exception):
    """Something that cannot be done; ``status`` is the HTTP status the view returns, nothing is written."""

    def __init__(self, status: int, message, problems: list[str] | None = None):
        super().__init__(str(message))
        self.status = status
        self.message = message
        self.problems = problems or []



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


def _text_of(pledge: Pledge, version: PledgeVersion) -> PledgeText:
    own = SchoolText if version.source == "school" else str  # a school's own words are shown as written
    promises = tuple(Promise(s["id"], own(s["text"]), own(s["why"]), s["picture"], s["alt"], s["policy"], tuple(s["modules"]),
                             tuple(s["outcomes"])) for s in version.statements)
    return PledgeText(pledge, version.major, version.minor, version.title, promises, version.id, version.source,
                      version.published_at)


def _shipped_text(pledge: Pledge) -> PledgeText:
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
    return _text_of(content().pledges[version.pledge], version)


def current_text(school_id: int, key: str) -> PledgeText:
    """The wording pupils of this school see now, without writing anything."""
    pledge = content().pledges[key]
    version = latest_version(school_id, key)
    return _text_of(pledge, version) if version else _shipped_text(pledge)


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


# ---------------------------------------------------------------- settings

def settings_for(school_id: int) -> PledgeSettings | None:
    return db.session.get(PledgeSettings, school_id)


def resign_from(school_id: int) -> date | None:
    row = settings_for(school_id)
    return row.resign_from if row else None


def set_resign_from(school_id: int, when: date | None, staff: StaffUser | None) -> PledgeSettings:
    if when is not None and not date(2000, 1, 1) <= when <= date(2100, 12, 31):
        raise PledgeError(400, _l("Choose a date between 2000 and 2100."))
    row = settings_for(school_id)
    if row is None:
        row = PledgeSettings(school_id=school_id)
        db.session.add(row)
    row.resign_from = when
    row.updated_by_id = staff.id if staff else None
    row.updated_at = utcnow()
    db.session.flush()
    return row


def _active_cutoff(when: date | None, today: date | None = None) -> datetime | None:
    """Signatures made before this moment no longer count (None: no cut-off yet)."""
    today = today or utcnow().date()
    if when is None or when > today:
        return None
    return datetime.combine(when, time.min)


# ---------------------------------------------------------------- who must sign

@dataclass(frozen=True)
class Standing:
    """A pupil's pledge status: signed (the counting signature), not yet, or again (why)."""

    state: str
    signature: PledgeSignature | None  # the counting signature, or their latest one when they must sign again
    reason: str | None = None  # "version" | "band" | "year" when state is AGAIN

    @property
    def signed(self) -> bool:
        return self.state == SIGNED


def _counts(sig: PledgeSignature, pupil: Pupil, key: str, major: int, cutoff: datetime | None) -> bool:
    return (sig.school_id == pupil.school_id and sig.pledge == key and sig.band == pupil.band and sig.major == major
            and (cutoff is None or sig.signed_at >= cutoff))


def standing_from(pupil: Pupil, signatures: Iterable[PledgeSignature], key: str | None, major: int | None,
                  cutoff: datetime | None) -> Standing:
    """Work out a pupil's standing from their signatures (newest first), with no query of its own."""
    signatures = list(signatures)
    if key is None:
        return Standing(NOT_YET, None)
    if major is not None:
        for sig in signatures:
            if _counts(sig, pupil, key, major, cutoff):
                return Standing(SIGNED, sig)
    if not signatures:
        return Standing(NOT_YET, None)
    last = signatures[0]
    if last.band != pupil.band or last.pledge != key:
        reason = "band"
    elif major is not None and last.major != major:
        reason = "version"
    else:
        reason = "year"
    return Standing(AGAIN, last, reason)


def _signatures(pupil_ids: list[int]) -> dict[int, list[PledgeSignature]]:
    out: dict[int, list[PledgeSignature]] = {pid: [] for pid in pupil_ids}
    if not pupil_ids:
        return out
    rows = db.session.scalars(select(PledgeSignature).where(PledgeSignature.pupil_id.in_(pupil_ids))
                              .order_by(PledgeSignature.signed_at.desc(), PledgeSignature.id.desc()))
    for sig in rows:
        out[sig.pupil_id].append(sig)
    return out


def standing(pupil: Pupil) -> Standing:
    key = pledge_key(pupil.band)
    version = latest_version(pupil.school_id, key) if key else None
    return standing_from(pupil, _signatures([pupil.id])[pupil.id], key, version.major if version else None,
                         _active_cutoff(resign_from(pupil.school_id)))


def has_signed_current(pupil: Pupil) -> bool:
    """The first-log-on gate's question, in at most three small queries."""
    key = pledge_key(pupil.band)
    if key is None:
        return True  # not in a class yet: there is nothing to sign (and nothing to learn)
    version = latest_version(pupil.school_id, key)
    if version is None:
        return False
    query = select(PledgeSignature.id).where(
        PledgeSignature.pupil_id == pupil.id, PledgeSignature.school_id == pupil.school_id,
        PledgeSignature.pledge == key, PledgeSignature.band == pupil.band, PledgeSignature.major == version.major)
    cutoff = _active_cutoff(resign_from(pupil.school_id))
    if cutoff is not None:
        query = query.where(PledgeSignature.signed_at >= cutoff)
    return db.session.scalar(query.limit(1)) is not None


# ---------------------------------------------------------------- signing

def normalise_name(name: str) -> str:
    """A first name as a child might type it: any case, spaces, hyphens, apostrophes or accents."""
    decomposed = unicodedata.normalize("NFKD", name or "")
    return "".join(c for c in decomposed if c.isalnum()).casefold()


def signed_text(text: PledgeText, gettext: Callable[[str], str]) -> str:
    """The exact text a pupil signs, as shown to them: the title and each promise, in their language."""
    lines = [gettext(text.title)] + [f"{n}. {translate(gettext, p.text)}" for n, p in enumerate(text.promises, 1)]
    return "\n".join(lines)


def text_hash(shown: str) -> str:
    return hashlib.sha256(shown.encode("utf-8")).hexdigest()


def sign(pupil: Pupil, *, version_id: int | None, posted_hash: str, shown_text: str, promised: int,
         typed_name: str | None, language: str, posted_pupil_id: int | None) -> PledgeSignature:
    """Record a pupil's signature of the current version, or refuse with nothing written.

    Refuses: a signature for someone else, a version that is not the current one, a pledge already
    signed (a replay), promises not all made in turn, a text that differs from what is current, and
    a KS2 signature without the pupil's own first name.
    """
    if posted_pupil_id != pupil.id:
        raise PledgeError(403, _l("These promises belong to someone else. Please sign in as yourself."))
    key = pledge_key(pupil.band)
    if key is None:
        raise PledgeError(400, _l("You are not in a class yet. Please ask your teacher."))
    version = ensure_current_version(pupil.school_id, key)
    if version_id != version.id:
        raise PledgeError(409, _l("These promises have changed. Let's look at them again."))
    if has_signed_current(pupil):
        raise PledgeError(409, _l("You have already made these promises."))
    text = _text_of(content().pledges[key], version)
    if promised != len(text.promises):
        raise PledgeError(400, _l("Make each promise first, one at a time."))
    if not secrets.compare_digest((posted_hash or "").encode(), text_hash(shown_text).encode()):
        raise PledgeError(409, _l("These promises have changed. Let's look at them again."))
    name = None
    if text.pledge.sign == "name":
        name = (typed_name or "").strip()
        if not name:
            raise PledgeError(400, _l("Type your first name to sign."))
        if len(name) > MAX_TYPED_NAME or normalise_name(name) != normalise_name(pupil.first_name):
            raise PledgeError(400, _l("That is not quite your first name. Type your first name to sign."))
    return record_signature(pupil, version, shown_text=shown_text, language=language, typed_name=name)


def record_signature(pupil: Pupil, version: PledgeVersion, *, shown_text: str | None = None, language: str = "en",
                     typed_name: str | None = None, signed_at: datetime | None = None) -> PledgeSignature:
    """Write a signature of ``version`` (checks are the caller's: ``sign`` for pupils; demo data and tests).

    Without ``shown_text`` the text is the version's own wording, untranslated.
    """
    text = text_of_version(version)
    shown = shown_text if shown_text is not None else signed_text(text, lambda s: s)
    method = text.pledge.sign
    school_class = pupil.school_class
    signature = PledgeSignature(
        pupil_id=pupil.id, school_id=pupil.school_id, class_id=pupil.class_id,
        class_name=school_class.name if school_class else "", band=pupil.band, version_id=version.id,
        pledge=version.pledge, major=version.major, minor=version.minor, text_sha256=text_hash(shown),
        language=language, method=method,
        typed_name=(typed_name or pupil.first_name) if method == "name" else None, signed_at=signed_at or utcnow())
    db.session.add(signature)
    db.session.flush()
    return signature


# ---------------------------------------------------------------- learning and promises

def promises_for_module(school_id: int, band: str | None, module_id: str) -> list[Promise]:
    """The promises a module is about, in the school's current wording."""
    key = pledge_key(band)
    if key is None:
        return []
    return [p for p in current_text(school_id, key).promises if module_id in p.modules]


@dataclass(frozen=True)
class PromiseProgress:
    promise: Promise
    modules: list[tuple[Any, bool]]  # (content Module, done) for the pupil's own band

    @property
    def learnt(self) -> bool:
        return bool(self.modules) and all(done for _m, done in self.modules)


def my_promises(pupil: Pupil) -> tuple[PledgeText | None, list[PromiseProgress]]:
    """Each promise of the pupil's pledge with the modules of their band behind it, and whether each is done."""
    key = pledge_key(pupil.band)
    if key is None:
        return None, []
    text = current_text(pupil.school_id, key)
    done = set(db.session.scalars(select(ModuleProgress.module_id).where(
        ModuleProgress.pupil_id == pupil.id, ModuleProgress.completed_at.is_not(None))))
    modules = content().modules
    out = []
    for promise in text.promises:
        mods = [modules[m] for m in promise.modules if m in modules and modules[m].band == pupil.band]
        out.append(PromiseProgress(promise, [(m, m.id in done) for m in mods]))
    return text, out


# ---------------------------------------------------------------- parent links

def end_of_school_year(today: date) -> datetime:
    """The last moment of the school year that ``today`` is in (a school year ends on 31 August)."""
    year = today.year if today.month < 9 else today.year + 1
    return datetime(year, 8, 31, 23, 59, 59)


def start_of_school_year(today: date) -> datetime:
    year = today.year if today.month >= 9 else today.year - 1
    return datetime(year, 9, 1)


def format_token(token: str) -> str:
    """Group a token for reading off paper: xxxxx-xxxxx-xxxxx-xxxxx-xxxxxx."""
    return "-".join([token[i:i + 5] for i in range(0, 20, 5)] + [token[20:]])


def normalise_token(raw: str) -> str | None:
    """A token as typed from a letter: any case, with or without dashes or spaces; None if malformed."""
    if not raw or len(raw) > 64:
        return None
    token = re.sub(r"[\s-]", "", raw).lower().translate(str.maketrans("018", "olb"))
    return token if PARENT_TOKEN_RE.match(token) else None


def issue_parent_link(pupil: Pupil, staff: StaffUser | None, today: date | None = None) -> str:
    """A new parent link for the pupil (older ones stop working); returns the token, shown once on the letter."""
    now = utcnow()
    for link in db.session.scalars(select(ParentLink).where(ParentLink.pupil_id == pupil.id,
                                                            ParentLink.revoked_at.is_(None))):
        link.revoked_at = now
    token = b32encode(secrets.token_bytes(PARENT_TOKEN_BYTES)).decode("ascii").rstrip("=").lower()
    db.session.add(ParentLink(pupil_id=pupil.id, school_id=pupil.school_id, token_hash=crypto.token_hash(token),
                              created_by_id=staff.id if staff else None,
                              expires_at=end_of_school_year(today or now.date())))
    db.session.flush()
    return token


def parent_link_for(raw_token: str) -> ParentLink | None:
    """The live link for a token; None for a wrong, expired or re-issued one, or a pupil who has left."""
    token = normalise_token(raw_token)
    if token is None:
        return None
    link = db.session.scalar(select(ParentLink).where(ParentLink.token_hash == crypto.token_hash(token)))
    if link is None or link.revoked_at is not None or link.expires_at < utcnow():
        return None
    pupil = db.session.get(Pupil, link.pupil_id)
    if pupil is None or not pupil.active or pupil.school_class is None or pupil.band is None:
        return None
    return link


def parent_text(aup, pledge: PledgeText, gettext: Callable[[str], str]) -> str:
    """The exact text a parent acknowledges: the child's pledge, the parent AUP and each ticked statement."""
    lines = signed_text(pledge, gettext).split("\n") + [gettext(aup.title)]
    lines += [gettext(s.text) for s in aup.statements]
    lines += [f"[x] {gettext(s.text)}" for s in aup.acknowledgements]
    return "\n".join(lines)


def acknowledge(link: ParentLink, *, parent_name: str, relationship: str, ticked: Iterable[str],
                pledge: PledgeText, shown_text: str, language: str) -> ParentAcknowledgement:
    """Record a parent's acknowledgement for the link's pupil, or refuse (PledgeError 400) with nothing written."""
    aup = content().parent_aup
    problems = []
    name = " ".join((parent_name or "").split())
    if not name:
        problems.append(_l("Type your name."))
    elif len(name) > MAX_PARENT_NAME:
        problems.append(_l("Your name is too long (at most %(max)d characters).", max=MAX_PARENT_NAME))
    elif "<" in name or ">" in name:
        problems.append(_l("Your name must be plain text, without < or >."))
    if relationship not in RELATIONSHIPS:
        problems.append(_l("Choose how you are related to the child."))
    wanted = [s.id for s in aup.acknowledgements]
    ticked = list(ticked)
    if set(ticked) - set(wanted):
        problems.append(_l("Only the statements on this page can be ticked."))
    elif set(ticked) != set(wanted):
        problems.append(_l("Tick every statement to acknowledge the policy (%(done)d of %(total)d are ticked).",
                           done=len(set(ticked)), total=len(wanted)))
    if problems:
        raise PledgeError(400, _l("Please check the form."), [str(p) for p in problems])
    pupil = db.session.get(Pupil, link.pupil_id)
    link.last_used_at = utcnow()
    ack = ParentAcknowledgement(
        pupil_id=pupil.id, school_id=pupil.school_id, class_id=pupil.class_id, link_id=link.id, parent_name=name,
        relationship=relationship, aup_version=aup.version, pledge_version_id=pledge.version_id,
        statements=wanted, text_sha256=text_hash(shown_text), language=language)
    db.session.add(ack)
    db.session.flush()
    return ack


# ---------------------------------------------------------------- staff: a class at a glance

@dataclass(frozen=True)
class ParentStatus:
    state: str  # "acknowledged" | "sent" | "none"
    acknowledgement: ParentAcknowledgement | None = None
    link: ParentLink | None = None


@dataclass(frozen=True)
class PupilRow:
    pupil: Pupil
    standing: Standing
    parent: ParentStatus


def class_rows(school_class: SchoolClass, today: date | None = None) -> tuple[PledgeText | None, list[PupilRow]]:
    """Every active pupil of a class with their pledge standing and parent status (four queries in all)."""
    today = today or utcnow().date()
    pupils = [p for p in school_class.pupils if p.active]
    key = pledge_key(school_class.band)
    version = latest_version(school_class.school_id, key) if key else None
    text = None
    if key:
        text = _text_of(content().pledges[key], version) if version else _shipped_text(content().pledges[key])
    cutoff = _active_cutoff(resign_from(school_class.school_id), today)
    ids = [p.id for p in pupils]
    signatures = _signatures(ids)
    year_start = start_of_school_year(today)
    acks: dict[int, ParentAcknowledgement] = {}
    links: dict[int, ParentLink] = {}
    if ids:
        for ack in db.session.scalars(select(ParentAcknowledgement).where(
                ParentAcknowledgement.pupil_id.in_(ids), ParentAcknowledgement.acknowledged_at >= year_start)
                .order_by(ParentAcknowledgement.acknowledged_at)):
            acks[ack.pupil_id] = ack  # the latest wins
        now = utcnow()
        for link in db.session.scalars(select(ParentLink).where(
                ParentLink.pupil_id.in_(ids), ParentLink.revoked_at.is_(None), ParentLink.expires_at >= now)):
            links[link.pupil_id] = link
    rows = []
    for pupil in pupils:
        st = standing_from(pupil, signatures[pupil.id], key, version.major if version else None, cutoff)
        if pupil.id in acks:
            parent = ParentStatus("acknowledged", acks[pupil.id], links.get(pupil.id))
        elif pupil.id in links:
            parent = ParentStatus("sent", None, links[pupil.id])
        else:
            parent = ParentStatus("none")
        rows.append(PupilRow(pupil, st, parent))
    return text, rows


def class_counts(classes: list[SchoolClass]) -> dict[int, dict[str, int]]:
    """Per class: how many pupils have signed, not yet, must sign again, and parents acknowledged."""
    out = {}
    for school_class in classes:
        _text, rows = class_rows(school_class)
        counts = {SIGNED: 0, NOT_YET: 0, AGAIN: 0, "parents": 0, "pupils": len(rows)}
        for row in rows:
            counts[row.standing.state] += 1
            counts["parents"] += row.parent.state == "acknowledged"
        out[school_class.id] = counts
    return out


def signature_count(school_id: int, version_id: int) -> int:
    return db.session.scalar(select(func.count()).select_from(PledgeSignature).where(
        PledgeSignature.school_id == school_id, PledgeSignature.version_id == version_id)) or 0


# ---------------------------------------------------------------- coverage pages and overviews

def _current_major_sql():
    """The current major version of the signature's pledge at the pupil's school (a correlated subquery)."""
    return (select(func.max(PledgeVersion.major))
            .where(PledgeVersion.school_id == Pupil.school_id, PledgeVersion.pledge == PledgeSignature.pledge)
            .scalar_subquery())


def standings_by_id(pupil_ids: list[int]) -> dict[int, Standing]:
    """Each pupil's pledge standing (as on the staff pledge page) in one query, whatever the number of pupils.

    Pupils without any signature are missing: their standing is "not yet". Each signature row carries
    the current major version of its own pledge: the only one that matters, since a signature of
    another pledge never counts.
    """
    if not pupil_ids:
        return {}
    rows = list(db.session.execute(
        select(PledgeSignature, Pupil.school_id, SchoolClass.year_group, _current_major_sql(),
               PledgeSettings.resign_from)
        .join(Pupil, Pupil.id == PledgeSignature.pupil_id)
        .outerjoin(SchoolClass, SchoolClass.id == Pupil.class_id)
        .outerjoin(PledgeSettings, PledgeSettings.school_id == Pupil.school_id)
        .where(PledgeSignature.pupil_id.in_(pupil_ids))
        .order_by(PledgeSignature.signed_at.desc(), PledgeSignature.id.desc())))
    by_pupil: dict[int, list[PledgeSignature]] = {}
    about: dict[int, tuple[int, int | None, date | None]] = {}
    majors: dict[tuple[int, str], int] = {}
    for sig, school_id, year_group, major, resign in rows:
        by_pupil.setdefault(sig.pupil_id, []).append(sig)
        about[sig.pupil_id] = (school_id, year_group, resign)
        if major is not None:
            majors[(sig.pupil_id, sig.pledge)] = major
    out = {}
    for pupil_id, sigs in by_pupil.items():
        school_id, year_group, resign = about[pupil_id]
        band = band_for_year(year_group) if year_group is not None else None
        key = pledge_key(band)
        # standing_from reads only the pupil's school and band: a stand-in saves loading each pupil.
        out[pupil_id] = standing_from(_PupilFacts(school_id, band), sigs, key,  # type: ignore[arg-type]
                                      majors.get((pupil_id, key)), _active_cutoff(resign))
    return out


@dataclass(frozen=True)
class _PupilFacts:
    school_id: int
    band: str | None


def parent_states_by_id(pupil_ids: list[int], today: date | None = None) -> dict[int, tuple[str, datetime]]:
    """Each pupil's latest parent acknowledgement this school year ("acknowledged", when), else a live
    letter ("sent", when): one query."""
    if not pupil_ids:
        return {}
    today = today or utcnow().date()
    acks = (select(ParentAcknowledgement.pupil_id, literal("acknowledged").label("kind"),
                   ParentAcknowledgement.acknowledged_at.label("at"))
            .where(ParentAcknowledgement.pupil_id.in_(pupil_ids),
                   ParentAcknowledgement.acknowledged_at >= start_of_school_year(today)))
    links = (select(ParentLink.pupil_id, literal("sent").label("kind"), ParentLink.created_at.label("at"))
             .where(ParentLink.pupil_id.in_(pupil_ids), ParentLink.revoked_at.is_(None),
                    ParentLink.expires_at >= utcnow()))
    out: dict[int, tuple[str, datetime]] = {}
    for pupil_id, kind, at in db.session.execute(union_all(acks, links)):
        current = out.get(pupil_id)
        if kind == "acknowledged":
            # An acknowledgement outranks a letter; the latest acknowledgement wins.
            if current is None or current[0] == "sent" or at > current[1]:
                out[pupil_id] = (kind, at)
        elif current is None:
            out[pupil_id] = (kind, at)
    return out


def history(pupil: Pupil) -> tuple[Standing, list[PledgeSignature], list[ParentAcknowledgement]]:
    """A pupil's standing now, every signature (newest first) and every parent acknowledgement: four queries."""
    signatures = _signatures([pupil.id])[pupil.id]
    key = pledge_key(pupil.band)
    version = latest_version(pupil.school_id, key) if key else None
    st = standing_from(pupil, signatures, key, version.major if version else None,
                       _active_cutoff(resign_from(pupil.school_id)))
    acks = list(db.session.scalars(select(ParentAcknowledgement).where(ParentAcknowledgement.pupil_id == pupil.id)
                                   .order_by(ParentAcknowledgement.acknowledged_at.desc())))
    return st, signatures, acks


def signed_by_year(school_ids: list[int]) -> dict[tuple[int, int], int]:
    """{(school_id, year_group): pupils on roll in active classes who have signed their band's current
    version}: one query, whatever the number of pupils or schools."""
    if not school_ids:
        return {}
    today = utcnow().date()
    rows = db.session.execute(
        select(Pupil.school_id, SchoolClass.year_group, PledgeSignature.band, PledgeSignature.pledge,
               func.count(func.distinct(PledgeSignature.pupil_id)))
        .select_from(PledgeSignature)
        .join(Pupil, Pupil.id == PledgeSignature.pupil_id)
        .join(SchoolClass, SchoolClass.id == Pupil.class_id)
        .outerjoin(PledgeSettings, PledgeSettings.school_id == Pupil.school_id)
        .where(Pupil.school_id.in_(school_ids), Pupil.active.is_(True), SchoolClass.active.is_(True),
               PledgeSignature.school_id == Pupil.school_id, PledgeSignature.major == _current_major_sql(),
               # Signatures made before the school's "sign again from" date (once it has come) do not count.
               or_(PledgeSettings.resign_from.is_(None), PledgeSettings.resign_from > today,
                   PledgeSignature.signed_at >= PledgeSettings.resign_from))
        .group_by(Pupil.school_id, SchoolClass.year_group, PledgeSignature.band, PledgeSignature.pledge))
    out: dict[tuple[int, int], int] = {}
    for school_id, year_group, band, key, n in rows:
        wanted = band_for_year(year_group)
        if band == wanted and key == pledge_key(wanted):
            out[(school_id, year_group)] = out.get((school_id, year_group), 0) + n
    return out
