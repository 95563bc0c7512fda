"""Alerts from monitoring systems: the token-authenticated JSON endpoint, the CSV alert log with its
preview, and the DSL's triage (link, dismiss, make a concern). Never a child's name in an email."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from sqlalchemy import func, select, text

from pupil_app.concerns.models import Concern
from pupil_app.extensions import db
from pupil_app.filtering import monitoring
from pupil_app.filtering.models import MonitoringAlert, MonitoringToken
from pupil_app.schools.models import Role, StaffUser

from .concern_flow import csrf_of
from .filtering_helpers import client_for, give_email, mail
from .helpers import Ids

SCHEMA = Path(__file__).resolve().parents[1] / "docs" / "monitoring-alerts.schema.json"


def alert(n: int = 1, **extra) -> dict:
    data = {"source_id": f"abt-{n}", "occurred_at": "2026-03-02T10:15:00Z", "severity": "high",
            "device": "ICT-PC-12", "user": "Amy Pupil", "category": "Keyword", "summary": "searched a flagged phrase"}
    data.update(extra)
    return data


@pytest.fixture
def school(make_school, make_class, make_pupil, make_staff, app):
    s = make_school()
    year6 = make_class(6, school=s, name="Year 6")
    people = Ids(id=s.id, amy=make_pupil(year6, first_name="Amy"), dsl=make_staff(Role.DSL, school=s),
                 it=make_staff(Role.FILTERING_LEAD, school=s), teacher=make_staff(Role.TEACHER, classes=(year6,)))
    give_email(app, people.dsl, people.it)
    return people


@pytest.fixture
def token(app, school) -> str:
    with app.test_request_context():
        _row, plain = monitoring.new_token(db.session.get(StaffUser, school.dsl.id), "AB Tutor")
        db.session.commit()
    return plain


def post(client, token, body, **headers):
    data = body if isinstance(body, (bytes, str)) else json.dumps(body)
    kind = headers.pop("content_type", "application/json")
    return client.post("/api/monitoring/alerts", data=data, content_type=kind,
                       headers={"Authorization": f"Bearer {token}", **headers})


def stored(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(MonitoringAlert))


def test_a_valid_alert_is_stored_once_and_appears_in_the_dsls_triage_list(app, client, login_as, school, token):
    r = post(client, token, alert())
    assert r.status_code == 201 and r.get_json() == {"stored": 1, "duplicates": 0}
    # The same alert again (a retry after a timeout) is stored once.
    r = post(client, token, {"alerts": [alert(), alert()]})
    assert r.status_code == 200 and r.get_json() == {"stored": 0, "duplicates": 2}
    assert stored(app) == 1
    page = client_for(app, login_as, school.dsl).get("/staff/monitoring").get_data(as_text=True)
    assert "abt-1" in page and "ICT-PC-12" in page and "searched a flagged phrase" in page and "AB Tutor" in page
    # The user as sent is stored encrypted.
    with app.app_context():
        raw = db.session.execute(text("SELECT user_enc, summary_enc FROM monitoring_alerts")).one()
        assert "Amy" not in raw[0] and "flagged" not in raw[1]
    # The DSL is told that alerts arrived, with no name, no device and nothing captured.
    (to, subject, body), = mail(app)
    assert to == f"{school.dsl.username}@school.example" and "URGENT" in subject
    assert "Amy" not in body and "ICT-PC-12" not in body and "flagged" not in body and "/staff/monitoring" in body
    # Only the DSL triages: the filtering lead and a teacher are refused.
    assert client_for(app, login_as, school.it).get("/staff/monitoring").status_code == 403
    assert client_for(app, login_as, school.teacher).get("/staff/monitoring").status_code == 403


def test_a_wrong_missing_or_revoked_token_is_refused_with_nothing_stored(app, client, login_as, school, token):
    assert post(client, "mon_wrong", alert()).status_code == 401
    assert client.post("/api/monitoring/alerts", json=alert()).status_code == 401
    assert post(client, token + "x", alert()).status_code == 401
    dsl = client_for(app, login_as, school.dsl)
    with app.app_context():
        token_id = db.session.scalar(select(MonitoringToken.id))
    page = dsl.get("/staff/monitoring/tokens").get_data(as_text=True)
    revoked = dsl.post(f"/staff/monitoring/tokens/{token_id}/revoke", data={"csrf_token": csrf_of(page)})
    assert revoked.status_code == 303
    assert post(client, token, alert()).status_code == 401
    assert stored(app) == 0
    # The database holds only the token's hash.
    with app.app_context():
        assert db.session.scalar(select(MonitoringToken.token_hash)) != token


def test_a_token_works_for_its_own_school_only(app, client, make_school, make_staff, school, token):
    post(client, token, alert())
    other = make_staff(Role.DSL, school=make_school())
    with app.test_request_context():
        _row, other_token = monitoring.new_token(db.session.get(StaffUser, other.id), "Smoothwall Monitor")
        db.session.commit()
    assert post(client, other_token, alert()).status_code == 201  # same source id, other school: its own alert
    with app.app_context():
        assert sorted(db.session.scalars(select(MonitoringAlert.school_id))) == sorted([school.id, other.school_id])


@pytest.mark.parametrize("body", [
    b"{not json", b"\xff\xfe", b"[" * 100000, json.dumps([alert()]), json.dumps({"alerts": []}),
    json.dumps({"alerts": [alert(), alert(2, severity="apocalyptic")]}),
    json.dumps({"alerts": [alert(), {**alert(3), "extra": 1}]}),
    json.dumps(alert(source_id="")), json.dumps(alert(occurred_at="yesterday")),
    json.dumps(alert(occurred_at="2999-01-01T00:00:00Z")), json.dumps(alert(occurred_at=None)),
    json.dumps(alert(summary="x" * 5001)), json.dumps(alert(device=["a"])),
    json.dumps({"alerts": [alert(i) for i in range(501)]}),
])
def test_malformed_payloads_are_a_4xx_and_store_nothing(app, client, token, body):
    r = post(client, token, body)
    assert 400 <= r.status_code < 500 and "error" in r.get_json()
    assert stored(app) == 0


def test_a_5_mb_body_is_refused_with_nothing_stored(app, client, token):
    body = json.dumps({"alerts": [alert(1, summary="x" * 4000)] * 1300}).encode()
    assert len(body) > 5 * 1024 * 1024
    r = post(client, token, body)
    assert r.status_code == 413
    assert stored(app) == 0
    assert post(client, token, json.dumps(alert()), content_type="text/plain").status_code == 415


def test_the_schema_in_the_repo_matches_what_the_endpoint_checks():
    schema = json.loads(SCHEMA.read_text())
    item = schema["$defs"]["alert"]
    assert tuple(item["required"]) == monitoring.REQUIRED
    assert set(item["properties"]) == set(monitoring.FIELDS)
    assert item["properties"]["severity"]["enum"] == ["low", "medium", "high", "critical"]
    assert schema["oneOf"][1]["properties"]["alerts"]["maxItems"] == monitoring.MAX_ALERTS
    for field, limit in monitoring.LIMITS.items():
        assert item["properties"][field]["maxLength"] == limit


CSV_LOG = (
    "Alert ID,Date/Time,Level,Machine,Username,Type,Captured text\r\n"
    "E-1,02/03/2026 10:15,3,ICT-PC-01,amy.p,Keyword,flagged search\r\n"
    "E-2,2026-03-02T11:00:00,warning,ICT-PC-02,ben.q,Website,unsuitable page title\r\n"
    "E-3,not a time,low,ICT-PC-03,cal.r,Keyword,x\r\n"
    "E-1,02/03/2026 10:15,3,ICT-PC-01,amy.p,Keyword,flagged search\r\n"
)


def test_the_csv_alert_log_is_previewed_before_it_loads(app, client, login_as, school, token):
    post(client, token, alert(2, source="AB Tutor", source_id="E-2"))  # already sent through the endpoint
    dsl = client_for(app, login_as, school.dsl)
    page = dsl.get("/staff/monitoring/upload").get_data(as_text=True)
    r = dsl.post("/staff/monitoring/upload", data={"csrf_token": csrf_of(page), "source": "AB Tutor",
                                                    "file": (io.BytesIO(CSV_LOG.encode()), "alerts.csv")},
                 content_type="multipart/form-data")
    assert r.status_code == 303
    preview = dsl.get(r.location).get_data(as_text=True)
    # Nothing is loaded yet; the preview says what loading would do.
    assert stored(app) == 1
    assert "New alerts to load: 1" in preview and "Already stored (skipped): 2" in preview
    assert "Rows with a problem (skipped): 1" in preview and "Load 1 alert" in preview
    load = dsl.post(r.location + "/load", data={"csrf_token": csrf_of(preview)})
    assert load.status_code == 303
    assert stored(app) == 2
    with app.app_context():
        new = db.session.scalar(select(MonitoringAlert).where(MonitoringAlert.source_id == "E-1"))
        assert new.severity == "high" and new.via == "csv" and new.device == "ICT-PC-01" and new.user == "amy.p"
    # Loading the same preview again stores nothing.
    assert dsl.post(r.location + "/load", data={"csrf_token": csrf_of(preview)}).status_code == 303
    assert stored(app) == 2


def test_a_bad_csv_is_refused_with_nothing_kept(app, login_as, school):
    dsl = client_for(app, login_as, school.dsl)
    for content in (b"\xff\xfe\x00bad", b"Name,Colour\r\nAmy,red\r\n", b"", b"x" * (1024 * 1024 + 1)):
        page = dsl.get("/staff/monitoring/upload").get_data(as_text=True)
        r = dsl.post("/staff/monitoring/upload", data={"csrf_token": csrf_of(page), "source": "AB Tutor",
                                                        "file": (io.BytesIO(content), "log.csv")},
                     content_type="multipart/form-data")
        assert r.status_code in (400, 413), content[:20]
    assert stored(app) == 0


def test_the_dsl_links_dismisses_and_turns_an_alert_into_a_concern(app, client, login_as, school, token):
    post(client, token, {"alerts": [alert(1), alert(2, severity="low")]})
    with app.app_context():
        first, second = db.session.scalars(select(MonitoringAlert.id).order_by(MonitoringAlert.id))
    dsl = client_for(app, login_as, school.dsl)

    def form(action, **data):
        page = dsl.get("/staff/monitoring").get_data(as_text=True)
        return dsl.post(action, data={"csrf_token": csrf_of(page), **data})

    # A concern needs a pupil first; a dismissal needs a reason.
    assert form(f"/staff/monitoring/{first}/concern", category="content", key="k" * 32).status_code == 303
    assert form(f"/staff/monitoring/{second}/dismiss", reason="").status_code == 303
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Concern)) == 0
        assert {a.status for a in db.session.scalars(select(MonitoringAlert))} == {"new"}

    assert form(f"/staff/monitoring/{first}/link", pupil=str(school.amy.id)).status_code == 303
    r = form(f"/staff/monitoring/{first}/concern", category="content", key="k" * 32)
    assert r.status_code == 303 and "/staff/concerns/" in r.location
    assert form(f"/staff/monitoring/{second}/dismiss", reason="A teacher's demo search in class").status_code == 303
    with app.app_context():
        one, two = db.session.scalars(select(MonitoringAlert).order_by(MonitoringAlert.id))
        assert one.status == "concern" and one.pupil_id == school.amy.id and one.concern_id
        concern = db.session.get(Concern, one.concern_id)
        assert concern.pupil_id == school.amy.id and concern.urgent and "abt-1" in concern.words
        assert two.status == "dismissed" and two.dismiss_reason == "A teacher's demo search in class"
    detail = dsl.get(r.location).get_data(as_text=True)
    assert "searched a flagged phrase" in detail
    # No email carries the child's name or what was captured.
    assert not any("Amy" in body or "flagged" in body for _to, _s, body in mail(app))


def test_a_pupil_of_another_school_cannot_be_linked(app, client, login_as, school, token, make_pupil):
    post(client, token, alert())
    stranger = make_pupil()
    with app.app_context():
        alert_id = db.session.scalar(select(MonitoringAlert.id))
    dsl = client_for(app, login_as, school.dsl)
    page = dsl.get("/staff/monitoring").get_data(as_text=True)
    dsl.post(f"/staff/monitoring/{alert_id}/link", data={"csrf_token": csrf_of(page), "pupil": str(stranger.id)})
    with app.app_context():
        assert db.session.get(MonitoringAlert, alert_id).pupil_id is None
