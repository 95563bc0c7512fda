"""The school year turning over: the rollover only in its window, previewed, confirmed by typing the year,
undone exactly; records keep the class and year group of their day."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from pupil_app.admin.year_end import next_name
from pupil_app.auth import service as auth_service
from pupil_app.auth.models import Badge
from pupil_app.concerns import telling
from pupil_app.extensions import db
from pupil_app.schools.history import Rollover
from pupil_app.schools.models import ClassTeacher, Pupil, Role, SchoolClass
from pupil_app.timeutil import local_today

from .helpers import PASSWORD, text


def _mmdd(day) -> str:
    return day.strftime("%m-%d")


@pytest.fixture
def window(app):
    """Set the rollover window around today (open) or after it (closed) for one test."""
    before = app.config["ROLLOVER_WINDOW"]

    def set_window(is_open: bool):
        with app.app_context():
            today = local_today()
        start, end = (today - timedelta(days=1), today + timedelta(days=1)) if is_open else \
            (today + timedelta(days=2), today + timedelta(days=3))
        app.config["ROLLOVER_WINDOW"] = (_mmdd(start), _mmdd(end))

    yield set_window
    app.config["ROLLOVER_WINDOW"] = before


@pytest.fixture
def school(make_school):
    return make_school()


@pytest.fixture
def admin(school, make_staff, login_as):
    who = make_staff(Role.ADMIN, school=school)
    login_as(who)
    return who


@pytest.fixture
def school_year(school, make_class, make_pupil, make_staff):
    """A school with a class in each pattern a school names its classes by, a teacher on each."""
    classes = {name: make_class(year, school=school, name=name) for name, year in (
        ("Reception", 0), ("Year 2", 2), ("Year 5 A", 5), ("5W", 5), ("Year 6", 6), ("Oak", 3))}
    kids = {name: make_pupil(c, first_name=name.replace(" ", "")) for name, c in classes.items()}
    teachers = {name: make_staff(Role.TEACHER, classes=(c,)) for name, c in classes.items()}
    return classes, kids, teachers


def _url(school) -> str:
    return f"/staff/admin/schools/{school.id}/rollover"


def _form(client, school) -> tuple[str, dict]:
    page = text(client.get(_url(school)))
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
    year = re.search(r'name="academic_year" type="hidden" value="(\d+)"', page).group(1)
    names = dict(re.findall(r'name="(name-\d+)" value="([^"]*)"', page))
    return page, {"csrf_token": token, "academic_year": year, **names}


def _label(year: str) -> str:
    return f"{year}/{str(int(year) + 1)[-2:]}"


def _dump(app) -> dict:
    """Every row a rollover touches, as plain values (sessions are left out: leavers sign in afresh)."""
    with app.app_context():
        return {
            "classes": sorted((c.id, c.name, c.year_group, c.active) for c in db.session.scalars(select(SchoolClass))),
            "teachers": sorted((t.class_id, t.staff_id) for t in db.session.scalars(select(ClassTeacher))),
            "pupils": sorted((p.id, p.class_id, p.active) for p in db.session.scalars(select(Pupil))),
            "badges": sorted((b.id, b.pupil_id, b.revoked_at) for b in db.session.scalars(select(Badge))),
        }


def test_class_names_follow_their_year_by_pattern():
    assert next_name("Year 5 A", 5, 6) == "Year 6 A"
    assert next_name("Year 5", 5, 6) == "Year 6"
    assert next_name("5W", 5, 6) == "6W"
    assert next_name("Y3", 3, 4) == "Y4"
    assert next_name("Yr 2 Birch", 2, 3) == "Yr 3 Birch"
    assert next_name("Blwyddyn 4", 4, 5) == "Blwyddyn 5"
    assert next_name("Reception", 0, 1) == "Year 1"
    assert next_name("Reception B", 0, 1) == "Year 1 B"
    assert next_name("RB", 0, 1) == "1B"
    assert next_name("Oak", 3, 4) == "Oak"
    assert next_name("5/6 mixed", 5, 6) == "5/6 mixed"
    assert next_name("Year 4", 5, 6) == "Year 4"  # a name that does not match its year is left alone


def test_the_rollover_is_refused_outside_its_window(app, client, admin, school, school_year, window):
    window(False)
    before = _dump(app)
    page, data = _form(client, school)
    assert "can be done from" in page and "only shows what it would do" in page
    assert "Move " not in page  # no button
    r = client.post(_url(school), data={**data, "typed": _label(data["academic_year"])})
    assert r.status_code == 409 and "can be done from" in text(r)
    assert _dump(app) == before


def test_the_preview_is_exactly_what_the_rollover_does(app, client, admin, school, school_year, window):
    classes, kids, teachers = school_year
    window(True)
    page, data = _form(client, school)
    assert "5 classes move up, 1 pupils leave with Year 6" in page
    preview = {int(k.split("-")[1]): v for k, v in data.items() if k.startswith("name-")}
    assert preview[classes["Year 5 A"].id] == "Year 6 A" and preview[classes["5W"].id] == "6W"
    assert preview[classes["Reception"].id] == "Year 1" and preview[classes["Oak"].id] == "Oak"
    # The admin renames one class in the preview and keeps one teacher with their class.
    data[f"name-{classes['Oak'].id}"] = "Oak (Year 4)"
    preview[classes["Oak"].id] = "Oak (Year 4)"
    data[f"keep-{classes['Year 2'].id}"] = "1"
    r = client.post(_url(school), data={**data, "typed": _label(data["academic_year"])})
    assert r.status_code == 302
    with app.app_context():
        now = {c.id: c for c in db.session.scalars(select(SchoolClass))}
        assert {cid: now[cid].name for cid in preview} == preview
        assert [now[classes[n].id].year_group for n in ("Reception", "Year 2", "Year 5 A", "5W", "Oak")] == [1, 3, 6, 6, 4]
        assert not now[classes["Year 6"].id].active
        # Teachers come off their class unless kept.
        taught = {t.class_id for t in db.session.scalars(select(ClassTeacher))}
        assert taught == {classes["Year 2"].id}
        assert not db.session.get(Pupil, kids["Year 6"].id).active
        assert not auth_service.pupil_password_sign_in(kids["Year 6"].username, PASSWORD).ok


def test_the_rollover_needs_the_year_typed(app, client, admin, school, school_year, window):
    window(True)
    before = _dump(app)
    _page, data = _form(client, school)
    for typed in ("", "yes", "2020/21"):
        r = client.post(_url(school), data={**data, "typed": typed})
        assert r.status_code == 400, typed
    assert f"Type {_label(data['academic_year'])} exactly to confirm." in text(r)
    assert _dump(app) == before


def test_undo_puts_every_row_back(app, client, admin, school, school_year, window):
    classes, kids, _teachers = school_year
    with app.app_context():
        auth_service.issue_badge(db.session.get(Pupil, kids["Year 6"].id))
        auth_service.issue_badge(db.session.get(Pupil, kids["Oak"].id))
        db.session.commit()
    window(True)
    before = _dump(app)
    _page, data = _form(client, school)
    assert client.post(_url(school), data={**data, "typed": _label(data["academic_year"])}).status_code == 302
    assert _dump(app) != before
    page = text(client.get(_url(school)))
    undo = re.search(r'action="([^"]+/undo)"', page).group(1)
    token = re.search(r'action="[^"]+/undo"[^>]*>\s*<input[^>]*name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
    assert client.post(undo, data={"csrf_token": token}).status_code == 303
    assert _dump(app) == before
    with app.app_context():
        assert auth_service.pupil_password_sign_in(kids["Year 6"].username, PASSWORD).ok
        assert db.session.scalar(select(Rollover.undone_at)) is not None
    # Undone, the year may be rolled over again.
    _page, data = _form(client, school)
    assert client.post(_url(school), data={**data, "typed": _label(data["academic_year"])}).status_code == 302


def test_undo_is_refused_once_the_window_has_closed(app, client, admin, school, school_year, window):
    window(True)
    _page, data = _form(client, school)
    assert client.post(_url(school), data={**data, "typed": _label(data["academic_year"])}).status_code == 302
    page = text(client.get(_url(school)))
    undo = re.search(r'action="([^"]+/undo)"', page).group(1)
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
    window(False)
    after = _dump(app)
    r = client.post(undo, data={"csrf_token": token}, follow_redirects=True)
    assert "can only be undone while the rollover window is open" in text(r)
    assert _dump(app) == after


def test_leavers_with_open_concerns_are_listed_and_named_only_to_a_dsl(app, client, school, school_year, window,
                                                                       make_staff, login_as):
    classes, kids, _teachers = school_year
    with app.app_context():
        telling.submit(db.session.get(Pupil, kids["Year 6"].id), telling.new_key(), telling.Answers(feeling="sad"))
        db.session.commit()
    window(True)
    login_as(make_staff(Role.ADMIN, school=school))
    page = text(client.get(_url(school)))
    assert "Leavers with open concerns: 1" in page and "Year6" not in page.split("Leavers with open")[1][:600]
    login_as(make_staff(Role.ADMIN, Role.DSL, school=school))
    page = text(client.get(_url(school)))
    assert "Leavers with open concerns: 1" in page and "Year6" in page.split("Leavers with open")[1]


def test_the_incident_log_reads_the_same_after_the_rollover(app, client, school, school_year, window, make_staff,
                                                           login_as):
    classes, kids, _teachers = school_year
    with app.app_context():
        telling.submit(db.session.get(Pupil, kids["Year 5 A"].id), telling.new_key(),
                       telling.Answers(feeling="worried", what="unkind", words="They keep messaging me"))
        db.session.commit()
    dsl = login_as(make_staff(Role.DSL, Role.ADMIN, school=school), test_client=app.test_client())
    log_url = "/staff/incident-log/print?from=2000-01-01&to=2100-01-01"
    before = text(dsl.get(log_url))
    assert "(Year 5 A)" in before
    window(True)
    _page, data = _form(dsl, school)
    assert dsl.post(_url(school), data={**data, "typed": _label(data["academic_year"])}).status_code == 302
    assert "Every class has moved up" in text(dsl.get(_url(school)))  # the rollover's message, read
    after = text(dsl.get(log_url))
    strip = re.compile(r'name="csrf_token"[^>]*value="[^"]+"')
    assert strip.sub("", after) == strip.sub("", before)
