"""MIS exports as schools really have them (tests/fixtures/imports): same-named children, legal and
preferred names, rows outside the school's years, Windows-1252, names in other alphabets."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import func, select

from pupil_app.extensions import db
from pupil_app.schools.models import Pupil, Role

from .helpers import text
from .test_import import apply, upload  # noqa: F401  (the upload steps of the import page)

FIXTURES = Path(__file__).parent / "fixtures" / "imports"


@pytest.fixture
def school(make_school):
    return make_school()


@pytest.fixture
def admin(school, make_staff, login_as):
    who = make_staff(Role.ADMIN, school=school)
    login_as(who)
    return who


def _upload(client, school, name):
    return upload(client, school.id, (FIXTURES / name).read_bytes(), name=name)


def test_three_oscar_taylors_with_three_upns_are_three_children(app, client, admin, school, make_class, make_pupil):
    # An Oscar Taylor added by hand earlier, with no UPN, in one of the two Year 4 classes.
    existing = make_pupil(make_class(4, school=school, name="4T"), first_name="Oscar")
    with app.app_context():
        db.session.get(Pupil, existing.id).last_name = "Taylor"
        db.session.commit()
    r = _upload(client, school, "sims_2000_rows_three_oscar_taylors.csv")
    assert r.status_code == 303, text(r)[:500]
    preview = text(client.get(r.location))
    assert "0 rows with errors" in preview and "2000 new pupils" in preview
    assert "already here has no UPN: check they are not this child" in preview
    assert apply(client, r.location).status_code == 303
    with app.app_context():
        oscars = db.session.scalars(select(Pupil).where(Pupil.first_name == "Oscar", Pupil.last_name == "Taylor"))
        assert sorted(p.upn or "" for p in oscars) == ["", "A00000000150A", "A00000000900A", "A00000001700A"]


def test_the_preferred_name_is_shown_and_the_legal_name_kept(app, client, admin, school):
    r = _upload(client, school, "legal_and_preferred_names.csv")
    assert r.status_code == 303
    assert apply(client, r.location).status_code == 303
    with app.app_context():
        alex = db.session.scalar(select(Pupil).where(Pupil.upn == "B10000000001A"))
        assert (alex.first_name, alex.last_name) == ("Alex", "Okafor")
        assert (alex.legal_first_name, alex.legal_last_name) == ("Alexander", "Okafor")
        siobhan = db.session.scalar(select(Pupil).where(Pupil.upn == "B10000000002B"))
        assert siobhan.first_name == "Siobhan" and siobhan.legal_first_name is None  # no preferred name: the legal one


def test_rows_outside_reception_to_year_6_are_skipped_and_counted(app, client, admin, school):
    r = _upload(client, school, "nursery_and_year_7_rows.csv")
    assert r.status_code == 303, text(r)[:400]
    preview = text(client.get(r.location))
    assert "3 rows skipped (not Reception to Year 6)" in preview and "1 new pupil" in preview
    assert apply(client, r.location).status_code == 303
    with app.app_context():
        assert list(db.session.scalars(select(Pupil.first_name))) == ["Cai"]


def test_a_windows_1252_export_is_read_and_says_so(app, client, admin, school):
    r = _upload(client, school, "windows_1252_excel_csv.csv")
    assert r.status_code == 303
    preview = text(client.get(r.location))
    assert "Read as Windows-1252" in preview and "Zoë Müller" in preview and "O’Brien" in preview
    assert apply(client, r.location).status_code == 303
    with app.app_context():
        assert db.session.scalar(select(func.count()).where(Pupil.last_name.in_(["Müller", "O’Brien", "Lefèvre"]))) == 3


def test_usernames_are_transliterated_never_dropped(app, client, admin, school):
    r = _upload(client, school, "polish_and_welsh_names.csv")
    assert apply(client, r.location).status_code == 303
    with app.app_context():
        names = dict(db.session.execute(select(Pupil.first_name, Pupil.username)).all())
    assert names["Łukasz"] == "lukasz.z" and names["Świętosław"] == "swietoslaw.l"
    assert names["Gwenllïan"] == "gwenllian.a"


def test_the_errors_of_a_long_file_are_listed_first(app, client, admin, school):
    lines = (FIXTURES / "sims_2000_rows_three_oscar_taylors.csv").read_text().splitlines()
    lines[1500] = lines[1500].replace("English", "English").replace(",Year ", ",Yeer ", 1)
    lines[1900] = lines[1900].split(",", 1)[0] + ",,,,,01/01/2019,Year 2,2S,English"
    r = upload(client, school.id, "\n".join(lines) + "\n", name="two-errors.csv")
    assert r.status_code == 422
    page = text(r)
    top = page.split('id="errors"')[1].split("</table>")[0]
    assert top.count('class="import-row import-row--error"') == 2
    assert 'href="#row-1501"' in top and 'href="#row-1901"' in top
    assert page.index('id="errors"') < page.index('id="row-2"')


def test_adding_the_same_child_twice_by_hand_asks_first(app, client, admin, school, make_class):
    oak = make_class(3, school=school, name="Oak")
    url = f"/staff/admin/schools/{school.id}/pupils/new"

    def add(**extra):
        page = text(client.get(url))
        token = page.split('name="csrf_token" type="hidden" value="')[1].split('"')[0]
        return client.post(url, data={"csrf_token": token, "first_name": "Mia", "last_name": "Khan",
                                      "class_id": str(oak.id), "upn": "", "language": "", **extra})

    assert add().status_code == 200  # the first Mia Khan: her card
    again = add()
    assert again.status_code == 400 and "Mia Khan is already on roll (Oak)" in text(again)
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Pupil)) == 1
    assert add(namesake_ok="y").status_code == 200
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Pupil)) == 2


def test_a_oneroster_export_imports_with_the_same_preview_and_rules(app, client, admin, school):
    r = _upload(client, school, "oneroster_xporter.zip")
    assert r.status_code == 303, text(r)[:400]
    preview = text(client.get(r.location))
    assert "3 new pupils" in preview and "3 Oak" in preview and "Robins" in preview
    assert "Teach" not in preview and "Gone" not in preview  # staff and deleted users are not pupils
    assert apply(client, r.location).status_code == 303
    with app.app_context():
        got = {p.first_name: (p.upn, p.school_class.name, p.school_class.year_group)
               for p in db.session.scalars(select(Pupil))}
    assert got == {"Maya": ("D10000000001A", "3 Oak", 3), "Rhys": ("D10000000002B", "3 Oak", 3),
                   "Ela": ("D10000000005E", "Robins", 0)}
    # The same export again changes nothing.
    again = _upload(client, school, "oneroster_xporter.zip")
    assert "importing it would change nothing" in text(client.get(again.location))
