"""Attacks 1 and 2: a child's unsent message can be written, read or sent only by that child, in the
session that started it; when the session ends, what they chose reaches the DSL marked so."""

from __future__ import annotations

import time

import pytest
from sqlalchemy import select

from pupil_app.concerns.models import AuditEvent, Concern, ConcernDraft
from pupil_app.extensions import db
from pupil_app.schools.models import Role

from .concern_flow import count_concerns, csrf, csrf_of, send_form, start, tap


@pytest.fixture
def school(make_class, make_pupil, make_staff):
    klass = make_class(year_group=1)
    pupil = make_pupil(klass, first_name="Alfie")
    dsl = make_staff(Role.DSL, school=type("S", (), {"id": klass.school_id})())
    return type("School", (), {"klass": klass, "pupil": pupil, "dsl": dsl})


def picture_sign_in(client, pupil):
    """The class page's picture password, three taps, as the tablet does it."""
    url = f"/class/{pupil.token}/{pupil.id}"
    so_far = []
    for pick in pupil.pictures:
        r = client.post(url, data={"csrf_token": csrf(client, url), "pick": pick, "so_far": " ".join(so_far)})
        so_far.append(pick)
    assert r.status_code == 302 and r.location == "/learn/", r.status_code


def sign_out(client):
    r = client.post("/sign-out", data={"csrf_token": csrf(client, "/learn/")})
    assert r.status_code == 302


def concerns(app) -> list[Concern]:
    with app.app_context():
        rows = list(db.session.scalars(select(Concern).order_by(Concern.id)))
        for c in rows:
            c.words_text = c.words
        db.session.expunge_all()
        return rows


def test_a_message_cannot_be_rewritten_and_sent_after_the_child_has_finished(app, client, school):
    """Attack 1: the token from the tablet's history, used after "I've finished"."""
    picture_sign_in(client, school.pupil)
    base = start(client)
    tap(client, base, "what", choice="stranger")
    tap(client, base, "words", words="A man in the game asked where I live")
    sign_out(client)  # "I've finished"

    for attacker in (client, app.test_client()):  # the same tablet, and anyone else with the link
        token = csrf(attacker, "/sign-in")
        r = attacker.post(f"{base}/words", data={"csrf_token": token, "words": "Nothing happened, I made it up"})
        assert "Please tell the adult in your room now" in r.get_data(as_text=True)
        r = attacker.post(f"{base}/send", data={"csrf_token": token, "what": "other",
                                                "words": "Nothing happened, I made it up"},
                          headers={"Accept": "application/json"})
        assert r.json["status"] == "signed_out"
    picture_sign_in(client, school.pupil)  # the child (or the attacker) signs in again later
    client.get("/learn/")

    (concern,) = concerns(app)
    assert concern.words_text == "A man in the game asked where I live"  # the child's own words
    assert concern.what == "stranger" and concern.urgent and concern.interrupted
    with app.app_context():
        actions = list(db.session.scalars(select(AuditEvent.action).where(AuditEvent.target_id == concern.id)))
    assert "concern.interrupted" in actions and "concern.sent" not in actions


def test_another_session_of_the_same_child_can_neither_read_nor_write_nor_send_the_message(app, client, school):
    """Attack 1 from a second session signed in as the child (a staff member who knows the pictures)."""
    picture_sign_in(client, school.pupil)
    base = start(client)
    tap(client, base, "words", words="my brother hits me")
    other = app.test_client()
    picture_sign_in(other, school.pupil)
    for step in ("feel", "words", "send"):
        r = other.get(f"{base}/{step}")
        assert r.status_code == 404 and "my brother hits me" not in r.get_data(as_text=True)
    token = csrf(other, "/learn/")
    assert other.post(f"{base}/words", data={"csrf_token": token, "words": "forged"}).status_code == 404
    r = other.post(f"{base}/send", data={"csrf_token": token, "words": "forged"},
                   headers={"Accept": "application/json"})
    assert r.status_code == 404
    assert all(c.words_text != "forged" for c in concerns(app))


def test_an_unsent_message_is_never_shown_to_whoever_signs_in_next_and_reaches_the_dsl(app, client, school,
                                                                                      login_as):
    """Attack 2: whoever can sign in as the child (admin page, printed cards) opens Tell an adult."""
    picture_sign_in(client, school.pupil)
    base = start(client)
    tap(client, base, "what", choice="secrets")
    tap(client, base, "words", words="he said keep it a secret")
    snoop = app.test_client()
    picture_sign_in(snoop, school.pupil)
    r = snoop.get("/tell")
    assert r.status_code == 303 and not r.location.startswith(base)  # a new, empty message
    page = snoop.get(r.location.rsplit("/", 1)[0] + "/words").get_data(as_text=True)
    assert "he said keep it a secret" not in page
    assert snoop.get(f"{base}/words").status_code == 404
    # The interrupted disclosure reached the DSL, clearly marked.
    (concern,) = concerns(app)
    assert concern.words_text == "he said keep it a secret" and concern.interrupted and concern.urgent
    dsl = login_as(school.dsl, test_client=app.test_client())  # signed in, second factor given just now
    detail = dsl.get(f"/staff/concerns/{concern.id}").get_data(as_text=True)
    assert "Not sent by the child: the session ended" in detail and "he said keep it a secret" in detail
    with app.app_context():
        assert db.session.scalar(select(ConcernDraft)) is None  # nothing of it is left to resume


def test_an_idle_sign_out_sends_what_was_chosen_and_a_late_send_changes_nothing(app, client, school):
    picture_sign_in(client, school.pupil)
    base = start(client)
    tap(client, base, "about", choice="someone_else")
    tap(client, base, "words", words="my friend is being bullied online")
    form = send_form(client, base)
    with client.session_transaction() as sess:
        sess["seen"] = time.time() - 3600  # 15 quiet minutes and more pass
    form["words"] = "changed after the session ended"
    r = client.post(f"{base}/send", data=form)
    page = r.get_data(as_text=True)
    assert "Please tell the adult in your room now" in page
    assert "What you chose so far has gone to the grown-ups" in page
    (concern,) = concerns(app)
    assert concern.words_text == "my friend is being bullied online" and concern.interrupted


def test_a_session_that_ends_with_nothing_said_sends_nothing(app, client, school):
    picture_sign_in(client, school.pupil)
    base = start(client)
    tap(client, base, "feel", choice="ok")  # only how they feel: nothing for the DSL to act on
    sign_out(client)
    assert count_concerns(app) == 0
    with app.app_context():
        assert db.session.scalar(select(ConcernDraft)) is None


def test_a_message_sent_in_its_own_session_is_the_childs_own(app, client, school):
    picture_sign_in(client, school.pupil)
    base = start(client)
    tap(client, base, "words", words="I saw something scary")
    r = client.post(f"{base}/send", data=send_form(client, base))
    assert r.location == f"{base}/thanks"
    sign_out(client)
    (concern,) = concerns(app)
    assert not concern.interrupted and concern.words_text == "I saw something scary"


def test_the_tell_pages_tag_the_browser_copy_with_the_session(app, client, school):
    picture_sign_in(client, school.pupil)
    first = csrf_of(client.get("/learn/").get_data(as_text=True))
    assert first
    tag = client.get("/learn/").get_data(as_text=True).split('data-tell-session="', 1)[1].split('"', 1)[0]
    assert len(tag) == 16
    sign_out(client)
    assert 'data-tell-session="' not in client.get("/sign-in").get_data(as_text=True)
