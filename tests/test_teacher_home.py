"""A teacher's home says what to teach next and who to check on, at the top; a pupil's page lists the
questions they missed with their answers."""

from __future__ import annotations

import html
from datetime import datetime

from pupil_app.content import load_content
from pupil_app.extensions import db
from pupil_app.learning.models import Assignment, ModuleProgress, QuizAttempt
from pupil_app.schools.models import Role

from .content_factory import REAL

CONTENT = load_content(REAL)
YEAR4 = CONTENT.modules_for_year(4)


def text(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def finish(app, pupil, module, wrong: dict[str, list[str]] | None = None):
    answers = {q.id: list(q.correct_answer) for q in module.questions} | (wrong or {})
    score = sum(1 for q in module.questions if q.is_correct(tuple(answers[q.id])))
    now = datetime.utcnow()
    with app.app_context():
        db.session.add(QuizAttempt(pupil_id=pupil.id, school_id=pupil.school_id, class_id=pupil.class_id,
                                   module_id=module.id, content_version=module.version, answers=answers, score=score,
                                   total=len(module.questions), finished_at=now))
        db.session.add(ModuleProgress(pupil_id=pupil.id, module_id=module.id, school_id=pupil.school_id,
                                      attempts=1, completed_at=now, best_score=score,
                                      best_total=len(module.questions)))
        db.session.commit()


def test_home_says_what_to_teach_next_and_who_to_check_on_first(app, client, make_class, make_pupil, make_staff,
                                                               login_as):
    cls = make_class(4, name="Kestrels")
    ada, ben = make_pupil(cls, first_name="Ada"), make_pupil(cls, first_name="Ben")
    make_pupil(cls, first_name="Cal")
    for p in (ada, ben):
        finish(app, p, YEAR4[0])  # most of the class passed the first module of Year 4
    content_first = YEAR4[1]
    wrong = {q.id: [c.id for c in q.choices if not c.correct][:1] for q in content_first.questions[:4]
             if not q.is_order}
    finish(app, ben, content_first, wrong)
    login_as(make_staff(Role.TEACHER, classes=(cls,)))
    page = text(client.get("/staff/"))
    top = page.split("<table")[0]
    assert "What to teach next" in top and "Who to check on" in top
    assert YEAR4[1].title in top.split("Who to check on")[0]  # the first one most have not passed
    assert "1 pupil has not started anything this year:" in top and "Cal" in top.split("not started")[1]
    assert "Low scores or many tries:" in top and "Ben" in top.split("Low scores")[1]
    # Set for the class: the next one is the module after it.
    with app.app_context():
        db.session.add(Assignment(school_id=cls.school_id, class_id=cls.id, module_id=YEAR4[1].id))
        db.session.commit()
    top = text(client.get("/staff/")).split("<table")[0]
    assert YEAR4[2].title in top.split("Who to check on")[0]


def test_pupil_page_lists_missed_questions_and_the_answers_given(app, client, make_class, make_pupil, make_staff,
                                                              login_as):
    cls = make_class(4)
    pupil = make_pupil(cls, first_name="Dee")
    module = CONTENT.modules["y3-content"]
    q = next(q for q in module.questions if q.type == "multiple_choice")
    wrong_choice = next(c for c in q.choices if not c.correct)
    finish(app, pupil, module, {q.id: [wrong_choice.id]})
    login_as(make_staff(Role.TEACHER, classes=(cls,)))
    page = text(client.get(f"/staff/coverage/pupils/{pupil.id}"))
    section = page.split("Questions missed in the latest quiz of each module")[1].split("</section>")[0]
    right = next(c for c in q.choices if c.correct)
    assert q.prompt in section and wrong_choice.text in section and right.text in section
    assert section.count("<tr>") == 2  # the header and the one missed question
