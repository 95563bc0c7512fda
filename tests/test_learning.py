"""The pupil journey: modules by risk, lesson screens, quiz one question per screen, result."""

from __future__ import annotations

import html as htmllib
import re

import pytest
from sqlalchemy import func, select

from pupil_app.content import load_content
from pupil_app.extensions import db
from pupil_app.learning import service
from pupil_app.learning.models import ModuleProgress, QuizAttempt

from .content_factory import REAL

CONTENT = load_content(REAL)


def text(response) -> str:
    return htmllib.unescape(response.get_data(as_text=True))


def csrf(client, url):
    return re.search(r'name="csrf_token"[^>]*value="([^"]+)"', client.get(url).get_data(as_text=True)).group(1)


def start_quiz(client, module_id) -> str:
    token = csrf(client, f"/learn/{module_id}/1")
    r = client.post(f"/learn/{module_id}/quiz", data={"csrf_token": token})
    assert r.status_code == 302
    return r.location


def right_answer(question) -> list[str]:
    return list(question.correct_answer)


def wrong_answer(question) -> list[str]:
    if question.is_order:
        return list(reversed(question.correct_answer))
    return [next(c.id for c in question.choices if not c.correct)]


def answer_all(client, url, module, chooser=right_answer):
    token = csrf(client, url)
    r = None
    for q in module.questions:
        r = client.post(url, data={"csrf_token": token, "question": q.id, "answer": chooser(q)})
        assert r.status_code == 302, r.get_data(as_text=True)[:500]
    return r


def count_attempts(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(QuizAttempt))


@pytest.fixture
def ks2_pupil(make_pupil, login_as):
    pupil = make_pupil(year_group=4)
    login_as(pupil)
    return pupil


def test_home_groups_the_years_modules_by_the_four_risks(client, ks2_pupil):
    html = client.get("/learn/").get_data(as_text=True)
    for module in CONTENT.modules_for_year(4):
        assert module.title in html
    for module in CONTENT.modules_for_band("ks1"):
        assert f"/learn/{module.id}/" not in html
    positions = [html.index(f'id="cat-{c}"') for c in ("content", "contact", "conduct", "commerce")]
    assert positions == sorted(positions)
    assert html.count("module-card--not_started") == 4


@pytest.mark.parametrize("year,band", [(0, "ks1"), (2, "ks1"), (3, "ks2"), (5, "ks2"), (6, "eop")])
def test_year_group_decides_the_band(client, make_pupil, login_as, year, band):
    login_as(make_pupil(year_group=year))
    html = client.get("/learn/").get_data(as_text=True)
    assert all(m.title in html for m in CONTENT.modules_for_year(year))
    assert all(m.band == band for m in CONTENT.modules_for_year(year))


def test_module_of_another_band_is_not_found(client, ks2_pupil):
    assert client.get("/learn/ks1-content/1").status_code == 404
    assert client.get("/learn/no-such-module/1").status_code == 404


def test_lesson_screens_have_a_picture_words_and_read_aloud(client, ks2_pupil):
    module = CONTENT.modules["ks2-contact"]
    for n, screen in enumerate(module.screens, 1):
        html = client.get(f"/learn/ks2-contact/{n}").get_data(as_text=True)
        assert f"/pictures/{screen.picture}" in html
        assert "data-read-aloud" in html
        assert re.search(r"data-read>[^<]*" + re.escape(screen.text.split()[0]), html)
    assert "Start the quiz" in client.get(f"/learn/ks2-contact/{len(module.screens)}").get_data(as_text=True)
    assert client.get(f"/learn/ks2-contact/{len(module.screens) + 1}").status_code == 404


def test_opening_a_lesson_marks_the_module_started(client, app, ks2_pupil):
    client.get("/learn/ks2-commerce/1")
    assert "module-card--started" in client.get("/learn/").get_data(as_text=True)


def test_whole_quiz_stores_one_attempt_and_shows_a_celebrating_result(client, app, ks2_pupil):
    module = CONTENT.modules["ks2-content"]
    url = start_quiz(client, module.id)
    first = client.get(url).get_data(as_text=True)
    assert module.questions[0].prompt in first and module.questions[1].prompt not in first
    r = answer_all(client, url, module)
    assert "/result/" in r.location
    html = client.get(r.location).get_data(as_text=True)
    assert "Amazing! You got every one right!" in html
    assert "3 stars out of 3" in html
    with app.app_context():
        attempt = db.session.scalar(select(QuizAttempt))
        assert attempt.score == attempt.total == len(module.questions)
        assert attempt.content_version == module.version and attempt.finished_at is not None
        progress = db.session.get(ModuleProgress, (ks2_pupil.id, module.id))
        assert progress.best_score == len(module.questions) and progress.attempts == 1
    home = client.get("/learn/").get_data(as_text=True)
    assert "module-card--done" in home


def test_result_explains_what_was_missed_without_shaming(client, ks2_pupil):
    module = CONTENT.modules["ks2-conduct"]
    url = start_quiz(client, module.id)
    r = answer_all(client, url, module, chooser=wrong_answer)
    html = text(client.get(r.location))
    assert "Well done for finishing!" in html
    assert "Everyone learns by trying." in html
    for q in module.questions:
        assert q.explain in html
    assert "wrong" not in html.lower().replace("wrong answer", "")
    assert "Try again" in html


def test_try_again_starts_a_new_attempt_and_keeps_the_best(client, app, ks2_pupil):
    module = CONTENT.modules["ks2-commerce"]
    answer_all(client, start_quiz(client, module.id), module)
    answer_all(client, start_quiz(client, module.id), module, chooser=wrong_answer)
    assert count_attempts(app) == 2
    with app.app_context():
        progress = db.session.get(ModuleProgress, (ks2_pupil.id, module.id))
        assert progress.best_score == len(module.questions) and progress.attempts == 2


def test_double_tap_on_start_makes_one_attempt(client, app, ks2_pupil):
    assert start_quiz(client, "ks2-contact") == start_quiz(client, "ks2-contact")
    assert count_attempts(app) == 1


def test_order_question_is_tapped_step_by_step(client, app, ks2_pupil):
    module = next(m for m in CONTENT.modules_for_band("ks2") if any(q.is_order for q in m.questions))
    url = start_quiz(client, module.id)
    token = csrf(client, url)
    for q in module.questions:
        if q.is_order:
            break
        client.post(url, data={"csrf_token": token, "question": q.id, "answer": right_answer(q)})
    so_far: list[str] = []
    for step in q.correct_answer:
        r = client.post(url, data={"csrf_token": token, "question": q.id, "pick": step, "so_far": " ".join(so_far)})
        assert r.status_code == 200
        so_far.append(step)
    assert "That's my order" in text(r), text(r)[-3000:]
    r = client.post(url, data={"csrf_token": token, "question": q.id, "answer": so_far})
    assert r.status_code == 302
    with app.app_context():
        assert db.session.scalar(select(QuizAttempt)).answers[q.id] == so_far


def test_ks1_questions_show_pictures_with_every_choice(client, make_pupil, login_as):
    login_as(make_pupil(year_group=1, password=None))
    module = CONTENT.modules["ks1-content"]
    url = start_quiz(client, module.id)
    token = csrf(client, url)
    for q in module.questions:
        html = client.get(url).get_data(as_text=True)
        buttons = re.findall(r'<button type="submit" name="answer".*?</button>', html, re.S)
        assert len(buttons) == len(q.choices)
        assert all("<img" in b for b in buttons)
        client.post(url, data={"csrf_token": token, "question": q.id, "answer": right_answer(q)})


# --- tampered answers: a clear message, a 4xx, nothing stored ----------------------------------

def post_answer(client, url, **data):
    if "csrf_token" not in data:
        data["csrf_token"] = csrf(client, url)
    return client.post(url, data=data)


def answers_of(app):
    with app.app_context():
        return db.session.scalar(select(QuizAttempt)).answers


def test_option_that_does_not_exist_is_refused(client, app, ks2_pupil):
    module = CONTENT.modules["ks2-content"]
    url = start_quiz(client, module.id)
    r = post_answer(client, url, question=module.questions[0].id, answer="zzz")
    assert r.status_code == 400 and "not one of the choices" in r.get_data(as_text=True)
    assert answers_of(app) == {}


def test_question_from_another_module_is_refused(client, app, ks2_pupil):
    url = start_quiz(client, "ks2-content")
    # Question ids are scoped to their module: one this module does not have is another module's.
    r = post_answer(client, url, question="q99", answer="a")
    assert r.status_code == 400 and "not in this quiz" in r.get_data(as_text=True)
    assert answers_of(app) == {}


def test_skipping_ahead_is_refused(client, app, ks2_pupil):
    module = CONTENT.modules["ks2-content"]
    url = start_quiz(client, module.id)
    q = module.questions[2]
    r = post_answer(client, url, question=q.id, answer=right_answer(q))
    assert r.status_code == 400 and "in order" in r.get_data(as_text=True)
    assert answers_of(app) == {}


def test_replayed_answer_changes_nothing(client, app, ks2_pupil):
    module = CONTENT.modules["ks2-content"]
    url = start_quiz(client, module.id)
    q = module.questions[0]
    token = csrf(client, url)
    client.post(url, data={"csrf_token": token, "question": q.id, "answer": right_answer(q)})
    r = client.post(url, data={"csrf_token": token, "question": q.id, "answer": wrong_answer(q)})
    assert r.status_code == 409
    assert answers_of(app) == {q.id: right_answer(q)}


def test_replayed_final_submission_does_not_change_the_score(client, app, ks2_pupil):
    module = CONTENT.modules["ks2-content"]
    url = start_quiz(client, module.id)
    token = csrf(client, url)
    answer_all(client, url, module)
    last = module.questions[-1]
    r = post_answer(client, url, csrf_token=token, question=last.id, answer=wrong_answer(last))
    assert r.status_code == 302 and "/result/" in r.location
    assert count_attempts(app) == 1
    with app.app_context():
        assert db.session.scalar(select(QuizAttempt.score)) == len(module.questions)


def test_over_long_answer_is_refused(client, app, ks2_pupil):
    module = CONTENT.modules["ks2-content"]
    url = start_quiz(client, module.id)
    r = post_answer(client, url, question=module.questions[0].id, answer="a" * 10_000)
    assert r.status_code == 400
    assert answers_of(app) == {}


def test_order_answer_with_missing_or_repeated_steps_is_refused():
    q = next(q for m in CONTENT.modules_for_band("ks2") for q in m.questions if q.is_order)
    with pytest.raises(service.QuizError):
        service.parse_answer(q, [q.correct_answer[0]] * len(q.correct_answer))
    with pytest.raises(service.QuizError):
        service.parse_answer(q, list(q.correct_answer[:-1]))
    assert service.parse_answer(q, list(q.correct_answer)) == q.correct_answer


def test_another_pupils_attempt_is_not_found(client, app, make_pupil, login_as):
    owner = make_pupil(year_group=4)
    login_as(owner)
    url = start_quiz(client, "ks2-content")
    intruder = app.test_client()
    login_as(make_pupil(year_group=4), test_client=intruder)
    assert intruder.get(url).status_code == 404
    token = csrf(intruder, "/learn/ks2-content/1")  # a valid form of the intruder's own
    assert intruder.post(url, data={"csrf_token": token, "question": "q1", "answer": "a"}).status_code == 404


def test_staff_cannot_open_pupil_pages(client, make_staff, login_as):
    login_as(make_staff())
    assert client.get("/learn/").status_code == 403


def test_pupil_with_no_class_is_told_to_ask_the_teacher(client, app, make_pupil, login_as):
    pupil = make_pupil()
    from pupil_app.schools.models import Pupil

    with app.app_context():
        db.session.get(Pupil, pupil.id).class_id = None
        db.session.commit()
    login_as(pupil)
    assert "You are not in a class yet" in client.get("/learn/").get_data(as_text=True)


def test_stars_celebrate_finishing():
    assert service.stars_for(None, 5) == 0
    assert service.stars_for(0, 5) == 1
    assert service.stars_for(3, 5) == 2
    assert service.stars_for(5, 5) == 3


def test_a_lesson_screen_from_the_shared_cache_holds_nothing_of_the_pupil_who_first_opened_it(
        app, make_class, make_pupil, login_as):
    """Lesson screens are rendered once per process and language (pupil_app/rendering.py): the second
    child must get their own form token and nothing of the first child (name, username, picture)."""
    school_class = make_class(4)
    first = make_pupil(school_class=school_class, first_name="Zenobia")
    second = make_pupil(school_class=school_class, first_name="Bo")
    pages = {}
    for who in (first, second):
        c = app.test_client()
        login_as(who, test_client=c)
        r = c.get("/learn/ks2-content/1")
        assert r.status_code == 200
        pages[who.username] = r.get_data(as_text=True)
        with c.session_transaction() as sess:
            pages[who.username + ":csrf"] = sess.get("csrf_token")
    later = pages[second.username]
    for trace in ("Zenobia", first.username):
        assert trace not in later, trace
    tokens = [re.search(r'name="csrf_token"[^>]*value="([^"]+)"', pages[u.username]).group(1) for u in (first, second)]
    assert tokens[0] != tokens[1]  # each child's page carries its own session's token
    assert "\x00" not in later
