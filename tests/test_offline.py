"""Working offline, server side: which pages a device may keep, the service worker script, the
offline page, and "I've finished" clearing the device only when nothing waits to be sent."""

from __future__ import annotations

import re

from pupil_app.content import load_content

from .content_factory import REAL

CONTENT = load_content(REAL)


def csrf(client, url) -> str:
    return re.search(r'name="csrf_token"[^>]*value="([^"]+)"', client.get(url).get_data(as_text=True)).group(1)


def test_lesson_screens_may_be_kept_personal_pages_never(client, make_pupil, login_as):
    login_as(make_pupil(year_group=1))
    module = CONTENT.modules["ks1-content"]
    assert client.get(f"/learn/{module.id}/1").headers["Cache-Control"] == "private, no-cache"
    for personal in ("/learn/", "/pledge/mine", "/tell"):
        r = client.get(personal)
        assert r.headers["Cache-Control"] == "no-store", personal
    assert client.get("/learn/no-such-module/1").headers["Cache-Control"] == "no-store"  # errors are not kept


def test_service_worker_and_offline_page_are_served_to_anyone(client):
    sw = client.get("/sw.js")
    assert sw.status_code == 200 and sw.mimetype == "text/javascript"
    assert sw.headers["Cache-Control"] == "no-cache"
    text = sw.get_data(as_text=True)
    assert '"/static/css/app.css"' in text and "no-store" in text
    page = client.get("/offline")
    assert page.status_code == 200 and "tell the adult in the room" in page.get_data(as_text=True)


def _finish(client, unsent: str | None):
    data = {"csrf_token": csrf(client, "/learn/")}
    if unsent is not None:
        data["unsent"] = unsent
    return client.post("/sign-out", data=data)


def test_finishing_clears_the_device_when_nothing_waits_to_be_sent(app, make_class, make_pupil, login_as):
    year1 = make_class(1)
    for unsent, cleared in ((None, True), ("0", True), ("2", False), ("junk", False)):
        pupil = make_pupil(year1)
        client = login_as(pupil, method="picture", test_client=app.test_client())
        r = _finish(client, unsent)
        assert r.status_code == 302
        assert r.headers.get("Clear-Site-Data") == ('"cache", "storage"' if cleared else None), unsent
        # Back to an old pupil page lands on the class page the child signs in on, not a password form.
        assert client.get("/learn/").location == f"/class/{year1.token}"


def test_staff_sign_out_keeps_the_device_as_it_is(app, make_staff, login_as, client):
    from pupil_app.schools.models import Role

    login_as(make_staff(Role.TEACHER))
    r = client.post("/sign-out", data={"csrf_token": csrf(client, "/staff/")})
    assert r.status_code == 302 and "Clear-Site-Data" not in r.headers


def test_files_stay_keepable_for_a_signed_in_pupil_even_when_unchanged(client, make_pupil, login_as):
    login_as(make_pupil(year_group=1))
    first = client.get("/static/css/app.css")
    assert "no-store" not in first.headers.get("Cache-Control", "")
    again = client.get("/static/css/app.css", headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304 and "no-store" not in again.headers.get("Cache-Control", "")
    assert "no-store" not in client.get("/pictures/worry-calm.svg").headers["Cache-Control"]
