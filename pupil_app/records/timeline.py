"""The child's record: one timeline across every concern about them or mentioning them, with the
chronology, markers, files and tasks; and its redacted version for outside agencies.

Redaction happens here, on the server: the names of every other pupil of the school (full, last and
first names) are replaced in every text
before the page is built, and entries the DSL chose to leave out are not sent at all. Each
redaction is written to the audit trail (which entry, how many names, or "left out").
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import datetime, time

from flask import abort
from flask_babel import gettext as _
from sqlalchemy import or_, select

from .. import crypto
from ..concerns import audit, labels
from ..concerns.models import MARKERS, Concern, ConcernPupil
from ..extensions import db
from ..schools.models import Pupil, StaffUser
from ..timeutil import format_day
from . import references
from .models import Attachment, Task

REDACTED = "[another child]"


@dataclass(frozen=True)
class Event:
    key: str  # stable id of the entry, e.g. "entry-12": what the DSL ticks to leave it out
    when: datetime
    concern_id: int
    kind: str
    title: str
    text: str | None = None
    about_child: bool = True  # False: the child is mentioned in a concern about someone else


def load_pupil(staff: StaffUser, pupil_id: int) -> Pupil:
    pupil = db.session.get(Pupil, pupil_id) if 0 < pupil_id < 2**31 else None
    if pupil is None or pupil.school_id != staff.school_id:
        db.session.rollback()
        audit.record(staff, "record.refused", "pupil", pupil_id if pupil_id < 2**31 else None,
                     "not a pupil of this school")
        db.session.commit()
        abort(404)
    return pupil


def _concerns(pupil: Pupil) -> list[Concern]:
    linked = select(ConcernPupil.concern_id).where(ConcernPupil.pupil_id == pupil.id)
    return list(db.session.scalars(select(Concern).where(
        Concern.school_id == pupil.school_id, or_(Concern.pupil_id == pupil.id, Concern.id.in_(linked)))
        .order_by(Concern.id)))


def _concern_events(concern: Concern, about: bool) -> list[Event]:
    c = concern.id
    heading = (str(labels.CATEGORIES[concern.category]) + " · " + str(labels.STATUSES[concern.status])
               + (" · " + str(labels.OUTCOMES[concern.outcome]) if concern.outcome else ""))
    words = concern.words
    title = (_("Concern #%(id)d received: %(what)s", id=c, what=heading) if about else
             _("Concern #%(id)d about %(name)s: %(what)s", id=c, name=concern.pupil.full_name, what=heading))
    events = [Event(f"concern-{c}", concern.created_at, c, "concern", title, words, about)]
    for entry in concern.entries:
        text = crypto.decrypt(entry.text_enc) or ""
        reason = crypto.decrypt(entry.reason_enc) if entry.reason_enc else None
        events.append(Event(f"entry-{entry.id}", entry.created_at, c, "entry",
                            str(labels.ENTRY_KINDS[entry.kind]),
                            text + ("\n" + _("Reason: %(reason)s", reason=reason) if reason else ""),
                            about))
    for marker in MARKERS:
        day = getattr(concern, marker)
        if day:
            events.append(Event(f"marker-{c}-{marker}", datetime.combine(day, time(12)), c, "marker",
                                str(labels.MARKERS[marker]), None, about))
    for a in db.session.scalars(select(Attachment).where(Attachment.concern_id == c).order_by(Attachment.id)):
        events.append(Event(f"file-{a.id}", a.created_at, c, "file",
                            _("File: %(name)s", name=crypto.decrypt(a.name_enc) or f"#{a.id}"), None, about))
    for r in references.of_concern(c):
        detail = "; ".join(x for x in (r.reference, r.contact) if x)
        events.append(Event(f"reference-{r.id}", datetime.combine(r.made_on, time(12)), c, "reference",
                            str(references.AGENCY_LABELS[r.agency]), detail or None, about))
    for t in db.session.scalars(select(Task).where(Task.concern_id == c).order_by(Task.id)):
        events.append(Event(f"task-{t.id}", t.created_at, c, "task",
                            (_("Review date") if t.kind == "review" else _("Task")) + " · "
                            + _("due %(day)s", day=format_day(t.due_on)) + (" · " + _("done") if t.done_at else ""),
                            t.text, about))
    return events


def timeline(staff: StaffUser, pupil: Pupil, action: str | None = "record.viewed") -> list[Event]:
    """Everything about the child, oldest first; the view is audited (the caller audits when ``action`` is None)."""
    events: list[Event] = []
    for concern in _concerns(pupil):
        events.extend(_concern_events(concern, concern.pupil_id == pupil.id))
    if action:
        audit.record(staff, action, "pupil", pupil.id, f"{len(events)} entries")
        db.session.flush()
    return sorted(events, key=lambda e: (e.when, e.key))


def _names_to_remove(pupil: Pupil) -> re.Pattern | None:
    """Every other pupil of the school: full names, last names and first names (as written, capitalised).

    Erring towards removing too much: a first name that is also a word ("Will", "Grace") is removed
    where it is capitalised; the child's own first name is never removed.
    """
    names: set[str] = set()
    for first, last in db.session.execute(select(Pupil.first_name, Pupil.last_name).where(
            Pupil.school_id == pupil.school_id, Pupil.id != pupil.id)):
        names.update((f"{first} {last}", last))
        if first != pupil.first_name:
            names.add(first)
    names = {n for n in names if n.strip() and n not in (pupil.first_name, pupil.last_name)}
    if not names:
        return None
    alternatives = "|".join(re.escape(n) for n in sorted(names, key=len, reverse=True))
    return re.compile(rf"(?<!\w)(?:{alternatives})(?:'s)?(?!\w)")


def redacted(staff: StaffUser, pupil: Pupil, leave_out: set[str],
             action: str = "record.exported_redacted") -> list[Event]:
    """The timeline for an outside agency, or a subject access request (``action`` says which): other
    children's names removed, chosen entries left out; each redaction logged."""
    pattern = _names_to_remove(pupil)
    out: list[Event] = []
    for event in timeline(staff, pupil, action=action):
        if event.key in leave_out:
            audit.record(staff, "record.redaction", "pupil", pupil.id, f"{event.key}: left out")
            continue
        removed = 0
        fields = {}
        for name in ("title", "text"):
            value = getattr(event, name)
            if value and pattern:
                value, n = pattern.subn(REDACTED, value)
                removed += n
            fields[name] = value
        if removed:
            audit.record(staff, "record.redaction", "pupil", pupil.id, f"{event.key}: {removed} names removed")
        out.append(replace(event, **fields))
    db.session.flush()
    return out
