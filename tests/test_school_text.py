"""School-written text is data, never a format string: pledges in a school's own words, class,
school and staff names with ``%`` in them render literally on every page that shows them."""

from __future__ import annotations

import html

from pupil_app.content import load_content
from pupil_app.extensions import db
from pupil_app.pledge import versions as service
from pupil_app.schools.models import Role, School, SchoolClass

from .content_factory import REAL

KS2 = load_content(REAL).pledges["ks2"]
TRICKY = ["Be 100% kind.", "Say %(name)s and %s out loud, 50% of the time {0}."]


def _own_wording() -> dict:
    wording = {s.id: {"text": s.text, "why": s.why} for s in KS2.statements}
    first = KS2.statements[0].id
    wording[first]["text"], wording[first]["why"] = TRICKY
    return wording


def test_a_percent_in_a_schools_pledge_wording_renders_literally_everywhere(app, make_class, make_pupil, make_staff,
                                                                          login_as, client):
    school_class = make_class(4, name="Class 100% (Owls)")
    with app.app_context():
        db.session.get(School, school_class.school_id).name = "St Percy's 100% Primary %(school)s"
        db.session.commit()
        version = service.publish(school_class.school_id, "ks2", "major", None, wording=_own_wording())
        db.session.commit()
        assert version.source == "school"
    pupil = make_pupil(school_class, pledged=False)
    child = login_as(pupil)
    assert child.get("/learn/").location == "/pledge/"
    pages = [child.get("/pledge/"), child.get("/pledge/1")]
    assert [p.status_code for p in pages] == [200, 200]
    shown = "".join(html.unescape(p.get_data(as_text=True)) for p in pages)
    assert TRICKY[0] in shown and TRICKY[1] in shown
    # Welsh: our strings are translated, the school's words stay exactly as written.
    child.post("/language", data={"lang": "cy", "next": "/pledge/1"})
    page = child.get("/pledge/1")
    assert page.status_code == 200 and TRICKY[0] in html.unescape(page.get_data(as_text=True))

    teacher = make_staff(Role.TEACHER, classes=(school_class,))
    staff = login_as(teacher, test_client=app.test_client())
    for url in (f"/staff/pledges/classes/{school_class.id}", f"/staff/pledges/classes/{school_class.id}/print",
                "/staff/pledges/"):
        response = staff.get(url)
        assert response.status_code == 200, url
        assert "Class 100% (Owls)" in html.unescape(response.get_data(as_text=True)), url


def test_the_edit_preview_accepts_a_percent(app, make_school, make_staff, login_as):
    school = make_school("Hill 100%")
    admin = login_as(make_staff(Role.ADMIN, school=school), test_client=app.test_client())
    page = admin.get("/staff/pledges/versions/ks2/edit").get_data(as_text=True)
    import re

    data = {"csrf_token": re.search(r'name="csrf_token" value="([^"]+)"', page).group(1), "change": "minor",
            "note": "100% agreed", "action": "preview"}
    for sid, words in _own_wording().items():
        data[f"text-{sid}"], data[f"why-{sid}"] = words["text"], words["why"]
    response = admin.post("/staff/pledges/versions/ks2/edit", data=data)
    assert response.status_code == 200
    assert TRICKY[0] in html.unescape(response.get_data(as_text=True))
    data["action"] = "publish"
    assert admin.post("/staff/pledges/versions/ks2/edit", data=data).status_code == 302
    with app.app_context():
        assert service.current_text(school.id, "ks2").promises[0].text == TRICKY[0]
        assert db.session.query(SchoolClass).count() == 0
