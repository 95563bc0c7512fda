"""Teachers: the curriculum page, a lesson plan with its outcomes as evidence, preview as a pupil in
any band and language with nothing recorded, and teach mode for the whiteboard."""

from __future__ import annotations

import html
import re

from sqlalchemy import func, select

from pupil_app.content import load_content
from pupil_app.extensions import db
from pupil_app.learning.models import ModuleProgress, QuizAttempt
from pupil_app.schools.models import Role

from .content_factory import REAL

CONTENT = load_content(REAL)


def text(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def recorded(app) -> int:
    with app.app_context():
        return (db.session.scalar(select(func.count()).select_from(ModuleProgress))
                + db.session.scalar(select(func.count()).select_from(QuizAttempt)))


def test_lessons_page_lists_every_year_and_risk(client, make_staff, login_as):
    login_as(make_staff(Role.TEACHER))
    page = text(client.get("/learn/lessons"))
    for name in ("Reception", "Year 1", "Year 3", "Year 6"):
        assert f">{name}</th>" in page
    for module in CONTENT.modules.values():
        assert module.title in page
        assert f"/learn/teach/{module.id}" in page and f"/learn/preview/{module.id}/1" in page


def test_lesson_plan_names_outcomes_and_frameworks_never_ids(client, make_staff, login_as):
    login_as(make_staff(Role.TEACHER))
    module = CONTENT.modules["y5-content"]
    page = text(client.get("/learn/lessons/y5-content"))
    assert "Builds on" in page and CONTENT.modules["ks2-content"].title in page
    assert "Misinformation, disinformation and checking a source" in page
    for oid in module.outcomes:
        tags = CONTENT.curriculum.tags[oid]
        assert CONTENT.outcomes[oid].text in page
        assert CONTENT.curriculum.strands[tags.efcw] in page and CONTENT.curriculum.elements[tags.dcf] in page
        assert tags.rshe in page and f"progression step {tags.dcf_step}" in page
        assert oid not in page  # readable names only
    for screen in module.screens:
        assert screen.discuss in page and screen.notes in page


def test_preview_shows_the_pupil_screens_of_any_band_and_records_nothing(app, client, make_staff, make_class,
                                                                       login_as):
    login_as(make_staff(Role.TEACHER, classes=(make_class(1),)))
    for module_id in ("r-content", "y5-commerce", "eop-conduct"):  # EYFS, KS2 and Year 6
        module = CONTENT.modules[module_id]
        for n, screen in enumerate(module.screens, 1):
            page = text(client.get(f"/learn/preview/{module_id}/{n}"))
            assert screen.text in page and "Preview: nothing you do here is recorded." in page
            assert "Read to me" in page and "Tell an adult" in page  # the pupil layout
        last = text(client.get(f"/learn/preview/{module_id}/{len(module.screens)}"))
        assert f"/learn/preview/{module_id}/question/1" in last and f"/learn/{module_id}/quiz" not in last
        for n, question in enumerate(module.questions, 1):
            page = text(client.get(f"/learn/preview/{module_id}/question/{n}"))
            assert question.prompt in page and "Show the answer" in page and question.explain in page
            assert '<form method="post" class="answer-form">' not in page
    assert recorded(app) == 0


def test_preview_in_welsh(client, make_staff, login_as):
    login_as(make_staff(Role.TEACHER))
    page = client.get("/learn/preview/r-content/1")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.get_data(as_text=True)).group(1)
    client.post("/language", data={"lang": "cy", "next": "/learn/preview/r-content/1", "csrf_token": token})
    page = text(client.get("/learn/preview/r-content/1"))
    assert "Gallwn ni chwarae, canu a dysgu ar sgrin." in page


def test_preview_refuses_pupils_and_unknown_pages(client, make_staff, make_pupil, login_as):
    login_as(make_pupil(year_group=4))
    assert client.get("/learn/preview/ks2-content/1").status_code == 403
    assert client.get("/learn/teach/ks2-content").status_code == 403
    assert client.get("/learn/lessons").status_code == 403
    login_as(make_staff(Role.TEACHER))
    assert client.get("/learn/preview/no-such-module/1").status_code == 404
    assert client.get("/learn/preview/ks2-content/99").status_code == 404
    assert client.get("/learn/preview/ks2-content/question/0").status_code == 404
    assert client.get("/learn/teach/no-such-module").status_code == 404


def test_teach_mode_has_every_screen_and_question_with_prompts_notes_and_reveal(app, client, make_staff, login_as):
    login_as(make_staff(Role.TEACHER))
    module = CONTENT.modules["y3-content"]
    page = text(client.get("/learn/teach/y3-content"))
    assert page.count("data-slide ") == 1 + len(module.screens) + len(module.questions) + 1
    for screen in module.screens:
        assert screen.text in page and screen.discuss in page and screen.notes in page
    assert page.count("data-reveal") == len(module.questions)
    order = next(q for q in module.questions if q.is_order)
    steps = re.search(re.escape(order.prompt) + r".*?</ol>", page, re.S).group(0)
    shown = [c.id for c in order.choices if c.text in steps]
    positions = [steps.index(c.text) for c in order.choices]
    assert len(shown) == len(order.choices) and positions != sorted(positions)  # mixed up until revealed
    assert 'src="/static/css/teach.css' in page or "css/teach" in page
    assert recorded(app) == 0
