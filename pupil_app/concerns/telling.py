"""Tell an adult: the pupil's answers, the message in progress (a draft), and sending it.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, select

from .. import crypto
from ..extensions import db
from ..schools.models import ClassTeacher, Pupil, Role, StaffRole, StaffUser
from ..timeutil import utcnow
from . import alerts, audit
from .models import WHAT_TO_CATEGORY, Concern, ConcernDraft
from .service import (
    CHOICE_STEPS,
    KEY_RE,
    MAX_WORDS,
    MESSAGES_SHOWN_FOR,
    STEPS,
    URGENT_FEELINGS,
    URGENT_WHAT,
    ConcernError,
)

# ---------------------------------------------------------------------------------------------
# The pupil's answers

@dataclass
class Answers:
    feeling: str | None = None
    what: str | None = None
    about: str | None = None
    location: str | None = None
    talk_to: str | None = None  # "anyone" or "staff-<id>"
    words: str | None = None

    def is_empty(self) -> bool:
        return not any((self.feeling, self.what, self.about, self.location, self.talk_to, self.words))

    def as_form(self) -> dict[str, str]:
        return {k: v or "" for k, v in self.__dict__.items()}


def new_key() -> str:
    return secrets.token_urlsafe(24)


def valid_key(key: str | None) -> bool:
    return bool(key) and KEY_RE.match(key) is not None


def clean_words(raw: str | None, limit: int = MAX_WORDS) -> str | None:
    """A pupil's words as sent (line endings made plain, NUL removed); None when only spaces."""
    if raw is None:
        return None
    text = raw.replace("\r\n", "\n").replace("\r", "\n").replace("\x00", "")
    if len(text) > limit:
        raise ConcernError(400, _l("That is a lot of words! Please make it a little shorter, "
                                   "or tell the adult in your room."))
    return text if text.strip() else None


def trusted_adults(pupil: Pupil) -> list[StaffUser]:
    """Who a pupil can ask to talk to: their class teachers, then the school's DSLs."""
    teachers = list(db.session.scalars(
        select(StaffUser).join(ClassTeacher, ClassTeacher.staff_id == StaffUser.id)
        .where(ClassTeacher.class_id == pupil.class_id, StaffUser.active.is_(True),
               StaffUser.school_id == pupil.school_id)
        .order_by(StaffUser.display_name))) if pupil.class_id else []
    dsls = list(db.session.scalars(
        select(StaffUser).join(StaffRole, StaffRole.staff_id == StaffUser.id)
        .where(StaffUser.school_id == pupil.school_id, StaffUser.active.is_(True), StaffRole.role == Role.DSL.value)
        .order_by(StaffUser.display_name)))
    out: list[StaffUser] = []
    for person in teachers + dsls:
        if person not in out:
            out.append(person)
    return out


def _choice(step: str, raw: str | None) -> str | None:
    if raw in (None, ""):
        return None
    _field, allowed = CHOICE_STEPS[step]
    if raw not in allowed:
        raise ConcernError(400, _l("That is not one of the pictures. Please tap a picture."))
    return raw


def _talk_to(pupil: Pupil, raw: str | None) -> str | None:
    if raw in (None, ""):
        return None
    if raw == "anyone":
        return raw
    match = re.fullmatch(r"staff-(\d{1,10})", raw)
    if not match or int(match.group(1)) not in {s.id for s in trusted_adults(pupil)}:
        raise ConcernError(400, _l("That is not one of the pictures. Please tap a picture."))
    return raw


def answers_from(pupil: Pupil, data: Mapping[str, str]) -> Answers:
    """Check every posted answer (a forged value is refused, never stored)."""
    return Answers(
        feeling=_choice("feel", data.get("feeling")), what=_choice("what", data.get("what")),
        about=_choice("about", data.get("about")), location=_choice("where", data.get("location")),
        talk_to=_talk_to(pupil, data.get("talk_to")), words=clean_words(data.get("words")),
    )


def is_urgent(answers: Answers) -> bool:
    return answers.what in URGENT_WHAT or answers.feeling in URGENT_FEELINGS


# ---------------------------------------------------------------------------------------------
# The flow in progress (drafts)

def resume_token(pupil: Pupil, session_hash: str) -> str:
    """The token of this session's unsent message (carried on), or a new one.

    Nothing is written here: a message's draft is saved with its first answer.
    """
    token = db.session.scalar(
        select(ConcernDraft.token).where(ConcernDraft.pupil_id == pupil.id, ConcernDraft.session_hash == session_hash)
        .order_by(ConcernDraft.updated_at.desc(), ConcernDraft.id.desc()).limit(1))
    return token or new_key()


def new_draft(pupil: Pupil, token: str, session_hash: str) -> ConcernDraft:
    """The draft of a new message (its first answer is being saved), bound to this session."""
    if not valid_key(token) or not session_hash:
        raise ConcernError(400, _l("Something was not right. Please tell the adult in your room."))
    draft = ConcernDraft(token=token, pupil_id=pupil.id, school_id=pupil.school_id, session_hash=session_hash)
    db.session.add(draft)
    db.session.flush()
    return draft


def draft_by_token(token: str) -> ConcernDraft | None:
    if not valid_key(token):
        return None
    return db.session.scalar(select(ConcernDraft).where(ConcernDraft.token == token))


def draft_answers(draft: ConcernDraft | None) -> Answers:
    if draft is None:
        return Answers()
    return Answers(feeling=draft.feeling, what=draft.what, about=draft.about, location=draft.location,
                   talk_to=draft.talk_to, words=crypto.decrypt(draft.words_enc) if draft.words_enc else None)


def _apply(draft: ConcernDraft, answers: Answers) -> None:
    draft.feeling, draft.what, draft.about = answers.feeling, answers.what, answers.about
    draft.location, draft.talk_to = answers.location, answers.talk_to
    draft.words_enc = crypto.encrypt(answers.words) if answers.words else None


def save_step(draft: ConcernDraft, pupil: Pupil, step: str, form: Mapping[str, str]) -> None:
    """Keep one screen's answer on the server. "Skip" clears it (the pupil chose not to say)."""
    skip = bool(form.get("skip"))
    if step in CHOICE_STEPS:
        field, _allowed = CHOICE_STEPS[step]
        value = None if skip else _choice(step, form.get("choice"))
        if value is None and not skip:
            raise ConcernError(400, _l("Tap a picture, or tap Skip."))
        setattr(draft, field, value)
    elif step == "words":
        words = None if skip else clean_words(form.get("words"))
        draft.words_enc = crypto.encrypt(words) if words else None
    elif step == "adult":
        value = None if skip else _talk_to(pupil, form.get("choice"))
        if value is None and not skip:
            raise ConcernError(400, _l("Tap a picture, or tap Skip."))
        draft.talk_to = value
    elif step == "send":
        _apply(draft, answers_from(pupil, form))
    draft.updated_at = utcnow()
    db.session.flush()


def step_after(step: str) -> str:
    return STEPS[min(STEPS.index(step) + 1, len(STEPS) - 1)]


def step_before(step: str) -> str | None:
    i = STEPS.index(step)
    return STEPS[i - 1] if i > 0 else None


# ---------------------------------------------------------------------------------------------
# Sending

def concern_by_key(key: str) -> Concern | None:
    if not valid_key(key):
        return None
    return db.session.scalar(select(Concern).where(Concern.idempotency_key == key))


def submit(pupil: Pupil, key: str, answers: Answers, interrupted: bool = False) -> tuple[Concern, bool]:
    """Save the pupil's concern (flushed, not committed) and queue the DSL alerts.

    ``interrupted``: the child did not press Send; their session ended with this already chosen.

    Returns (concern, created). The key makes a retry or a double tap find the concern already
    saved; two at the very same moment meet the unique constraint, and the view looks up the winner.
    """
    if not valid_key(key):
        raise ConcernError(400, _l("Something was not right. Please tell the adult in your room."))
    existing = concern_by_key(key)
    if existing is not None:
        if existing.pupil_id != pupil.id or existing.source != "pupil":
            raise ConcernError(409, _l("Something was not right. Please tell the adult in your room."))
        return existing, False
    if answers.is_empty():
        raise ConcernError(400, _l("Tap a picture or write a few words, so we know how to help you."))
    staff_id = int(answers.talk_to.split("-")[1]) if answers.talk_to and answers.talk_to.startswith("staff-") else None
    concern = Concern(
        school_id=pupil.school_id, pupil_id=pupil.id, class_id=pupil.class_id, class_name=pupil.class_name,
        year_group=pupil.year_group, source="pupil",
        idempotency_key=key, feeling=answers.feeling, what=answers.what, about=answers.about,
        location=answers.location, talk_to=("staff" if staff_id else answers.talk_to), talk_to_staff_id=staff_id,
        words_enc=crypto.encrypt(answers.words) if answers.words else None, interrupted=interrupted,
        category=WHAT_TO_CATEGORY.get(answers.what or "", "unsure"), urgent=is_urgent(answers), status="new",
    )
    db.session.add(concern)
    db.session.flush()
    db.session.execute(delete(ConcernDraft).where(ConcernDraft.token == key))
    if interrupted:
        audit.record(pupil, "concern.interrupted", "concern", concern.id,
                     "not sent by the pupil: the session ended; what they had chosen was delivered")
    else:
        audit.record(pupil, "concern.sent", "concern", concern.id, "sent by the pupil through Tell an adult")
    alerts.queue_new_concern(concern)
    if concern.location == "school_web":  # "a website or app at school": the filtering lead hears too
        from ..filtering import service as filtering

        filtering.report_from_concern(concern)
    db.session.flush()
    return concern, True


@dataclass(frozen=True)
class PupilMessage:
    sent_at: datetime
    read: bool


def pupil_messages(pupil: Pupil, limit: int = 5) -> list[PupilMessage]:
    """What a pupil sees on their home page: when they told us, and whether a grown-up has read it."""
    rows = db.session.execute(
        select(Concern.created_at, Concern.read_at)
        .where(Concern.pupil_id == pupil.id, Concern.source == "pupil",
               Concern.created_at >= utcnow() - MESSAGES_SHOWN_FOR)
        .order_by(Concern.created_at.desc()).limit(limit))
    return [PupilMessage(created, read is not None) for created, read in rows]


def readers(school_id: int) -> list[StaffUser]:
    """The school's DSLs, who read pupils' messages."""
    return list(db.session.scalars(
        select(StaffUser).join(StaffRole, StaffRole.staff_id == StaffUser.id)
        .where(StaffUser.school_id == school_id, StaffUser.active.is_(True), StaffRole.role == Role.DSL.value)
        .order_by(StaffUser.display_name)))
