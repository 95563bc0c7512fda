"""Who has signed: a pupil's promises and modules, a class at a glance, counts for coverage and overviews.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time
from typing import Any

from sqlalchemy import func, literal, or_, select, union_all

from ..content import current_content as content
from ..extensions import db
from ..learning.models import ModuleProgress
from ..schools.models import Pupil, SchoolClass, band_for_year
from ..timeutil import utcnow
from .models import ParentAcknowledgement, ParentLink, PledgeSettings, PledgeSignature, PledgeVersion
from .parents import start_of_school_year
from .rules import AGAIN, NOT_YET, SIGNED
from .service import Standing, active_cutoff, resign_from, signatures_of, standing_from
from .versions import PledgeText, Promise, current_text, latest_version, pledge_key, shipped_text, text_of

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
    """Each promise of the pupil's pledge with the modules of their year behind it, and whether each is done."""
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
        # The curriculum has a module per year: a promise rests on the pupil's own year's modules.
        mods = [m for m in mods if m.year == pupil.school_class.year_group] or mods
        out.append(PromiseProgress(promise, [(m, m.id in done) for m in mods]))
    return text, out


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
        text = text_of(content().pledges[key], version) if version else shipped_text(content().pledges[key])
    cutoff = active_cutoff(resign_from(school_class.school_id), today)
    ids = [p.id for p in pupils]
    signatures = signatures_of(ids)
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
                                      majors.get((pupil_id, key)), active_cutoff(resign))
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
    signatures = signatures_of([pupil.id])[pupil.id]
    key = pledge_key(pupil.band)
    version = latest_version(pupil.school_id, key) if key else None
    st = standing_from(pupil, signatures, key, version.major if version else None,
                       active_cutoff(resign_from(pupil.school_id)))
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


def signed_now(school_id: int, key: str | None = None) -> int:
    """Pupils on roll whose signature counts today (of pledge ``key``, or any): how many a major version or
    a sign-again date would ask to sign again."""
    pupils = list(db.session.scalars(select(Pupil).where(Pupil.school_id == school_id, Pupil.active.is_(True))))
    if key is not None:
        pupils = [p for p in pupils if pledge_key(p.band) == key]
    standings = standings_by_id([p.id for p in pupils])
    return sum(1 for st in standings.values() if st.state == SIGNED)


def major_versions_between(school_id: int, start, end) -> list[PledgeVersion]:
    """Major versions (not the first) published in [start, end): each asked every pupil to sign again."""
    return list(db.session.scalars(select(PledgeVersion).where(
        PledgeVersion.school_id == school_id, PledgeVersion.change == "major",
        PledgeVersion.published_at >= datetime.combine(start, time.min),
        PledgeVersion.published_at < datetime.combine(end, time.min)).order_by(PledgeVersion.published_at)))
