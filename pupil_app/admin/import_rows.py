"""Reading a pupil file from a school MIS: its encoding, its columns, and each row with the problems
of that row alone. Nothing here looks at the school's pupils: ``importer`` matches the rows.
"""

from __future__ import annotations

import csv
import io
import unicodedata
from dataclasses import dataclass, field
from datetime import date, datetime

from flask_babel import lazy_gettext as _l

from . import pupil_accounts
from .pupil_accounts import normalise_upn
from .service import MAX_CLASS_NAME, clean, person_name_problem, plain_text_problem

MAX_BYTES = 1_000_000  # about 15,000 rows of a typical export: far more than a primary school has
MAX_ROWS = 3_000
# The upload itself may be larger, so a too-big file is still read far enough to say how many rows it has.
MAX_UPLOAD_BYTES = 16 * 1024 * 1024

COLUMNS = {
    "upn": ("upn", "unique pupil number", "pupil upn"),
    # The name a child goes by: a "preferred" column wins over a legal one (Alex, not Alexander).
    "first_name": ("preferred forename", "preferred first name", "known as", "first name", "firstname", "forename",
                   "given name", "first names", "forenames"),
    "last_name": ("preferred surname", "preferred last name", "last name", "lastname", "surname", "family name"),
    "legal_first_name": ("legal forename", "legal first name", "legal given name"),
    "legal_last_name": ("legal surname", "legal last name", "legal family name"),
    "date_of_birth": ("date of birth", "dob", "d o b", "birth date", "birthdate"),
    "year_group": ("year group", "year", "nc year", "national curriculum year", "curriculum year", "yeargroup",
                   "year taught in", "nc year actual"),
    "class_name": ("class", "class name", "reg group", "registration group", "reg", "form", "form group",
                   "tutor group"),
    "language": ("language", "first language", "home language", "preferred language"),
}
REQUIRED = ("first_name", "last_name", "year_group", "class_name")
COLUMN_LABELS = {
    "upn": _l("UPN"), "first_name": _l("first name"), "last_name": _l("last name"),
    "legal_first_name": _l("legal forename"), "legal_last_name": _l("legal surname"),
    "date_of_birth": _l("date of birth"),
    "year_group": _l("year group"), "class_name": _l("class"), "language": _l("language"),
}
# MIS first-language values: ISO codes, the DfE/SIMS codes (ENG, ENB, WEL, POL, URD, RMN, ARA...),
# English names and the languages' own names.
LANGUAGES = {
    "en": "en", "eng": "en", "enb": "en", "english": "en", "saesneg": "en",
    "cy": "cy", "wel": "cy", "cym": "cy", "welsh": "cy", "cymraeg": "cy",
    "pl": "pl", "pol": "pl", "polish": "pl", "polski": "pl",
    "ro": "ro", "ron": "ro", "rum": "ro", "rmn": "ro", "romanian": "ro", "română": "ro", "romana": "ro",
    "ur": "ur", "urd": "ur", "urdu": "ur", "اردو": "ur",
    "ar": "ar", "ara": "ar", "arabic": "ar", "arb": "ar", "arabic (any other)": "ar", "العربية": "ar",
}

NEW, UPDATED, UNCHANGED, ERROR, SKIPPED = "new", "updated", "unchanged", "error", "skipped"


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
    legal_first_name: str | None = None
    legal_last_name: str | None = None
    date_of_birth: date | None = None
    status: str = NEW
    errors: list = field(default_factory=list)
    notes: list = field(default_factory=list)
    changes: list = field(default_factory=list)
    pupil_id: int | None = None

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()


def _header_key(text: str) -> str:
    text = text.replace("\ufeff", "").strip().lower()
    for ch in "_-.":
        text = text.replace(ch, " ")
    return " ".join(text.split())


def _has_bad_bytes(text: str) -> bool:
    return any("\udc80" <= ch <= "\udcff" for ch in text)


def _bad_bytes(text: str) -> str:
    return ", ".join(f"0x{ord(ch) - 0xDC00:02X}" for ch in text if "\udc80" <= ch <= "\udcff")[:40]


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
    text, _encoding = decoded(data)
    return text


ENCODINGS = {"utf-8": _l("UTF-8"), "utf-8-sig": _l("UTF-8 with a byte-order mark"),
             "cp1252": _l("Windows-1252 (Excel's 'CSV (Comma delimited)')")}


def decoded(data: bytes) -> tuple[str, str]:
    """The text and the encoding it was read in: UTF-8 (with or without a byte-order mark), else
    Windows-1252, which Excel writes for a plain 'CSV' and which reads any byte but five. Bytes that
    fit neither are kept as markers so each row can be reported."""
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8", errors="surrogateescape"), "utf-8-sig"
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp1252"), "cp1252"
    except UnicodeDecodeError:
        return data.decode("utf-8", errors="surrogateescape"), "utf-8"


def _dialect(first_line: str) -> str:
    counts = {d: first_line.count(d) for d in (",", ";", "\t")}
    best = max(counts, key=counts.get)
    return best if counts[best] else ","


def read_csv(data: bytes) -> tuple[dict[str, int], list[list[str]], int, str]:
    """(column key -> index, data rows as lists with their spreadsheet row numbers at [0], row count,
    the encoding the file was read in).

    Refuses a whole file that is empty, not text, too long or without the columns it needs; rows
    are checked one by one later.
    """
    decode(data)  # refuses what is not a CSV text file at all
    text, encoding = decoded(data)
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
    for name, legal in (("first_name", "legal_first_name"), ("last_name", "legal_last_name")):
        if name not in columns and legal in columns:
            columns[name] = columns[legal]
    missing = [str(COLUMN_LABELS[k]) for k in REQUIRED if k not in columns]
    if missing:
        raise FileProblem(_l("The file has no column for: %(missing)s. The first row must name the columns, for "
                             "example: UPN, First name, Last name, Year group, Class, Language.",
                             missing=", ".join(missing)))
    if not numbered:
        raise FileProblem(_l("The file has column names but no pupils."))
    return columns, numbered, len(numbered), encoding


# Year groups a primary school's MIS export may hold that are not this app's: skipped and counted.
OUTSIDE_PRIMARY = ("n", "n1", "n2", "nursery", "nur", "pre school", "preschool", "fs1", "f1", "7", "8", "9", "10",
                   "11", "12", "13", "14")


def outside_primary(raw: str) -> bool:
    text = _header_key(raw)
    for prefix in ("nc year ", "national curriculum year ", "year ", "yr ", "y"):
        if text.startswith(prefix) and text != "yr":
            text = text[len(prefix):].strip()
            break
    return text in OUTSIDE_PRIMARY


DATE_FORMATS = ("%d/%m/%Y", "%Y-%m-%d", "%d-%m-%Y", "%d.%m.%Y", "%d/%m/%y")


def parse_date(raw: str) -> date | None:
    """A date of birth as MIS exports write it (British order first); None if it is not one."""
    for fmt in DATE_FORMATS:
        try:
            return datetime.strptime(raw.strip(), fmt).date()
        except ValueError:
            continue
    return None


def parse_year(raw: str) -> int | None:
    """'Reception', 'R', 'YR', 'Year 4', 'Y4', '4', 'NC Year 4' -> 0..6; anything else -> None."""
    text = _header_key(raw)
    for prefix in ("nc year ", "national curriculum year ", "year ", "yr ", "y"):
        if text.startswith(prefix):
            text = text[len(prefix):].strip()
            break
    if text in ("r", "rec", "reception", "0", "yr", "foundation", "f2", "fs2"):
        return 0
    if text.isdigit() and 1 <= int(text) <= 6 and len(text) == 1:
        return int(text)
    return None


def _cell(record: list[str], columns: dict[str, int], key: str) -> str:
    i = columns.get(key)
    if i is None or i + 1 >= len(record):
        return ""
    return record[i + 1]


def _unreadable(row: Row, raw: dict[str, str]) -> bool:
    """Bytes no encoding could read: the row is reported with them (shown replaced), never guessed."""
    bad = [k for k, v in raw.items() if _has_bad_bytes(v)]
    if not bad:
        return False
    row.errors.append(_l("has characters that are not UTF-8 text (bytes %(bytes)s in the %(column)s); save "
                         "the file as 'CSV UTF-8'",
                         bytes=_bad_bytes("".join(raw[k] for k in bad)), column=COLUMN_LABELS[bad[0]]))
    readable = lambda text: text.encode("utf-8", "replace").decode("utf-8")  # noqa: E731
    row.first_name, row.last_name, row.class_name = (readable(row.first_name), readable(row.last_name),
                                                     readable(row.class_name))
    row.upn = readable(row.upn) if row.upn else None
    return True


def _names(row: Row, raw: dict[str, str]) -> None:
    for key, value in (("first_name", row.first_name), ("last_name", row.last_name)):
        problem = person_name_problem(value)
        if problem:
            row.errors.append(_l("%(column)s %(problem)s", column=COLUMN_LABELS[key], problem=problem))
    legal_first, legal_last = clean(raw["legal_first_name"]), clean(raw["legal_last_name"])
    if (legal_first, legal_last) != ("", "") and (legal_first, legal_last) != (row.first_name, row.last_name):
        row.legal_first_name, row.legal_last_name = legal_first or row.first_name, legal_last or row.last_name


def _extras(row: Row, raw: dict[str, str]) -> None:
    """Class, UPN, date of birth and language: each checked on its own."""
    problem = plain_text_problem(row.class_name, MAX_CLASS_NAME)
    if problem:
        row.errors.append(_l("%(column)s %(problem)s", column=COLUMN_LABELS["class_name"], problem=problem))
    if row.upn and (problem := pupil_accounts.upn_problem(row.upn)):
        row.errors.append(_l("UPN '%(value)s' %(problem)s", value=row.upn[:20], problem=problem))
    if clean(raw["date_of_birth"]):
        row.date_of_birth = parse_date(raw["date_of_birth"])
        if row.date_of_birth is None:
            row.errors.append(_l("date of birth '%(value)s' is not a date (write it as 31/12/2018)",
                                 value=clean(raw["date_of_birth"])[:20]))
    if row.raw_language:
        if looks_bad := plain_text_problem(row.raw_language, 40):
            row.errors.append(_l("%(column)s %(problem)s", column=COLUMN_LABELS["language"], problem=looks_bad))
        else:
            row.language = LANGUAGES.get(unicodedata.normalize("NFKC", row.raw_language).lower())
            if row.language is None:
                row.notes.append(_l("language '%(value)s' is not offered yet: pages will be in English",
                                    value=row.raw_language))


def _row(record: list[str], columns: dict[str, int]) -> Row:
    raw = {k: _cell(record, columns, k) for k in COLUMNS}
    # A preferred name left blank means the child goes by their legal one.
    row = Row(number=int(record[0]), upn=normalise_upn(raw["upn"]),
              first_name=clean(raw["first_name"]) or clean(raw["legal_first_name"]),
              last_name=clean(raw["last_name"]) or clean(raw["legal_last_name"]), year_group=None, class_name=clean(raw["class_name"]),
              language=None, raw_year=clean(raw["year_group"]), raw_language=clean(raw["language"]))
    if _unreadable(row, raw):
        return row
    row.year_group = parse_year(row.raw_year)
    if row.year_group is None and outside_primary(row.raw_year):
        row.status = SKIPPED  # a nursery child or a secondary year in the export: not this app's
        return row
    if row.year_group is None:
        row.errors.append(_l("year group '%(value)s' is not a primary year (Reception to Year 6)",
                             value=row.raw_year[:20]) if row.raw_year else _l("year group is empty"))
    _names(row, raw)
    _extras(row, raw)
    return row


def rows_of(columns: dict[str, int], records: list[list[str]]) -> list[Row]:
    """Each record as a Row, with the problems that belong to it alone."""
    return [_row(record, columns) for record in records]
