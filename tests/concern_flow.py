"""Helpers for the concern tests: a pupil's "Tell an adult" taps, driven through the test client."""

from __future__ import annotations

import html
import re

from sqlalchemy import func, select

from pupil_app.concerns.models import AuditEvent, Concern
from pupil_app.extensions import db


def csrf_of(page: str) -> str:
    return re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)


def csrf(client, url: str) -> str:
    return csrf_of(client.get(url).get_data(as_text=True))


def start(client) -> str:
    """Tap "Tell an adult"; return the flow's base path (/tell/<token>)."""
    r = client.get("/tell")
    assert r.status_code == 303, r.status_code
    assert r.location.endswith("/feel")
    return r.location.rsplit("/", 1)[0]


def token_of(base: str) -> str:
    return base.rsplit("/", 1)[1]


def tap(client, base: str, step: str, **data):
    """Post one screen (a picture tap, "skip", or words)."""
    return client.post(f"{base}/{step}", data={"csrf_token": csrf(client, f"{base}/{step}"), **data})


def send_form(client, base: str) -> dict[str, str]:
    """What the "Send" screen posts: its hidden answers, as the browser would send them."""
    page = client.get(f"{base}/send").get_data(as_text=True)
    form = {name: html.unescape(value) for name, value in
            re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)"', page)}
    form["words"] = html.unescape(re.search(r'<textarea name="words" hidden>(.*?)</textarea>', page, re.S).group(1))
    form["csrf_token"] = csrf_of(page)
    return form


def tell(client, feeling="worried", what="unkind", about="me", where="school", words=None, adult="anyone"):
    """A whole message by taps (a None answer is skipped); returns (base, response to Send)."""
    base = start(client)
    for step, value in (("feel", feeling), ("what", what), ("about", about), ("where", where)):
        r = tap(client, base, step, **({"choice": value} if value else {"skip": "1"}))
        assert r.status_code == 303, (step, r.status_code)
    assert tap(client, base, "words", words=words or "").status_code == 303
    assert tap(client, base, "adult", **({"choice": adult} if adult else {"skip": "1"})).status_code == 303
    return base, client.post(f"{base}/send", data=send_form(client, base))


def session_hash_of(app, client) -> str:
    """The hash a draft started by ``client``'s session carries (see concerns.sessions)."""
    from pupil_app import crypto

    with client.session_transaction() as sess:
        sid = sess["tell_sid"]
    with app.app_context():
        return crypto.token_hash("tell-session:" + sid)


def count_concerns(app, **where) -> int:
    with app.app_context():
        query = select(func.count()).select_from(Concern)
        for name, value in where.items():
            query = query.where(getattr(Concern, name) == value)
        return db.session.scalar(query)


def audit_actions(app, target_id=None) -> list[str]:
    with app.app_context():
        query = select(AuditEvent.action).order_by(AuditEvent.id)
        if target_id is not None:
            query = query.where(AuditEvent.target_id == target_id)
        return list(db.session.scalars(query))
