"""Pupil import from a CSV exported by a school MIS (SIMS, Arbor, Bromcom, ...).

``import_rows`` reads the file; ``plan`` compares every row with the school's pupils and says what
would happen (new, updated, unchanged, skipped, or an error with its reason); ``apply`` carries out a
plan without a single error, all or nothing, in the caller's transaction. Matching is by UPN first;
by name (and date of birth when both have one) only where neither side has a UPN; so importing the
same file twice changes nothing the second time, and two children with different UPNs are two.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from ..auth import service as auth_service
from ..extensions import db
from ..schools import looks
from ..schools.models import Pupil, School, SchoolClass, year_name
from . import pupil_accounts
from .import_rows import ERROR, NEW, SKIPPED, UNCHANGED, UPDATED, Row, read_csv, rows_of
from .service import UsernamePicker


@dataclass
class Plan:
    rows: list[Row]
    new_classes: dict[str, int]  # name -> year group
    encoding: str = "utf-8"  # how the file was read (import_rows.ENCODINGS)

    @property
    def counts(self) -> Counter:
        return Counter(r.status for r in self.rows)

    @property
    def errors(self) -> list[Row]:
        return [r for r in self.rows if r.status == ERROR]

    @property
    def ok(self) -> bool:
        return not self.errors

    @property
    def changes_anything(self) -> bool:
        c = self.counts
        return bool(c[NEW] or c[UPDATED] or self.new_classes)


def _cross_check(rows: list[Row]) -> None:
    """Problems between rows: the same UPN twice, the same pupil twice, a class with two year groups."""
    by_upn = defaultdict(list)
    by_name = defaultdict(list)
    class_years: dict[str, set[int]] = defaultdict(set)
    for row in rows:
        if row.upn:
            by_upn[row.upn].append(row)
        elif not row.errors and row.status != SKIPPED:
            by_name[(row.first_name.casefold(), row.last_name.casefold(), row.year_group, row.class_name.casefold(),
                     row.date_of_birth)].append(row)
        if row.year_group is not None and row.class_name:
            class_years[row.class_name.casefold()].add(row.year_group)
    for upn, same in by_upn.items():
        if len(same) > 1:
            numbers = ", ".join(str(r.number) for r in same)
            for row in same:
                row.errors.append(_l("UPN %(upn)s is on more than one row (rows %(rows)s)", upn=upn, rows=numbers))
    for same in by_name.values():
        if len(same) > 1:
            numbers = ", ".join(str(r.number) for r in same)
            for row in same:
                row.errors.append(_l("the same pupil is on more than one row (rows %(rows)s); add UPNs if they are "
                                     "two children", rows=numbers))
    for row in rows:
        years = class_years.get(row.class_name.casefold(), set())
        if len(years) > 1:
            row.errors.append(_l("class %(name)s has more than one year group in the file", name=row.class_name))


def _describe_year(year: int) -> str:
    return year_name(year)


def _language_change(row: Row, pupil: Pupil) -> None:
    """The MIS first language presets a pupil's language, never over one the child tapped themselves."""
    if not row.language or pupil.language == row.language:
        return
    if pupil.language_chosen_by_child:
        row.notes.append(_l("keeps the language the child chose (%(language)s)", language=pupil.language))
    else:
        row.changes.append(_l("language → %(language)s", language=row.language))


@dataclass
class _Roll:
    """The school as the file meets it: classes by name, pupils by UPN and by name."""

    classes: dict[str, SchoolClass]
    class_by_id: dict[int, SchoolClass]
    by_upn: dict[str, Pupil]
    by_name: dict[tuple[str, str, int], list[Pupil]]
    any_year: dict[tuple[str, str], list[tuple[Pupil, SchoolClass]]]

    @classmethod
    def of(cls, school: School) -> _Roll:
        classes = {c.name.casefold(): c for c in db.session.scalars(select(SchoolClass).where(
            SchoolClass.school_id == school.id))}
        pupils = list(db.session.scalars(select(Pupil).where(Pupil.school_id == school.id)))
        class_by_id = {c.id: c for c in classes.values()}
        by_name, any_year = defaultdict(list), defaultdict(list)
        for p in pupils:
            c = class_by_id.get(p.class_id)
            if p.active and c is not None:
                by_name[(p.first_name.casefold(), p.last_name.casefold(), c.year_group)].append(p)
                any_year[(p.first_name.casefold(), p.last_name.casefold())].append((p, c))
        return cls(classes, class_by_id, {p.upn: p for p in pupils if p.upn}, by_name, any_year)


def _class_problem(row: Row, existing: SchoolClass | None) -> None:
    if existing is None:
        return
    if not existing.active:
        row.errors.append(_l("class %(name)s is closed; reopen it or use another class name", name=existing.name))
    elif row.year_group is not None and existing.year_group != row.year_group:
        row.errors.append(_l("class %(name)s is %(year)s here, but the file says %(file_year)s",
                             name=existing.name, year=_describe_year(existing.year_group),
                             file_year=_describe_year(row.year_group)))


def _same_child(row: Row, pupil: Pupil) -> bool:
    """Nothing on record says they differ: never two UPNs, never two dates of birth."""
    if row.upn and pupil.upn and row.upn != pupil.upn:
        return False
    return not (row.date_of_birth and pupil.date_of_birth and row.date_of_birth != pupil.date_of_birth)


def _match(row: Row, roll: _Roll, namesakes: Counter) -> Pupil | None:
    """The pupil this row is, if any: by UPN first; else by name (and date of birth where both have one)
    in the same year group, narrowed to the same class when that tells them apart. A row's UPN takes
    a pupil who has none only when no other row of the file has the same name: two rows with
    different UPNs are two children, and which of them is the pupil already here cannot be told."""
    if row.upn and row.upn in roll.by_upn:
        pupil = roll.by_upn[row.upn]
        if not pupil.active:
            row.errors.append(_l("UPN %(upn)s belongs to %(name)s, who has left; reopen their account on the "
                                 "pupils page first", upn=row.upn, name=pupil.full_name))
        return pupil
    key = (row.first_name.casefold(), row.last_name.casefold())
    same = [p for p in roll.by_name.get((*key, row.year_group), []) if _same_child(row, p)]
    if row.upn and namesakes[(*key, row.year_group)] > 1:
        if any(p.upn is None for p in same):
            row.notes.append(_l("a pupil called %(name)s already here has no UPN: check they are not this child",
                                name=row.full_name))
        return None
    if len(same) > 1:
        same = [p for p in same if roll.class_by_id[p.class_id].name.casefold() == row.class_name.casefold()] or same
    if len(same) > 1:
        row.errors.append(_l("%(count)s pupils called %(name)s are in %(year)s; add their UPNs or dates of birth to "
                             "tell them apart", count=len(same), name=row.full_name,
                             year=_describe_year(row.year_group)))
        return None
    if same:
        return same[0]
    elsewhere = [] if row.upn else [(p, c) for p, c in roll.any_year.get(key, []) if _same_child(row, p)]
    if elsewhere:
        # Probably the same child in another year group: a new account would be a duplicate.
        p, c = elsewhere[0]
        row.errors.append(_l("%(name)s is already in %(class_name)s (%(year)s), but the file says "
                             "%(file_year)s; add the UPN, or correct the year group", name=p.full_name,
                             class_name=c.name, year=_describe_year(c.year_group),
                             file_year=_describe_year(row.year_group)))
    return None


def _changes(row: Row, pupil: Pupil, current: SchoolClass | None) -> None:
    if pupil.first_name != row.first_name or pupil.last_name != row.last_name:
        row.changes.append(_l("name %(old)s → %(new)s", old=pupil.full_name, new=row.full_name))
    if current is None or current.name.casefold() != row.class_name.casefold():
        row.changes.append(_l("class %(old)s → %(new)s", old=current.name if current else "–", new=row.class_name))
    if row.upn and pupil.upn != row.upn:
        row.changes.append(_l("UPN added: %(upn)s", upn=row.upn))
    _language_change(row, pupil)
    if row.date_of_birth and pupil.date_of_birth != row.date_of_birth:
        row.changes.append(_l("date of birth added: %(date)s", date=row.date_of_birth.strftime("%d/%m/%Y")))
    if row.legal_first_name and (pupil.legal_first_name, pupil.legal_last_name) != (row.legal_first_name,
                                                                                    row.legal_last_name):
        row.changes.append(_l("legal name kept: %(name)s", name=f"{row.legal_first_name} {row.legal_last_name}"))


def _plan_row(row: Row, roll: _Roll, new_classes: dict[str, int], claimed: dict[int, int],
              namesakes: Counter) -> None:
    if row.status == SKIPPED:
        return
    existing_class = roll.classes.get(row.class_name.casefold()) if row.class_name else None
    _class_problem(row, existing_class)
    if row.errors:
        row.status = ERROR
        return
    if existing_class is None:
        new_classes.setdefault(row.class_name, row.year_group)
    pupil = _match(row, roll, namesakes)
    if pupil is not None and not row.errors:
        if pupil.id in claimed:
            row.errors.append(_l("this is the same pupil as row %(row)s", row=claimed[pupil.id]))
        claimed.setdefault(pupil.id, row.number)
    if row.errors:
        row.status = ERROR
    elif pupil is None:
        row.status = NEW
    else:
        row.pupil_id = pupil.id
        _changes(row, pupil, roll.class_by_id.get(pupil.class_id))
        row.status = UPDATED if row.changes else UNCHANGED


def plan(school: School, data: bytes) -> Plan:
    """Read the file and say what importing it would do, row by row (raises FileProblem)."""
    columns, records, _n, encoding = read_csv(data)
    rows = rows_of(columns, records)
    _cross_check(rows)
    roll = _Roll.of(school)
    new_classes: dict[str, int] = {}
    claimed: dict[int, int] = {}
    namesakes = Counter((r.first_name.casefold(), r.last_name.casefold(), r.year_group) for r in rows
                        if r.upn and r.status != SKIPPED)
    for row in rows:
        _plan_row(row, roll, new_classes, claimed, namesakes)
    for row in rows:
        # Plain text from here on: a lazy string counts as safe HTML in a template, and these
        # messages quote the file's own cells.
        row.errors = [str(m) for m in row.errors]
        row.notes = [str(m) for m in row.notes]
        row.changes = [str(m) for m in row.changes]
    return Plan(rows, new_classes, encoding)


@dataclass(frozen=True)
class Applied:
    new: int
    updated: int
    unchanged: int
    classes: int
    class_ids: list[int]  # classes with new pupils (for printing their sign-in cards)


def apply(school: School, the_plan: Plan) -> Applied:
    """Carry out a plan with no errors. The caller commits once, or rolls everything back."""
    if not the_plan.ok:
        raise ValueError("a plan with errors cannot be applied")
    classes = {c.name.casefold(): c for c in db.session.scalars(select(SchoolClass).where(
        SchoolClass.school_id == school.id))}
    for name, year in the_plan.new_classes.items():
        c = SchoolClass(school_id=school.id, name=name, year_group=year, signin_token=auth_service.new_class_token())
        db.session.add(c)
        classes[name.casefold()] = c
    db.session.flush()
    picker = UsernamePicker()
    touched: set[int] = set()
    for row in the_plan.rows:
        if row.status not in (NEW, UPDATED):
            continue
        c = classes[row.class_name.casefold()]
        if row.status == NEW:
            pupil = Pupil(school_id=school.id, class_id=c.id, first_name=row.first_name, last_name=row.last_name,
                          legal_first_name=row.legal_first_name, legal_last_name=row.legal_last_name,
                          date_of_birth=row.date_of_birth,
                          username=picker.pick(row.first_name, row.last_name), upn=row.upn, language=row.language,
                          avatar="")
            looks.give_look(pupil, c.id)
            db.session.add(pupil)
            db.session.flush()
            pupil_accounts.give_first_credentials(pupil, c.year_group)
            touched.add(c.id)
        elif row.status == UPDATED:
            pupil = db.session.get(Pupil, row.pupil_id)
            pupil.first_name, pupil.last_name = row.first_name, row.last_name
            if pupil.class_id != c.id:
                looks.give_look(pupil, c.id)
                pupil.class_id = c.id
                pupil.school_class = c
                if c.band == "ks1" and pupil.picture_password is None:
                    pupil_accounts.give_first_credentials(pupil, c.year_group)
            if row.upn:
                pupil.upn = row.upn
            if row.language and not pupil.language_chosen_by_child:  # never over the child's own tap
                pupil.language = row.language
            if row.date_of_birth:
                pupil.date_of_birth = row.date_of_birth
            if row.legal_first_name:
                pupil.legal_first_name, pupil.legal_last_name = row.legal_first_name, row.legal_last_name
    db.session.flush()
    counts = the_plan.counts
    return Applied(counts[NEW], counts[UPDATED], counts[UNCHANGED], len(the_plan.new_classes), sorted(touched))


TEMPLATE_HEADER = ("UPN", "First name", "Last name", "Year group", "Class", "Language")
TEMPLATE_ROWS = (
    ("A123456789012", "Amelia", "Jones", "Reception", "Robins", "English"),
    ("", "Osian", "Davies", "Year 3", "Oak", "Welsh"),
)
