"""The authorisation matrix: every route x 12 identities (anonymous, and a pupil of each key stage, a
teacher, a DSL, an admin of each of the demo's two schools, and the trust admin) x the other school's
object ids. A leak is any response that shows another school's people or records, or a concern's
words to anyone but that school's DSLs. There must be none.
"""

from __future__ import annotations

import re
import time

import pytest
from sqlalchemy import select

from pupil_app.concerns import telling
from pupil_app.demo import OTHER_SCHOOL, SCHOOL_NAME
from pupil_app.extensions import db
from pupil_app.learning.models import QuizAttempt
from pupil_app.pledge.models import PledgeVersion
from pupil_app.schools.models import Pupil, School, SchoolClass, StaffUser

SKIP_POST = {"/sign-out", "/sign-in", "/staff/sign-in", "/language"}
WORDS = {SCHOOL_NAME: "DEMO-WORDS-5521 my uncle", OTHER_SCHOOL: "HILLSIDE-WORDS-7731 a man online"}
PEOPLE = {
    SCHOOL_NAME: ["Alfie Demo", "Priya Demo", "Mr David Hughes", "Ms Rachel Okafor", "Mrs Sarah Whitfield"],
    OTHER_SCHOOL: ["Ela Hillside", "Jac Hillside", "Mrs Ffion Jenkins", "Mr Gareth Bowen", "Ms Leah Morgan"],
}
IDENTITIES = [  # (label, kind, username, school)
    ("anonymous", None, None, None),
    ("ks1 pupil", "pupil", "ks1.demo", SCHOOL_NAME), ("ks2 pupil", "pupil", "ks2.demo", SCHOOL_NAME),
    ("teacher", "staff", "teacher.demo", SCHOOL_NAME), ("dsl", "staff", "dsl.demo", SCHOOL_NAME),
    ("admin", "staff", "admin.demo", SCHOOL_NAME),
    ("ks1 pupil", "pupil", "ks1.hillside", OTHER_SCHOOL), ("ks2 pupil", "pupil", "ks2.hillside", OTHER_SCHOOL),
    ("teacher", "staff", "teacher.hillside", OTHER_SCHOOL), ("dsl", "staff", "dsl.hillside", OTHER_SCHOOL),
    ("admin", "staff", "admin.hillside", OTHER_SCHOOL),
    # Last: a trust admin may close Hillside's accounts (it administers every school of the trust).
    ("trust admin", "staff", "trust.demo", SCHOOL_NAME),
]


def _objects(school: School) -> dict:
    """One record of each kind of ``school``: what the other school's people will ask for."""
    pupil = db.session.scalar(select(Pupil).where(Pupil.school_id == school.id, Pupil.username.like("ks1.%")))
    klass = db.session.get(SchoolClass, pupil.class_id)
    dsl = db.session.scalar(select(StaffUser).where(StaffUser.school_id == school.id,
                                                    StaffUser.username.like("dsl.%")))
    concern, _ = telling.submit(pupil, telling.new_key(), telling.Answers(what="stranger", words=WORDS[school.name]))
    attempt = db.session.scalar(select(QuizAttempt.id).join(Pupil, Pupil.id == QuizAttempt.pupil_id)
                                .where(Pupil.school_id == school.id).limit(1))
    version = db.session.scalar(select(PledgeVersion.id).where(PledgeVersion.school_id == school.id).limit(1))
    return {"class_id": klass.id, "pupil_id": pupil.id, "staff_id": dsl.id, "concern_id": concern.id,
            "school_id": school.id, "attempt_id": attempt or 1, "version_id": version or 1, "batch_id": 1,
            "number": 1, "token": klass.signin_token}


@pytest.fixture
def demo(app, runner):
    assert runner.invoke(args=["demo", "load"]).exit_code == 0
    with app.app_context():
        schools = {s.name: s for s in db.session.scalars(select(School))}
        objects = {name: _objects(schools[name]) for name in (SCHOOL_NAME, OTHER_SCHOOL)}
        logins = {}
        for _label, kind, username, _school in IDENTITIES:
            if kind:
                model = Pupil if kind == "pupil" else StaffUser
                logins[username] = db.session.scalar(select(model).where(model.username == username)).get_id()
        db.session.commit()
    return objects, logins


def _url(rule, values: dict, module_id: str) -> str | None:
    path = rule.rule
    for conv, name in re.findall(r"<(?:(\w+):)?(\w+)>", path):
        if conv == "path":
            return None
        if name in values:
            value = values[name]
        elif name == "module_id":
            value = module_id
        elif name == "key":
            value = "ks1"
        elif name == "name":
            value = "cat.svg"
        elif name == "step":
            value = "feel"
        else:  # a token nobody has
            value = "nosuchtokenAAAAAAAAAAAA"
        path = re.sub(rf"<(?:\w+:)?{name}>", str(value), path, count=1)
    return path


def test_no_route_shows_one_schools_records_to_another_or_a_childs_words_to_anyone_but_its_dsls(app, demo):
    objects, logins = demo
    # First, the markers are there to be found: each school's DSL reads their own child's words, and an
    # admin of the school sees its own people. (The walk below may close accounts: the trust admin may.)
    for username, school in (("dsl.demo", SCHOOL_NAME), ("dsl.hillside", OTHER_SCHOOL)):
        client = app.test_client()
        with client.session_transaction() as sess:
            sess["_user_id"] = logins[username]
            sess["mfa_at"] = time.time()  # the second factor given (the matrix is about access)
        page = client.get(f"/staff/concerns/{objects[school]['concern_id']}").get_data(as_text=True)
        assert WORDS[school] in page
    client = app.test_client()
    with client.session_transaction() as sess:
        sess["_user_id"] = logins["admin.hillside"]
        sess["mfa_at"] = time.time()  # the second factor given (the matrix is about access)
    page = client.get(f"/staff/admin/schools/{objects[OTHER_SCHOOL]['school_id']}/staff").get_data(as_text=True)
    assert "Mrs Ffion Jenkins" in page
    module_id = next(iter(app.extensions["content"].modules))
    rules = [r for r in app.url_map.iter_rules() if r.endpoint != "static"]
    leaks, requests = [], 0
    for label, kind, username, school in IDENTITIES:
        other = OTHER_SCHOOL if school == SCHOOL_NAME else SCHOOL_NAME
        values = objects[other if school else OTHER_SCHOOL]
        forbidden = [WORDS[SCHOOL_NAME], WORDS[OTHER_SCHOOL]]
        if label == "dsl":
            forbidden.remove(WORDS[school])  # a DSL reads their own school's concerns
        if label != "trust admin" and school:  # the trust admin administers every school of the trust
            forbidden += PEOPLE[other]
        if not school:
            forbidden += PEOPLE[SCHOOL_NAME] + PEOPLE[OTHER_SCHOOL]
        client = app.test_client()
        token = None
        for rule in rules:
            url = _url(rule, values, module_id)
            if url is None:
                continue
            for method in sorted(rule.methods & {"GET", "POST"}):
                if method == "POST" and rule.rule in SKIP_POST:
                    continue
                with client.session_transaction() as sess:
                    if kind and sess.get("_user_id") != logins[username]:
                        sess.clear()
                        sess["_user_id"] = logins[username]
                        sess["mfa_at"] = time.time()  # the second factor given (the matrix is about access)
                        sess["_fresh"] = True
                        sess["signin_method"] = "password"
                        token = None
                if token is None:  # a real CSRF token of this session, so posts reach the view's checks
                    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"',
                                      client.get("/calm").get_data(as_text=True)).group(1)
                response = client.open(url, method=method, data={"csrf_token": token} if method == "POST" else None)
                requests += 1
                body = response.get_data(as_text=True)
                for marker in forbidden:
                    if marker in body:
                        leaks.append(f"{label} of {school or '-'}: {method} {url} -> {response.status_code} "
                                     f"shows {marker!r}")
    assert requests > 1000
    assert leaks == [], "\n".join(leaks[:40])
