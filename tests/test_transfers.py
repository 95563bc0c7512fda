"""Child-protection file transfers between two schools of one deployment: sent, viewed, accepted or
returned, with a receipt for the sender and a reminder after 5 school days."""

from __future__ import annotations

import html
import re
from datetime import date, timedelta

import pytest
from sqlalchemy import select

from pupil_app.concerns.models import AuditEvent, PendingMail
from pupil_app.extensions import db
from pupil_app.records import transfers
from pupil_app.records.models import RecordTransfer
from pupil_app.schools.models import Role, StaffUser

from .concern_flow import csrf_of, tell
from .helpers import Ids


@pytest.fixture
def case(app, make_school, make_class, make_pupil, make_staff, login_as):
    old, new = make_school("Old School"), make_school("New School")
    pupil = make_pupil(make_class(5, school=old), first_name="Rowan")
    tell(login_as(pupil, test_client=app.test_client()), words="A man online asked me to keep a secret.")
    sender, receiver = make_staff(Role.DSL, school=old), make_staff(Role.DSL, school=new)
    with app.app_context():
        db.session.get(StaffUser, receiver.id).email = "dsl@new.example"
        db.session.get(StaffUser, sender.id).email = "dsl@old.example"
        db.session.commit()
    return Ids(old=old, new=new, pupil=pupil, sender=login_as(sender, test_client=app.test_client()),
               receiver=login_as(receiver, test_client=app.test_client()))


def send(client, pupil_id, school_id):
    page = client.get("/staff/transfers").get_data(as_text=True)
    return client.post("/staff/transfers", data={"csrf_token": csrf_of(page), "pupil": pupil_id,
                                                 "school": school_id})


def status(app) -> str:
    with app.app_context():
        return db.session.scalar(select(RecordTransfer.status))


def test_a_file_is_sent_viewed_and_accepted_with_a_receipt_for_the_sender(app, case):
    assert send(case.sender, case.pupil.id, case.new.id).status_code == 303
    assert status(app) == "sent"
    with app.app_context():
        mail = db.session.scalar(select(PendingMail).where(PendingMail.to_addr == "dsl@new.example"))
        stored = db.session.scalar(select(RecordTransfer.file_enc))
    assert "Old School" in mail.subject and "Rowan" not in mail.body + mail.subject
    assert "Rowan" not in stored and "secret" not in stored  # the file travels encrypted

    listing = case.receiver.get("/staff/transfers").get_data(as_text=True)
    transfer_id = re.search(r"/staff/transfers/(\d+)", listing).group(1)
    file = html.unescape(case.receiver.get(f"/staff/transfers/{transfer_id}").get_data(as_text=True))
    assert "A man online asked me to keep a secret." in file and "Rowan" in file
    assert status(app) == "viewed"
    r = case.receiver.post(f"/staff/transfers/{transfer_id}/decision",
                           data={"csrf_token": csrf_of(file), "decision": "accept"})
    assert r.status_code == 303 and status(app) == "accepted"
    receipt = case.sender.get("/staff/transfers").get_data(as_text=True)
    assert "Accepted (received)" in receipt
    with app.app_context():
        assert db.session.scalar(select(PendingMail).where(PendingMail.to_addr == "dsl@old.example")) is not None
        actions = db.session.scalars(select(AuditEvent.action).where(AuditEvent.action.like("transfer.%"))
                                     .order_by(AuditEvent.id)).all()
    assert actions == ["transfer.sent", "transfer.viewed", "transfer.accepted"]
    # The sending school keeps its own record of the child.
    assert "keep a secret" in html.unescape(case.sender.get(f"/staff/pupils/{case.pupil.id}/record").get_data(
        as_text=True))


def test_a_file_can_be_returned_only_with_a_reason(app, case):
    send(case.sender, case.pupil.id, case.new.id)
    with app.app_context():
        transfer_id = db.session.scalar(select(RecordTransfer.id))
    page = case.receiver.get(f"/staff/transfers/{transfer_id}").get_data(as_text=True)
    url = f"/staff/transfers/{transfer_id}/decision"
    assert case.receiver.post(url, data={"csrf_token": csrf_of(page), "decision": "return"}).status_code == 400
    assert case.receiver.post(url, data={"csrf_token": csrf_of(page), "decision": "return",
                                         "reason": "This child is not on our roll."}).status_code == 303
    assert status(app) == "returned"
    sender_view = html.unescape(case.sender.get(f"/staff/transfers/{transfer_id}").get_data(as_text=True))
    assert "This child is not on our roll." in sender_view
    again = case.receiver.post(url, data={"csrf_token": csrf_of(page), "decision": "accept"})
    assert again.status_code == 400 and status(app) == "returned"


def test_only_the_two_schools_see_a_transfer_and_only_the_receiver_decides(app, case, make_staff, login_as):
    send(case.sender, case.pupil.id, case.new.id)
    with app.app_context():
        transfer_id = db.session.scalar(select(RecordTransfer.id))
    stranger = login_as(make_staff(Role.DSL), test_client=app.test_client())
    assert stranger.get(f"/staff/transfers/{transfer_id}").status_code == 404
    page = case.sender.get("/staff/transfers").get_data(as_text=True)
    r = case.sender.post(f"/staff/transfers/{transfer_id}/decision", data={"csrf_token": csrf_of(page),
                                                                           "decision": "accept"})
    assert r.status_code == 404 and status(app) == "sent"
    # Another school's pupil cannot be sent, nor a file to one's own school, nor twice.
    assert send(stranger, case.pupil.id, case.new.id).status_code == 404
    assert send(case.sender, case.pupil.id, case.old.id).status_code == 400
    assert send(case.sender, case.pupil.id, case.new.id).status_code == 400


def test_a_file_not_received_after_5_school_days_is_chased_once(app, case, in_app):
    send(case.sender, case.pupil.id, case.new.id)
    with app.app_context():
        sent = db.session.scalar(select(RecordTransfer.sent_at)).date()
    monday = sent + timedelta(days=(7 - sent.weekday()) % 7 or 7)  # the next Monday
    assert transfers.school_days_between(date(2026, 11, 27), date(2026, 12, 4)) == 5  # Friday to Friday

    def remind(day):
        return transfers.queue_reminders(day)

    assert in_app(remind, sent + timedelta(days=1)) == 0
    assert in_app(remind, monday + timedelta(days=7)) == 1
    assert in_app(remind, monday + timedelta(days=8)) == 0
