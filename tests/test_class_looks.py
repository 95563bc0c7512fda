"""The class page: every pupil has a picture and colour no active classmate has (on create, import,
move, reactivation and rollover; a migration repairs older databases), and name tiles that tell
look-alike names apart."""

from __future__ import annotations

import html as html_lib
import re

from sqlalchemy import create_engine, select, text

from pupil_app import create_app
from pupil_app.admin import importer, pupil_accounts, year_end
from pupil_app.extensions import db
from pupil_app.schools import looks
from pupil_app.schools.models import Pupil, Role, School, SchoolClass

from .conftest import PASSWORD  # noqa: F401  (the shared fixtures' password)


def _looks_of(class_id: int) -> list[tuple[str, str]]:
    return [(p.avatar, p.avatar_colour) for p in looks.classmates(class_id)]


def test_forty_pupils_get_forty_different_pictures_and_more_get_a_new_colour(app, make_class):
    year1 = make_class(1)
    with app.test_request_context():
        school = db.session.get(School, year1.school_id)
        for n in range(45):
            surname = f"Jones{chr(97 + n // 26)}{chr(97 + n % 26)}"
            pupil_accounts.create_pupil(school, "Child", surname, year1.id, None, None)
        db.session.commit()
        worn = _looks_of(year1.id)
        assert len(worn) == 45 and len(set(worn)) == 45
        assert len({picture for picture, _ in worn}) == 40  # every picture before any picture twice
        assert all(p in looks.PICTURES and c in looks.COLOURS for p, c in worn)


def test_moving_a_pupil_into_a_class_where_their_look_is_taken_gives_them_a_free_one(app, make_school, make_class,
                                                                                    make_pupil):
    school = make_school()
    here, there = make_class(1, school=school), make_class(1, school=school)
    stays, moves = make_pupil(here), make_pupil(there)
    with app.test_request_context():
        a, b = db.session.get(Pupil, stays.id), db.session.get(Pupil, moves.id)
        a.avatar, a.avatar_colour = "owl", "red"
        b.avatar, b.avatar_colour = "owl", "red"
        db.session.commit()
        pupil_accounts.update_pupil(b, b.first_name, "Pupil", here.id, None, None)
        db.session.commit()
        assert (b.avatar, b.avatar_colour) != ("owl", "red")
        assert (a.avatar, a.avatar_colour) == ("owl", "red")  # the pupil already there keeps theirs
        assert len(set(_looks_of(here.id))) == 2


def test_a_pupil_coming_back_gets_a_look_nobody_took_while_they_were_away(app, make_class, make_pupil):
    year1 = make_class(1)
    away, present = make_pupil(year1, active=False), make_pupil(year1)
    with app.test_request_context():
        p, q = db.session.get(Pupil, away.id), db.session.get(Pupil, present.id)
        p.avatar, p.avatar_colour = q.avatar, q.avatar_colour = "bee", "green"
        db.session.commit()
        pupil_accounts.reactivate_pupil(p)
        db.session.commit()
        assert len(set(_looks_of(year1.id))) == 2


def test_an_import_gives_every_new_and_moved_pupil_a_free_look(app, client, make_school, make_staff, login_as):
    school = make_school("Brookside")
    login_as(make_staff(Role.ADMIN, school=school))
    rows = "\n".join(f"A{n:012d},Child,Surname{chr(97 + n // 26)}{chr(97 + n % 26)},Reception,Robins"
                     for n in range(43))
    with app.test_request_context():
        the_plan = importer.plan(db.session.get(School, school.id),
                                 f"UPN,First name,Last name,Year group,Class\n{rows}\n".encode())
        importer.apply(db.session.get(School, school.id), the_plan)
        db.session.commit()
        robins = db.session.scalar(select(SchoolClass).where(SchoolClass.name == "Robins"))
        worn = _looks_of(robins.id)
        assert len(worn) == 43 and len(set(worn)) == 43 and len({p for p, _ in worn}) == 40


def test_rollover_keeps_every_class_unique(app, client, make_school, make_staff, make_class, make_pupil, monkeypatch):
    monkeypatch.setitem(app.config, "ROLLOVER_WINDOW", ("01-01", "12-31"))  # open all year for this test
    school = make_school("Rolling")
    rec = make_class(0, school=school, name="Reception")
    for _ in range(3):
        make_pupil(rec)  # the test factory gives everyone the fox: a broken class
    editor = make_staff(Role.ADMIN, school=school)
    with app.test_request_context():
        the_school = db.session.get(School, school.id)
        year_end.perform_rollover(the_school, _staff(editor.id), year_end.rollover_plan(the_school).academic_year)
        db.session.commit()
        assert len(set(_looks_of(rec.id))) == 3


def _staff(staff_id):
    from pupil_app.schools.models import StaffUser

    return db.session.get(StaffUser, staff_id)


def test_tile_names_show_as_much_surname_as_tells_classmates_apart():
    def pupil(n, first, last):
        return Pupil(id=n, first_name=first, last_name=last)

    names = looks.tile_names([pupil(1, "Seren", "Williams"), pupil(2, "Seren", "Wyn"), pupil(3, "Alfie", "Jones"),
                              pupil(4, "Noah", "Smith"), pupil(5, "noah", "Smyth"), pupil(6, "Ava", "Lee"),
                              pupil(7, "Ava", "Lee")])
    assert names == {1: "Seren Wi", 2: "Seren Wy", 3: "Alfie", 4: "Noah Smi", 5: "noah Smy", 6: "Ava Lee", 7: "Ava Lee"}


def test_class_page_tiles_show_unique_looks_names_and_a_speaker_each(app, client, make_class, make_pupil):
    year1 = make_class(1)
    made = [make_pupil(year1, first_name="Seren", password=None) for _ in range(2)]
    with app.test_request_context():
        for n, pupil_ids in enumerate(made):
            p = db.session.get(Pupil, pupil_ids.id)
            p.last_name = ("Williams", "Wyn")[n]
            looks.give_look(p)
        db.session.commit()
    page = client.get(f"/class/{year1.token}").get_data(as_text=True)
    assert "Seren Wi" in page and "Seren Wy" in page
    tiles = re.findall(r'class="name-grid__item look look--(\w+)".*?avatar-(\w+)\.svg', page, re.S)
    assert len(tiles) == 2 and len(set(tiles)) == 2
    assert page.count('class="say-button"') == 2 and "Read the names" in page
    assert html_lib.unescape(page).count("Listen: Seren W") == 2


def test_migration_repairs_classes_whose_pupils_share_a_look(tmp_path):
    from flask_migrate import upgrade

    url = f"sqlite:///{tmp_path / 'old.sqlite'}"
    app = create_app("testing", SQLALCHEMY_DATABASE_URI=url)
    with app.app_context():
        upgrade(revision="0018_filtering")  # the head before this migration
        engine = create_engine(url)
        with engine.begin() as conn:
            conn.execute(text("INSERT INTO trusts (id, name, created_at) VALUES (1, 'T', '2026-01-01')"))
            conn.execute(text("INSERT INTO schools (id, trust_id, name, created_at) VALUES (1, 1, 'S', '2026-01-01')"))
            conn.execute(text("INSERT INTO classes (id, school_id, name, year_group, signin_token, active, created_at) "
                              "VALUES (1, 1, 'Reception', 0, 'tok', 1, '2026-01-01')"))
            for n in range(22):  # 22 children and the old 12 pictures: four foxes, three bears...
                conn.execute(text(
                    "INSERT INTO pupils (school_id, class_id, first_name, last_name, username, avatar, active, "
                    "session_version, failed_signins, created_at) "
                    "VALUES (1, 1, :f, 'X', :u, :a, 1, 1, 0, '2026-01-01')"),
                    {"f": f"C{n}", "u": f"c{n}", "a": ("fox", "bear", "owl")[n % 3]})
        upgrade()
        with engine.connect() as conn:
            worn = conn.execute(text("SELECT avatar, avatar_colour FROM pupils")).all()
        engine.dispose()
        db.engine.dispose()
    assert len(worn) == 22 and len(set(worn)) == 22 and len({p for p, _ in worn}) == 22
