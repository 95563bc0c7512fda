"""The DSL's inbox: filters, search (names, numbers and the words of recent concerns), paging.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import false, func, or_, select

from .. import crypto
from ..extensions import db
from ..guards import id_arg
from ..schools.models import Pupil, SchoolClass, StaffUser
from ..timeutil import day_start_utc
from .handling import _linked_concern_ids
from .models import CATEGORIES, STATUSES, Concern
from .service import INBOX_GROUPS, MAX_SEARCH, OPEN_STATUSES, PER_PAGE, WORD_SEARCH_LIMIT, ConcernError

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


def date_arg(raw: str | None) -> date | None:
    if raw in (None, ""):
        return None
    try:
        value = date.fromisoformat(raw)
    except ValueError:
        raise ConcernError(400, _l("Dates must look like 2026-03-31.")) from None
    if not date(2000, 1, 1) <= value <= date(2199, 12, 31):  # 9999-12-31 + 1 day overflows
        raise ConcernError(400, _l("Dates must look like 2026-03-31."))
    return value


def _searchable(plain: str | None) -> str:
    return "" if plain is None or isinstance(plain, crypto.Unreadable) else plain.casefold()


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
                       pupil_id=_int_arg(args.get("pupil")), date_from=date_arg(args.get("from")),
                       date_to=date_arg(args.get("to")), urgent=args.get("urgent") == "1", q=q)


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
