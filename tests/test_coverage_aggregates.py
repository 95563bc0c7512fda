"""The quiz figures kept as quizzes finish (coverage/aggregates.py): never stale, always equal to a
fresh count from the attempts, and what the report to governors shows."""

from __future__ import annotations

import random
from datetime import datetime, timedelta

from sqlalchemy import and_, case, delete, func, select

from pupil_app.content import load_content
from pupil_app.coverage import aggregates, terms
from pupil_app.coverage.service import passed_sql
from pupil_app.extensions import db
from pupil_app.learning import service as learning
from pupil_app.learning.models import QuizAttempt
from pupil_app.schools.models import Pupil, Role, School

from .content_factory import REAL
from .test_coverage import attempt, wrong_answers

KS2 = load_content(REAL).modules_for_band("ks2")


def _report_numbers(app, school_id: int, term: terms.Term) -> list[tuple]:
    with app.app_context():
        report = terms.term_report(db.session.get(School, school_id), term)
        return [(y.year_group, y.pupils, y.active, y.quizzes, y.quizzes_passed,
                 {c: (t.passed, t.possible) for c, t in y.cells.items()}) for y in report.years]


def test_a_quiz_finished_through_the_learning_journey_shows_in_the_report_at_once(app, make_pupil):
    pupil = make_pupil(year_group=4)
    term = terms.term_for(datetime.utcnow().date())
    before = _report_numbers(app, pupil.school_id, term)
    assert before[0][2:5] == (0, 0, 0)  # nobody active, no quizzes
    with app.app_context():
        p = db.session.get(Pupil, pupil.id)
        module = KS2[0]
        a = learning.open_attempt(p, module)
        for q in module.questions:
            learning.answer(p, module, a, q.id, list(q.correct_answer))
        db.session.commit()
    after = _report_numbers(app, pupil.school_id, term)
    year, pupils, active, quizzes, passed, cells = after[0]
    assert (pupils, active, quizzes, passed) == (1, 1, 1, 1)
    assert cells[module.category][0] == 1  # the pupil has passed the module by the end of the term


def _reference(school_id: int, term: terms.Term):
    """What the report read before the aggregates: a count over every attempt of the school."""
    start = datetime.combine(term.start, datetime.min.time())
    end = datetime.combine(term.end, datetime.min.time())
    in_term = QuizAttempt.finished_at >= start
    passed = passed_sql(QuizAttempt.score, QuizAttempt.total)
    rows = db.session.execute(
        select(Pupil.class_id, QuizAttempt.module_id, func.count(case((in_term, 1))),
               func.count(case((and_(in_term, passed), 1))),
               func.count(func.distinct(case((passed, QuizAttempt.pupil_id)))))
        .select_from(QuizAttempt).join(Pupil, Pupil.id == QuizAttempt.pupil_id)
        .where(QuizAttempt.school_id == school_id, QuizAttempt.finished_at.is_not(None), QuizAttempt.finished_at < end)
        .group_by(Pupil.class_id, QuizAttempt.module_id))
    by_class_module = {(c, m): (int(q or 0), int(qp or 0), int(pp or 0)) for c, m, q, qp, pp in rows}
    active = dict(db.session.execute(
        select(Pupil.class_id, func.count(func.distinct(QuizAttempt.pupil_id)))
        .select_from(QuizAttempt).join(Pupil, Pupil.id == QuizAttempt.pupil_id)
        .where(QuizAttempt.school_id == school_id, QuizAttempt.finished_at >= start, QuizAttempt.finished_at < end)
        .group_by(Pupil.class_id)).all())
    return by_class_module, active


def test_figures_equal_a_fresh_count_over_terms_classes_and_unfinished_quizzes(app, make_school, make_class,
                                                                              make_pupil):
    rng = random.Random(15)
    school = make_school()
    school_classes = [make_class(4, school=school), make_class(5, school=school)]
    pupils = [make_pupil(c) for c in school_classes for _ in range(3)]
    now = datetime.utcnow()
    for _ in range(40):  # quizzes spread over two years: many terms, passes and fails, some unfinished
        p = rng.choice(pupils)
        when = now - timedelta(days=rng.randrange(0, 700), minutes=rng.randrange(0, 1440))
        attempt(app, p, rng.choice(KS2), wrong=wrong_answers(KS2[0], rng.randrange(0, 4)) if rng.random() < 0.5
                else None, when=when, finished=rng.random() < 0.9)
    with app.app_context():
        school = db.session.get(School, school.id)
        with db.engine.connect() as conn:
            assert aggregates.differences(conn, app.extensions["content"].modules) == 0
        for term in terms.recent_terms(school):
            start = datetime.combine(term.start, datetime.min.time())
            end = datetime.combine(term.end, datetime.min.time())
            assert aggregates.term_figures(school.id, start, end) == _reference(school.id, term), term.id


def test_rebuild_after_a_bulk_load_and_the_cli_check(app, make_pupil, runner):
    pupil = make_pupil(year_group=4)
    for days in (1, 100, 200):
        attempt(app, pupil, KS2[0], when=datetime.utcnow() - timedelta(days=days))
    with app.app_context():
        db.session.execute(delete(aggregates.PupilTermQuizzes))  # as after a load that bypassed the app
        db.session.commit()
    r = runner.invoke(args=["coverage", "aggregates", "--check"])
    assert r.exit_code == 1 and "differ" in r.output
    r = runner.invoke(args=["coverage", "aggregates", "--rebuild"])
    assert r.exit_code == 0, r.output
    r = runner.invoke(args=["coverage", "aggregates", "--check"])
    assert r.exit_code == 0 and "match" in r.output


def test_a_deleted_pupil_leaves_no_figures(app, make_pupil, make_staff):
    pupil = make_pupil(year_group=4)
    attempt(app, pupil, KS2[0])
    make_staff(Role.ADMIN)
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(aggregates.PupilTermQuizzes)) == 1
        db.session.execute(delete(QuizAttempt).where(QuizAttempt.pupil_id == pupil.id))
        db.session.delete(db.session.get(Pupil, pupil.id))
        db.session.commit()
        assert db.session.scalar(select(func.count()).select_from(aggregates.PupilTermQuizzes)) == 0
