"""Access is declared on every route; a walk of the URL map proves no route is open by mistake."""

from __future__ import annotations

import pytest

from pupil_app.access import PUBLIC, PUPIL, SIGNED_IN, STAFF, access_of
from pupil_app.schools.models import Role
from tests.helpers import SAMPLE


# Sample values for URL parameters, so every route can be requested.
def routes(app):
    for rule in app.url_map.iter_rules():
        yield rule, app.view_functions[rule.endpoint]


def test_every_route_declares_who_may_use_it(app):
    missing = [rule.rule for rule, view in routes(app) if access_of(view) is None]
    assert missing == [], f"routes without an access declaration: {missing}"


def test_only_expected_routes_are_public(app):
    public = sorted(rule.endpoint for rule, view in routes(app) if access_of(view)[0] == PUBLIC)
    assert public == sorted([
        "static", "main.index", "main.picture", "main.set_language", "health.healthz", "health.readyz",
        "auth.sign_in_choice", "auth.staff_sign_in", "auth.class_page", "auth.picture_sign_in", "auth.badge",
        "sso.start", "sso.callback",
        "pledge.parent", "pledge.parent_thanks",  # the parent letter's link: a rate-limited secret token
        "admin.set_password",
        # "Tell an adult" works for everyone: a child who is not signed in is told to tell the adult in the
        # room, and a message whose session ended mid-way is kept (never shown back) until they sign in.
        "concerns.start", "concerns.calm", "concerns.step",
        # Every device: read-aloud audio of our own words, the service worker and its offline page.
        "offline.audio_file", "offline.service_worker", "offline.offline_page",
        # A monitoring system posts alerts with its school's revocable token (checked in the view).
        "filtering.api_alerts",
    ])


@pytest.fixture
def people(make_class, make_pupil, make_staff):
    school_class = make_class(4)
    return {
        "anonymous": None,
        "pupil": make_pupil(school_class),
        "teacher": make_staff(Role.TEACHER, classes=(school_class,)),
        "dsl": make_staff(Role.DSL, classes=(school_class,)),
        "admin": make_staff(Role.ADMIN, classes=(school_class,)),
        "trust_admin": make_staff(Role.TRUST_ADMIN, classes=(school_class,)),
        "online_safety_lead": make_staff(Role.ONLINE_SAFETY_LEAD, classes=(school_class,)),
        "filtering_lead": make_staff(Role.FILTERING_LEAD, classes=(school_class,)),
    }


def test_no_route_is_reachable_by_the_wrong_role(app, people, login_as, csrf_off):
    """Every non-public route refuses everyone its declaration does not name (302 to sign-in or 403)."""
    problems = []
    for rule, view in routes(app):
        who, roles = access_of(view)
        if who == PUBLIC:
            continue
        url = rule.build({k: SAMPLE[k] for k in rule.arguments}, append_unknown=False)[1]
        for person, ids in people.items():
            allowed = (
                (who == PUPIL and person == "pupil")
                or (who == SIGNED_IN and person != "anonymous")
                or (who == STAFF and person in {r.value for r in roles})
            )
            if allowed:
                continue
            client = app.test_client()
            if ids is not None:
                login_as(ids, test_client=client)
            for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
                code = client.open(url, method=method).status_code
                expected = {302} if person == "anonymous" else {403}
                if code not in expected:
                    problems.append(f"{method} {url} as {person}: {code}")
    assert problems == []


def test_teacher_cannot_open_another_teachers_class(app, make_class, make_staff, login_as, client):
    mine, theirs = make_class(1), make_class(1)
    teacher = make_staff(Role.TEACHER, classes=(mine,))
    login_as(teacher)
    assert client.get(f"/staff/classes/{mine.id}").status_code == 200
    assert client.get(f"/staff/classes/{theirs.id}").status_code == 404


def test_admin_sees_every_class_of_their_school_but_not_another_school(app, make_class, make_staff, login_as,
                                                                       client, make_school):
    school = make_school()
    here = make_class(1, school=school)
    elsewhere = make_class(1)
    login_as(make_staff(Role.ADMIN, school=school))
    assert client.get(f"/staff/classes/{here.id}").status_code == 200
    assert client.get(f"/staff/classes/{elsewhere.id}").status_code == 404


def test_staff_cannot_act_on_a_pupil_of_another_school(app, make_pupil, make_staff, login_as, client, csrf_off):
    pupil = make_pupil()
    login_as(make_staff(Role.ADMIN))
    assert client.post(f"/staff/pupils/{pupil.id}/badge").status_code == 404
    assert client.post(f"/staff/pupils/{pupil.id}/unlock").status_code == 404
