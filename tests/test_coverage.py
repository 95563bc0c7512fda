"""Teacher coverage: the class grid, outcomes and difficult questions, one pupil's page, CSV exports,
the school and trust heat maps, the report to governors; who may see what; queries per page."""

from __future__ import annotations

import csv
import io
import re
from datetime import datetime, timedelta

import pytest

from pupil_app.content import load_content
from pupil_app.coverage import classes, service, terms
from pupil_app.csv_export import neutralise
from pupil_app.extensions import db
from pupil_app.learning.models import ModuleProgress, QuizAttempt
from pupil_app.schools.history import Rollover, RolloverClass
from pupil_app.schools.models import Pupil, Role, SchoolClass
from pupil_app.timeutil import utcnow

from .content_factory import REAL
from .helpers import Ids

CONTENT = load_content(REAL)
KS1 = CONTENT.modules_for_year(1)  # the year1 fixture class
KS2 = CONTENT.modules_for_year(4)


def attempt(app, pupil, module, *, wrong: dict[str, list[str]] | None = None, when: datetime | None = None,
            finished: bool = True) -> int:
    """Record a finished quiz for ``pupil`` answering everything right except ``wrong`` (question -> answer),
    and keep module_progress as the learning journey does. Returns the score."""
    wrong = wrong or {}
    when = when or utcnow() - timedelta(days=1)
    answers = {q.id: wrong.get(q.id, list(q.correct_answer)) for q in module.questions}
    score = sum(1 for q in module.questions if q.is_correct(tuple(answers[q.id])))
    with app.app_context():
        db.session.add(QuizAttempt(pupil_id=pupil.id, school_id=pupil.school_id, class_id=pupil.class_id,
                                   module_id=module.id, content_version=module.version, answers=answers,
                                   score=score if finished else None, total=len(module.questions), started_at=when,
                                   finished_at=when if finished else None))
        row = db.session.get(ModuleProgress, (pupil.id, module.id))
        if row is None:
            row = ModuleProgress(pupil_id=pupil.id, module_id=module.id, school_id=pupil.school_id, started_at=when,
                                 attempts=0, last_activity_at=when)
            db.session.add(row)
        if finished:
            row.attempts += 1
            row.completed_at = row.completed_at or when
            if row.best_score is None or score > row.best_score:
                row.best_score, row.best_total = score, len(module.questions)
        db.session.commit()
    return score


def started_only(app, pupil, module):
    with app.app_context():
        db.session.add(ModuleProgress(pupil_id=pupil.id, module_id=module.id, school_id=pupil.school_id, attempts=0))
        db.session.commit()


def wrong_answers(module, n: int) -> dict[str, list[str]]:
    """Wrong answers to the first ``n`` questions (the last wrong choice, or a reversed order)."""
    out = {}
    for q in module.questions[:n]:
        out[q.id] = list(reversed(q.correct_answer)) if q.is_order else [[c.id for c in q.choices if not c.correct][-1]]
    return out


def text(response) -> str:
    return response.get_data(as_text=True)


def read_csv(response) -> list[list[str]]:
    body = response.get_data(as_text=True)
    assert body.startswith("\ufeff")
    return list(csv.reader(io.StringIO(body[1:])))


@pytest.fixture
def year1(make_class, make_pupil, make_staff, app):
    """A Year 1 class of three with work done, its teacher, and another class's pupil."""
    school_class = make_class(1, name="Year 1")
    ada = make_pupil(school_class, first_name="Ada")
    ben = make_pupil(school_class, first_name="Ben")
    cal = make_pupil(school_class, first_name="Cal")
    content_m, contact_m = KS1[0], KS1[1]
    attempt(app, ada, content_m)                                            # passed, full marks
    attempt(app, ben, content_m, wrong=wrong_answers(content_m, 4))         # low score
    started_only(app, cal, contact_m)                                       # started, no quiz
    for _ in range(3):                                                      # many tries, not passed
        attempt(app, cal, content_m, wrong=wrong_answers(content_m, 3))
    teacher = make_staff(Role.TEACHER, classes=(school_class,))
    return {"class": school_class, "ada": ada, "ben": ben, "cal": cal, "teacher": teacher}


# --- the class grid --------------------------------------------------------------------------------

def test_grid_shows_each_pupil_and_module_with_symbol_colour_and_best_score(client, login_as, year1):
    login_as(year1["teacher"])
    html = text(client.get(f"/staff/coverage/classes/{year1['class'].id}"))
    module = KS1[0]
    n = len(module.questions)
    grid = html.split('id="help-heading"')[0]
    rows = {m.group(1): m.group(2) for m in re.finditer(r">(Ada|Ben|Cal) Pupil\d+</a></th>(.*?)</tr>", grid, re.S)}
    assert set(rows) == {"Ada", "Ben", "Cal"}
    assert f'cell--passed"><span class="cell__symbol" aria-hidden="true">✓</span> {n}/{n}' in rows["Ada"]
    assert f'cell--started"><span class="cell__symbol" aria-hidden="true">◐</span> {n - 4}/{n}' in rows["Ben"]
    assert rows["Cal"].count("cell--started") == 2  # a low quiz score, and a lesson opened
    assert "cell--not-started" in rows["Ada"]
    # Grouped by the four risks, in the 4Cs order, each module under its risk.
    heads = re.findall(r'class="grid__category">([^<]+)<', html)
    assert heads == ["Content", "Contact", "Conduct", "Commerce"]
    assert "(best quiz score at least 60%)" in html


def test_category_share_is_the_share_of_the_class_that_passed(client, login_as, year1):
    login_as(year1["teacher"])
    html = text(client.get(f"/staff/coverage/classes/{year1['class'].id}"))
    shares = re.findall(r'share__name">([^<]+)</span>.*?share__value">([^<]+)</strong>', html, re.S)
    assert shares[0] == ("Content", "33%") and shares[1] == ("Contact", "0%")
    assert "1 of 3 passed" in html


def test_pass_line_is_sixty_per_cent():
    assert service.PASS_PERCENT == 60
    assert service.is_pass(3, 5) and not service.is_pass(2, 5) and not service.is_pass(None, 5)
    assert classes.cell_for(None).status == service.NOT_STARTED


def test_who_needs_help_lists_low_scores_and_many_tries(client, login_as, year1):
    login_as(year1["teacher"])
    html = text(client.get(f"/staff/coverage/classes/{year1['class'].id}"))
    helped = html.split('id="help-heading"')[1]
    module = KS1[0]
    n = len(module.questions)
    assert f"{module.title}: best score {n - 4}/{n}" in helped            # Ben
    assert f"{module.title}: 3 tries, best {n - 3}/{n}, not passed yet" in helped  # Cal
    assert "Ada" not in helped


def test_grid_leaves_out_pupils_who_left_and_other_classes(client, login_as, year1, make_pupil, make_class):
    make_pupil(year1["class"], first_name="Gone", active=False)
    make_pupil(make_class(1), first_name="Elsewhere")
    login_as(year1["teacher"])
    html = text(client.get(f"/staff/coverage/classes/{year1['class'].id}"))
    assert "Gone" not in html and "Elsewhere" not in html


def test_grid_csv_has_every_cell_and_is_safe_in_a_spreadsheet(app, client, login_as, year1):
    with app.app_context():
        db.session.get(Pupil, year1["ada"].id).last_name = "=HYPERLINK(\"http://evil\")"
        db.session.commit()
    login_as(year1["teacher"])
    r = client.get(f"/staff/coverage/classes/{year1['class'].id}/grid.csv")
    assert r.status_code == 200 and r.mimetype == "text/csv"
    assert "attachment" in r.headers["Content-Disposition"]
    rows = read_csv(r)
    assert len(rows[0]) == 3 + 3 * len(KS1) + 2 and len(rows) == 4  # and the pledge and parent columns
    assert rows[0][-2:] == ["Pledge", "Parent acknowledgement"]
    ada = next(r for r in rows if r[0] == "Ada")
    assert ada[1] == "'=HYPERLINK(\"http://evil\")"
    n = len(KS1[0].questions)
    assert ada[3:6] == ["passed", f"{n}/{n}", "1"]
    assert read_csv(client.get(f"/staff/coverage/classes/{year1['class'].id}/help.csv"))[0][:3] == [
        "First name", "Last name", "Module"]


@pytest.mark.parametrize("value", ["=1+1", "+44 1234", "-2", "@SUM(A1)", "\tx", "\rx"])
def test_exports_neutralise_formula_cells(value):
    assert neutralise(value) == "'" + value


def test_neutralise_keeps_numbers_and_plain_text():
    assert neutralise(-3) == -3 and neutralise("Zoë") == "Zoë" and neutralise(None) == ""


def test_print_view_hides_the_toolbar(client, login_as, year1):
    login_as(year1["teacher"])
    html = text(client.get(f"/staff/coverage/classes/{year1['class'].id}"))
    assert 'class="toolbar no-print"' in html and "data-print" in html


def test_an_extra_pupil_column_appears_in_the_grid_and_its_csv(client, login_as, year1):
    column = service.PupilColumn("example", "Example", lambda ids: {i: "agreed" for i in ids})
    service.register_pupil_column(column)
    try:
        login_as(year1["teacher"])
        html = text(client.get(f"/staff/coverage/classes/{year1['class'].id}"))
        assert '<th scope="col" rowspan="2">Example</th>' in html and html.count("<td>agreed</td>") == 3
        rows = read_csv(client.get(f"/staff/coverage/classes/{year1['class'].id}/grid.csv"))
        assert rows[0][-1] == "Example" and rows[1][-1] == "agreed"
        assert "Example" in text(client.get(f"/staff/coverage/pupils/{year1['ada'].id}"))
    finally:
        service.PUPIL_COLUMNS.remove(column)


# --- outcomes and difficult questions ----------------------------------------------------------------

def test_difficult_questions_show_the_most_missed_and_the_wrong_answer_chosen_most(app, client, login_as,
                                                                                  make_class, make_pupil, make_staff):
    school_class = make_class(4)
    module = KS2[0]
    target = next(q for q in module.questions if not q.is_order and len(q.choices) >= 3)
    wrong = [c for c in target.choices if not c.correct]
    pupils = [make_pupil(school_class) for _ in range(4)]
    for i, pupil in enumerate(pupils):
        attempt(app, pupil, module, wrong={target.id: [wrong[0].id if i < 3 else wrong[1].id]})
    other = next(q for q in module.questions if q.id != target.id and not q.is_order)
    attempt(app, pupils[0], module, wrong={other.id: [[c.id for c in other.choices if not c.correct][0]]})
    login_as(make_staff(Role.TEACHER, classes=(school_class,)))
    html = text(client.get(f"/staff/coverage/classes/{school_class.id}/questions"))
    section = html.split(f"<h3>{module.title}")[1].split("<h3>")[0]
    first_row = section.split("<tbody>")[1].split("</tr>")[0]
    assert target.prompt in first_row
    assert "4 of 5 (80%)" in first_row
    assert f"“{wrong[0].text}”" in first_row and "(3 times)" in first_row
    rows = read_csv(client.get(f"/staff/coverage/classes/{school_class.id}/difficult.csv"))
    assert rows[1][:6] == [module.title, target.prompt, "5", "4", "80", wrong[0].text]


def test_outcome_share_counts_pupils_who_answered_its_questions_right(app, client, login_as, make_class, make_pupil,
                                                                      make_staff):
    school_class = make_class(1)
    ada = make_pupil(school_class, first_name="Ada")
    make_pupil(school_class, first_name="Ben")
    for module in KS1:
        attempt(app, ada, module)
    login_as(make_staff(Role.TEACHER, classes=(school_class,)))
    html = text(client.get(f"/staff/coverage/classes/{school_class.id}/questions"))
    for outcome in CONTENT.outcomes_for_band("ks1"):
        row = html.split(outcome.text)[1].split("</tr>")[0]
        assert "<strong>50%</strong>" in row and "(1/2)" in row and "Ben" in row and "Ada" not in row
    rows = read_csv(client.get(f"/staff/coverage/classes/{school_class.id}/outcomes.csv"))
    assert {r[1] for r in rows[1:]} == {o.id for o in CONTENT.outcomes_for_band("ks1")}
    assert all(r[2:5] == ["1", "2", "50"] for r in rows[1:])


# --- one pupil ---------------------------------------------------------------------------------------

def test_pupil_page_shows_every_quiz_and_scores_over_time(app, client, login_as, year1):
    login_as(year1["teacher"])
    r = client.get(f"/staff/coverage/pupils/{year1['cal'].id}")
    html = text(r)
    assert r.status_code == 200
    assert html.count("below the pass mark</td>") == 3
    assert '<svg viewBox="0 0 640 240"' in html and html.count("<polygon") + html.count("<circle") >= 3
    rows = read_csv(client.get(f"/staff/coverage/pupils/{year1['cal'].id}/attempts.csv"))
    assert rows[0] == ["Finished", "Module", "Risk", "Score", "Out of", "Passed"] and len(rows) == 4


# --- who may see what --------------------------------------------------------------------------------

def test_teacher_opening_another_teachers_class_or_pupil_gets_404(client, login_as, year1, make_class, make_pupil,
                                                                   make_staff):
    theirs = make_class(1, school=Ids(id=year1["class"].school_id))
    their_pupil = make_pupil(theirs)
    login_as(year1["teacher"])
    for url in (f"/staff/coverage/classes/{theirs.id}", f"/staff/coverage/classes/{theirs.id}/grid.csv",
                f"/staff/coverage/classes/{theirs.id}/questions", f"/staff/coverage/classes/{theirs.id}/outcomes.csv",
                f"/staff/coverage/pupils/{their_pupil.id}", f"/staff/coverage/pupils/{their_pupil.id}/attempts.csv"):
        assert client.get(url).status_code == 404, url


def test_another_schools_pupil_by_url_is_404_even_for_admin_and_dsl(client, login_as, year1, make_staff, make_pupil):
    elsewhere = make_pupil(year_group=1)
    for role in (Role.ADMIN, Role.DSL, Role.TRUST_ADMIN):
        login_as(make_staff(role, school=Ids(id=year1["class"].school_id)))
        assert client.get(f"/staff/coverage/pupils/{elsewhere.id}").status_code == 404
        assert client.get(f"/staff/coverage/classes/{elsewhere.class_id}").status_code == 404


# --- school and trust overviews ------------------------------------------------------------------------

def test_school_heat_map_by_year_group_and_risk(client, login_as, year1, make_staff):
    admin = make_staff(Role.ADMIN, school=Ids(id=year1["class"].school_id))
    login_as(admin)
    r = client.get("/staff/coverage/school")
    assert r.status_code == 302
    html = text(client.get(r.location))
    assert '<svg class="heatmap"' in html and 'role="img"' in html
    assert "<title>Year 1, Content: 1 of 3 modules passed (3 pupils)</title>" in html
    assert re.search(r'fill="#[0-9a-f]{6}">33%</text>', html)
    assert "<script" not in html.split('<svg class="heatmap"')[1].split("</svg>")[0]
    rows = read_csv(client.get(f"/staff/coverage/schools/{year1['class'].school_id}/overview.csv"))
    assert rows[1][:4] == ["Year group", "Year 1", "3", "33"]


def test_overview_is_for_admin_dsl_and_trust_admin_not_teachers(client, login_as, year1, make_staff):
    sid = year1["class"].school_id
    login_as(year1["teacher"])
    assert client.get(f"/staff/coverage/schools/{sid}").status_code == 403
    assert client.get("/staff/coverage/trust").status_code == 403
    login_as(make_staff(Role.DSL, school=Ids(id=sid)))
    assert client.get(f"/staff/coverage/schools/{sid}").status_code == 200


def test_trust_admin_sees_every_school_of_the_trust_anonymised_and_no_other_trust(app, client, login_as, year1,
                                                                                  make_staff, make_school, make_class,
                                                                                  make_pupil):
    from pupil_app.schools.models import School

    with app.app_context():
        home = db.session.get(School, year1["class"].school_id)
        sister = School(trust_id=home.trust_id, name="Sister Primary")
        db.session.add(sister)
        db.session.commit()
        sister_id = sister.id
    small = make_class(5, school=Ids(id=sister_id))
    for _ in range(2):
        attempt(app, make_pupil(small), KS2[0])
    other_trust = make_school()
    trust_admin = make_staff(Role.TRUST_ADMIN, school=Ids(id=year1["class"].school_id))
    login_as(trust_admin)
    html = text(client.get("/staff/coverage/trust"))
    assert "Sister Primary" in html and "Ada" not in html and "Pupil" not in html.split("<main")[1].split("Schools")[0]
    # Sister Primary has 2 pupils: too few to show without pointing at a child.
    sister_row = html.split("Sister Primary</a></th>")[1].split("</tr>")[0]
    assert "fewer than 5" in sister_row and "%" not in sister_row
    assert client.get(f"/staff/coverage/schools/{sister_id}").status_code == 200
    assert client.get(f"/staff/coverage/schools/{other_trust.id}").status_code == 404
    # Class grids of another school stay closed to trust staff.
    assert client.get(f"/staff/coverage/classes/{small.id}").status_code == 404
    rows = read_csv(client.get("/staff/coverage/trust.csv"))
    sister_csv = next(r for r in rows if r[1] == "Sister Primary")
    assert sister_csv[2:] == [""] * (len(sister_csv) - 2)


# --- report to governors -------------------------------------------------------------------------------

def test_governors_report_for_a_chosen_term_counts_that_terms_learning(app, client, login_as, make_class,
                                                                     make_pupil, make_staff):
    school_class = make_class(3, name="Oak")
    pupils = [make_pupil(school_class) for _ in range(6)]
    with app.app_context():
        old = datetime(2025, 1, 1)
        db.session.get(SchoolClass, school_class.id).created_at = old
        for p in pupils:
            db.session.get(Pupil, p.id).created_at = old
        db.session.commit()
    spring = datetime(2025, 2, 10)
    attempt(app, pupils[0], KS2[0], when=spring)
    attempt(app, pupils[1], KS2[0], when=spring, wrong=wrong_answers(KS2[0], 5))
    attempt(app, pupils[2], KS2[1], when=datetime(2025, 5, 2))  # summer: not in the spring report
    admin = make_staff(Role.ADMIN, school=Ids(id=school_class.school_id))
    login_as(admin)
    html = text(client.get(f"/staff/coverage/schools/{school_class.school_id}/report?term=2025-spring"))
    assert "Spring term 2024/25" in html and "1 January 2025" in html and "31 March 2025" in html
    assert "2 pupils (33%) finished at least one online safety quiz this term." in html
    assert "2 quizzes finished this term." in html
    row = html.split('<th scope="row">Year 3</th>')[1].split("</tr>")[0]
    assert re.findall(r'class="num">([^<]+)<', row) == ["6", "2 (33%)", "2", "50%"]
    rows = read_csv(client.get(f"/staff/coverage/schools/{school_class.school_id}/report.csv?term=2025-spring"))
    assert rows[1][:5] == ["Year 3", "6", "2", "2", "50"]
    assert client.get(f"/staff/coverage/schools/{school_class.school_id}/report?term=2025-winter").status_code == 400
    assert client.get(f"/staff/coverage/schools/{school_class.school_id}/report?term={'9' * 40}").status_code == 400


def test_report_for_a_term_before_a_rollover_uses_the_year_group_of_then(app, client, login_as, make_class, make_pupil,
                                                                       make_staff):
    school_class = make_class(4, name="Year 4")
    pupil = make_pupil(school_class)
    attempt(app, pupil, KS2[0], when=datetime(2025, 2, 1))
    with app.app_context():
        db.session.get(SchoolClass, school_class.id).created_at = datetime(2024, 9, 1)
        db.session.get(Pupil, pupil.id).created_at = datetime(2024, 9, 1)
        # It was Year 3 in spring 2025 and moved up in July.
        rollover = Rollover(school_id=school_class.school_id, academic_year=2025, performed_at=datetime(2025, 7, 20))
        db.session.add(rollover)
        db.session.flush()
        db.session.add(RolloverClass(rollover_id=rollover.id, class_id=school_class.id, from_year=3, to_year=4,
                                     from_name="Year 3", to_name="Year 4"))
        db.session.commit()
    login_as(make_staff(Role.ADMIN, school=Ids(id=school_class.school_id)))
    html = text(client.get(f"/staff/coverage/schools/{school_class.school_id}/report?term=2025-spring"))
    # (The pledge table further down is of pupils on roll today: Year 4 there is right.)
    html = html.split('id="years-heading"')[1].split('id="pledge-heading"')[0]
    assert '<th scope="row">Year 3</th>' in html and '<th scope="row">Year 4</th>' not in html


def test_terms_follow_the_school_year():
    assert terms.term_for(datetime(2025, 10, 1).date()).id == "2025-autumn"
    assert terms.term_for(datetime(2026, 2, 1).date()).academic_year == 2025
    assert terms.parse_term("2026-summer").start.month == 4 and terms.parse_term("2026-summer").end.month == 9
    assert terms.parse_term("1999-spring") is None and terms.parse_term("2026-winter") is None


# --- SQL queries per page do not grow with the class --------------------------------------------------

def _class_with(app, make_class, make_pupil, n: int, school=None):
    school_class = make_class(4, school=school)
    pupils = [make_pupil(school_class, password=None, pictures=None) for _ in range(n)]
    for i, p in enumerate(pupils):
        for module in KS2[: 1 + i % 4]:
            attempt(app, p, module, wrong=wrong_answers(module, i % 3))
    return school_class


@pytest.mark.parametrize("page", ["/staff/classes/{}", "/staff/coverage/classes/{}", "/staff/coverage/classes/{}/grid.csv",
                                  "/staff/coverage/classes/{}/questions", "/staff/coverage/classes/{}/difficult.csv"])
def test_class_pages_make_the_same_queries_for_5_and_30_pupils(app, client, login_as, make_class, make_pupil,
                                                               make_staff, count_queries, page):
    counts = []
    for n in (5, 30):
        school_class = _class_with(app, make_class, make_pupil, n)
        login_as(make_staff(Role.TEACHER, classes=(school_class,)))
        client.get(page.format(school_class.id))  # warm: the session user
        with count_queries() as statements:
            assert client.get(page.format(school_class.id)).status_code == 200
        counts.append(len(statements))
    assert counts[0] == counts[1], counts
    assert counts[0] <= 9  # the grid also reads the modules set for the class (one query)


def test_school_and_trust_overviews_make_the_same_queries_for_5_and_30_pupils(app, client, login_as, make_class,
                                                                                make_pupil, make_staff, make_school,
                                                                                count_queries):
    counts = {"school": [], "trust": [], "report": []}
    for n in (5, 30):
        school = make_school()
        _class_with(app, make_class, make_pupil, n, school=school)
        _class_with(app, make_class, make_pupil, n // 5, school=school)
        login_as(make_staff(Role.TRUST_ADMIN, school=school))
        for key, url in (("school", f"/staff/coverage/schools/{school.id}"), ("trust", "/staff/coverage/trust"),
                         ("report", f"/staff/coverage/schools/{school.id}/report")):
            client.get(url)
            with count_queries() as statements:
                assert client.get(url).status_code == 200
            counts[key].append(len(statements))
    for key, (small, large) in counts.items():
        assert small == large, (key, counts)
    assert counts["school"][0] <= 8 and counts["trust"][0] <= 8
