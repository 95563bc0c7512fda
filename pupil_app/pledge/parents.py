"""Parents' links (printed as a QR code on the letter home) and their acknowledgements.
"""

from __future__ import annotations

import re
import secrets
from base64 import b32encode
from collections.abc import Callable, Iterable
from datetime import date, datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from .. import crypto
from ..content import current_content as content
from ..extensions import db
from ..schools.models import Pupil, StaffUser
from ..timeutil import utcnow
from .models import ParentAcknowledgement, ParentLink
from .rules import MAX_PARENT_NAME, PARENT_TOKEN_BYTES, PARENT_TOKEN_RE, RELATIONSHIPS, PledgeError
from .service import signed_text, text_hash
from .versions import PledgeText

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
