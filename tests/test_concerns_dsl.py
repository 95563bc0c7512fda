"""Staff logging concerns, and the DSL dashboard: own school only, every view audited, exports safe."""

from __future__ import annotations

import csv
import io
import re
from datetime import date, timedelta

import pytest
from sqlalchemy import select

from pupil_app.concerns.models import AuditEvent, Concern, ConcernEntry
from pupil_app.extensions import db
from pupil_app.schools.models import Role
from pupil_app.timeutil import utcnow

from .concern_flow import audit_actions, count_concerns, csrf, csrf_of, tell
from .helpers import Ids


@pytest.fixture
def school(make_school, make_class, make_pupil, make_staff):
    s = make_school()
    year4 = make_class(4, school=s, name="Year 4")
    year6 = make_class(6, school=s, name="Year 6")
    return Ids(
        id=s.id, year4=year4, year6=year6,
        amy=make_pupil(year4, first_name="Amy"), ben=make_pupil(year4, first_name="Ben"),
        cal=make_pupil(year6, first_name="Cal"),
        teacher=make_staff(Role.TEACHER, classes=(year4,)), dsl=make_staff(Role.DSL, school=s),
        dsl2=make_staff(Role.DSL, Role.TEACHER, school=s), admin=make_staff(Role.ADMIN, school=s),
    )


def client_for(app, login_as, who):
    c = app.test_client()
    login_as(who, test_client=c)
    return c


def log_concern(client, pupil_id, account="I heard Amy say someone online asked for her address.", **extra):
    page = client.get("/staff/concerns/new").get_data(as_text=True)
    key = re.search(r'name="key" type="hidden" value="([^"]+)"', page).group(1)
    data = {"csrf_token": csrf_of(page), "key": key, "pupil": str(pupil_id), "category": "contact",
            "location": "school", "occurred_at": "", "account": account}
    data.update(extra)
    return client.post("/staff/concerns/new", data=data), data


def concern_ids(app):
    with app.app_context():
        return list(db.session.scalars(select(Concern.id).order_by(Concern.id)))


def test_a_teacher_logs_a_concern_and_sees_only_that_the_dsl_has_it(app, login_as, school):
    teacher = client_for(app, login_as, school.teacher)
    # A teacher may log about any pupil of the school (on duty in the playground, say), not only their class.
    r, _ = log_concern(teacher, school.cal.id, account="Cal was crying; said a video in a game chat scared him.",
                       occurred_at="2026-03-02T12:15", urgent="y")
    assert r.status_code == 303 and r.location == "/staff/concerns/mine"
    mine = teacher.get("/staff/concerns/mine").get_data(as_text=True)
    assert "You logged this; the DSL has it." in mine and "Cal Pupil" in mine
    assert "crying" not in mine and "Status" not in mine
    (concern_id,) = concern_ids(app)
    assert teacher.get(f"/staff/concerns/{concern_id}").status_code == 403
    assert teacher.get("/staff/concerns").status_code == 403
    inbox = client_for(app, login_as, school.dsl).get("/staff/concerns").get_data(as_text=True)
    assert f"#{concern_id}" in inbox and "Urgent" in inbox and ">Staff<" in inbox
    with app.app_context():
        c = db.session.get(Concern, concern_id)
        assert (c.source, c.logged_by_id, c.category, c.urgent) == ("staff", school.teacher.id, "contact", True)
        assert c.occurred_at is not None and c.words.startswith("Cal was crying")


@pytest.mark.parametrize("change,message", [
    ({"pupil": "999999"}, "Not a valid choice"),
    ({"category": "everything"}, "Not a valid choice"),
    ({"location": "mars"}, "Not a valid choice"),
    ({"account": "x" * 10001}, "too long"),
    ({"account": "   "}, "Say what you saw or heard"),
    ({"occurred_at": "2099-01-01T10:00"}, "cannot be in the future"),
    ({"key": "short"}, "out of date"),
])
def test_bad_input_on_the_staff_form_is_refused_with_a_message(app, login_as, school, change, message):
    teacher = client_for(app, login_as, school.teacher)
    r, _ = log_concern(teacher, school.amy.id, **change)
    assert r.status_code == 400
    assert message in r.get_data(as_text=True)
    assert count_concerns(app) == 0


def test_a_teacher_can_log_a_concern_from_the_class_list(app, login_as, school):
    teacher = client_for(app, login_as, school.teacher)
    page = teacher.get(f"/staff/classes/{school.year4.id}").get_data(as_text=True)
    assert f'href="/staff/concerns/new?pupil={school.ben.id}"' in page
    form = teacher.get(f"/staff/concerns/new?pupil={school.ben.id}").get_data(as_text=True)
    assert re.search(rf'<option selected value="{school.ben.id}">|<option value="{school.ben.id}" selected', form)


def test_a_pupil_of_another_school_cannot_be_chosen(app, login_as, school, make_pupil):
    stranger = make_pupil(first_name="Zed")
    r, _ = log_concern(client_for(app, login_as, school.teacher), stranger.id)
    assert r.status_code == 400 and count_concerns(app) == 0


def test_a_double_submitted_staff_form_stores_one_concern(app, login_as, school):
    teacher = client_for(app, login_as, school.teacher)
    r, data = log_concern(teacher, school.amy.id)
    assert teacher.post("/staff/concerns/new", data=data).status_code == 303
    assert count_concerns(app) == 1


def test_admins_without_the_dsl_role_see_no_concerns(app, login_as, school):
    tell(client_for(app, login_as, school.amy))
    (concern_id,) = concern_ids(app)
    admin = client_for(app, login_as, school.admin)
    for url in ("/staff/concerns", f"/staff/concerns/{concern_id}", "/staff/concerns.csv", "/staff/incident-log",
                "/staff/incident-log.csv", f"/staff/concerns/{concern_id}/print"):
        assert admin.get(url).status_code == 403, url
    nav = admin.get("/staff/").get_data(as_text=True)
    assert "Log a concern" in nav and ">Concerns<" not in nav and "Incident log" not in nav


def test_another_schools_concern_is_a_404_and_the_attempt_is_audited(app, login_as, school, make_school,
                                                                      make_staff):
    tell(client_for(app, login_as, school.amy))
    (concern_id,) = concern_ids(app)
    elsewhere = make_staff(Role.DSL, school=make_school())
    other = client_for(app, login_as, elsewhere)
    assert other.get(f"/staff/concerns/{concern_id}").status_code == 404
    assert other.get(f"/staff/concerns/{concern_id}/print").status_code == 404
    token = csrf(other, "/staff/concerns")
    assert other.post(f"/staff/concerns/{concern_id}/entries",
                      data={"csrf_token": token, "e-kind": "note", "e-text": "x"}).status_code == 404
    assert other.get("/staff/concerns/987654").status_code == 404
    with app.app_context():
        refused = list(db.session.scalars(select(AuditEvent).where(AuditEvent.action == "concern.refused")
                                          .order_by(AuditEvent.id)))
        assert [(e.actor_id, e.target_id) for e in refused] == [(elsewhere.id, concern_id)] * 3 + [
            (elsewhere.id, 987654)]
        assert db.session.scalars(select(ConcernEntry)).all() == []
    assert f"#{concern_id}" not in other.get("/staff/concerns").get_data(as_text=True)


def test_the_dsl_works_a_concern_from_opening_to_closing(app, login_as, school):
    pupil = client_for(app, login_as, school.amy)
    tell(pupil, feeling="sad", what="unkind", about="me", where="game", words="they keep leaving me out")
    (cid,) = concern_ids(app)
    dsl = client_for(app, login_as, school.dsl)
    page = dsl.get(f"/staff/concerns/{cid}").get_data(as_text=True)
    assert "they keep leaving me out" in page and "Cyber-bullying" in page and "Someone was unkind" in page
    token = csrf_of(page)

    def post(path, **data):
        return dsl.post(f"/staff/concerns/{cid}/{path}", data={"csrf_token": token, **data})

    def field(prefix, **data):
        return {f"{prefix}-csrf_token": token, **{f"{prefix}-{k}": v for k, v in data.items()}}

    r = dsl.post(f"/staff/concerns/{cid}/entries", data=field("e", kind="action", text="Spoke with Amy at break.",
                                                                reason=""))
    assert r.status_code == 303
    r = dsl.post(f"/staff/concerns/{cid}/handling", data=field("h", status="closed", outcome="", category="bullying",
                                                                 assigned_to=str(school.dsl.id), reason="sorted"))
    assert r.status_code == 400 and "Choose the outcome" in r.get_data(as_text=True)
    r = dsl.post(f"/staff/concerns/{cid}/handling", data=field("h", status="closed", outcome="resolved_in_school",
                                                                 category="bullying", assigned_to="", reason=""))
    assert r.status_code == 400 and "Give the reason" in r.get_data(as_text=True)
    r = dsl.post(f"/staff/concerns/{cid}/handling", data=field("h", status="in_progress", outcome="",
                                                                 category="bullying", assigned_to=str(school.teacher.id)))
    assert r.status_code == 400  # a teacher is not a DSL: not one of the choices
    r = dsl.post(f"/staff/concerns/{cid}/markers", data=field("m", parents_informed_on="2099-01-01"))
    assert r.status_code == 400 and "cannot be in the future" in r.get_data(as_text=True)
    today = date.today()
    r = dsl.post(f"/staff/concerns/{cid}/markers", data=field(
        "m", parents_informed_on=(today - timedelta(days=1)).isoformat(), early_help_on=today.isoformat(), reason=""))
    assert r.status_code == 303
    r = dsl.post(f"/staff/concerns/{cid}/pupils", data=field("l", pupil=str(school.ben.id)))
    assert r.status_code == 303
    r = dsl.post(f"/staff/concerns/{cid}/handling", data=field(
        "h", status="closed", outcome="resolved_in_school", category="conduct", assigned_to=str(school.dsl2.id),
        urgent="y", reason="Apologies made; parents happy; class lesson on kindness online."))
    assert r.status_code == 303
    page = dsl.get(f"/staff/concerns/{cid}").get_data(as_text=True)
    for text in ("Spoke with Amy at break.", "Status: New → Closed", "Outcome: Resolved in school",
                 "Category: Cyber-bullying → Conduct", "Parents or carers informed", "Early Help",
                 "Linked Ben Pupil", "Apologies made; parents happy"):
        assert text in page, text
    with app.app_context():
        c = db.session.get(Concern, cid)
        assert (c.status, c.outcome, c.category, c.assigned_to_id, c.urgent) == (
            "closed", "resolved_in_school", "conduct", school.dsl2.id, True)
        assert c.closed_at is not None and c.read_at is not None and c.early_help_on == today
        assert c.words == "they keep leaving me out"  # the child's words untouched by all of it
    # The linked pupil's own filter finds it too.
    assert f"#{cid}" in dsl.get(f"/staff/concerns?pupil={school.ben.id}").get_data(as_text=True)
    r = dsl.post(f"/staff/concerns/{cid}/pupils/{school.ben.id}/unlink", data={"csrf_token": token})
    assert r.status_code == 303
    assert f"#{cid}" not in dsl.get(f"/staff/concerns?pupil={school.ben.id}").get_data(as_text=True)
    assert "Unlinked Ben Pupil" in dsl.get(f"/staff/concerns/{cid}").get_data(as_text=True)


def test_every_view_export_and_change_writes_an_audit_row(app, login_as, school):
    tell(client_for(app, login_as, school.amy))
    (cid,) = concern_ids(app)
    dsl = client_for(app, login_as, school.dsl)
    dsl.get("/staff/concerns")
    dsl.get(f"/staff/concerns/{cid}")
    token = csrf(dsl, f"/staff/concerns/{cid}")
    dsl.post(f"/staff/concerns/{cid}/entries", data={"e-csrf_token": token, "e-kind": "note", "e-text": "noted"})
    dsl.get("/staff/concerns.csv")
    dsl.get(f"/staff/concerns/{cid}/print")
    dsl.get("/staff/incident-log")
    dsl.get("/staff/incident-log.csv")
    dsl.get("/staff/incident-log/print")
    client_for(app, login_as, school.dsl2).get(f"/staff/concerns/{cid}")
    assert audit_actions(app) == [
        "concern.sent", "inbox.viewed", "concern.viewed", "concern.viewed", "entry.added", "inbox.exported",
        "concern.printed", "log.viewed", "log.exported", "log.printed", "concern.viewed"]
    page = dsl.get(f"/staff/concerns/{cid}").get_data(as_text=True)
    viewers = page[page.index("Who viewed this concern"):]
    with app.app_context():
        names = [e.actor_name for e in db.session.scalars(select(AuditEvent).where(
            AuditEvent.action == "concern.viewed").order_by(AuditEvent.id)).all()]
    assert names[0] in viewers and names[-1] in viewers
    assert "Amy Pupil" in page[page.index("Full audit trail"):]  # the pupil's own sending, first in the trail


def test_the_inbox_puts_new_first_counts_by_status_and_filters(app, login_as, school, in_app):
    amy, cal = client_for(app, login_as, school.amy), client_for(app, login_as, school.cal)
    tell(amy, what="money", where="game", words="I spent my mums money on gems")
    tell(cal, what="stranger", feeling="scared", where="app", words="a man asked where I live")
    tell(amy, what="upset", words="scary video")
    ids = concern_ids(app)

    def age_and_close(first_id):
        c = db.session.get(Concern, first_id)
        c.status, c.outcome, c.closed_at = "closed", "monitoring", utcnow()
        db.session.execute(Concern.__table__.update().where(Concern.id == first_id)
                           .values(created_at=utcnow() - timedelta(days=40)))

    in_app(age_and_close, ids[0])
    dsl = client_for(app, login_as, school.dsl)
    page = dsl.get("/staff/concerns").get_data(as_text=True)
    rows = re.findall(r'<span class="inbox__number">#(\d+)</span>', page)
    assert rows == [str(ids[1]), str(ids[2]), str(ids[0])]  # new (urgent first), then closed
    assert re.search(r'New <span class="count">2</span>', page)
    assert re.search(r'Closed <span class="count">1</span>', page)

    def listed(query):
        r = dsl.get("/staff/concerns?" + query)
        assert r.status_code == 200, query
        return re.findall(r'<span class="inbox__number">#(\d+)</span>', r.get_data(as_text=True))

    assert listed("status=closed") == [str(ids[0])]
    assert listed("category=commerce") == [str(ids[0])]
    assert listed(f"class={school.year6.id}") == [str(ids[1])]
    assert listed(f"pupil={school.amy.id}") == [str(ids[2]), str(ids[0])]
    assert listed("urgent=1") == [str(ids[1])]
    assert listed(f"from={(date.today() - timedelta(days=2)).isoformat()}") == [str(ids[1]), str(ids[2])]
    assert listed("q=cal") == [str(ids[1])]                # a pupil's name
    assert listed(f"q=%23{ids[2]}") == [str(ids[2])]       # a concern's number
    assert listed("q=WHERE+I+LIVE") == [str(ids[1])]       # the (encrypted) words
    for bad in ("status=deleted", "category=<script>", "class=abc", "from=yesterday", "q=" + "x" * 101):
        assert dsl.get("/staff/concerns?" + bad).status_code == 400, bad


def test_html_in_the_words_is_shown_as_text_everywhere_and_csv_cells_cannot_be_formulas(app, login_as, school,
                                                                                        make_pupil):
    evil = make_pupil(school.year4, first_name="=HYPERLINK(\"http://x\")")
    words = "=cmd|' /C calc'!A0 <script>alert('x')</script><img src=x onerror=alert(1)>"
    tell(client_for(app, login_as, evil), words=words)
    teacher = client_for(app, login_as, school.teacher)
    log_concern(teacher, school.amy.id, account="+44 called; -1 point; @everyone <b>bold</b>")
    dsl = client_for(app, login_as, school.dsl)
    cid = concern_ids(app)[0]
    page = dsl.get(f"/staff/concerns/{cid}").get_data(as_text=True)
    assert "<script>alert" not in page and "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;" in page
    assert "<img src=x" not in page
    log_page = dsl.get("/staff/incident-log").get_data(as_text=True)
    assert "<script>alert" not in log_page and "&lt;b&gt;bold&lt;/b&gt;" in log_page
    cells = [c for row in csv.reader(io.StringIO(dsl.get("/staff/incident-log.csv").get_data(as_text=True)))
             for c in row]
    assert any(c.startswith("Reported by") for c in cells)
    assert not [c for c in cells if c[:1] in ("=", "+", "-", "@")]
    description = next(c for c in cells if "calc" in c)
    assert words in description  # the words themselves are all there, as text
    inbox_cells = [c for row in csv.reader(io.StringIO(dsl.get("/staff/concerns.csv").get_data(as_text=True)))
                   for c in row]
    (name_cell,) = [c for c in inbox_cells if "HYPERLINK" in c]
    assert name_cell.startswith("'=HYPERLINK(")


def test_the_incident_log_has_concerns_and_incidents_with_csv_and_print(app, login_as, school):
    tell(client_for(app, login_as, school.amy), where="home", words="my cousin showed me a horrible video")
    teacher = client_for(app, login_as, school.teacher)
    page = teacher.get("/staff/incidents/new").get_data(as_text=True)
    key = re.search(r'name="key" type="hidden" value="([^"]+)"', page).group(1)
    data = {"csrf_token": csrf_of(page), "key": key, "occurred_on": date.today().isoformat(),
            "location": "ICT suite", "description": "Filter let through a gambling advert on two screens.",
            "action": "Reported to IT support; site blocked."}
    assert teacher.post("/staff/incidents/new", data=data).status_code == 303
    assert teacher.post("/staff/incidents/new", data=data).status_code == 303  # double submit: one incident
    assert "Online safety incident" in teacher.get("/staff/concerns/mine").get_data(as_text=True)
    bad = dict(data, key="another-key-AAAAAAAAAA", occurred_on="2099-01-01")
    assert teacher.post("/staff/incidents/new", data=bad).status_code == 400
    dsl = client_for(app, login_as, school.dsl)
    log_page = dsl.get("/staff/incident-log").get_data(as_text=True)
    for text in ("Where the incident took place", "Description of the incident", "Action taken",
                 "Staff member recording the incident", "ICT suite", "Filter let through a gambling advert",
                 "Reported to IT support", "my cousin showed me a horrible video", "Reported by Amy Pupil"):
        assert text in log_page, text
    assert log_page.count("Filter let through") == 1
    printed = dsl.get("/staff/incident-log/print").get_data(as_text=True)
    assert "data-print" in printed and "CONFIDENTIAL" in printed
    rows = list(csv.reader(io.StringIO(dsl.get("/staff/incident-log.csv").get_data(as_text=True).lstrip("\ufeff"))))
    assert rows[0][:5] == ["Date", "Where the incident took place", "Description of the incident", "Action taken",
                           "Staff member recording the incident"]
    assert len(rows) == 3
    empty = dsl.get("/staff/incident-log?from=2001-01-01&to=2001-01-31").get_data(as_text=True)
    assert "Nothing was recorded between these dates" in empty
    assert dsl.get("/staff/incident-log?from=nonsense").status_code == 400


def test_the_staff_pages_have_no_inline_script_or_style(app, login_as, school):
    tell(client_for(app, login_as, school.amy))
    (cid,) = concern_ids(app)
    dsl = client_for(app, login_as, school.dsl)
    for url in ("/staff/concerns", f"/staff/concerns/{cid}", f"/staff/concerns/{cid}/print", "/staff/incident-log",
                "/staff/concerns/new", "/staff/incidents/new", "/staff/concerns/mine"):
        html = dsl.get(url).get_data(as_text=True)
        assert not re.search(r"<script(?![^>]*\bsrc=)", html), url
        assert " style=" not in html and "<style" not in html, url
