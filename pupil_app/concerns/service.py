"""Concerns as plain functions: the pupil's flow, staff logging, the DSL's work and the incident log.

Functions flush; views commit once. Every read of a concern by staff goes through
``load_for_dsl`` (own school only, refusals audited); every view, export and change adds an audit
row in the same transaction as the change itself.
"""

from __future__ import annotations

import csv
import io
import re
import secrets
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from typing import Iterable, Mapping
from zoneinfo import ZoneInfo

from flask import abort, current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, false, func, or_, select

from .. import crypto
from ..extensions import db
from ..guards import id_arg
from ..schools.models import ClassTeacher, Pupil, Role, SchoolClass, StaffRole, StaffUser
from ..timeutil import utcnow
from . import alerts, audit, labels
from .models import (ABOUT_CHOICES, CATEGORIES, ENTRY_KINDS, FEELINGS, LOCATIONS, MARKERS, OUTCOMES,
                     STAFF_LOCATIONS, STATUSES, WHAT_CHOICES, WHAT_TO_CATEGORY, Concern, ConcernDraft, ConcernEntry,
                     ConcernPupil, Incident)

MAX_WORDS = 4000          # a pupil's words: a full page of writing
MAX_STAFF_TEXT = 10000    # what a staff member saw or heard
MAX_ENTRY = 5000          # one chronology entry
MAX_REASON = 2000
MAX_INCIDENT_LOCATION = 200
MAX_SEARCH = 100
DRAFT_RESUME = timedelta(hours=24)  # tapping "Tell an adult" again carries on an unsent message this recent
DRAFT_KEEP = timedelta(days=30)     # unsent messages are forgotten after this
MESSAGES_SHOWN_FOR = timedelta(days=60)
KEY_RE = re.compile(r"^[A-Za-z0-9_-]{16,64}$")
STEPS = ("feel", "what", "about", "where", "words", "adult", "send")
CHOICE_STEPS: dict[str, tuple[str, tuple[str, ...]]] = {
    "feel": ("feeling", FEELINGS),
    "what": ("what", WHAT_CHOICES),
    "about": ("about", ABOUT_CHOICES),
    "where": ("location", LOCATIONS),
}
URGENT_WHAT = {"stranger", "secrets"}
URGENT_FEELINGS = {"scared"}
PER_PAGE = 50
WORD_SEARCH_LIMIT = 2000
OPEN_STATUSES = ("new", "acknowledged", "in_progress")
# The inbox's order: new first, then the rest still open (urgent first in both), then closed; newest first.
INBOX_GROUPS = (("new",), ("acknowledged", "in_progress"), ("closed",))


class ConcernError(Exception):
    """Input that cannot be taken; ``status`` is the HTTP status, ``message`` says what to do."""

    def __init__(self, status: int, message):
        super().__init__(str(message))
        self.status = status
        self.message = message


# ---------------------------------------------------------------------------------------------
# Time on staff pages: stored naive UTC, shown in the school's time zone.

def zone() -> ZoneInfo:
    return ZoneInfo(current_app.config["TIMEZONE"])


def local(moment: datetime | None) -> datetime | None:
    if moment is None:
        return None
    return moment.replace(tzinfo=timezone.utc).astimezone(zone())


def local_today() -> date:
    return datetime.now(zone()).date()


def day_start_utc(day: date) -> datetime:
    """The UTC instant (naive) at which ``day`` begins in the school's time zone."""
    return datetime.combine(day, time.min, tzinfo=zone()).astimezone(timezone.utc).replace(tzinfo=None)


def to_utc(moment: datetime) -> datetime:
    """A local (naive, school time zone) datetime as naive UTC."""
    return moment.replace(tzinfo=zone()).astimezone(timezone.utc).replace(tzinfo=None)


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

def resume_token(pupil: Pupil) -> str:
    """The token of the pupil's unsent message from the last day (carried on), or a new one.

    Nothing is written here: a message's draft is saved with its first answer.
    """
    token = db.session.scalar(
        select(ConcernDraft.token).where(ConcernDraft.pupil_id == pupil.id, ConcernDraft.send_requested_at.is_(None),
                                         ConcernDraft.updated_at >= utcnow() - DRAFT_RESUME)
        .order_by(ConcernDraft.updated_at.desc(), ConcernDraft.id.desc()).limit(1))
    return token or new_key()


def new_draft(pupil: Pupil, token: str) -> ConcernDraft:
    """The draft of a new message (its first answer is being saved); old unsent ones of this pupil go."""
    if not valid_key(token):
        raise ConcernError(400, _l("Something was not right. Please tell the adult in your room."))
    db.session.execute(delete(ConcernDraft).where(
        ConcernDraft.pupil_id == pupil.id, ConcernDraft.send_requested_at.is_(None),
        ConcernDraft.updated_at < utcnow() - DRAFT_KEEP))
    draft = ConcernDraft(token=token, pupil_id=pupil.id, school_id=pupil.school_id)
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


def hold_until_signed_in(draft: ConcernDraft, step: str, form: Mapping[str, str]) -> None:
    """A post for a flow whose session has ended: keep what was sent for when the pupil signs in again.

    Nothing is read back to the browser. A "Send" is delivered at the pupil's next sign-in.
    """
    pupil = db.session.get(Pupil, draft.pupil_id)
    save_step(draft, pupil, step, form)
    if step == "send":
        draft.send_requested_at = utcnow()
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


def submit(pupil: Pupil, key: str, answers: Answers) -> tuple[Concern, bool]:
    """Save the pupil's concern (flushed, not committed) and queue the DSL alerts.

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
        school_id=pupil.school_id, pupil_id=pupil.id, class_id=pupil.class_id, source="pupil",
        idempotency_key=key, feeling=answers.feeling, what=answers.what, about=answers.about,
        location=answers.location, talk_to=("staff" if staff_id else answers.talk_to), talk_to_staff_id=staff_id,
        words_enc=crypto.encrypt(answers.words) if answers.words else None,
        category=WHAT_TO_CATEGORY.get(answers.what or "", "unsure"), urgent=is_urgent(answers), status="new",
    )
    db.session.add(concern)
    db.session.flush()
    db.session.execute(delete(ConcernDraft).where(ConcernDraft.token == key))
    audit.record(pupil, "concern.sent", "concern", concern.id, "sent by the pupil through Tell an adult")
    alerts.queue_new_concern(concern)
    db.session.flush()
    return concern, True


def waiting_drafts(pupil: Pupil) -> list[ConcernDraft]:
    return list(db.session.scalars(select(ConcernDraft).where(
        ConcernDraft.pupil_id == pupil.id, ConcernDraft.send_requested_at.is_not(None)).order_by(ConcernDraft.id)))


def deliver_waiting(pupil: Pupil) -> list[Concern]:
    """Send the messages this pupil pressed "Send" on after their session had ended."""
    delivered = []
    for draft in waiting_drafts(pupil):
        answers = draft_answers(draft)
        try:
            if answers.is_empty():
                raise ConcernError(400, "nothing to send")
            concern, _created = submit(pupil, draft.token, answers)
        except ConcernError:
            db.session.delete(draft)  # nothing to send, or not this pupil's to send
            continue
        delivered.append(concern)
    db.session.flush()
    return delivered


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


# ---------------------------------------------------------------------------------------------
# Staff logging a concern or an incident

def school_pupils(school_id: int) -> list[Pupil]:
    return list(db.session.scalars(
        select(Pupil).where(Pupil.school_id == school_id, Pupil.active.is_(True))
        .order_by(Pupil.class_id, Pupil.first_name, Pupil.last_name)))


def school_pupil(school_id: int, pupil_id: int | None) -> Pupil | None:
    pupil = db.session.get(Pupil, pupil_id) if pupil_id else None
    return pupil if pupil is not None and pupil.school_id == school_id and pupil.active else None


def _staff_text(raw: str | None, limit: int, required_message=None) -> str | None:
    text = (raw or "").replace("\r\n", "\n").replace("\x00", "")
    if len(text) > limit:
        raise ConcernError(400, _l("That text is too long (at most %(limit)s characters).", limit=f"{limit:,}"))
    if not text.strip():
        if required_message:
            raise ConcernError(400, required_message)
        return None
    return text


def log_concern(staff: StaffUser, *, pupil_id: int | None, category: str, location: str,
                occurred_at: datetime | None, account: str, urgent: bool, key: str) -> tuple[Concern, bool]:
    """A staff member records what they saw or heard about a pupil; it goes to the DSL inbox."""
    if not valid_key(key):
        raise ConcernError(400, _l("This form is out of date. Please reload the page."))
    existing = concern_by_key(key)
    if existing is not None:
        if existing.logged_by_id != staff.id:
            raise ConcernError(409, _l("This form is out of date. Please reload the page."))
        return existing, False
    pupil = school_pupil(staff.school_id, pupil_id)
    if pupil is None:
        raise ConcernError(400, _l("Choose a pupil of your school."))
    if category not in CATEGORIES:
        raise ConcernError(400, _l("Choose a category from the list."))
    if location not in STAFF_LOCATIONS:
        raise ConcernError(400, _l("Choose where it happened from the list."))
    if occurred_at is not None and occurred_at > utcnow() + timedelta(minutes=5):
        raise ConcernError(400, _l("When it happened cannot be in the future."))
    text = _staff_text(account, MAX_STAFF_TEXT, _l("Say what you saw or heard."))
    concern = Concern(school_id=staff.school_id, pupil_id=pupil.id, class_id=pupil.class_id, source="staff",
                      logged_by_id=staff.id, idempotency_key=key, occurred_at=occurred_at, location=location,
                      words_enc=crypto.encrypt(text), category=category, urgent=bool(urgent), status="new")
    db.session.add(concern)
    db.session.flush()
    audit.record(staff, "concern.logged", "concern", concern.id, f"logged by staff; category {category}")
    alerts.queue_new_concern(concern)
    db.session.flush()
    return concern, True


def logged_by(staff: StaffUser, limit: int = 200) -> list[Concern]:
    return list(db.session.scalars(
        select(Concern).where(Concern.logged_by_id == staff.id, Concern.school_id == staff.school_id)
        .order_by(Concern.created_at.desc()).limit(limit)))


def record_incident(staff: StaffUser, *, occurred_on: date, location: str, description: str, action: str | None,
                    key: str) -> tuple[Incident, bool]:
    """An incident straight into the online safety log (appendix 6), not about one pupil."""
    if not valid_key(key):
        raise ConcernError(400, _l("This form is out of date. Please reload the page."))
    existing = db.session.scalar(select(Incident).where(Incident.idempotency_key == key))
    if existing is not None:
        if existing.recorded_by_id != staff.id:
            raise ConcernError(409, _l("This form is out of date. Please reload the page."))
        return existing, False
    if occurred_on > local_today():
        raise ConcernError(400, _l("When it happened cannot be in the future."))
    where = _staff_text(location, MAX_INCIDENT_LOCATION, _l("Say where it happened."))
    what = _staff_text(description, MAX_STAFF_TEXT, _l("Describe the incident."))
    done = _staff_text(action, MAX_STAFF_TEXT)
    incident = Incident(school_id=staff.school_id, idempotency_key=key, occurred_on=occurred_on,
                        location_enc=crypto.encrypt(where), description_enc=crypto.encrypt(what),
                        action_enc=crypto.encrypt(done) if done else None, recorded_by_id=staff.id)
    db.session.add(incident)
    db.session.flush()
    audit.record(staff, "incident.recorded", "incident", incident.id)
    alerts.queue_new_incident(incident)
    db.session.flush()
    return incident, True


def incidents_by(staff: StaffUser, limit: int = 200) -> list[Incident]:
    return list(db.session.scalars(
        select(Incident).where(Incident.recorded_by_id == staff.id, Incident.school_id == staff.school_id)
        .order_by(Incident.created_at.desc()).limit(limit)))


# ---------------------------------------------------------------------------------------------
# The DSL: one concern

def load_for_dsl(staff: StaffUser, concern_id: int) -> Concern:
    """A concern of the DSL's own school; any other number is a 404, and the attempt is audited."""
    concern = db.session.get(Concern, concern_id)
    if concern is None or concern.school_id != staff.school_id:
        db.session.rollback()
        audit.record(staff, "concern.refused", "concern", concern_id, "not a concern of this school")
        db.session.commit()
        abort(404)
    return concern


def open_concern(staff: StaffUser, concern: Concern, action: str = "concern.viewed") -> None:
    """A DSL opens (or prints) a concern: audited; the pupil's message now shows as read."""
    if concern.read_at is None:
        concern.read_at = utcnow()
    audit.record(staff, action, "concern", concern.id)
    db.session.flush()


def _change(staff: StaffUser, concern: Concern, changes: list[str], reason: str | None) -> None:
    text = "; ".join(changes)
    db.session.add(ConcernEntry(concern_id=concern.id, kind="change", text_enc=crypto.encrypt(text),
                                reason_enc=crypto.encrypt(reason) if reason else None, author_id=staff.id))
    audit.record(staff, "concern.changed", "concern", concern.id, text)
    concern.updated_at = utcnow()
    db.session.flush()


def add_entry(staff: StaffUser, concern: Concern, kind: str, text: str | None, reason: str | None) -> ConcernEntry:
    if kind not in ENTRY_KINDS or kind == "change":
        raise ConcernError(400, _l("Choose what kind of entry this is."))
    body = _staff_text(text, MAX_ENTRY, _l("Write what was done or decided."))
    why = _staff_text(reason, MAX_REASON)
    entry = ConcernEntry(concern_id=concern.id, kind=kind, text_enc=crypto.encrypt(body),
                         reason_enc=crypto.encrypt(why) if why else None, author_id=staff.id)
    db.session.add(entry)
    concern.updated_at = utcnow()
    db.session.flush()
    audit.record(staff, "entry.added", "concern", concern.id, f"{kind} entry #{entry.id}")
    db.session.flush()
    return entry


def school_dsls(school_id: int) -> list[StaffUser]:
    return readers(school_id)


def update_handling(staff: StaffUser, concern: Concern, *, status: str, outcome: str | None,
                    assigned_to_id: int | None, category: str, urgent: bool, reason: str | None) -> list[str]:
    """Status, outcome, assigned DSL, category and urgency in one go; one chronology entry for all."""
    if status not in STATUSES:
        raise ConcernError(400, _l("Choose a status from the list."))
    if category not in CATEGORIES:
        raise ConcernError(400, _l("Choose a category from the list."))
    why = _staff_text(reason, MAX_REASON)
    if status == "closed":
        if outcome not in OUTCOMES:
            raise ConcernError(400, _l("Choose the outcome before closing the concern."))
        if not why and concern.status != "closed":
            raise ConcernError(400, _l("Give the reason for closing the concern."))
    else:
        outcome = None
    assignee = None
    if assigned_to_id:
        assignee = next((s for s in school_dsls(staff.school_id) if s.id == assigned_to_id), None)
        if assignee is None:
            raise ConcernError(400, _l("Assign the concern to a DSL of your school."))
    changes = []
    if status != concern.status:
        changes.append(_("Status: %(old)s → %(new)s", old=labels.STATUSES[concern.status], new=labels.STATUSES[status]))
        concern.status = status
        concern.closed_at = utcnow() if status == "closed" else None
    if outcome != concern.outcome:
        if outcome:
            changes.append(_("Outcome: %(outcome)s", outcome=labels.OUTCOMES[outcome]))
        concern.outcome = outcome
    if (assignee.id if assignee else None) != concern.assigned_to_id:
        changes.append(_("Assigned to %(name)s", name=assignee.display_name) if assignee else _("No longer assigned"))
        concern.assigned_to_id = assignee.id if assignee else None
    if category != concern.category:
        changes.append(_("Category: %(old)s → %(new)s", old=labels.CATEGORIES[concern.category],
                         new=labels.CATEGORIES[category]))
        concern.category = category
    if bool(urgent) != concern.urgent:
        changes.append(_("Marked urgent") if urgent else _("No longer urgent"))
        concern.urgent = bool(urgent)
    if changes:
        _change(staff, concern, changes, why)
    elif why:
        raise ConcernError(400, _l("Nothing was changed. To record a reason on its own, add a decision below."))
    return changes


def set_markers(staff: StaffUser, concern: Concern, values: Mapping[str, date | None], reason: str | None) -> list[str]:
    """Dates the DSL informed parents, referred to social care / the LA, the police, Early Help."""
    today = local_today()
    changes = []
    for marker in MARKERS:
        new = values.get(marker)
        if new is not None and (new > today or new < date(2000, 1, 1)):
            raise ConcernError(400, _l("Dates cannot be in the future."))
        if new != getattr(concern, marker):
            label = labels.MARKERS[marker]
            changes.append(_("%(marker)s: %(date)s", marker=label, date=new.strftime("%d/%m/%Y")) if new
                           else _("%(marker)s: cleared", marker=label))
            setattr(concern, marker, new)
    if changes:
        _change(staff, concern, changes, _staff_text(reason, MAX_REASON))
    return changes


def link_pupil(staff: StaffUser, concern: Concern, pupil_id: int | None) -> Pupil:
    pupil = school_pupil(staff.school_id, pupil_id)
    if pupil is None or pupil.id == concern.pupil_id:
        raise ConcernError(400, _l("Choose another pupil of your school."))
    if db.session.get(ConcernPupil, (concern.id, pupil.id)) is not None:
        raise ConcernError(400, _l("That pupil is already linked."))
    db.session.add(ConcernPupil(concern_id=concern.id, pupil_id=pupil.id, added_by_id=staff.id))
    _change(staff, concern, [_("Linked %(name)s", name=pupil.full_name)], None)
    return pupil


def unlink_pupil(staff: StaffUser, concern: Concern, pupil_id: int, reason: str | None) -> None:
    link = db.session.get(ConcernPupil, (concern.id, pupil_id))
    if link is None:
        raise ConcernError(400, _l("That pupil is not linked."))
    name = link.pupil.full_name
    db.session.delete(link)
    _change(staff, concern, [_("Unlinked %(name)s", name=name)], _staff_text(reason, MAX_REASON))


def _linked_concern_ids(pupil_id: int) -> list[int]:
    """Concerns another pupil is linked to (a short list: resolved first, for a plan that stays simple)."""
    return list(db.session.scalars(select(ConcernPupil.concern_id).where(ConcernPupil.pupil_id == pupil_id)))


def other_concerns(concern: Concern, limit: int = 20) -> list[Concern]:
    """Earlier and later concerns about the same pupil (patterns matter in safeguarding)."""
    linked = _linked_concern_ids(concern.pupil_id)
    return list(db.session.scalars(
        select(Concern).where(Concern.school_id == concern.school_id, Concern.id != concern.id,
                              or_(Concern.pupil_id == concern.pupil_id, Concern.id.in_(linked)))
        .order_by(Concern.created_at.desc()).limit(limit)))


# ---------------------------------------------------------------------------------------------
# The DSL: the inbox

@dataclass
class InboxFilter:
    status: str | None = None   # a status, "open", or None for all
    category: str | None = None
    class_id: int | None = None
    pupil_id: int | None = None
    date_from: date | None = None
    date_to: date | None = None
    urgent: bool = False
    q: str = ""

    def args(self, **override) -> dict[str, str]:
        """The query string for links that keep the filters (page, status tabs, export)."""
        values = {"status": self.status, "category": self.category, "class": self.class_id, "pupil": self.pupil_id,
                  "from": self.date_from.isoformat() if self.date_from else None,
                  "to": self.date_to.isoformat() if self.date_to else None,
                  "urgent": "1" if self.urgent else None, "q": self.q or None}
        values.update(override)
        return {k: str(v) for k, v in values.items() if v not in (None, "")}

    @property
    def active(self) -> bool:
        return any((self.category, self.class_id, self.pupil_id, self.date_from, self.date_to, self.urgent, self.q))


def _int_arg(raw: str | None) -> int | None:
    if raw in (None, ""):
        return None
    value = id_arg(raw)
    if value is None:
        raise ConcernError(400, _l("That filter is not valid."))
    return value


def _date_arg(raw: str | None) -> date | None:
    if raw in (None, ""):
        return None
    try:
        value = date.fromisoformat(raw)
    except ValueError:
        raise ConcernError(400, _l("Dates must look like 2026-03-31.")) from None
    if not date(2000, 1, 1) <= value <= date(2199, 12, 31):  # 9999-12-31 + 1 day overflows
        raise ConcernError(400, _l("Dates must look like 2026-03-31."))
    return value


def parse_filter(args: Mapping[str, str]) -> InboxFilter:
    status = args.get("status") or None
    if status not in (None, "open", *STATUSES):
        raise ConcernError(400, _l("That filter is not valid."))
    category = args.get("category") or None
    if category not in (None, *CATEGORIES):
        raise ConcernError(400, _l("That filter is not valid."))
    q = (args.get("q") or "").strip()
    if len(q) > MAX_SEARCH:
        raise ConcernError(400, _l("Search for at most %(limit)s characters.", limit=MAX_SEARCH))
    return InboxFilter(status=status, category=category, class_id=_int_arg(args.get("class")),
                       pupil_id=_int_arg(args.get("pupil")), date_from=_date_arg(args.get("from")),
                       date_to=_date_arg(args.get("to")), urgent=args.get("urgent") == "1", q=q)


@dataclass
class InboxPage:
    rows: list[Concern]
    total: int
    page: int
    pages: int
    counts: dict[str, int]
    words_searched: int | None  # how many concerns' words the search looked in (None: no search)
    words_search_capped: bool


def _conditions(staff: StaffUser, f: InboxFilter) -> list:
    cond = [Concern.school_id == staff.school_id]
    if f.category:
        cond.append(Concern.category == f.category)
    if f.class_id:
        cond.append(Concern.class_id == f.class_id)
    if f.pupil_id:
        linked = _linked_concern_ids(f.pupil_id)
        cond.append(or_(Concern.pupil_id == f.pupil_id, Concern.id.in_(linked)) if linked
                    else Concern.pupil_id == f.pupil_id)
    if f.date_from:
        cond.append(Concern.created_at >= day_start_utc(f.date_from))
    if f.date_to:
        cond.append(Concern.created_at < day_start_utc(f.date_to + timedelta(days=1)))
    if f.urgent:
        cond.append(Concern.urgent.is_(True))
    return cond


def _status_condition(status: str | None):
    if status == "open":
        return Concern.status.in_(OPEN_STATUSES)
    if status:
        return Concern.status == status
    return None


def _searchable(plain: str | None) -> str:
    return "" if plain is None or isinstance(plain, crypto.Unreadable) else plain.casefold()


def _search(staff: StaffUser, f: InboxFilter, cond: list) -> tuple[list, int, bool]:
    """Search pupils' names and concern numbers in SQL, and the (encrypted) words of the newest
    WORD_SEARCH_LIMIT concerns that match the other filters, decrypted here."""
    q = f.q
    number = re.fullmatch(r"#?(\d{1,10})", q)
    pattern = f"%{q.lower()}%"
    name = func.lower(Pupil.first_name + " " + Pupil.last_name)
    # The school's pupils whose name matches, as a list: a handful of ids, and a plan the database
    # cannot get wrong (a sub-select here once cost PostgreSQL seconds on fresh statistics).
    named = list(db.session.scalars(select(Pupil.id).where(
        Pupil.school_id == staff.school_id, or_(name.like(pattern), func.lower(Pupil.username).like(pattern)))))
    options = [Concern.pupil_id.in_(named)] if named else []
    if number:
        options.append(Concern.id == int(number.group(1)))
    candidates = db.session.execute(
        select(Concern.id, Concern.words_enc).where(*cond, Concern.words_enc.is_not(None))
        .order_by(Concern.created_at.desc()).limit(WORD_SEARCH_LIMIT + 1)).all()
    capped = len(candidates) > WORD_SEARCH_LIMIT
    needle = q.casefold()
    found = [ident for ident, enc in candidates[:WORD_SEARCH_LIMIT] if needle in _searchable(crypto.decrypt(enc))]
    if found:
        options.append(Concern.id.in_(found))
    return [or_(*options) if options else false()], min(len(candidates), WORD_SEARCH_LIMIT), capped


def inbox(staff: StaffUser, f: InboxFilter, page: int = 1) -> InboxPage:
    """The DSL's inbox: new first, then open, then closed; urgent first while open; newest first."""
    cond = _conditions(staff, f)
    searched, capped = None, False
    if f.q:
        extra, searched, capped = _search(staff, f, cond)
        cond += extra
    counts = {s: 0 for s in STATUSES}
    for status, n in db.session.execute(select(Concern.status, func.count()).where(*cond).group_by(Concern.status)):
        counts[status] = n
    counts["open"] = sum(counts[s] for s in OPEN_STATUSES)
    counts["all"] = sum(counts[s] for s in STATUSES)
    wanted = OPEN_STATUSES if f.status == "open" else (f.status,) if f.status else STATUSES
    total = sum(counts[s] for s in wanted)
    pages = max(1, -(-total // PER_PAGE))
    page = min(max(1, page), pages)
    # One index-ordered query per group (never a sort of the whole school's concerns): the page's
    # rows are found by skipping whole groups by their counts.
    ids: list[int] = []
    skip, want = (page - 1) * PER_PAGE, PER_PAGE
    for group in INBOX_GROUPS:
        members = [s for s in group if s in wanted]
        size = sum(counts[s] for s in members)
        if not size:
            continue
        if skip >= size:
            skip -= size
            continue
        order = ((Concern.created_at.desc(), Concern.id.desc()) if group == ("closed",)
                 else (Concern.urgent.desc(), Concern.created_at.desc(), Concern.id.desc()))
        in_group = Concern.status == members[0] if len(members) == 1 else Concern.status.in_(members)
        found = list(db.session.scalars(select(Concern.id).where(*cond, in_group).order_by(*order)
                                        .limit(want).offset(skip)))
        ids += found
        skip, want = 0, want - len(found)
        if want <= 0:
            break
    by_id = {c.id: c for c in db.session.scalars(select(Concern).where(Concern.id.in_(ids)))} if ids else {}
    return InboxPage([by_id[i] for i in ids if i in by_id], total, page, pages, counts, searched, capped)


def inbox_all(staff: StaffUser, f: InboxFilter, limit: int = 50000) -> list[Concern]:
    """Every concern matching the filters, for the CSV export."""
    cond = _conditions(staff, f)
    if f.q:
        cond += _search(staff, f, cond)[0]
    status_cond = _status_condition(f.status)
    if status_cond is not None:
        cond.append(status_cond)
    return list(db.session.scalars(select(Concern).where(*cond).order_by(Concern.created_at.desc()).limit(limit)))


def classes_of(school_id: int) -> dict[int, SchoolClass]:
    return {c.id: c for c in db.session.scalars(
        select(SchoolClass).where(SchoolClass.school_id == school_id).order_by(SchoolClass.year_group, SchoolClass.name))}


# ---------------------------------------------------------------------------------------------
# The online safety incident log (policy appendix 6) and CSV

@dataclass(frozen=True)
class LogRow:
    day: date
    where: str
    description: str
    action: str
    recorded_by: str
    kind: str  # "concern" | "incident"
    ref: int


def school_year_start(today: date) -> date:
    return date(today.year if today.month >= 9 else today.year - 1, 9, 1)


def incident_log(staff: StaffUser, date_from: date, date_to: date) -> list[LogRow]:
    """Appendix 6 as a table: date, where, description, action taken, staff member recording."""
    start, end = day_start_utc(date_from), day_start_utc(date_to + timedelta(days=1))
    happened = func.coalesce(Concern.occurred_at, Concern.created_at)
    concerns = list(db.session.scalars(
        select(Concern).where(Concern.school_id == staff.school_id, happened >= start, happened < end)))
    entries: dict[int, list[ConcernEntry]] = {}
    if concerns:
        for entry in db.session.scalars(select(ConcernEntry).where(
                ConcernEntry.concern_id.in_([c.id for c in concerns]),
                ConcernEntry.kind.in_(("action", "decision"))).order_by(ConcernEntry.id)):
            entries.setdefault(entry.concern_id, []).append(entry)
    classes = classes_of(staff.school_id)
    rows: list[LogRow] = []
    for c in concerns:
        when = local(c.occurred_at or c.created_at)
        where = str(labels.LOCATIONS.get(c.location or "dont_know", c.location))
        klass = classes.get(c.class_id)
        who = _("%(name)s (%(class)s)", name=c.pupil.full_name, **{"class": klass.name}) if klass else c.pupil.full_name
        intro = (_("Reported by %(who)s through Tell an adult.", who=who) if c.source == "pupil"
                 else _("Concern about %(who)s.", who=who))
        parts = [intro, _("Category: %(category)s.", category=labels.CATEGORIES[c.category])]
        if c.what:
            parts.append(_("Pupil chose: %(what)s.", what=labels.WHAT[c.what]))
        if c.words:
            parts.append(c.words)
        actions = [e.text or "" for e in entries.get(c.id, [])]
        if c.outcome:
            actions.append(_("Outcome: %(outcome)s", outcome=labels.OUTCOMES[c.outcome]))
        recorder = c.logged_by or c.assigned_to or next((e.author for e in entries.get(c.id, []) if e.author), None)
        rows.append(LogRow(when.date(), where, "\n".join(parts), "\n".join(actions),
                           recorder.display_name if recorder else "", "concern", c.id))
    for i in db.session.scalars(select(Incident).where(
            Incident.school_id == staff.school_id, Incident.occurred_on >= date_from, Incident.occurred_on <= date_to)):
        rows.append(LogRow(i.occurred_on, i.location or "", i.description or "", i.action or "",
                           i.recorded_by.display_name, "incident", i.id))
    rows.sort(key=lambda r: (r.day, r.kind, r.ref))
    return rows


def neutralise(value) -> str:
    """A CSV cell a spreadsheet will show as text, never run as a formula."""
    text = "" if value is None else str(value)
    if text and text[0] in "=+-@\t\r":
        return "'" + text
    return text


def csv_text(header: Iterable[str], rows: Iterable[Iterable]) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([neutralise(h) for h in header])
    for row in rows:
        writer.writerow([neutralise(v) for v in row])
    return out.getvalue()
