"""A pupil's "Tell an adult": pictures only, never a lost word, one concern per message, plain words."""

from __future__ import annotations

import re
import time

import pytest
from sqlalchemy import select
from sqlalchemy.exc import OperationalError

from pupil_app.concerns import telling
from pupil_app.concerns.models import Concern, ConcernDraft
from pupil_app.crypto import decrypt
from pupil_app.extensions import db
from pupil_app.schools.models import Role

from .concern_flow import count_concerns, csrf, send_form, session_hash_of, start, tap, tell, token_of
from .helpers import PASSWORD, Ids


@pytest.fixture
def pupil(make_class, make_pupil, make_staff):
    year1 = make_class(1, name="Year 1")
    make_staff(Role.TEACHER, classes=(year1,))
    make_staff(Role.DSL, school=Ids(id=year1.school_id))
    return make_pupil(year1, first_name="Alfie")


def sign_in(client, pupil):
    r = client.post("/sign-in", data={"csrf_token": csrf(client, "/sign-in"), "username": pupil.username,
                                      "password": PASSWORD})
    assert r.status_code == 302


def expire_session(client):
    with client.session_transaction() as sess:
        sess["seen"] = time.time() - 3600


def test_pupil_answers_with_pictures_only_and_the_concern_is_saved_before_thank_you(app, client, pupil, login_as):
    login_as(pupil)
    base, r = tell(client, feeling="scared", what="stranger", about="me", where="game", words=None, adult="anyone")
    assert r.status_code == 303 and r.location == f"{base}/thanks"
    # Committed before "Thank you": another connection already sees it.
    with app.app_context():
        concern = db.session.scalar(select(Concern))
        assert (concern.feeling, concern.what, concern.about, concern.location, concern.talk_to) == \
            ("scared", "stranger", "me", "game", "anyone")
        assert concern.category == "contact" and concern.urgent and concern.status == "new"
        assert concern.words_enc is None and concern.source == "pupil" and concern.pupil_id == pupil.id
        assert db.session.scalar(select(ConcernDraft)) is None  # the flow's draft is gone once delivered
    page = client.get(r.location).get_data(as_text=True)
    assert "Thank you for telling us, Alfie" in page
    assert "will read your message" in page and "today, or on the next school day" in page
    assert "If you feel unsafe right now" in page and "Childline" in page


def test_each_screen_has_a_picture_for_every_choice_and_read_aloud_text(client, pupil, login_as):
    login_as(pupil)
    base = start(client)
    for step, n in (("feel", 6), ("what", 6), ("about", 3), ("where", 6)):
        page = client.get(f"{base}/{step}").get_data(as_text=True)
        assert len(re.findall(r'class="choice[ "]', page)) == n
        assert page.count('<img src="/pictures/') >= n
        assert 'class="question__prompt" id="prompt" data-read' in page
    adults = client.get(f"{base}/adult").get_data(as_text=True)
    # teacher + DSL, each with their own picture, and anyone
    assert "adult-1.svg" in adults and "adult-2.svg" in adults and "worry-anyone.svg" in adults


def test_a_double_tap_a_retry_and_a_replay_store_exactly_one_concern(app, client, pupil, login_as):
    login_as(pupil)
    base = start(client)
    tap(client, base, "words", words="a boy in my game said mean things")
    form = send_form(client, base)
    first = client.post(f"{base}/send", data=form)
    second = client.post(f"{base}/send", data=form)
    replay = client.post(f"{base}/send", data=form, headers={"Accept": "application/json"})
    assert first.location == second.location == f"{base}/thanks"
    assert replay.status_code == 200 and replay.json["status"] == "saved"
    assert count_concerns(app) == 1


def test_two_sends_at_the_same_moment_meet_the_unique_key_and_still_make_one(app, client, pupil, login_as,
                                                                             monkeypatch):
    login_as(pupil)
    base = start(client)
    tap(client, base, "feel", choice="sad")
    form = send_form(client, base)
    assert client.post(f"{base}/send", data=form).status_code == 303  # the first tap's request
    # The second tap's request loaded the draft and looked for the key before the first committed:
    # its insert meets the unique constraint, and the child is still told the message is saved.
    with app.app_context():
        db.session.add(ConcernDraft(token=token_of(base), pupil_id=pupil.id, school_id=pupil.school_id,
                                    session_hash=session_hash_of(app, client)))
        db.session.commit()
    real, looked = telling.concern_by_key, []

    def not_yet_visible(key):
        looked.append(key)
        return None if len(looked) == 1 else real(key)

    monkeypatch.setattr(telling, "concern_by_key", not_yet_visible)
    r = client.post(f"{base}/send", data=form)
    assert r.status_code == 303 and r.location == f"{base}/thanks"
    assert len(looked) == 2  # the submit's look-up, then the view's after the IntegrityError
    assert count_concerns(app) == 1


def test_a_double_tap_on_the_first_screen_answers_into_one_draft(app, client, pupil, login_as, monkeypatch):
    login_as(pupil)
    base = start(client)
    token = csrf(client, "/learn/")
    # The other tap's request created the draft after this one looked for it.
    with app.app_context():
        db.session.add(ConcernDraft(token=token_of(base), pupil_id=pupil.id, school_id=pupil.school_id,
                                    session_hash=session_hash_of(app, client)))
        db.session.commit()
    real, looked = telling.draft_by_token, []
    monkeypatch.setattr(telling, "draft_by_token", lambda t: looked.append(t) or (None if len(looked) == 1 else real(t)))
    r = client.post(f"{base}/feel", data={"csrf_token": token, "choice": "sad"})
    assert r.status_code == 303 and r.location == f"{base}/what"
    with app.app_context():
        (draft,) = db.session.scalars(select(ConcernDraft)).all()
        assert draft.feeling == "sad"


def test_a_message_nobody_began_here_is_never_sent_as_whoever_is_signed_in(app, client, pupil, login_as):
    """A copy kept in a shared device's browser, for a message with no draft on the server (so no
    proof of whose it is), is refused rather than sent as the child signed in now."""
    login_as(pupil)
    base = start(client)
    r = client.post(f"{base}/send", data={"csrf_token": csrf(client, f"{base}/feel"), "feeling": "ok",
                                          "words": "someone else's words"}, headers={"Accept": "application/json"})
    assert r.status_code == 404 and r.json["status"] == "unknown"
    assert count_concerns(app) == 0


def test_unique_constraint_is_the_last_word_on_duplicates(app, pupil, in_app):
    def twice():
        from pupil_app.schools.models import Pupil

        p = db.session.get(Pupil, pupil.id)
        telling.submit(p, "same-key-AAAAAAAAAAAA", telling.Answers(feeling="sad"))
        db.session.commit()
        db.session.add(Concern(school_id=p.school_id, pupil_id=p.id, source="pupil", category="unsure",
                               idempotency_key="same-key-AAAAAAAAAAAA"))
        db.session.flush()

    from sqlalchemy.exc import IntegrityError

    with pytest.raises(IntegrityError):
        in_app(twice)
    assert count_concerns(app) == 1


def test_an_empty_message_gets_a_gentle_prompt_and_nothing_is_saved(app, client, pupil, login_as):
    login_as(pupil)
    base, r = tell(client, feeling=None, what=None, about=None, where=None, words="   ", adult=None)
    assert r.status_code == 400
    assert "Tap a picture or write a few words" in r.get_data(as_text=True)
    assert count_concerns(app) == 0


@pytest.mark.parametrize("answers", [{"feeling": "ok"}, {"what": "money"}, {"words": "help"}, {"adult": "anyone"}])
def test_one_picture_or_a_few_words_is_enough(app, client, pupil, login_as, answers):
    login_as(pupil)
    values = {"feeling": None, "what": None, "about": None, "where": None, "words": None, "adult": None}
    values.update(answers)
    _, r = tell(client, **values)
    assert r.status_code == 303
    assert count_concerns(app) == 1


def test_ten_thousand_characters_are_refused_kindly_and_kept_on_the_page(app, client, pupil, login_as):
    login_as(pupil)
    base = start(client)
    tap(client, base, "feel", choice="worried")
    long_words = "I am worried " * 770  # 10,010 characters
    r = tap(client, base, "words", words=long_words)
    page = r.get_data(as_text=True)
    assert r.status_code == 400
    assert "That is a lot of words!" in page
    assert long_words.strip() in page  # nothing the child typed is lost
    with app.app_context():
        assert db.session.scalar(select(ConcernDraft)).words_enc is None
    form = send_form(client, base)
    form["words"] = long_words
    assert client.post(f"{base}/send", data=form).status_code == 400
    assert count_concerns(app) == 0


@pytest.mark.parametrize("step,field,value", [
    ("feel", "choice", "furious"), ("what", "choice", "category:contact"), ("where", "choice", "<script>"),
    ("adult", "choice", "staff-999999"), ("adult", "choice", "anyone-else"),
])
def test_forged_choices_are_refused_and_never_stored(app, client, pupil, login_as, step, field, value):
    login_as(pupil)
    base = start(client)
    tap(client, base, "about", choice="me")
    r = tap(client, base, step, **{field: value})
    assert r.status_code == 400
    assert "That is not one of the pictures" in r.get_data(as_text=True)
    with app.app_context():
        draft = db.session.scalar(select(ConcernDraft))
        assert (draft.feeling, draft.what, draft.location, draft.talk_to) == (None, None, None, None)


def test_forged_values_in_the_send_itself_are_refused(app, client, pupil, login_as, make_staff, make_school):
    other_school_staff = make_staff(Role.DSL, school=make_school())
    login_as(pupil)
    base = start(client)
    tap(client, base, "feel", choice="sad")
    for forged in ({"what": "contact"}, {"feeling": "x" * 500}, {"talk_to": f"staff-{other_school_staff.id}"}):
        form = send_form(client, base)
        form.update(forged)
        assert client.post(f"{base}/send", data=form).status_code == 400
    assert count_concerns(app) == 0


def test_a_database_failure_keeps_the_words_on_the_page_and_the_retry_sends_once(app, client, pupil, login_as,
                                                                                  monkeypatch):
    login_as(pupil)
    base = start(client)
    tap(client, base, "feel", choice="sad")
    tap(client, base, "words", words="Please help, the big kids <b>took</b> my tablet")
    real = telling.submit
    calls = []

    def failing_once(*args, **kwargs):
        calls.append(1)
        if len(calls) == 1:
            raise OperationalError("INSERT INTO concerns", {}, Exception("server closed the connection"))
        return real(*args, **kwargs)

    monkeypatch.setattr(telling, "submit", failing_once)
    form = send_form(client, base)
    failed = client.post(f"{base}/send", data=form)
    page = failed.get_data(as_text=True)
    assert failed.status_code == 503
    assert "Please tell the adult in your room now" in page
    assert "Please help, the big kids &lt;b&gt;took&lt;/b&gt; my tablet" in page  # still on the screen, as text
    assert count_concerns(app) == 0
    again = client.post(f"{base}/send", data=form, headers={"Accept": "application/json"})
    assert again.json["status"] == "saved"
    assert client.post(f"{base}/send", data=form).status_code == 303  # a third tap: still the same one
    assert count_concerns(app) == 1
    with app.app_context():
        assert decrypt(db.session.scalar(select(Concern)).words_enc) == "Please help, the big kids <b>took</b> my tablet"


def test_the_send_fails_calmly_as_json_for_the_script(app, client, pupil, login_as, monkeypatch):
    login_as(pupil)
    base = start(client)
    tap(client, base, "feel", choice="sad")
    monkeypatch.setattr(telling, "submit", lambda *a, **k: (_ for _ in ()).throw(
        OperationalError("INSERT", {}, Exception("gone"))))
    r = client.post(f"{base}/send", data=send_form(client, base), headers={"Accept": "application/json"})
    assert r.status_code == 503 and r.json["status"] == "failed"
    assert "Please tell the adult in your room now" in r.json["message"]


def test_a_first_tap_after_the_session_ended_is_attributed_to_nobody(app, client, pupil):
    sign_in(client, pupil)
    base = start(client)  # nothing is written until the first answer
    expire_session(client)
    r = tap(client, base, "feel", choice="angry")
    assert "Please tell the adult in your room now" in r.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(ConcernDraft)) is None


def test_a_child_who_is_not_signed_in_is_told_plainly_to_tell_an_adult(app, client, pupil):
    r = client.get(f"/tell?from=/class/{pupil.token}")
    page = r.get_data(as_text=True)
    assert r.status_code == 200
    assert "Please tell the adult in your room now" in page
    assert f'href="/class/{pupil.token}"' in page and "Sign in" in page
    assert 'href="https://evil.example' not in client.get("/tell?from=https://evil.example/").get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(ConcernDraft)) is None  # nothing is started for nobody


def test_a_signed_out_browser_is_shown_nothing_of_a_message(app, client, pupil, login_as):
    login_as(pupil)
    base = start(client)
    tap(client, base, "words", words="my secret words")
    anonymous = app.test_client()
    for step in ("feel", "words", "send"):
        page = anonymous.get(f"{base}/{step}").get_data(as_text=True)
        assert "my secret words" not in page and "Please tell the adult in your room now" in page


def test_another_pupil_cannot_open_or_send_someone_elses_message(app, client, pupil, login_as, make_pupil):
    login_as(pupil)
    base = start(client)
    tap(client, base, "words", words="mine")
    other = app.test_client()
    login_as(make_pupil(first_name="Bo"), test_client=other)
    assert other.get(f"{base}/words").status_code == 404
    r = other.post(f"{base}/send", data={"csrf_token": csrf(other, "/learn/"), "words": "not mine"},
                   headers={"Accept": "application/json"})
    assert r.status_code == 404 and r.json["status"] == "unknown"
    assert other.get(f"{base}/thanks").status_code == 404
    assert count_concerns(app) == 0
    # Once it is sent, another child's browser is told only to forget its copy.
    form = send_form(client, base)
    assert client.post(f"{base}/send", data=form).status_code == 303
    r = other.post(f"{base}/send", data={"csrf_token": csrf(other, "/learn/")}, headers={"Accept": "application/json"})
    assert r.status_code == 404 and r.json == {"status": "done"}
    assert count_concerns(app) == 1


def test_staff_are_sent_to_the_staff_form(client, make_staff, login_as):
    login_as(make_staff(Role.TEACHER))
    r = client.get("/tell")
    assert r.status_code == 302 and r.location == "/staff/concerns/new"
    assert client.get("/tell/AAAAAAAAAAAAAAAAAAAA/feel").status_code == 403


def test_the_pupil_sees_on_their_home_page_when_a_grown_up_has_read_it(app, client, pupil, login_as, make_staff):
    login_as(pupil)
    tell(client)
    home = client.get("/learn/").get_data(as_text=True)
    assert "Your messages to the grown-ups" in home and "A grown-up will read it soon" in home
    dsl = app.test_client()
    login_as(make_staff(Role.DSL, school=Ids(id=pupil.school_id)), test_client=dsl)
    with app.app_context():
        concern_id = db.session.scalar(select(Concern.id))
    assert dsl.get(f"/staff/concerns/{concern_id}").status_code == 200
    home = client.get("/learn/").get_data(as_text=True)
    assert "A grown-up has read it" in home and "will read it soon" not in home


def test_tell_an_adult_and_hide_this_page_are_on_every_pupil_page(app, client, pupil, login_as):
    pages = ["/sign-in", f"/class/{pupil.token}", f"/class/{pupil.token}/{pupil.id}", "/nope", "/tell", "/calm"]
    for url in pages:
        html = client.get(url).get_data(as_text=True)
        assert 'class="tell-button"' in html and "data-hide-page" in html, url
        # Always first in the page bar: the first link after "Skip to the page".
        assert html.index('class="tell-button"') < html.index('class="pupil-bar__left"'), url
    login_as(pupil)
    base = start(client)
    for url in ["/learn/", "/learn/ks1-content/1", f"{base}/feel", f"{base}/send"]:
        html = client.get(url).get_data(as_text=True)
        assert 'class="tell-button"' in html and 'id="calm-cover"' in html, url


def test_the_tell_button_remembers_where_the_child_was(client, pupil, login_as):
    login_as(pupil)
    r = client.get("/tell?from=/learn/ks1-content/3")
    base = r.location.rsplit("/", 1)[0]
    tap(client, base, "feel", choice="sad")
    form = send_form(client, base)
    thanks = client.post(f"{base}/send", data=form).location
    assert 'href="/learn/ks1-content/3"' in client.get(thanks).get_data(as_text=True)


def test_the_pupil_screens_have_no_inline_script_or_style(client, pupil, login_as):
    pages = ["/tell", "/calm"]
    html = [client.get(url).get_data(as_text=True) for url in pages]
    login_as(pupil)
    base, r = tell(client)
    html += [client.get(f"{base}/thanks").get_data(as_text=True)]
    base = start(client)
    tap(client, base, "feel", choice="sad")
    html += [client.get(f"{base}/{step}").get_data(as_text=True) for step in ("feel", "words", "adult", "send")]
    for page in html:
        assert not re.search(r"<script(?![^>]*\bsrc=)", page)
        assert " style=" not in page and "<style" not in page
        assert not re.search(r'(src|href)="(https?:)?//', page)
