"""CSV downloads for staff tables, safe to open in a spreadsheet.

A cell that starts with ``=``, ``+``, ``-`` or ``@`` (or a tab or carriage return) is read as a
formula by Excel, LibreOffice and Google Sheets; such text cells get a leading apostrophe so they
stay text ("CSV injection"). Spreadsheets also skip leading spaces, line feeds and no-break spaces,
and some read full-width forms (＝, ＋, －, ＠) as their ASCII twins, so the first character that is
not white space is checked after NFKC normalisation. Numbers are written as numbers.
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from collections.abc import Iterable, Sequence

from flask import Response

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def looks_like_formula(text: str) -> bool:
    """Whether a spreadsheet could take ``text`` for a formula (see the module's note)."""
    if text.startswith(FORMULA_START):
        return True
    stripped = text.lstrip()  # every Unicode space: line feed, no-break space, ideographic space ...
    return bool(stripped) and unicodedata.normalize("NFKC", stripped[0]) in ("=", "+", "-", "@")
_SAFE_NAME = re.compile(r"[^A-Za-z0-9._-]+")


def neutralise(value) -> object:
    """A cell value that no spreadsheet will run as a formula."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, (int, float)):
        return value
    text = str(value)
    if looks_like_formula(text):
        return "'" + text
    return text


def csv_text(header: Sequence[str], rows: Iterable[Sequence[object]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([neutralise(h) for h in header])
    for row in rows:
        writer.writerow([neutralise(v) for v in row])
    return out.getvalue()


def csv_response(filename: str, header: Sequence[str], rows: Iterable[Sequence[object]]) -> Response:
    """A download: UTF-8 with a byte-order mark, so Excel shows names like Zoë and Łukasz correctly."""
    safe = _SAFE_NAME.sub("-", filename).strip("-") or "export"
    if not safe.endswith(".csv"):
        safe += ".csv"
    body = "\ufeff" + csv_text(header, rows)
    response = Response(body, mimetype="text/csv")
    response.headers["Content-Disposition"] = f'attachment; filename="{safe}"'
    return response
