"""Sign-in for every age, and sign-out on shared devices."""

from __future__ import annotations

import re
import time
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from pupil_app.auth import service as auth_service
from pupil_app.auth.models import Badge
from pupil_app.extensions import db
from pupil_app.schools.models import Pupil, Role, StaffUser

from .helpers import PASSWORD


def csrf_from(client, url: str) -> str:
    html = client.get(url).get_data(as_text=True)
    return re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html).group(1)


def sign_in(client, url, username, password):
    token = csrf_from(client, url)
    return client.post(url, data={"csrf_token": token, "username": username, "password": password})


# --- staff -----------------------------------------------------------------------------------

def test_staff_sign_in_lands_on_their_classes(client, make_staff):
    staff = make_staff(Role.TEACHER)
    r = sign_in(client, "/staff/sign-in", staff.username, PASSWORD)
    assert r.status_code == 302 and r.location.endswith("/staff/")
    assert "My classes" in client.get("/staff/").get_data(as_text=True)


def test_wrong_password_and_unknown_user_get_the_same_answer(client, make_staff):
    staff = make_staff()
    wrong = sign_in(client, "/staff/sign-in", staff.username, "nope")
    unknown = sign_in(client, "/staff/sign-in", "nobody.here", "nope")
    assert wrong.status_code == unknown.status_code == 401
    msg = "Those details did not work"
    assert msg in wrong.get_data(as_text=True) and msg in unknown.get_data(as_text=True)
    assert client.get("/staff/").status_code == 302  # still signed out


def test_five_wrong_passwords_slow_that_client_but_never_lock_the_owner_out(client, app, make_staff):
    staff = make_staff()
    for _ in range(5):
        assert sign_in(client, "/staff/sign-in", staff.username, "wrong").status_code == 401
    # This client now waits, even with the right password...
    r = sign_in(client, "/staff/sign-in", staff.username, PASSWORD)
    assert r.status_code == 429 and "your account is not locked" in r.get_data(as_text=True)
    # ...while the owner on their own device signs in as usual.
    owner = app.test_client()
    owner.environ_base["REMOTE_ADDR"] = "10.1.2.3"
    assert sign_in(owner, "/staff/sign-in", staff.username, PASSWORD).status_code == 302


def test_over_long_username_gets_a_message_not_a_500(client):
    r = sign_in(client, "/staff/sign-in", "x" * 10_000, "pw")
    assert r.status_code == 400
    assert "That username is too long." in r.get_data(as_text=True)


def test_empty_fields_get_a_message(client):
    r = sign_in(client, "/sign-in", "", "")
    assert r.status_code == 400
    assert "Type your username." in r.get_data(as_text=True)


def test_sign_in_without_csrf_token_is_refused(client, make_staff):
    staff = make_staff()
    r = client.post("/staff/sign-in", data={"username": staff.username, "password": PASSWORD})
    assert r.status_code == 400
    assert client.get("/staff/").status_code == 302


def test_deactivated_staff_cannot_sign_in(client, app, make_staff):
    staff = make_staff()
    with app.app_context():
        db.session.get(StaffUser, staff.id).active = False
        db.session.commit()
    assert sign_in(client, "/staff/sign-in", staff.username, PASSWORD).status_code == 401


def test_next_parameter_only_follows_local_paths(client, make_staff):
    staff = make_staff()
    token = csrf_from(client, "/staff/sign-in")
    r = client.post("/staff/sign-in?next=//evil.example/x",
                    data={"csrf_token": token, "username": staff.username, "password": PASSWORD})
    assert r.status_code == 302 and r.location == "/staff/"


def test_staff_sign_in_is_rate_limited(client, app, make_staff):
    app.config["SIGNIN_RATE_LIMIT"] = "3 per minute"
    try:
        codes = [sign_in(client, "/staff/sign-in", "someone", "x").status_code for _ in range(4)]
    finally:
        app.config["SIGNIN_RATE_LIMIT"] = "300 per minute"
    assert codes[:3] == [401, 401, 401] and codes[3] == 429


# --- KS2 pupils: username and password ------------------------------------------------------

def test_pupil_password_sign_in(client, make_pupil):
    pupil = make_pupil(year_group=4)
    r = sign_in(client, "/sign-in", pupil.username, PASSWORD)
    assert r.status_code == 302 and r.location.endswith("/learn/")
    assert "Hello Sam!" in client.get("/learn/").get_data(as_text=True)


def test_pupil_wrong_password_is_kind_and_stores_nothing(client, app, make_pupil):
    pupil = make_pupil()
    r = sign_in(client, "/sign-in", pupil.username, "wrong")
    assert r.status_code == 401
    assert "did not work. Try again, or ask your teacher." in r.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(Pupil, pupil.id).failed_signins == 1


def test_staff_password_does_not_sign_in_on_the_pupil_form(client, make_staff):
    staff = make_staff()
    assert sign_in(client, "/sign-in", staff.username, PASSWORD).status_code == 401


# --- EYFS/KS1: class page and picture password ------------------------------------------------

def tap(client, url, picks, so_far=""):
    token = csrf_from(client, url)
    r = None
    for pick in picks:
        r = client.post(url, data={"csrf_token": token, "so_far": so_far, "pick": pick})
        so_far = (so_far + " " + pick).strip()
    return r


def test_class_page_lists_names_and_pictures(client, make_pupil, make_class):
    reception = make_class(0)
    make_pupil(reception, first_name="Ada", password=None)
    make_pupil(reception, first_name="Bilal", password=None)
    html = client.get(f"/class/{reception.token}").get_data(as_text=True)
    assert "Ada" in html and "Bilal" in html and "avatar-fox.svg" in html


def test_picture_password_signs_in_after_three_taps(client, make_pupil, make_class):
    pupil = make_pupil(make_class(0), password=None, pictures=("dog", "star", "apple"))
    url = f"/class/{pupil.token}/{pupil.id}"
    r = tap(client, url, ["dog", "star"])
    assert r.status_code == 200  # two taps: still choosing
    r = client.post(url, data={"csrf_token": csrf_from(client, url), "so_far": "dog star", "pick": "apple"})
    assert r.status_code == 302 and r.location.endswith("/learn/")


def test_wrong_picture_sequence_is_refused_kindly(client, make_pupil, make_class):
    pupil = make_pupil(make_class(1), password=None, pictures=("dog", "star", "apple"))
    url = f"/class/{pupil.token}/{pupil.id}"
    r = tap(client, url, ["apple", "star", "dog"])
    assert r.status_code == 401
    assert "Not quite." in r.get_data(as_text=True)
    assert client.get("/learn/").status_code == 302


def test_picture_sign_in_refuses_pupil_of_another_class(client, make_pupil, make_class):
    pupil = make_pupil(make_class(0), password=None)
    other = make_class(0)
    assert client.get(f"/class/{other.token}/{pupil.id}").status_code == 404


def test_forged_picture_posts_are_refused(client, make_pupil, make_class):
    pupil = make_pupil(make_class(0), password=None, pictures=("cat", "sun", "boat"))
    url = f"/class/{pupil.token}/{pupil.id}"
    token = csrf_from(client, url)
    r = client.post(url, data={"csrf_token": token, "so_far": "cat sun boat", "pick": "cat"})
    assert r.status_code == 400
    r = client.post(url, data={"csrf_token": token, "so_far": "cat sun", "pick": "<script>"})
    assert r.status_code == 400
    assert client.get("/learn/").status_code == 302


def test_wrong_class_link_shows_a_clear_page(client):
    r = client.get("/class/not-a-real-token")
    assert r.status_code == 404
    assert "does not work any more" in r.get_data(as_text=True)


def test_pupil_pauses_after_five_wrong_picture_tries_and_teacher_can_unlock(client, app, make_pupil, make_class,
                                                                          make_staff, login_as):
    school_class = make_class(1)
    pupil = make_pupil(school_class, password=None, pictures=("cat", "sun", "boat"))
    url = f"/class/{pupil.token}/{pupil.id}"
    for _ in range(5):
        tap(client, url, ["dog", "star", "fish"])
    r = tap(client, url, ["cat", "sun", "boat"])
    assert r.status_code == 429 and "ask your teacher" in r.get_data(as_text=True)
    teacher = make_staff(Role.TEACHER, classes=(school_class,))
    staff_client = app.test_client()
    login_as(teacher, test_client=staff_client)
    token = csrf_from(staff_client, f"/staff/classes/{school_class.id}")
    assert staff_client.post(f"/staff/pupils/{pupil.id}/unlock", data={"csrf_token": token}).status_code == 302
    r = tap(client, url, ["cat", "sun", "boat"])
    assert r.status_code == 302


# --- QR badges -----------------------------------------------------------------------------------

def issue(app, pupil_id: int) -> str:
    with app.app_context():
        token = auth_service.issue_badge(db.session.get(Pupil, pupil_id))
        db.session.commit()
        return token


def test_badge_token_has_128_bits_and_is_stored_hashed(app, make_pupil):
    pupil = make_pupil()
    token = issue(app, pupil.id)
    assert len(token) >= 22  # 16 random bytes, URL-safe base64
    with app.app_context():
        stored = db.session.scalar(select(Badge.token_hash))
    assert token not in stored and len(stored) == 64


def test_badge_asks_is_this_you_then_signs_in(client, app, make_pupil):
    pupil = make_pupil(year_group=0, first_name="Zara")
    token = issue(app, pupil.id)
    page = client.get(f"/badge/{token}")
    assert page.status_code == 200 and "Are you Zara?" in page.get_data(as_text=True)
    assert page.headers["Cache-Control"] == "no-store"
    r = client.post(f"/badge/{token}", data={"csrf_token": csrf_from(client, f"/badge/{token}")})
    assert r.status_code == 302 and r.location.endswith("/learn/")


def test_forged_badge_gets_the_same_clear_page(client):
    r = client.get("/badge/AAAAAAAAAAAAAAAAAAAAAA")
    assert r.status_code == 404
    assert "This card does not work any more" in r.get_data(as_text=True)
    assert client.get("/badge/" + "x" * 500).status_code == 404


def test_reissued_badge_kills_the_old_card(client, app, make_pupil):
    pupil = make_pupil()
    old = issue(app, pupil.id)
    new = issue(app, pupil.id)
    assert client.get(f"/badge/{old}").status_code == 404
    assert client.get(f"/badge/{new}").status_code == 200


def test_expired_badge_gets_the_same_clear_page(client, app, make_pupil):
    pupil = make_pupil()
    token = issue(app, pupil.id)
    with app.app_context():
        badge = db.session.scalar(select(Badge))
        badge.expires_at = badge.created_at - timedelta(seconds=1)
        db.session.commit()
    r = client.get(f"/badge/{token}")
    assert r.status_code == 404 and "This card does not work any more" in r.get_data(as_text=True)


def test_badge_of_deactivated_pupil_does_not_work(client, app, make_pupil):
    pupil = make_pupil()
    token = issue(app, pupil.id)
    with app.app_context():
        db.session.get(Pupil, pupil.id).active = False
        db.session.commit()
    assert client.get(f"/badge/{token}").status_code == 404


def test_badges_are_rate_limited(client, app):
    app.config["BADGE_RATE_LIMIT"] = "2 per minute"
    try:
        codes = [client.get("/badge/forged-token-value").status_code for _ in range(3)]
    finally:
        app.config["BADGE_RATE_LIMIT"] = "300 per minute"
    assert codes == [404, 404, 429]


def test_teacher_prints_cards_whose_badges_sign_in(app, make_pupil, make_class, make_staff, login_as):
    school_class = make_class(0)
    make_pupil(school_class, password=None, first_name="Ada")
    teacher = make_staff(Role.TEACHER, classes=(school_class,))
    staff_client = app.test_client()
    login_as(teacher, test_client=staff_client)
    token = csrf_from(staff_client, f"/staff/classes/{school_class.id}")
    cards = staff_client.post(f"/staff/classes/{school_class.id}/badges", data={"csrf_token": token})
    html = cards.get_data(as_text=True)
    assert cards.status_code == 200 and "<svg" in html and "Ada" in html
    link = re.search(r'href="http://localhost(/badge/[^"]+)"', html).group(1)
    pupil_client = app.test_client()
    r = pupil_client.post(link, data={"csrf_token": csrf_from(pupil_client, link)})
    assert r.status_code == 302 and r.location.endswith("/learn/")


# --- sessions on shared devices ----------------------------------------------------------------

def test_sign_out_ends_the_session_even_for_a_copied_cookie(client, app, make_pupil):
    pupil = make_pupil()
    sign_in(client, "/sign-in", pupil.username, PASSWORD)
    copied = client.get_cookie("session").value
    token = csrf_from(client, "/learn/")
    r = client.post("/sign-out", data={"csrf_token": token})
    assert r.status_code == 302
    assert client.get("/learn/").status_code == 302
    thief = app.test_client()
    thief.set_cookie("session", copied)
    r = thief.get("/learn/")
    assert r.status_code == 302 and "/sign-in" in r.location


def test_picture_pupil_returns_to_class_page_after_finishing(client, make_pupil, make_class):
    pupil = make_pupil(make_class(0), password=None, pictures=("cat", "sun", "boat"))
    tap(client, f"/class/{pupil.token}/{pupil.id}", ["cat", "sun", "boat"])
    r = client.post("/sign-out", data={"csrf_token": csrf_from(client, "/learn/")})
    assert r.location.endswith(f"/class/{pupil.token}")
    assert "You have signed out. Well done today!" in client.get(r.location).get_data(as_text=True)


@pytest.mark.parametrize("who,minutes,stays", [("pupil", 14, True), ("pupil", 16, False),
                                                ("staff", 29, True), ("staff", 31, False)])
def test_idle_sessions_end(client, make_pupil, make_staff, login_as, who, minutes, stays):
    account = make_pupil() if who == "pupil" else make_staff()
    login_as(account)
    url = "/learn/" if who == "pupil" else "/staff/"
    assert client.get(url).status_code == 200
    with client.session_transaction() as sess:
        sess["seen"] = time.time() - minutes * 60
    r = client.get(url)
    assert (r.status_code == 200) is stays
    if not stays:
        assert client.get(url).status_code == 302  # signed out for good, not just once


def test_signed_in_pages_are_not_cached(client, make_pupil, login_as):
    login_as(make_pupil())
    assert client.get("/learn/").headers["Cache-Control"] == "no-store"


def test_pictures_are_cacheable_and_public(client):
    with client.get("/pictures/pw-cat.svg") as r:
        assert r.status_code == 200 and r.mimetype == "image/svg+xml"
    assert client.get("/pictures/../config.py").status_code == 404
    assert client.get("/pictures/nope.svg").status_code == 404


def test_sessions_loaded_with_stale_version_are_rejected(app, make_pupil):
    pupil = make_pupil()
    with app.app_context():
        account = db.session.get(Pupil, pupil.id)
        stale = account.get_id()
        auth_service.end_sessions(account)
        db.session.commit()
        assert auth_service.load_account(stale) is None
        assert auth_service.load_account(account.get_id()) is not None
        assert auth_service.load_account("staff:x:1") is None
        assert db.session.scalar(select(func.count()).select_from(Badge)) == 0
