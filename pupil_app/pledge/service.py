"""The Acceptable Use pledge as plain functions: the school's settings, who must sign, signing.

Who must sign: a pupil needs a signature of their band's pledge (EYFS/KS1 or KS2), made in their
current band, at the current *major* version of their school's pledge, and not before the school's
"sign again from" date once that date has come. A minor version is a wording fix and asks nobody to
sign again. ``versions`` keeps the wording, ``parents`` the parents' links, ``reports`` who has signed.

Functions flush, never commit: the view commits once.
"""

from __future__ import annotations

import hashlib
import secrets
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime, time

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from ..content import current_content as content
from ..extensions import db
from ..schools.models import Pupil, StaffUser
from ..schooltext import translate
from ..timeutil import local_today, utcnow
from .models import PledgeSettings, PledgeSignature, PledgeVersion
from .rules import AGAIN, MAX_TYPED_NAME, NOT_YET, SIGNED, PledgeError
from .versions import PledgeText, ensure_current_version, latest_version, pledge_key, text_of, text_of_version

# ---------------------------------------------------------------- settings

def settings_for(school_id: int) -> PledgeSettings | None:
    return db.session.get(PledgeSettings, school_id)


def resign_from(school_id: int) -> date | None:
    row = settings_for(school_id)
    return row.resign_from if row else None


def set_resign_from(school_id: int, when: date | None, staff: StaffUser | None) -> PledgeSettings:
    if when is not None and not date(2000, 1, 1) <= when <= date(2100, 12, 31):
        raise PledgeError(400, _l("Choose a date between 2000 and 2100."))
    if when is not None and when < local_today():
        raise PledgeError(400, _l("Choose today or a later date: a date in the past would change what pupils "
                                  "already signed."))
    row = settings_for(school_id)
    if row is None:
        row = PledgeSettings(school_id=school_id)
        db.session.add(row)
    row.resign_from = when
    row.updated_by_id = staff.id if staff else None
    row.updated_at = utcnow()
    db.session.flush()
    return row


def active_cutoff(when: date | None, today: date | None = None) -> datetime | None:
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


def signatures_of(pupil_ids: list[int]) -> dict[int, list[PledgeSignature]]:
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
    return standing_from(pupil, signatures_of([pupil.id])[pupil.id], key, version.major if version else None,
                         active_cutoff(resign_from(pupil.school_id)))


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
    cutoff = active_cutoff(resign_from(pupil.school_id))
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
    text = text_of(content().pledges[key], version)
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
        class_name=school_class.name if school_class else "", year_group=pupil.year_group, band=pupil.band,
        version_id=version.id,
        pledge=version.pledge, major=version.major, minor=version.minor, text_sha256=text_hash(shown),
        language=language, method=method,
        typed_name=(typed_name or pupil.first_name) if method == "name" else None, signed_at=signed_at or utcnow())
    db.session.add(signature)
    db.session.flush()
    return signature
