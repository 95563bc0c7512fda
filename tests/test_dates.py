"""Dates in one place: every page shows a stored moment as the day it was in the school's time zone, in
the page's language, English in British order. 23:30 UTC on 1 June is 00:30 on 2 June in London."""

from __future__ import annotations

import re
from datetime import datetime

import pytest
from sqlalchemy import text as sql

from pupil_app.concerns import telling
from pupil_app.extensions import db
from pupil_app.schools.models import Pupil, Role
from pupil_app.timeutil import format_day, format_moment

from .helpers import text

LATE_ON_1_JUNE = datetime(2026, 6, 1, 23, 30)  # naive UTC, as stored


def test_the_formatting_helper_gives_the_schools_day_in_british_order(app):
    with app.test_request_context():
        assert format_day(LATE_ON_1_JUNE) == "2 June 2026"
        assert format_day(LATE_ON_1_JUNE, "long") == "2 June 2026"  # Babel's plain "en" would say "June 2, 2026"
        assert format_moment(LATE_ON_1_JUNE) == "2 Jun 2026, 00:30"
        assert format_day(LATE_ON_1_JUNE, language="cy") == "2 Mehefin 2026"


@pytest.fixture
def late_records(app, make_class, make_pupil, make_staff):
    """A pupil who signed the pledge and told an adult, both at 23:30 UTC on 1 June."""
    year4 = make_class(4, name="Year 4")
    pupil = make_pupil(year4, first_name="Ada")
    with app.app_context():
        child = db.session.get(Pupil, pupil.id)
        concern, _created = telling.submit(child, telling.new_key(), telling.Answers(feeling="sad", words="late"))
        db.session.commit()
        concern_id = concern.id
        db.session.remove()
        # As if sent and signed then: neither record is ever edited through the app.
        with db.engine.begin() as conn:
            conn.execute(sql("UPDATE concerns SET created_at = :t WHERE id = :id"), {"t": LATE_ON_1_JUNE, "id": concern_id})
            conn.execute(sql("UPDATE pledge_signatures SET signed_at = :t WHERE pupil_id = :id"),
                         {"t": LATE_ON_1_JUNE, "id": pupil.id})
    dsl = make_staff(Role.DSL, classes=(year4,))  # of year4's school
    teacher = make_staff(Role.TEACHER, classes=(year4,))
    return year4, concern_id, dsl, teacher


def test_the_pledge_page_and_the_concern_page_agree_on_the_day(app, late_records, login_as):
    year4, concern_id, dsl, teacher = late_records
    teacher_client = login_as(teacher, test_client=app.test_client())
    pledges = text(teacher_client.get(f"/staff/pledges/classes/{year4.id}"))
    assert "2 Jun 2026" in pledges and "1 Jun 2026" not in pledges
    grid = text(teacher_client.get(f"/staff/coverage/classes/{year4.id}"))
    assert "2 Jun 2026" in grid and "1 Jun 2026" not in grid
    dsl_client = login_as(dsl, test_client=app.test_client())
    concern = text(dsl_client.get(f"/staff/concerns/{concern_id}"))
    assert "02/06/2026 00:30" in concern and "01/06/2026" not in concern
    log = text(dsl_client.get("/staff/incident-log?from=2026-05-01&to=2026-06-30"))
    assert re.search(r"<td>02/06/2026<br>", log) and "01/06/2026<br>" not in log


def test_sign_in_cards_say_the_date_in_british_order(app, make_class, make_pupil, make_staff, login_as, client):
    year4 = make_class(4)
    make_pupil(year4)
    login_as(make_staff(Role.TEACHER, classes=(year4,)))
    page = text(client.get(f"/staff/classes/{year4.id}"))
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
    cards = text(client.post(f"/staff/classes/{year4.id}/badges", data={"csrf_token": token}))
    assert re.search(r"Valid until \d{1,2} (January|February|March|April|May|June|July|August|September|October|"
                     r"November|December) \d{4}", cards), re.findall(r"Valid until [^<]+", cards)[:1]
