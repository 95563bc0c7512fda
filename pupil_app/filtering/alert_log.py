"""A monitoring system's exported alert log (CSV): uploaded, previewed, then loaded on confirmation.

The file is kept encrypted between preview and load (it can name children). Columns are found by
their heading, whatever the product calls them; rows with a problem are shown and skipped, rows
already stored are counted and skipped, so loading twice stores nothing twice.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from .. import crypto
from ..concerns import audit
from ..extensions import db
from ..schools.models import StaffUser
from ..timeutil import utcnow
from . import monitoring
from .common import FilteringError, clean_text
from .models import MAX_SOURCE, AlertUpload

MAX_FILE = 1024 * 1024
MAX_ROWS = 5000
HEADINGS = {
    "source_id": ("source_id", "id", "alert id", "event id", "source id", "reference", "ref"),
    "occurred_at": ("occurred_at", "time", "date", "date/time", "date time", "timestamp", "occurred at", "when"),
    "severity": ("severity", "level", "priority", "risk"),
    "device": ("device", "machine", "computer", "workstation", "device name"),
    "user": ("user", "username", "user name", "login", "logged on user"),
    "category": ("category", "type", "rule", "violation"),
    "summary": ("summary", "detail", "details", "text", "captured text", "description", "keyword"),
}
SEVERITY_WORDS = {"1": "low", "2": "medium", "3": "high", "4": "critical", "info": "low", "information": "low",
                  "warning": "medium", "moderate": "medium", "severe": "high", "serious": "high", "urgent": "critical"}


@dataclass
class Row:
    line: int
    values: dict | None
    problem: str | None = None
    duplicate: bool = False


@dataclass
class Preview:
    rows: list[Row] = field(default_factory=list)

    @property
    def new(self) -> list[Row]:
        return [r for r in self.rows if r.values is not None and not r.duplicate]

    @property
    def duplicates(self) -> int:
        return sum(1 for r in self.rows if r.duplicate)

    @property
    def problems(self) -> list[Row]:
        return [r for r in self.rows if r.problem]


def _decode(data: bytes) -> str:
    if len(data) > MAX_FILE:
        raise FilteringError(413, _l("The file is too large (at most 1 MB). Export a shorter period."))
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise FilteringError(400, _l("The file is not UTF-8 text. Save it as 'CSV UTF-8' and try again.")) from exc


def _columns(header: list[str]) -> dict[str, int]:
    names = [h.strip().lower().replace("_", " ") for h in header]
    found: dict[str, int] = {}
    for key, aliases in HEADINGS.items():
        for alias in aliases:
            if alias.replace("_", " ") in names:
                found[key] = names.index(alias.replace("_", " "))
                break
    missing = [k for k in monitoring.REQUIRED if k not in found]
    if missing:
        raise FilteringError(400, _l("The file has no column for %(field)s (the first row must name the columns).",
                                     field=missing[0]))
    return found


def parse(text: str, source: str, school_id: int) -> Preview:
    reader = csv.reader(io.StringIO(text))
    try:
        header = next(reader)
    except (StopIteration, csv.Error) as exc:
        raise FilteringError(400, _l("The file is empty.")) from exc
    columns = _columns(header)
    preview = Preview()
    try:
        for number, cells in enumerate(reader, start=2):
            if not any(c.strip() for c in cells):
                continue
            if len(preview.rows) >= MAX_ROWS:
                raise FilteringError(400, _l("The file has more than %(max)s alerts. Export a shorter period.",
                                             max=MAX_ROWS))
            item = {k: (cells[i] if i < len(cells) else "") for k, i in columns.items()}
            severity = (item.get("severity") or "").strip().lower()
            item["severity"] = SEVERITY_WORDS.get(severity, severity)
            item = {k: v for k, v in item.items() if v != ""}
            try:
                preview.rows.append(Row(number, monitoring.parse_alert(item, source)))
            except FilteringError as exc:
                preview.rows.append(Row(number, None, str(exc.message)))
    except csv.Error as exc:
        raise FilteringError(400, _l("The file is not a CSV file the app can read.")) from exc
    pairs = [(r.values["source"], r.values["source_id"]) for r in preview.rows if r.values]
    known = monitoring.known_ids(school_id, list(set(pairs)))
    seen: set[tuple[str, str]] = set()
    for r in preview.rows:
        if r.values:
            pair = (r.values["source"], r.values["source_id"])
            r.duplicate = pair in known or pair in seen
            seen.add(pair)
    return preview


def upload(staff: StaffUser, filename: str | None, data: bytes, source: str | None) -> tuple[AlertUpload, Preview]:
    """Keep the file for its preview (nothing is loaded yet)."""
    source = clean_text(source, MAX_SOURCE, _l("Name the monitoring system the log comes from."))
    text = _decode(data)
    preview = parse(text, source, staff.school_id)
    if not preview.rows:
        raise FilteringError(400, _l("The file has column names but no alerts."))
    row = AlertUpload(school_id=staff.school_id, uploaded_by_id=staff.id, filename=(filename or "alerts.csv")[:200],
                      source=source, content_enc=crypto.encrypt(text))
    db.session.add(row)
    db.session.flush()
    audit.record(staff, "monitoring.uploaded", "alert_upload", row.id, f"{len(preview.rows)} rows")
    return row, preview


def load_upload(staff: StaffUser, upload_id: int) -> AlertUpload | None:
    row = db.session.get(AlertUpload, upload_id)
    if row is None or row.school_id != staff.school_id:
        return None
    return row


def preview_of(row: AlertUpload) -> Preview:
    return parse(crypto.decrypt(row.content_enc) or "", row.source, row.school_id) if row.content_enc else Preview()


def load(staff: StaffUser, row: AlertUpload) -> tuple[int, int]:
    """Store the previewed file's new alerts; the kept file is then forgotten."""
    if row.loaded_at is not None:
        raise FilteringError(409, _l("This file was already loaded."))
    preview = preview_of(row)
    stored, duplicates = monitoring.store(row.school_id, [r.values for r in preview.rows if r.values], "csv")
    row.loaded_at, row.loaded_count, row.content_enc = utcnow(), stored, None
    audit.record(staff, "monitoring.loaded", "alert_upload", row.id, f"{stored} stored, {duplicates} duplicates")
    return stored, duplicates


def recent_uploads(school_id: int, limit: int = 10) -> list[AlertUpload]:
    return list(db.session.scalars(select(AlertUpload).where(AlertUpload.school_id == school_id)
                                   .order_by(AlertUpload.id.desc()).limit(limit)))
