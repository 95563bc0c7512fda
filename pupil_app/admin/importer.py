"""Pupil import from a CSV exported by a school MIS (SIMS, Arbor, Bromcom, ...).

``read_csv`` turns the uploaded bytes into rows or a file-level problem; ``plan`` compares every
row with the school's pupils and says what would happen (new, updated, unchanged, or an error with
its reason); ``apply`` carries out a plan without a single error, all or nothing, in the caller's
transaction. Matching is by UPN when the file has one, else by name and year group, so importing
the same file twice changes nothing the second time.
"""

from __future__ import annotations

import csv
import io
import unicodedata
from collections import Counter, defaultdict
from dataclasses import dataclass, field

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from ..auth import service as auth_service
from ..extensions import db
from ..schools.models import Pupil, School, SchoolClass, year_name
from . import pupil_accounts, service
from .pupil_accounts import normalise_upn
from .service import MAX_CLASS_NAME, UsernamePicker, clean, person_name_problem, plain_text_problem

MAX_BYTES = 1_000_000  # about 15,000 rows of a typical export: far more than a primary school has
MAX_ROWS = 3_000
# The upload itself may be larger, so a too-big file is still read far enough to say how many rows it has.
MAX_UPLOAD_BYTES = 16 * 1024 * 1024

COLUMNS = {
    "upn": ("upn", "unique pupil number", "pupil upn"),
    "first_name": ("first name", "firstname", "forename", "legal forename", "preferred forename", "given name",
                   "first names", "forenames"),
    "last_name": ("last name", "lastname", "surname", "legal surname", "preferred surname", "family name"),
    "year_group": ("year group", "year", "nc year", "national curriculum year", "curriculum year", "yeargroup",
                   "year taught in", "nc year actual"),
    "class_name": ("class", "class name", "reg group", "registration group", "reg", "form", "form group",
                   "tutor group"),
    "language": ("language", "first language", "home language", "preferred language"),
}
REQUIRED = ("first_name", "last_name", "year_group", "class_name")
COLUMN_LABELS = {
    "upn": _l("UPN"), "first_name": _l("first name"), "last_name": _l("last name"),
    "year_group": _l("year group"), "class_name": _l("class"), "language": _l("language"),
}
LANGUAGES = {
    "en": "en", "eng": "en", "english": "en", "saesneg": "en",
    "cy": "cy", "wel": "cy", "cym": "cy", "welsh": "cy", "cymraeg": "cy",
}

NEW, UPDATED, UNCHANGED, ERROR = "new", "updated", "unchanged", "error"


class FileProblem(Exception):
    """The file as a whole cannot be read; nothing in it is looked at further."""

    def __init__(self, message):
        super().__init__(message)
        self.message = message


@dataclass
class Row:
    number: int  # the line of the spreadsheet (header is row 1)
    upn: str | None
    first_name: str
    last_name: str
    year_group: int | None
    class_name: str
    language: str | None
    raw_year: str = ""
    raw_language: str = ""
    status: str = NEW
    errors: list = field(default_factory=list)
    notes: list = field(default_factory=list)
    changes: list = field(default_factory=list)
    pupil_id: int | None = None

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()


@dataclass
class Plan:
    rows: list[Row]
    new_classes: dict[str, int]  # name -> year group

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


def _header_key(text: str) -> str:
    text = text.replace("\ufeff", "").strip().lower()
    for ch in "_-.":
        text = text.replace(ch, " ")
    return " ".join(text.split())


def _has_bad_bytes(text: str) -> bool:
    return any("\udc80" <= ch <= "\udcff" for ch in text)


def _bad_bytes(text: str) -> str:
    return ", ".join(f"0x{ord(ch) - 0xDC00:02X}" for ch in text if "\udc80" <= ch <= "\udcff")[:40]


NOT_UTF8 = _l("Some of the file is not UTF-8 text (in a column that is not imported). Save it as 'CSV UTF-8' "
              "and upload it again. Nothing was imported.")


def is_utf8(data: bytes) -> bool:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def decode(data: bytes) -> str:
    """The file's text; bytes that are not UTF-8 are kept as markers so each row can be reported."""
    if not data.strip():
        raise FileProblem(_l("The file is empty."))
    if data.startswith(b"PK\x03\x04") or data.startswith(b"\xd0\xcf\x11\xe0"):
        raise FileProblem(_l("This is an Excel workbook, not a CSV file. In Excel choose File, Save As, "
                             "'CSV UTF-8 (Comma delimited)', then upload that file."))
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise FileProblem(_l("The file is saved as UTF-16 ('Unicode text'). Save it as 'CSV UTF-8' and upload it again."))
    if b"\x00" in data[:4096]:
        raise FileProblem(_l("This does not look like a CSV text file."))
    text = data.decode("utf-8", errors="surrogateescape")
    return text[1:] if text.startswith("\ufeff") else text


def _dialect(first_line: str) -> str:
    counts = {d: first_line.count(d) for d in (",", ";", "\t")}
    best = max(counts, key=counts.get)
    return best if counts[best] else ","


def read_csv(data: bytes) -> tuple[dict[str, int], list[list[str]], int]:
    """(column key -> index, data rows as lists with their spreadsheet row numbers at [0], row count).

    Refuses a whole file that is empty, not text, too long or without the columns it needs; rows
    are checked one by one later.
    """
    text = decode(data)
    first_line = text.split("\n", 1)[0]
    try:
        records = list(csv.reader(io.StringIO(text, newline=""), delimiter=_dialect(first_line), strict=False))
    except csv.Error as exc:
        raise FileProblem(_l("The file is not a CSV file that can be read: %(problem)s.", problem=str(exc))) from exc
    if not records:
        raise FileProblem(_l("The file is empty."))
    header, body = records[0], records[1:]
    numbered = [[str(i)] + r for i, r in enumerate(body, 2) if any(cell.strip() for cell in r)]
    if len(numbered) > MAX_ROWS:
        raise FileProblem(_l("The file has %(rows)s pupil rows; one import takes at most %(limit)s. Nothing was "
                             "imported. Export one year group or a few classes at a time.",
                             rows=f"{len(numbered):,}", limit=f"{MAX_ROWS:,}"))
    if len(data) > MAX_BYTES:
        raise FileProblem(_l("The file is %(size)s KB; the limit is %(limit)s KB. Nothing was imported.",
                             size=f"{len(data) // 1000:,}", limit=f"{MAX_BYTES // 1000:,}"))
    if _has_bad_bytes(first_line):
        raise FileProblem(_l("The first row (the column names) is not UTF-8 text. Save the file as 'CSV UTF-8' "
                             "and upload it again."))
    columns: dict[str, int] = {}
    wanted = {alias: key for key, aliases in COLUMNS.items() for alias in aliases}
    for i, name in enumerate(header):
        key = wanted.get(_header_key(name))
        if key and key not in columns:
            columns[key] = i
    missing = [str(COLUMN_LABELS[k]) for k in REQUIRED if k not in columns]
    if missing:
        raise FileProblem(_l("The file has no column for: %(missing)s. The first row must name the columns, for "
                             "example: UPN, First name, Last name, Year group, Class, Language.",
                             missing=", ".join(missing)))
    if not numbered:
        raise FileProblem(_l("The file has column names but no pupils."))
    return columns, numbered, len(numbered)


def parse_year(raw: str) -> int | None:
    """'Reception', 'R', 'YR', 'Year 4', 'Y4', '4', 'NC Year 4' -> 0..6; anything else -> None."""
    text = _header_key(raw)
    for prefix in ("nc year ", "national curriculum year ", "year ", "yr ", "y"):
        if text.startswith(prefix):
            text = text[len(prefix):].strip()
            break
    if text in ("r", "rec", "reception", "0", "yr", "foundation", "f2", "fs2"):
        return 0
    if text.isdecimal() and 1 <= int(text) <= 6 and len(text) == 1:
        return int(text)
    return None


def _cell(record: list[str], columns: dict[str, int], key: str) -> str:
    i = columns.get(key)
    if i is None or i + 1 >= len(record):
        return ""
    return record[i + 1]


def rows_of(columns: dict[str, int], records: list[list[str]]) -> list[Row]:
    """Each record as a Row, with the problems that belong to it alone."""
    rows = []
    for record in records:
        number = int(record[0])
        raw = {k: _cell(record, columns, k) for k in COLUMNS}
        row = Row(number=number, upn=normalise_upn(raw["upn"]), first_name=clean(raw["first_name"]),
                  last_name=clean(raw["last_name"]), year_group=None, class_name=clean(raw["class_name"]),
                  language=None, raw_year=clean(raw["year_group"]), raw_language=clean(raw["language"]))
        bad = [k for k, v in raw.items() if _has_bad_bytes(v)]
        if bad:
            row.errors.append(_l("has characters that are not UTF-8 text (bytes %(bytes)s in the %(column)s); save "
                                 "the file as 'CSV UTF-8'",
                                 bytes=_bad_bytes("".join(raw[k] for k in bad)), column=COLUMN_LABELS[bad[0]]))
            row.first_name, row.last_name = (row.first_name.encode("utf-8", "replace").decode("utf-8"),
                                             row.last_name.encode("utf-8", "replace").decode("utf-8"))
            row.class_name = row.class_name.encode("utf-8", "replace").decode("utf-8")
            row.upn = row.upn.encode("utf-8", "replace").decode("utf-8") if row.upn else None
            rows.append(row)
            continue
        for key, value in (("first_name", row.first_name), ("last_name", row.last_name)):
            problem = person_name_problem(value)
            if problem:
                row.errors.append(_l("%(column)s %(problem)s", column=COLUMN_LABELS[key], problem=problem))
        row.year_group = parse_year(row.raw_year)
        if row.year_group is None:
            row.errors.append(_l("year group '%(value)s' is not a primary year (Reception to Year 6)",
                                 value=row.raw_year[:20]) if row.raw_year else _l("year group is empty"))
        problem = plain_text_problem(row.class_name, MAX_CLASS_NAME)
        if problem:
            row.errors.append(_l("%(column)s %(problem)s", column=COLUMN_LABELS["class_name"], problem=problem))
        if row.upn:
            problem = pupil_accounts.upn_problem(row.upn)
            if problem:
                row.errors.append(_l("UPN '%(value)s' %(problem)s", value=row.upn[:20], problem=problem))
        if row.raw_language:
            if looks_bad := plain_text_problem(row.raw_language, 40):
                row.errors.append(_l("%(column)s %(problem)s", column=COLUMN_LABELS["language"], problem=looks_bad))
            else:
                row.language = LANGUAGES.get(unicodedata.normalize("NFKC", row.raw_language).lower())
                if row.language is None:
                    row.notes.append(_l("language '%(value)s' is not offered yet: pages will be in English",
                                        value=row.raw_language))
        rows.append(row)
    return rows


def _cross_check(rows: list[Row]) -> None:
    """Problems between rows: the same UPN twice, the same pupil twice, a class with two year groups."""
    by_upn = defaultdict(list)
    by_name = defaultdict(list)
    class_years: dict[str, set[int]] = defaultdict(set)
    for row in rows:
        if row.upn:
            by_upn[row.upn].append(row)
        elif not row.errors:
            by_name[(row.first_name.casefold(), row.last_name.casefold(), row.year_group, row.class_name.casefold())].append(row)
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


def _match(row: Row, roll: _Roll) -> Pupil | None:
    """The pupil this row is, if any: by UPN, else by name in the same year group (errors when unsure)."""
    if row.upn and row.upn in roll.by_upn:
        pupil = roll.by_upn[row.upn]
        if not pupil.active:
            row.errors.append(_l("UPN %(upn)s belongs to %(name)s, who has left; reopen their account on the "
                                 "pupils page first", upn=row.upn, name=pupil.full_name))
        return pupil
    same = [p for p in roll.by_name.get((row.first_name.casefold(), row.last_name.casefold(), row.year_group), [])
            if not (row.upn and p.upn)]
    if len(same) > 1:
        row.errors.append(_l("%(count)s pupils called %(name)s are in %(year)s; add their UPNs to tell them "
                             "apart", count=len(same), name=row.full_name, year=_describe_year(row.year_group)))
        return None
    if same:
        return same[0]
    elsewhere = [] if row.upn else roll.any_year.get((row.first_name.casefold(), row.last_name.casefold()), [])
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
    if row.language and pupil.language != row.language:
        row.changes.append(_l("language → %(language)s", language=row.language))


def _plan_row(row: Row, roll: _Roll, new_classes: dict[str, int], claimed: dict[int, int]) -> None:
    existing_class = roll.classes.get(row.class_name.casefold()) if row.class_name else None
    _class_problem(row, existing_class)
    if row.errors:
        row.status = ERROR
        return
    if existing_class is None:
        new_classes.setdefault(row.class_name, row.year_group)
    pupil = _match(row, roll)
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
    columns, records, _n = read_csv(data)
    rows = rows_of(columns, records)
    _cross_check(rows)
    roll = _Roll.of(school)
    new_classes: dict[str, int] = {}
    claimed: dict[int, int] = {}
    for row in rows:
        _plan_row(row, roll, new_classes, claimed)
    for row in rows:
        # Plain text from here on: a lazy string counts as safe HTML in a template, and these
        # messages quote the file's own cells.
        row.errors = [str(m) for m in row.errors]
        row.notes = [str(m) for m in row.notes]
        row.changes = [str(m) for m in row.changes]
    return Plan(rows, new_classes)


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
        c = classes[row.class_name.casefold()]
        if row.status == NEW:
            pupil = Pupil(school_id=school.id, class_id=c.id, first_name=row.first_name, last_name=row.last_name,
                          username=picker.pick(row.first_name, row.last_name), upn=row.upn, language=row.language,
                          avatar=service.AVATARS[(row.number * 7) % len(service.AVATARS)])
            db.session.add(pupil)
            db.session.flush()
            pupil_accounts.give_first_credentials(pupil, c.year_group)
            touched.add(c.id)
        elif row.status == UPDATED:
            pupil = db.session.get(Pupil, row.pupil_id)
            pupil.first_name, pupil.last_name = row.first_name, row.last_name
            if pupil.class_id != c.id:
                pupil.class_id = c.id
                pupil.school_class = c
                if c.band == "ks1" and pupil.picture_password is None:
                    pupil_accounts.give_first_credentials(pupil, c.year_group)
            if row.upn:
                pupil.upn = row.upn
            if row.language:
                pupil.language = row.language
    db.session.flush()
    counts = the_plan.counts
    return Applied(counts[NEW], counts[UPDATED], counts[UNCHANGED], len(the_plan.new_classes), sorted(touched))


TEMPLATE_HEADER = ("UPN", "First name", "Last name", "Year group", "Class", "Language")
TEMPLATE_ROWS = (
    ("A123456789012", "Amelia", "Jones", "Reception", "Robins", "English"),
    ("", "Osian", "Davies", "Year 3", "Oak", "Welsh"),
)
