"""Administration: schools, classes, staff with roles and set-password links, pupils, sign-in cards,
leavers, the trust admin's reach, and the year-end rollover."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from pupil_app.admin.models import StaffPasswordLink
from pupil_app.auth import service as auth_service
from pupil_app.extensions import db
from pupil_app.learning.models import ModuleProgress
from pupil_app.schools.models import Pupil, Role, School, SchoolClass, StaffUser
from pupil_app.timeutil import utcnow

from .helpers import PASSWORD


def text(r) -> str:
    return r.get_data(as_text=True)


def csrf(client, url) -> str:
    return re.search(r'name="csrf_token"[^>]*value="([^"]+)"', text(client.get(url))).group(1)


@pytest.fixture
def school(make_school):
    return make_school("Oakfield Primary")


@pytest.fixture
def admin(school, make_staff, login_as):
    who = make_staff(Role.ADMIN, school=school)
    login_as(who)
    return who


# --- reach: whose school may an admin run ---------------------------------------------------------

def test_admin_runs_their_own_school_only(client, admin, school, make_school):
    other = make_school()
    assert client.get("/staff/admin/").location == f"/staff/admin/schools/{school.id}"
    assert client.get(f"/staff/admin/schools/{school.id}").status_code == 200
    for path in ("", "/staff", "/pupils", "/import", "/rollover", "/classes/new", "/pupils.csv"):
        assert client.get(f"/staff/admin/schools/{other.id}{path}").status_code == 404, path
    assert client.get("/staff/admin/schools").status_code == 403  # the trust's schools: trust admin only


def test_admin_cannot_touch_another_schools_class_staff_or_pupil(client, admin, make_class, make_pupil, make_staff,
                                                                  csrf_off):
    elsewhere = make_class(3)
    pupil = make_pupil(elsewhere)
    staff = make_staff(Role.TEACHER, classes=(elsewhere,))
    for url in (f"/staff/admin/classes/{elsewhere.id}", f"/staff/admin/pupils/{pupil.id}",
                f"/staff/admin/staff/{staff.id}"):
        assert client.get(url).status_code == 404
    for url in (f"/staff/admin/classes/{elsewhere.id}/cards", f"/staff/admin/pupils/{pupil.id}/close",
                f"/staff/admin/staff/{staff.id}/close", f"/staff/admin/staff/{staff.id}/password-link"):
        assert client.post(url).status_code == 404


def test_trust_admin_runs_every_school_of_the_trust_and_no_other(app, client, make_school, make_staff, login_as,
                                                                 csrf_off):
    home = make_school()
    with app.app_context():
        sister = School(trust_id=home.trust_id, name="Sister")
        db.session.add(sister)
        db.session.commit()
        sister_id = sister.id
    stranger = make_school()
    login_as(make_staff(Role.TRUST_ADMIN, school=home))
    assert client.get("/staff/admin/").location == "/staff/admin/schools"
    html = text(client.get("/staff/admin/schools"))
    assert "Sister" in html and stranger.id != sister_id
    assert client.get(f"/staff/admin/schools/{sister_id}/pupils").status_code == 200
    assert client.get(f"/staff/admin/schools/{stranger.id}/pupils").status_code == 404
    r = client.post("/staff/admin/schools", data={"name": "New Academy"})
    assert r.status_code == 302
    with app.app_context():
        new = db.session.scalar(select(School).where(School.name == "New Academy"))
        assert new.trust_id == home.trust_id
    assert client.post("/staff/admin/schools", data={"name": "New Academy"}).status_code == 400
    assert client.post(f"/staff/admin/schools/{sister_id}/edit", data={"name": "Sister Academy"}).status_code == 302
    assert client.post(f"/staff/admin/schools/{stranger.id}/edit", data={"name": "Mine now"}).status_code == 404


# --- classes --------------------------------------------------------------------------------------

def test_admin_adds_and_edits_a_class_with_its_teachers(app, client, admin, school, make_staff):
    teacher = make_staff(Role.TEACHER, school=school)
    url = f"/staff/admin/schools/{school.id}/classes/new"
    r = client.post(url, data={"csrf_token": csrf(client, url), "name": "Oak", "year_group": "3",
                               "teachers": [str(teacher.id)]})
    assert r.status_code == 302
    with app.app_context():
        oak = db.session.scalar(select(SchoolClass).where(SchoolClass.name == "Oak"))
        assert oak.year_group == 3 and oak.band == "ks2" and [t.id for t in oak.teachers] == [teacher.id]
        assert len(oak.signin_token) >= 20
        oak_id = oak.id
    edit = f"/staff/admin/classes/{oak_id}"
    r = client.post(edit, data={"csrf_token": csrf(client, edit), "name": "Oak", "year_group": "2"})
    assert r.status_code == 302
    with app.app_context():
        oak = db.session.get(SchoolClass, oak_id)
        assert oak.band == "ks1" and oak.teachers == []


@pytest.mark.parametrize("data, message", [
    ({"name": "", "year_group": "3"}, "Type the class"),
    ({"name": "Oak", "year_group": "9"}, "Not a valid choice"),
    ({"name": "=SUM(A1)", "year_group": "3"}, "spreadsheet formula"),
    ({"name": "x" * 61, "year_group": "3"}, "at most 60 characters"),
])
def test_bad_class_input_gets_a_message_and_saves_nothing(app, client, admin, school, data, message, csrf_off):
    r = client.post(f"/staff/admin/schools/{school.id}/classes/new", data=data)
    assert r.status_code == 400 and message in text(r)
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(SchoolClass)) == 0


def test_duplicate_class_name_is_refused(client, admin, school, make_class, csrf_off):
    make_class(3, school=school, name="Oak")
    r = client.post(f"/staff/admin/schools/{school.id}/classes/new", data={"name": "oak", "year_group": "4"})
    assert r.status_code == 400 and "There is already a class called oak" in text(r)


def test_a_class_with_pupils_cannot_be_closed(app, client, admin, school, make_class, make_pupil, csrf_off):
    oak = make_class(3, school=school)
    pupil = make_pupil(oak)
    assert client.post(f"/staff/admin/classes/{oak.id}/close").status_code == 303
    with app.app_context():
        assert db.session.get(SchoolClass, oak.id).active
        db.session.get(Pupil, pupil.id).active = False
        db.session.commit()
    assert client.post(f"/staff/admin/classes/{oak.id}/close").status_code == 302
    with app.app_context():
        assert not db.session.get(SchoolClass, oak.id).active


# --- staff accounts ---------------------------------------------------------------------------------

def _new_staff(client, school, **extra):
    url = f"/staff/admin/schools/{school.id}/staff/new"
    data = {"csrf_token": csrf(client, url), "username": "r.okafor", "display_name": "Ms Rachel Okafor",
            "email": "r.okafor@example.org", "roles": ["teacher"]}
    data.update(extra)
    return client.post(url, data=data)


def test_new_staff_member_sets_their_own_password_through_a_one_time_link(app, client, admin, school, make_class):
    oak = make_class(3, school=school)
    r = _new_staff(client, school, classes=[str(oak.id)])
    assert r.status_code == 200
    link = re.search(r"http://localhost(/staff/set-password/[A-Za-z0-9_-]{20,})", text(r)).group(1)
    assert "shown only now" in text(r)
    with app.app_context():
        staff = db.session.scalar(select(StaffUser).where(StaffUser.username == "r.okafor"))
        assert staff.roles == {Role.TEACHER} and [c.id for c in staff.classes] == [oak.id]
        stored = db.session.scalar(select(StaffPasswordLink.token_hash).where(StaffPasswordLink.staff_id == staff.id))
        assert stored not in link  # only a keyed hash is kept
    # Nobody knows the account's password until the link is used.
    assert client.post("/sign-out", data={"csrf_token": csrf(client, "/staff/")}).status_code == 302
    newcomer = app.test_client()
    assert "Hello Ms Rachel Okafor" in text(newcomer.get(link))
    token = csrf(newcomer, link)
    r = newcomer.post(link, data={"csrf_token": token, "password": "short", "confirm": "short"})
    assert r.status_code == 400 and "at least 10 characters" in text(r)
    r = newcomer.post(link, data={"csrf_token": token, "password": "blue kettle garden", "confirm": "blue kettle gardens"})
    assert r.status_code == 400 and "not the same" in text(r)
    r = newcomer.post(link, data={"csrf_token": token, "password": "blue kettle garden", "confirm": "blue kettle garden"})
    assert r.status_code == 302 and r.location == "/staff/sign-in"
    assert newcomer.get(link).status_code == 404  # once only
    with app.app_context():
        assert auth_service.staff_sign_in("r.okafor", "blue kettle garden").ok


def test_expired_set_password_link_does_not_work(app, client, admin, school):
    r = _new_staff(client, school)
    link = re.search(r"(/staff/set-password/[A-Za-z0-9_-]+)", text(r)).group(1)
    with app.app_context():
        row = db.session.scalar(select(StaffPasswordLink))
        row.expires_at = utcnow()
        db.session.commit()
    r = app.test_client().get(link)
    assert r.status_code == 404 and "does not work any more" in text(r)
    assert r.headers["Cache-Control"] == "no-store"


def test_a_new_link_replaces_the_old_one(app, client, admin, school, csrf_off):
    first = re.search(r"(/staff/set-password/[A-Za-z0-9_-]+)", text(_new_staff(client, school))).group(1)
    with app.app_context():
        staff_id = db.session.scalar(select(StaffUser.id).where(StaffUser.username == "r.okafor"))
    second = re.search(r"(/staff/set-password/[A-Za-z0-9_-]+)",
                       text(client.post(f"/staff/admin/staff/{staff_id}/password-link"))).group(1)
    assert app.test_client().get(first).status_code == 404
    assert app.test_client().get(second).status_code == 200


@pytest.mark.parametrize("username, message", [
    ("ab", "3 to 60 lower-case"), ("Bad Name", "3 to 60 lower-case"), ("x" * 61, "at most 60 characters")])
def test_bad_usernames_are_refused(app, client, admin, school, username, message):
    r = _new_staff(client, school, username=username)
    assert r.status_code == 400 and message in text(r)
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(StaffUser)) == 1


def test_username_must_be_unique(client, admin, school, make_staff):
    existing = make_staff(Role.TEACHER, school=school)
    r = _new_staff(client, school, username=existing.username)
    assert r.status_code == 400 and "is taken" in text(r)


def test_only_a_trust_admin_gives_the_trust_admin_role(app, client, admin, school, make_staff, login_as):
    r = _new_staff(client, school, roles=["trust_admin"])
    assert r.status_code == 400
    login_as(make_staff(Role.TRUST_ADMIN, school=school))
    assert _new_staff(client, school, roles=["trust_admin"]).status_code == 200
    with app.app_context():
        assert db.session.scalar(select(StaffUser).where(StaffUser.username == "r.okafor")).roles == {Role.TRUST_ADMIN}


def test_admin_edits_roles_but_cannot_remove_their_own_admin_role(app, client, admin, school, make_staff, csrf_off):
    teacher = make_staff(Role.TEACHER, school=school)
    r = client.post(f"/staff/admin/staff/{teacher.id}", data={"display_name": "Mr T", "roles": ["teacher", "admin"]})
    assert r.status_code == 302
    r = client.post(f"/staff/admin/staff/{admin.id}", data={"display_name": "Me", "roles": ["teacher"]})
    assert r.status_code == 400 and "your own admin role" in text(r)
    with app.app_context():
        assert db.session.get(StaffUser, teacher.id).roles == {Role.TEACHER, Role.ADMIN}
        assert db.session.get(StaffUser, admin.id).roles == {Role.ADMIN}


def test_the_dsl_role_is_given_by_a_dsl_or_a_trust_admin(app, client, admin, school, make_staff, login_as, csrf_off):
    teacher = make_staff(Role.TEACHER, school=school)
    r = client.post(f"/staff/admin/staff/{teacher.id}", data={"display_name": "Mr T", "roles": ["teacher", "dsl"]})
    assert r.status_code == 400 and "is not a valid choice" in text(r)  # not even offered
    assert 'value="dsl"' not in text(client.get(f"/staff/admin/staff/{teacher.id}"))
    login_as(make_staff(Role.ADMIN, Role.DSL, school=school))
    r = client.post(f"/staff/admin/staff/{teacher.id}", data={"display_name": "Mr T", "roles": ["teacher", "dsl"]})
    assert r.status_code == 302
    with app.app_context():
        assert db.session.get(StaffUser, teacher.id).roles == {Role.TEACHER, Role.DSL}


@pytest.mark.parametrize("roles", [(Role.DSL,), (Role.TRUST_ADMIN,), (Role.DSL, Role.TEACHER)])
def test_a_school_admin_cannot_take_over_an_account_with_more_rights(app, client, admin, school, make_staff,
                                                                      csrf_off, roles):
    """A set-password link signs its holder in as the account: no way into a DSL's concerns."""
    other = make_staff(*roles, school=school)
    for action in ("password-link", "close"):
        r = client.post(f"/staff/admin/staff/{other.id}/{action}")
        assert r.status_code == 303, action
    assert "roles you do not have" in text(client.get(f"/staff/admin/staff/{other.id}"))
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(StaffPasswordLink)) == 0
        assert db.session.get(StaffUser, other.id).active


def test_closed_staff_account_cannot_sign_in_and_its_sessions_end(app, client, admin, school, make_staff, csrf_off):
    teacher = make_staff(Role.TEACHER, school=school)
    their_client = app.test_client()
    with their_client.session_transaction() as sess:
        sess["_user_id"] = teacher.login_id
    assert their_client.get("/staff/").status_code == 200
    assert client.post(f"/staff/admin/staff/{teacher.id}/close").status_code == 302
    assert their_client.get("/staff/").status_code == 302
    with app.app_context():
        assert not auth_service.staff_sign_in(teacher.username, PASSWORD).ok
        assert db.session.get(StaffUser, teacher.id) is not None  # the record is kept
    assert client.post(f"/staff/admin/staff/{admin.id}/close").status_code == 303  # not yourself


# --- pupils -----------------------------------------------------------------------------------------

def _add_pupil(client, school, class_id, **extra):
    url = f"/staff/admin/schools/{school.id}/pupils/new"
    data = {"csrf_token": csrf(client, url), "first_name": "Zoë", "last_name": "O'Neill", "class_id": str(class_id),
            "upn": "", "language": ""}
    data.update(extra)
    return client.post(url, data=data)


def test_new_ks1_pupil_gets_a_picture_password_on_a_card_whose_badge_signs_in(app, client, admin, school, make_class):
    reception = make_class(0, school=school)
    r = _add_pupil(client, school, reception.id)
    html = text(r)
    assert r.status_code == 200 and "Sign-in cards for" in html
    assert html.count('src="/pictures/pw-') == 3 and "Password:" not in html
    badge = re.search(r'href="http://localhost(/badge/[^"]+)"', html).group(1)
    with app.app_context():
        pupil = db.session.scalar(select(Pupil).where(Pupil.first_name == "Zoë"))
        assert pupil.username == "zoe.o" and auth_service.picture_password_of(pupil) is not None
        assert pupil.password_hash is None
    child = app.test_client()
    page = text(child.get(badge))
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
    assert child.post(badge, data={"csrf_token": token}).location == "/learn/"


def test_new_ks2_pupil_gets_a_password_shown_once_on_their_card(app, client, admin, school, make_class):
    oak = make_class(4, school=school)
    r = _add_pupil(client, school, oak.id, first_name="Kofi", last_name="Mensah")
    assert r.status_code == 200, text(r)[-2000:]
    password = re.search(r"Password: <code>([a-z]+-[a-z]+-\d\d)</code>", text(r)).group(1)
    with app.app_context():
        assert auth_service.pupil_password_sign_in("kofi.m", password).ok
    # Printing the class's cards again makes new badges but keeps (and does not show) the password.
    url = f"/staff/admin/classes/{oak.id}"
    again = text(client.post(f"{url}/cards", data={"csrf_token": csrf(client, url)}))
    assert "Password:" not in again and "kofi.m" in again


def test_pupil_usernames_stay_unique_across_schools(app, client, admin, school, make_class, make_pupil):
    oak = make_class(4, school=school)
    _add_pupil(client, school, oak.id, first_name="Sam", last_name="Lee")
    _add_pupil(client, school, oak.id, first_name="Sam", last_name="Lewis")
    with app.app_context():
        names = set(db.session.scalars(select(Pupil.username).where(Pupil.first_name == "Sam")))
    assert names == {"sam.l", "sam.l2"}


@pytest.mark.parametrize("field, value, message", [
    ("first_name", "=cmd|' /C calc'!A0", "spreadsheet formula"),
    ("first_name", "<script>", "a character a name does not have"),
    ("last_name", "x" * 61, "at most 60 characters"),
    ("upn", "12345", "is not a UPN"),
    ("language", "fr", "Not a valid choice"),
])
def test_bad_pupil_input_gets_a_message_and_saves_nothing(app, client, admin, school, make_class, field, value,
                                                          message):
    oak = make_class(4, school=school)
    r = _add_pupil(client, school, oak.id, **{field: value})
    assert r.status_code == 400 and message in text(r)
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Pupil)) == 0


def test_a_leaver_cannot_sign_in_and_their_records_are_kept(app, client, admin, school, make_class, make_pupil,
                                                           csrf_off):
    oak = make_class(4, school=school)
    pupil = make_pupil(oak)
    with app.app_context():
        token = auth_service.issue_badge(db.session.get(Pupil, pupil.id))
        db.session.add(ModuleProgress(pupil_id=pupil.id, module_id="ks2-content", school_id=school.id, attempts=1))
        db.session.commit()
    assert client.post(f"/staff/admin/pupils/{pupil.id}/close").status_code == 302
    with app.app_context():
        assert not auth_service.pupil_password_sign_in(pupil.username, PASSWORD).ok
        assert auth_service.pupil_for_badge(token) is None
        assert db.session.get(ModuleProgress, (pupil.id, "ks2-content")) is not None
    assert client.post(f"/staff/admin/pupils/{pupil.id}/reopen").status_code == 302
    with app.app_context():
        assert auth_service.pupil_password_sign_in(pupil.username, PASSWORD).ok


def test_pupil_list_searches_and_exports(app, client, admin, school, make_class, make_pupil):
    oak = make_class(4, school=school, name="Oak")
    make_pupil(oak, first_name="Florence")
    make_pupil(oak, first_name="George")
    html = text(client.get(f"/staff/admin/schools/{school.id}/pupils?q=flor"))
    assert "Florence" in html and "George" not in html
    rows = text(client.get(f"/staff/admin/schools/{school.id}/pupils.csv")).splitlines()
    assert rows[0].lstrip("\ufeff").startswith("UPN,First name,Last name,Year group,Class") and len(rows) == 3
    assert client.get(f"/staff/admin/schools/{school.id}/pupils?class_id=abc").status_code == 400


# The year-end rollover: tests/test_school_year.py.


def test_teacher_cannot_use_admin_pages(client, make_staff, school, login_as):
    login_as(make_staff(Role.TEACHER, school=school))
    assert client.get(f"/staff/admin/schools/{school.id}").status_code == 403
    assert client.get(f"/staff/admin/schools/{school.id}/import").status_code == 403


def test_staff_nav_shows_the_pages_each_role_has(client, make_staff, school, login_as):
    login_as(make_staff(Role.TEACHER, school=school))
    nav = text(client.get("/staff/")).split("<nav")[1].split("</nav>")[0]
    assert "My classes" in nav and "Admin" not in nav and "School overview" not in nav
    login_as(make_staff(Role.ADMIN, school=school))
    nav = text(client.get("/staff/")).split("<nav")[1].split("</nav>")[0]
    assert "Admin" in nav and "School overview" in nav and "Trust overview" not in nav
    login_as(make_staff(Role.TRUST_ADMIN, school=school))
    nav = text(client.get("/staff/")).split("<nav")[1].split("</nav>")[0]
    assert "Trust overview" in nav and "Admin" in nav


def test_roles_an_editor_may_give(app, make_staff, school):
    from pupil_app.admin import service, staff_accounts

    ids = [make_staff(*roles, school=school).id
           for roles in ((Role.ADMIN,), (Role.ADMIN, Role.DSL), (Role.TRUST_ADMIN,))]
    with app.test_request_context():
        admin, dsl_admin, trust = (db.session.get(StaffUser, i) for i in ids)
        leads = [Role.ONLINE_SAFETY_LEAD, Role.FILTERING_LEAD]  # admins name them; neither reads concerns
        assert staff_accounts.assignable_roles(admin) == [Role.TEACHER, Role.ADMIN] + leads
        assert staff_accounts.assignable_roles(dsl_admin) == [Role.TEACHER, Role.DSL, Role.ADMIN] + leads
        assert staff_accounts.assignable_roles(trust) == [Role.TEACHER, Role.DSL, Role.ADMIN] + leads + [Role.TRUST_ADMIN]
        with pytest.raises(service.AdminError, match="a DSL or a trust admin gives the DSL role"):
            staff_accounts.update_staff(dsl_admin, admin, "X", None, ["admin", "dsl", "trust_admin"], [])
