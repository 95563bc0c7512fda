"""Helpers for the filtering and monitoring tests: people with email addresses, form posts, mail rows."""

from __future__ import annotations

import re

from sqlalchemy import select

from pupil_app.concerns.models import PendingMail
from pupil_app.extensions import db
from pupil_app.schools.models import StaffUser

from .concern_flow import csrf_of


def give_email(app, *people) -> None:
    with app.app_context():
        for who in people:
            db.session.get(StaffUser, who.id).email = f"{who.username}@school.example"
        db.session.commit()


def client_for(app, login_as, who):
    c = app.test_client()
    login_as(who, test_client=c)
    return c


def mail(app) -> list[tuple[str, str, str]]:
    """(to, subject, body) of every queued email, oldest first."""
    with app.app_context():
        rows = db.session.scalars(select(PendingMail).order_by(PendingMail.id))
        return [(m.to_addr, m.subject, m.body) for m in rows]


def report_website(client, **extra):
    page = client.get("/staff/filtering/report").get_data(as_text=True)
    key = re.search(r'name="key" type="hidden" value="([^"]+)"', page).group(1)
    data = {"csrf_token": csrf_of(page), "key": key, "address": "https://games.example/shooter",
            "device": "ICT suite PC 12", "occurred_at": "2026-03-02T10:15",
            "seen": "A violent game advert got through on the class laptops.", "request": "block"}
    data.update(extra)
    return client.post("/staff/filtering/report", data=data), data


def record_action(client, report_id: int, **extra):
    page = client.get(f"/staff/filtering/reports/{report_id}").get_data(as_text=True)
    data = {"csrf_token": csrf_of(page), "kind": "blocked", "done_at": "2026-03-02T11:00", "note": ""}
    data.update(extra)
    return client.post(f"/staff/filtering/reports/{report_id}/actions", data=data)
