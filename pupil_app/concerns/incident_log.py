"""The online safety incident log (policy appendix 6): concerns and incidents by date.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from flask_babel import gettext as _
from sqlalchemy import func, select

from ..extensions import db
from ..schools.models import StaffUser
from ..timeutil import day_start_utc, format_day, local
from . import labels
from .inbox import classes_of
from .models import MARKERS, Concern, ConcernEntry, Incident

# ---------------------------------------------------------------------------------------------
# The online safety incident log (policy appendix 6) and CSV

@dataclass(frozen=True)
class LogRow:
    day: date
    where: str
    description: str
    action: str
    recorded_by: str
    kind: str  # "concern" | "incident" (| "filtering": rows from filtering.service.log_rows)
    ref: int


def school_year_start(today: date) -> date:
    return date(today.year if today.month >= 9 else today.year - 1, 9, 1)


# What the log's "Action taken" tells: what was done, decided and said, and who was informed when.
LOG_KINDS = ("action", "decision", "conversation")


def _actions(concern: Concern, entries: list[ConcernEntry]) -> list[str]:
    corrected = {e.corrects_id for e in entries if e.corrects_id}
    out = [f"{format_day(e.when, 'dd/MM/yyyy')}: {labels.ENTRY_KINDS[e.kind]}: {e.text or ''}"
           for e in entries if e.id not in corrected]
    for marker in MARKERS:
        day = getattr(concern, marker)
        if day:
            out.append(f"{format_day(day, 'dd/MM/yyyy')}: {labels.MARKERS[marker]}")
    return out


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
                ConcernEntry.kind.in_(LOG_KINDS)).order_by(ConcernEntry.id)):
            entries.setdefault(entry.concern_id, []).append(entry)
    classes = classes_of(staff.school_id)
    rows: list[LogRow] = []
    for c in concerns:
        when = local(c.occurred_at or c.created_at)
        where = str(labels.LOCATIONS.get(c.location or "dont_know", c.location))
        then = c.class_then(classes)
        who = _("%(name)s (%(class)s)", name=c.pupil.full_name, **{"class": then}) if then else c.pupil.full_name
        intro = (_("Reported by %(who)s through Tell an adult.", who=who) if c.source == "pupil"
                 else _("Concern about %(who)s.", who=who))
        parts = [intro, _("Category: %(category)s.", category=labels.CATEGORIES[c.category])]
        if c.what:
            parts.append(_("Pupil chose: %(what)s.", what=labels.WHAT[c.what]))
        if c.words:
            parts.append(c.words)
        actions = _actions(c, entries.get(c.id, []))
        if c.outcome:
            actions.append(_("Outcome: %(outcome)s", outcome=labels.OUTCOMES[c.outcome]))
        recorder = c.logged_by or c.assigned_to or next((e.author for e in entries.get(c.id, []) if e.author), None)
        rows.append(LogRow(when.date(), where, "\n".join(parts), "\n".join(actions),
                           recorder.display_name if recorder else "", "concern", c.id))
    for i in db.session.scalars(select(Incident).where(
            Incident.school_id == staff.school_id, Incident.occurred_on >= date_from, Incident.occurred_on <= date_to)):
        rows.append(LogRow(i.occurred_on, i.location or "", i.description or "", i.action or "",
                           i.recorded_by.display_name, "incident", i.id))
    from ..filtering import service as filtering  # filtering reports and their actions (same row shape)

    rows.extend(filtering.log_rows(staff.school_id, date_from, date_to))
    rows.sort(key=lambda r: (r.day, r.kind, r.ref))
    return rows
