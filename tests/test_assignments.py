"""Teachers set modules for a class with optional dates; pupils see them first; the class sees
assigned against done; bad requests change nothing."""

from __future__ import annotations

import html
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from pupil_app.extensions import db
from pupil_app.learning import assignments
from pupil_app.learning.models import Assignment, ModuleProgress
from pupil_app.schools.models import Role, SchoolClass, StaffUser
from pupil_app.timeutil import local_today


def text(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def count(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(Assignment))


@pytest.fixture
def year4(make_class, make_staff, make_pupil):
    cls = make_class(4)
    return {"class": cls, "teacher": make_staff(Role.TEACHER, classes=(cls,)), "pupil": make_pupil(cls)}


def today(app) -> date:
    with app.app_context():
        return local_today()


def post(client, url, **data):
    return client.post(url, data={k: v for k, v in data.items() if v is not None})


def test_teacher_sets_a_module_and_the_pupil_sees_it_first(app, client, year4, login_as, csrf_off):
    login_as(year4["teacher"])
    due = today(app) + timedelta(days=7)
    r = post(client, f"/learn/classes/{year4['class'].id}/assignments", module="y3-content", due_on=due.isoformat())
    assert r.status_code == 302
    page = text(client.get(r.location))
    assert "Right for my age" in page and "0 of 1" in page
    login_as(year4["pupil"])
    home = text(client.get("/learn/"))
    assert "From your teacher" in home
    assert home.index("From your teacher") < home.index('id="cat-content"')
    assert home.index("Right for my age") < home.index('id="cat-content"')
    # A module of this year that is set is shown once, under "From your teacher".
    login_as(year4["teacher"])
    post(client, f"/learn/classes/{year4['class'].id}/assignments", module="ks2-contact")
    login_as(year4["pupil"])
    home = text(client.get("/learn/"))
    assert home.count("/learn/ks2-contact/1") == 1
    assert home.index("/learn/ks2-contact/1") < home.index('id="cat-content"')


def test_a_module_set_to_start_later_is_not_shown_yet(app, client, year4, login_as, csrf_off):
    login_as(year4["teacher"])
    later = today(app) + timedelta(days=3)
    url = f"/learn/classes/{year4['class'].id}/assignments"
    post(client, url, module="y5-content", starts_on=later.isoformat())
    login_as(year4["pupil"])
    assert "From your teacher" not in text(client.get("/learn/"))


@pytest.mark.parametrize("fields,message", [
    ({"module": "ks1-content"}, "Not a valid choice"),  # another band's module is not offered
    ({"module": "no-such"}, "Not a valid choice"),
    ({"module": "y3-content", "starts_on": "2030-05-02", "due_on": "2030-05-01"}, None),
    ({"module": "y3-content", "due_on": "2001-01-01"}, "The due date has already passed."),
    ({"module": "y3-content", "due_on": "next tuesday"}, "Not a valid date value."),
    ({"module": "y3-content", "due_on": "9999-12-31"}, "A date can be at most a year ahead."),
])
def test_bad_requests_are_refused_and_nothing_is_saved(app, client, year4, login_as, csrf_off, fields, message):
    login_as(year4["teacher"])
    r = post(client, f"/learn/classes/{year4['class'].id}/assignments", **fields)
    assert r.status_code == 400
    if message:
        assert message in text(r)
    assert count(app) == 0


def test_due_before_start_is_refused_by_the_service_too(app, year4):
    with app.app_context():
        today = local_today()
        cls = db.session.get(SchoolClass, year4["class"].id)
        with pytest.raises(assignments.AssignmentError):
            assignments.assign(cls, "y3-content", db.session.get(StaffUser, year4["teacher"].id), today,
                               starts_on=today + timedelta(days=5), due_on=today + timedelta(days=2))
    assert count(app) == 0


def test_json_and_other_teachers_are_refused(app, client, year4, make_class, make_staff, login_as, csrf_off):
    login_as(year4["teacher"])
    r = client.post(f"/learn/classes/{year4['class'].id}/assignments", json={"module": ["y3-content"]})
    assert r.status_code == 400
    other = make_staff(Role.TEACHER, classes=(make_class(4),))
    login_as(other)
    assert client.get(f"/learn/classes/{year4['class'].id}/assignments").status_code == 404
    assert post(client, f"/learn/classes/{year4['class'].id}/assignments", module="y3-content").status_code == 404
    assert count(app) == 0


def test_removing_keeps_the_pupils_work_and_setting_again_changes_the_dates(app, client, year4, login_as, csrf_off):
    cls = year4["class"].id
    login_as(year4["teacher"])
    post(client, f"/learn/classes/{cls}/assignments", module="y3-content")
    due = today(app) + timedelta(days=10)
    post(client, f"/learn/classes/{cls}/assignments", module="y3-content", due_on=due.isoformat())
    with app.app_context():
        rows = list(db.session.scalars(select(Assignment)))
        assert len(rows) == 1 and rows[0].due_on == due
        db.session.add(ModuleProgress(pupil_id=year4["pupil"].id, module_id="y3-content",
                                      school_id=year4["pupil"].school_id, attempts=1,
                                      completed_at=date.today()))
        db.session.commit()
    assert "1 of 1" in text(client.get(f"/learn/classes/{cls}/assignments"))
    assert client.post(f"/learn/classes/{cls}/assignments/y3-content/remove").status_code == 302
    assert count(app) == 0
    with app.app_context():
        assert db.session.get(ModuleProgress, (year4["pupil"].id, "y3-content")) is not None
    assert client.post(f"/learn/classes/{cls}/assignments/y3-content/remove").status_code == 404


def test_class_grid_marks_the_modules_set(app, client, year4, login_as, csrf_off):
    login_as(year4["teacher"])
    post(client, f"/learn/classes/{year4['class'].id}/assignments", module="ks2-content")
    grid = text(client.get(f"/staff/coverage/classes/{year4['class'].id}"))
    assert "Set for the class" in grid
    assert f"/learn/classes/{year4['class'].id}/assignments" in text(client.get(f"/staff/classes/{year4['class'].id}"))
