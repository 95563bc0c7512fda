"""The pledge and concerns on the coverage pages: grid columns, the pupil's pledge history, pledge
completion and concern counts on the overviews and the report to governors (numbers only)."""

from __future__ import annotations

import csv
import io
import re

import pytest

from pupil_app.content import current_content
from pupil_app.extensions import db
from pupil_app.pledge import parents, versions
from pupil_app.schools.models import Pupil, Role, School

from .concern_flow import csrf_of
from .helpers import Ids


def text(response) -> str:
    assert response.status_code == 200, response.status_code
    return response.get_data(as_text=True)


def read_csv(response) -> list[list[str]]:
    return list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))


def cell_of(html: str, name: str) -> list[str]:
    """The grid's extra cells for one pupil (the two pledge columns come just before "Passed")."""
    row = re.search(rf">{name} Pupil\d+</a></th>(.*?)</tr>", html, re.S).group(1)
    return re.findall(r"<td>([^<]*)</td>", row)


@pytest.fixture
def year4(make_school, make_class, make_pupil, make_staff):
    school = make_school()
    school_class = make_class(4, school=school, name="Year 4")
    return Ids(id=school.id, school=school, school_class=school_class,
               ada=make_pupil(school_class, first_name="Ada"), ben=make_pupil(school_class, first_name="Ben"),
               zed=make_pupil(school_class, first_name="Zephyrine", pledged=False),
               teacher=make_staff(Role.TEACHER, classes=(school_class,)),
               dsl=make_staff(Role.DSL, school=school), admin=make_staff(Role.ADMIN, school=school))


def test_the_grid_and_its_csv_show_who_has_signed_and_which_parents_have_acknowledged(app, client, login_as, year4):
    with app.app_context():
        ben = db.session.get(Pupil, year4.ben.id)
        parents.issue_parent_link(ben, None)
        ada = db.session.get(Pupil, year4.ada.id)
        token = parents.issue_parent_link(ada, None)
        text_now = versions.current_text(ada.school_id, "ks2")
        aup = current_content().parent_aup
        parents.acknowledge(parents.parent_link_for(token), parent_name="Pat Lovelace",
                                   relationship="mother", ticked=[s.id for s in aup.acknowledgements],
                                   pledge=text_now, shown_text="shown", language="en")
        db.session.commit()
    login_as(year4.teacher)
    html = text(client.get(f"/staff/coverage/classes/{year4.school_class.id}"))
    assert '<th scope="col" rowspan="2">Pledge</th>' in html
    assert '<th scope="col" rowspan="2">Parent acknowledgement</th>' in html
    ada_cells, ben_cells, zed_cells = (cell_of(html, n) for n in ("Ada", "Ben", "Zephyrine"))
    assert ada_cells[0].startswith("Signed v1.0") and ada_cells[1].startswith("Acknowledged ")
    assert ben_cells[0].startswith("Signed v1.0") and ben_cells[1] == "Letter sent"
    assert zed_cells == ["Not yet", "No letter yet"]
    rows = {r[0]: r for r in read_csv(client.get(f"/staff/coverage/classes/{year4.school_class.id}/grid.csv"))}
    assert rows["First name"][-2:] == ["Pledge", "Parent acknowledgement"]
    assert rows["Ada"][-2].startswith("Signed v1.0") and rows["Ada"][-1].startswith("Acknowledged ")
    assert rows["Zephyrine"][-2:] == ["Not yet", "No letter yet"]
    assert "Pat Lovelace" not in html  # the parent's name stays on the pledge page


def test_a_new_major_version_shows_as_needs_to_sign_again(app, client, login_as, year4):
    with app.app_context():
        versions.publish(year4.id, "ks2", "major", None)
        db.session.commit()
    login_as(year4.teacher)
    html = text(client.get(f"/staff/coverage/classes/{year4.school_class.id}"))
    assert cell_of(html, "Ada")[0] == "Needs to sign again"
    assert cell_of(html, "Zephyrine")[0] == "Not yet"


def test_the_pupil_page_shows_the_pledge_history(app, client, login_as, year4):
    login_as(year4.teacher)
    html = text(client.get(f"/staff/coverage/pupils/{year4.ada.id}"))
    section = html.split('id="pledge-history-heading"')[1].split("</section>")[0]
    assert "v1.0" in section and "Year 4" in section and "No parent or carer has acknowledged" in section
    html = text(client.get(f"/staff/coverage/pupils/{year4.zed.id}"))
    assert "Has not signed the pledge yet." in html.split('id="pledge-history-heading"')[1]


def _log_concern(client, pupil_id, category, account):
    page = client.get("/staff/concerns/new").get_data(as_text=True)
    key = re.search(r'name="key" type="hidden" value="([^"]+)"', page).group(1)
    r = client.post("/staff/concerns/new", data={
        "csrf_token": csrf_of(page), "key": key, "pupil": str(pupil_id), "category": category,
        "location": "school", "occurred_at": "", "account": account})
    assert r.status_code == 303, r.status_code


def _row(html: str, heading_id: str, label: str) -> list[str]:
    section = html.split(f'id="{heading_id}"')[1].split("</section>")[0]
    row = re.search(rf'<th scope="row">{re.escape(label)}</th>(.*?)</tr>', section, re.S).group(1)
    return re.findall(r'<td class="num">([^<]*)</td>', row)


def test_the_school_overview_counts_pledges_and_concerns_but_never_shows_words_or_names(app, client, login_as,
                                                                                        year4):
    login_as(year4.dsl)
    words = "She was sent a picture by a stranger called Quentin"
    _log_concern(client, year4.zed.id, "contact", words)
    _log_concern(client, year4.ada.id, "contact", "A second account of it")
    _log_concern(client, year4.ben.id, "bullying", "Unkind messages in the group chat")
    for who in (year4.dsl, year4.admin):
        login_as(who)
        html = text(client.get(f"/staff/coverage/schools/{year4.id}"))
        assert _row(html, "pledge-heading", "Year 4") == ["3", "2", "66%"]
        # The current term is the first column.
        assert _row(html, "concerns-heading", "Contact")[0] == "2"
        assert _row(html, "concerns-heading", "Cyber-bullying")[0] == "1"
        assert _row(html, "concerns-heading", "Commerce")[0] == "0"
        assert _row(html, "concerns-heading", "All concerns")[0] == "3"
        report = text(client.get(f"/staff/coverage/schools/{year4.id}/report"))
        assert _row(report, "pledge-heading", "Year 4") == ["3", "2", "66%"]
        assert _row(report, "concerns-heading", "Contact")[0] == "fewer than 5"  # governors: no small numbers
        for page in (html, report):
            for secret in ("Quentin", "group chat", "second account", "Zephyrine", "Ada", "Ben"):
                assert secret not in page


def test_a_teacher_cannot_see_the_overview_counts(client, login_as, year4):
    login_as(year4.teacher)
    assert client.get(f"/staff/coverage/schools/{year4.id}").status_code == 403


def test_the_trust_overview_shows_pledge_completion_per_school(app, client, login_as, make_school, make_class,
                                                               make_pupil, make_staff):
    school = make_school()
    school_class = make_class(3, school=school)
    for i in range(6):
        make_pupil(school_class, first_name=f"P{i}", pledged=i < 3)
    login_as(make_staff(Role.TRUST_ADMIN, school=school))
    with app.app_context():
        name = db.session.get(School, school.id).name
    html = text(client.get("/staff/coverage/trust"))
    assert _row(html, "pledge-heading", name) == ["6", "3", "50%"]


def test_the_report_to_governors_counts_incidents_and_outcomes_and_hides_small_numbers(
        app, login_as, client, make_class, make_pupil, make_staff):
    from datetime import date

    from sqlalchemy import func, select

    from pupil_app.concerns import staff_logging, telling
    from pupil_app.concerns.models import Concern
    from pupil_app.schools.models import StaffUser

    year4 = make_class(4, name="Year 4")
    kids = [make_pupil(year4, first_name=f"Kid{n}") for n in range(6)]
    staff = make_staff(Role.DSL, Role.ADMIN, classes=(year4,))
    today = date.today()
    with app.app_context():
        for kid in kids:
            concern, _new = telling.submit(db.session.get(Pupil, kid.id), telling.new_key(),
                                           telling.Answers(feeling="sad", what="unkind"))
            concern.social_care_on = today  # a marker: the DSL referred it
        staff_logging.record_incident(db.session.get(StaffUser, staff.id), occurred_on=today, location="ICT suite",
                                      description="A pop-up advert", action=None, key=telling.new_key())
        db.session.commit()
        assert db.session.scalar(select(func.count()).select_from(Concern)) == 6
    login_as(staff)
    report = text(client.get(f"/staff/coverage/schools/{year4.school_id}/report"))
    assert _row(report, "concerns-heading", "Referred to children's social care")[0] == "6"
    assert _row(report, "concerns-heading", "Incidents recorded in the log")[0] == "fewer than 5"
    assert "Average across the four risks" in report and "All four" not in report
