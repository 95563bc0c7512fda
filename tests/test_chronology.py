"""The chronology as KCSIE asks: a decision has its reason, an entry has when it happened, a mistake is
corrected by a new entry (never edited), and the incident log's "Action taken" tells the whole story."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from pupil_app.concerns.models import ConcernEntry
from pupil_app.extensions import db
from pupil_app.schools.models import Role

from .concern_flow import csrf, tell
from .helpers import text


@pytest.fixture
def concern(app, login_as, make_class, make_pupil, make_staff):
    year4 = make_class(4, name="Year 4")
    pupil = make_pupil(year4, first_name="Amy")
    tell(login_as(pupil, test_client=app.test_client()), words="someone keeps messaging me")
    dsl = login_as(make_staff(Role.DSL, classes=(year4,)), test_client=app.test_client())
    cid = int(re.search(r"/staff/concerns/(\d+)", text(dsl.get("/staff/concerns"))).group(1))
    return dsl, cid


def _entry(dsl, cid, **data):
    token = csrf(dsl, f"/staff/concerns/{cid}")
    return dsl.post(f"/staff/concerns/{cid}/entries",
                    data={"e-csrf_token": token, **{f"e-{k}": v for k, v in data.items()}})


def _entries(app, cid):
    with app.app_context():
        return list(db.session.scalars(select(ConcernEntry).where(ConcernEntry.concern_id == cid)
                                       .order_by(ConcernEntry.id)))


def test_a_decision_without_its_reason_is_refused(app, concern):
    dsl, cid = concern
    r = _entry(dsl, cid, kind="decision", text="No referral to social care.", reason="")
    assert r.status_code == 400 and "Give the reason for this decision" in text(r)
    assert [e for e in _entries(app, cid) if e.kind == "decision"] == []
    assert _entry(dsl, cid, kind="decision", text="No referral to social care.",
                  reason="Threshold not met; parents engaged.").status_code == 303


def test_an_entry_keeps_when_it_happened_beside_when_it_was_written(app, concern):
    dsl, cid = concern
    assert _entry(dsl, cid, kind="conversation", text="Phoned mum.", happened_at="2026-06-01T15:40").status_code == 303
    [entry] = [e for e in _entries(app, cid) if e.kind == "conversation"]
    assert entry.happened_at.strftime("%Y-%m-%d %H:%M") == "2026-06-01 14:40"  # 15:40 in London, summer time
    page = text(dsl.get(f"/staff/concerns/{cid}"))
    assert "01/06/2026 15:40" in page and "written" in page
    assert _entry(dsl, cid, kind="action", text="Later", happened_at="2999-01-01T09:00").status_code == 400


def test_a_mistake_is_corrected_by_a_new_entry_and_struck_through_never_edited(app, concern):
    dsl, cid = concern
    _entry(dsl, cid, kind="action", text="Spoke to Ben's parents.")
    [wrong] = [e for e in _entries(app, cid) if e.kind == "action"]
    assert _entry(dsl, cid, kind="action", text="Spoke to Amy's parents (not Ben's).",
                  corrects=str(wrong.id)).status_code == 303
    with app.app_context():
        assert db.session.get(ConcernEntry, wrong.id).text == "Spoke to Ben's parents."  # unchanged
    page = text(dsl.get(f"/staff/concerns/{cid}"))
    assert "<del>Spoke to Ben&#39;s parents.</del>" in page and f"corrects entry #{wrong.id}" in page
    log = text(dsl.get("/staff/incident-log?from=2000-01-01&to=2100-01-01"))
    assert "Spoke to Amy&#39;s parents (not Ben&#39;s)." in log and "Spoke to Ben&#39;s parents." not in log
    # An entry of another concern (or a made-up one) cannot be "corrected".
    assert _entry(dsl, cid, kind="note", text="x", corrects="999999").status_code == 400


def test_the_incident_log_action_includes_conversations_and_markers_with_dates(app, concern):
    dsl, cid = concern
    _entry(dsl, cid, kind="conversation", text="Talked with Amy and her mum.", happened_at="2026-06-02T09:15")
    token = csrf(dsl, f"/staff/concerns/{cid}")
    assert dsl.post(f"/staff/concerns/{cid}/markers", data={"m-csrf_token": token, "m-parents_informed_on": "2026-06-02",
                                                              "m-police_on": "2026-06-03"}).status_code == 303
    log = text(dsl.get("/staff/incident-log?from=2000-01-01&to=2100-01-01"))
    assert "02/06/2026: Conversation: Talked with Amy and her mum." in log
    assert "02/06/2026: Parents or carers informed" in log and "03/06/2026: Police" in log
