"""OneRoster 1.1 CSV (the zip that Groupcall Xporter and Microsoft School Data Sync export): its
``users.csv``, ``classes.csv`` and ``enrollments.csv`` become the rows of an ordinary pupil import, so
the same preview, matching and rules apply.

A pupil is a user whose role is ``student``; their class is the one they are enrolled in as a student
(a registration or homeroom class first); their year group is the user's ``grades`` (else the class's);
their UPN is the ``identifier`` when it looks like one, or a ``{UPN:...}`` entry of ``userIds``.
"""

from __future__ import annotations

import csv
import io
import re
import zipfile

from flask_babel import lazy_gettext as _l

from .import_rows import MAX_BYTES, FileProblem

FILES = ("users.csv", "classes.csv", "enrollments.csv")
UPN = re.compile(r"^[A-Z][0-9]{11}[0-9A-Z]$")
# CEDS grade codes as OneRoster writes them, and the UK years they mean here.
GRADES = {"kg": "Reception", "r": "Reception", "rec": "Reception", "00": "Reception", "0": "Reception"}
HOMEROOM = ("homeroom", "registration", "reg")


def is_oneroster(data: bytes) -> bool:
    if not data.startswith(b"PK\x03\x04"):
        return False
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as z:
            names = {n.rsplit("/", 1)[-1].lower() for n in z.namelist()}
    except zipfile.BadZipFile:
        return False
    return "users.csv" in names


def _table(z: zipfile.ZipFile, name: str) -> list[dict[str, str]]:
    member = next((n for n in z.namelist() if n.rsplit("/", 1)[-1].lower() == name), None)
    if member is None:
        raise FileProblem(_l("This OneRoster export has no %(name)s.", name=name))
    info = z.getinfo(member)
    if info.file_size > MAX_BYTES * 4:
        raise FileProblem(_l("%(name)s in this export is too large to be a primary school's.", name=name))
    text = z.read(member).decode("utf-8-sig", errors="replace")
    return [{(k or "").strip(): (v or "").strip() for k, v in row.items()} for row in csv.DictReader(io.StringIO(text))]


def _year(grades: str) -> str:
    first = grades.split(",")[0].strip().lower()
    if first in GRADES:
        return GRADES[first]
    if first.isdigit():
        return f"Year {int(first)}"
    return grades.split(",")[0].strip()


def _upn(user: dict[str, str]) -> str:
    if UPN.match(user.get("identifier", "").upper()):
        return user["identifier"].upper()
    found = re.search(r"\{UPN:([A-Za-z0-9]{13})\}", user.get("userIds", ""))
    return found.group(1).upper() if found else ""


def to_csv(data: bytes) -> bytes:
    """The export as the import's own columns (UPN, First name, Last name, Year group, Class)."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as z:
            users, classes, enrollments = (_table(z, name) for name in FILES)
    except zipfile.BadZipFile as exc:
        raise FileProblem(_l("This zip file cannot be opened.")) from exc
    active = lambda row: row.get("status", "active").lower() not in ("tobedeleted", "inactive")  # noqa: E731
    by_class = {c["sourcedId"]: c for c in classes if active(c)}
    class_of: dict[str, dict[str, str]] = {}
    for e in enrollments:
        if not active(e) or e.get("role", "").lower() != "student" or e.get("classSourcedId") not in by_class:
            continue
        c = by_class[e["classSourcedId"]]
        current = class_of.get(e["userSourcedId"])
        if current is None or (c.get("classType", "").lower() in HOMEROOM
                               and current.get("classType", "").lower() not in HOMEROOM):
            class_of[e["userSourcedId"]] = c
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["UPN", "First name", "Last name", "Year group", "Class"])
    for u in users:
        if not active(u) or u.get("role", "").lower() != "student":
            continue
        c = class_of.get(u.get("sourcedId"), {})
        writer.writerow([_upn(u), u.get("givenName", ""), u.get("familyName", ""),
                         _year(u.get("grades") or c.get("grades", "")), c.get("title", "")])
    return out.getvalue().encode("utf-8")
