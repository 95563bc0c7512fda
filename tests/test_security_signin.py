"""Attacks 3 and 4: guessing a child's picture password, and locking everyone out with wrong tries.

Picture sign-in works only while a teacher has opened the class for a lesson, and is throttled per
pupil, per device and per class; typed passwords are throttled per account and client, per client
and per account, and slow the guesser without ever locking the owner out."""

from __future__ import annotations

import email
import email.policy
import re
from datetime import UTC, timedelta
from pathlib import Path

import pytest
from limits import parse
from sqlalchemy import update

from pupil_app.auth import service as auth_service
from pupil_app.extensions import db
from pupil_app.schools.models import Role, SchoolClass, StaffUser
from pupil_app.timeutil import utcnow

from .helpers import PASSWORD, Ids

README = Path(__file__).resolve().parents[1] / "README.md"


def csrf_from(client, url: str) -> str:
    html = client.get(url).get_data(as_text=True)
    return re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html).group(1)


def sign_in(client, url, username, password, token=None):
    token = token or csrf_from(client, url)
    return client.post(url, data={"csrf_token": token, "username": username, "password": password})


def tap(client, url, picks):
    token = csrf_from(client, url)
    so_far, r = "", None
    for pick in picks:
        r = client.post(url, data={"csrf_token": token, "so_far": so_far, "pick": pick})
        so_far = (so_far + " " + pick).strip()
    return r


def device(app, address="10.0.0.1"):
    """A class tablet: its own cookies (so its own device id), on the school's one address."""
    c = app.test_client()
    c.environ_base["REMOTE_ADDR"] = address
    return c


def morning_zone() -> str:
    """A time zone where it is now between 9 and 10 in the morning (so a class can be opened, whenever
    the test runs)."""
    from datetime import datetime

    hour = datetime.now(UTC).hour
    offset = (9 - hour + 12) % 24 - 12  # local = UTC + offset, in -12..11
    return "Etc/GMT" + (f"{-offset:+d}" if offset else "")


def close(app, class_id):
    with app.app_context():
        db.session.execute(update(SchoolClass).where(SchoolClass.id == class_id).values(signin_open_until=None))
        db.session.commit()


@pytest.fixture
def outbox(app, tmp_path, monkeypatch):
    folder = tmp_path / "outbox"
    monkeypatch.setitem(app.config, "MAIL_OUTBOX_DIR", folder)
    return folder


# ---- attack 3: guessing a picture password -------------------------------------------------------

def test_a_closed_class_shows_no_names_and_takes_no_picture_sign_in(app, make_class, make_pupil):
    klass = make_class(1)
    pupil = make_pupil(klass, first_name="Alfie", password=None)
    close(app, klass.id)
    tablet = device(app)
    page = tablet.get(f"/class/{klass.token}").get_data(as_text=True)
    assert "Alfie" not in page and "not open for signing in" in page
    r = tap(tablet, f"/class/{klass.token}", []) or tablet.get(f"/class/{klass.token}/{pupil.id}")
    assert r.status_code == 403
    # Even the right pictures do nothing while the class is closed.
    token = csrf_from(tablet, "/sign-in")
    url = f"/class/{klass.token}/{pupil.id}"
    so_far = ""
    for pick in pupil.pictures:
        r = tablet.post(url, data={"csrf_token": token, "so_far": so_far, "pick": pick})
        so_far = (so_far + " " + pick).strip()
    assert r.status_code == 403 and tablet.get("/learn/").status_code == 302


def test_the_teacher_opens_the_class_for_a_lesson_and_it_closes_itself(app, make_class, make_pupil, make_staff,
                                                                       login_as, monkeypatch):
    monkeypatch.setitem(app.config, "TIMEZONE", morning_zone())
    klass = make_class(1)
    pupil = make_pupil(klass, first_name="Alfie", password=None)
    close(app, klass.id)
    teacher = make_staff(Role.TEACHER, classes=(klass,))
    staff = app.test_client()
    login_as(teacher, test_client=staff)
    page = staff.get(f"/staff/classes/{klass.id}").get_data(as_text=True)
    assert "Open picture sign-in for this lesson" in page
    token = csrf_from(staff, f"/staff/classes/{klass.id}")
    r = staff.post(f"/staff/classes/{klass.id}/open", data={"csrf_token": token})
    assert r.status_code == 303
    with app.app_context():
        until = db.session.get(SchoolClass, klass.id).signin_open_until
    assert utcnow() + timedelta(hours=2, minutes=59) < until <= utcnow() + app.config["CLASS_OPEN_FOR"]
    assert tap(device(app), f"/class/{klass.token}/{pupil.id}", pupil.pictures).status_code == 302
    with app.app_context():  # three hours later: closed again
        db.session.execute(update(SchoolClass).where(SchoolClass.id == klass.id)
                           .values(signin_open_until=utcnow() - timedelta(seconds=1)))
        db.session.commit()
    assert "Alfie" not in device(app).get(f"/class/{klass.token}").get_data(as_text=True)
    # After the end of the school day it cannot be opened at all (and an opening never runs past it).
    monkeypatch.setitem(app.config, "SCHOOL_DAY_ENDS", "00:00")
    r = staff.post(f"/staff/classes/{klass.id}/open", data={"csrf_token": token})
    assert r.status_code == 303
    assert "The school day is over" in staff.get(r.location).get_data(as_text=True)
    with app.app_context():
        assert db.session.get(SchoolClass, klass.id).signin_open_until < utcnow()
    # Another school's teacher cannot open it.
    stranger = app.test_client()
    login_as(make_staff(Role.TEACHER), test_client=stranger)
    token = csrf_from(stranger, "/staff/")
    assert stranger.post(f"/staff/classes/{klass.id}/open", data={"csrf_token": token}).status_code == 404


def test_the_picture_throttle_gives_the_rate_the_readme_states(app, make_class, make_pupil):
    """Five wrong guesses for one child, each from a different tablet, and the sixth try (even the right
    pictures) waits: 5 guesses per 10 minutes per child, whatever the number of devices."""
    klass = make_class(1)
    pupil = make_pupil(klass, password=None)
    url = f"/class/{klass.token}/{pupil.id}"
    wrong = [("dog", "star", "fish"), ("tree", "car", "apple"), ("cat", "boat", "sun"), ("sun", "cat", "dog"),
             ("fish", "tree", "car")]
    for picks in wrong:
        assert tap(device(app), url, picks).status_code == 401
    r = tap(device(app), url, pupil.pictures)
    assert r.status_code == 429 and "ask your teacher" in r.get_data(as_text=True)
    # The figure in the README follows from that rate and the 9 x 8 x 7 sequences.
    limit = parse(app.config["PICTURE_FAILS_PER_PUPIL"])
    per_minute = limit.amount / (limit.get_expiry() / 60)
    sequences = 9 * 8 * 7
    hours = (sequences + 1) / 2 / per_minute / 60
    assert per_minute == 0.5 and sequences == 504
    assert f"{hours:.1f} hours" in README.read_text()  # 8.4 hours of lessons with the class open


def test_one_tablet_cannot_work_through_the_class(app, make_class, make_pupil):
    klass = make_class(1)
    pupils = [make_pupil(klass, first_name=f"Kid{i}", password=None) for i in range(12)]
    attacker = device(app)
    codes = [tap(attacker, f"/class/{klass.token}/{p.id}", ("dog", "star", "fish")).status_code for p in pupils]
    assert codes[:10] == [401] * 10 and set(codes[10:]) == {429}  # 10 wrong tries per device
    # Each child still signs in from their own tablet.
    assert tap(device(app), f"/class/{klass.token}/{pupils[11].id}", pupils[11].pictures).status_code == 302


def test_a_tablet_that_clears_its_cookies_every_try_is_stopped_by_the_class_limit(app, make_class, make_pupil):
    klass = make_class(1)
    pupils = [make_pupil(klass, first_name=f"Kid{i}", password=None) for i in range(10)]
    limit = parse(app.config["PICTURE_FAILS_PER_CLASS"]).amount
    codes = [tap(device(app), f"/class/{klass.token}/{pupils[i % 10].id}", ("dog", "star", "fish")).status_code
             for i in range(limit + 5)]
    assert codes[:limit] == [401] * limit and set(codes[limit:]) == {429}


def test_new_picture_passwords_never_repeat_a_picture():
    seen = {auth_service.random_picture_password() for _ in range(300)}
    assert all(len(set(s)) == 3 for s in seen)


# ---- attack 4: locking everyone out ---------------------------------------------------------------

def test_a_thousand_wrong_tries_from_one_client_and_the_dsl_still_signs_in_from_another(app, make_staff,
                                                                                        in_app, outbox):
    dsl = make_staff(Role.DSL)
    in_app(lambda: setattr(db.session.get(StaffUser, dsl.id), "email", "dsl@school.example"))
    attacker = device(app, "203.0.113.9")
    token = csrf_from(attacker, "/staff/sign-in")
    codes = {sign_in(attacker, "/staff/sign-in", dsl.username, f"guess{i}", token).status_code
             for i in range(1000)}
    assert codes <= {401, 429}
    assert sign_in(attacker, "/staff/sign-in", dsl.username, PASSWORD, token).status_code == 429
    owner = device(app, "198.51.100.7")  # the DSL at school
    assert sign_in(owner, "/staff/sign-in", dsl.username, PASSWORD).status_code == 302
    # The DSL was told that someone tried (once, not a thousand times).
    told = [p for p in outbox.glob("*.eml")
            if "someone tried to sign in" in email.message_from_bytes(p.read_bytes(),
                                                                       policy=email.policy.default)["Subject"]]
    assert len(told) == 1


def test_a_hundred_and_twenty_posts_lock_none_of_the_class_out(app, make_class, make_pupil):
    klass = make_class(4)
    pupils = [make_pupil(klass, first_name=f"Kid{i}") for i in range(24)]
    attacker = device(app)
    token = csrf_from(attacker, "/sign-in")
    for p in pupils:
        for _ in range(5):
            sign_in(attacker, "/sign-in", p.username, "wrong", token)
    for p in pupils:  # every child, on their own tablet on the same school network
        assert sign_in(device(app), "/sign-in", p.username, PASSWORD).status_code == 302, p.username


def test_a_guess_spread_over_many_addresses_pauses_only_unknown_devices_and_an_admin_lifts_it(
        app, make_staff, login_as):
    school = Ids(id=make_staff(Role.TEACHER).school_id)
    dsl = make_staff(Role.DSL, school=school)
    laptop = device(app, "198.51.100.7")
    assert sign_in(laptop, "/staff/sign-in", dsl.username, PASSWORD).status_code == 302  # a known device
    laptop.post("/sign-out", data={"csrf_token": csrf_from(laptop, "/staff/second-factor/setup")})
    for n in range(25):  # a botnet: five tries from each of five addresses
        bot = device(app, f"203.0.113.{n // 5}")
        sign_in(bot, "/staff/sign-in", dsl.username, "wrong")
    assert sign_in(device(app, "192.0.2.50"), "/staff/sign-in", dsl.username, PASSWORD).status_code == 429
    assert sign_in(laptop, "/staff/sign-in", dsl.username, PASSWORD).status_code == 302  # the DSL's own laptop
    admin = app.test_client()
    login_as(make_staff(Role.ADMIN, school=school), test_client=admin)
    page = admin.get(f"/staff/admin/staff/{dsl.id}").get_data(as_text=True)
    assert "Slowed down after many wrong passwords" in page
    r = admin.post(f"/staff/people/{dsl.id}/let-sign-in", data={"csrf_token": csrf_from(admin, "/staff/")})
    assert r.status_code == 303
    assert sign_in(device(app, "192.0.2.50"), "/staff/sign-in", dsl.username, PASSWORD).status_code == 302
    # A teacher may not lift it; another school's admin gets a 404.
    teacher = app.test_client()
    login_as(make_staff(Role.TEACHER, school=school), test_client=teacher)
    assert teacher.post(f"/staff/people/{dsl.id}/let-sign-in",
                        data={"csrf_token": csrf_from(teacher, "/staff/")}).status_code == 403
    other = app.test_client()
    login_as(make_staff(Role.ADMIN), test_client=other)
    assert other.post(f"/staff/people/{dsl.id}/let-sign-in",
                      data={"csrf_token": csrf_from(other, "/staff/")}).status_code == 404
