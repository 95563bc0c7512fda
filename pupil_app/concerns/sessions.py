"""Whose message a "Tell an adult" draft is, and what happens to it when the session ends.

The rule (README, "Security"): only the signed-in child who started a message can write, read or
send it, and only in that session. A draft carries a keyed hash of its session's random id (kept
in the signed session cookie, created at sign-in or on first use); a request from any other
session, even one signed in as the same child (a staff member who knows the child's pictures, a
classmate on the next turn), gets a 404 and never sees the words. A post after the session has
ended changes nothing.

When the session ends (sign-out, idle sign-out, the child signing in again elsewhere, or an hour
without a touch), a message with words or a "what"/"who" already chosen is not lost: it goes to
the DSL as a concern marked "not sent by the child: the session ended", and the draft is deleted.
A draft with nothing that says what happened is deleted. Nothing of it is shown again to anyone
who signs in as the child, and ``tell.js`` keeps nothing in the browser beyond the session.
"""

from __future__ import annotations

import hmac
import secrets
from datetime import timedelta

from flask import g, has_request_context, session
from flask_login import user_logged_in, user_logged_out
from sqlalchemy import or_, select
from sqlalchemy.exc import SQLAlchemyError

from .. import crypto
from ..extensions import db
from ..schools.models import Pupil
from ..timeutil import utcnow
from .models import Concern, ConcernDraft

SESSION_KEY = "tell_sid"
# A draft untouched this long belongs to a session that has ended (pupils are signed out after 15
# idle minutes; a lesson between two taps is shorter than this).
ENDED_AFTER = timedelta(hours=1)


def session_hash(create: bool = True) -> str | None:
    """The keyed hash of this browser session's random id (created when missing and ``create``)."""
    if not has_request_context():
        return None
    sid = session.get(SESSION_KEY)
    if not sid:
        if not create:
            return None
        sid = session[SESSION_KEY] = secrets.token_urlsafe(24)
    return crypto.token_hash("tell-session:" + sid)


def page_tag() -> str:
    """What ``tell.js`` tags its stored copy with: a short, one-way label of this session, or ""."""
    h = session_hash(create=True)
    return h[:16] if h else ""


def owns(draft: ConcernDraft, pupil: Pupil) -> bool:
    """True when ``draft`` is this pupil's message, started in this very session."""
    current = session_hash(create=False)
    return (draft.pupil_id == pupil.id and bool(draft.session_hash) and current is not None
            and hmac.compare_digest(draft.session_hash, current))


def has_substance(draft: ConcernDraft) -> bool:
    """Words, or what happened / who it is about / who to talk to: enough for the DSL to act on."""
    return bool(draft.words_enc or draft.what or draft.about or draft.talk_to)


def deliver_interrupted(drafts: list[ConcernDraft]) -> list[Concern]:
    """Send these drafts to the DSL marked as interrupted (empty ones are deleted). Flushes."""
    from . import telling

    delivered = []
    for draft in drafts:
        pupil = db.session.get(Pupil, draft.pupil_id)
        if pupil is None or not has_substance(draft):
            db.session.delete(draft)
            continue
        concern, _created = telling.submit(pupil, draft.token, telling.draft_answers(draft), interrupted=True)
        delivered.append(concern)
    db.session.flush()
    return delivered


def end_other_sessions(pupil: Pupil) -> list[Concern]:
    """Every open draft of this pupil that is not this session's live one: delivered as interrupted."""
    current = session_hash(create=False)
    stale = utcnow() - ENDED_AFTER
    query = select(ConcernDraft).where(ConcernDraft.pupil_id == pupil.id)
    if current is not None:
        query = query.where(or_(ConcernDraft.session_hash.is_(None), ConcernDraft.session_hash != current,
                                ConcernDraft.updated_at < stale))
    return deliver_interrupted(list(db.session.scalars(query.order_by(ConcernDraft.id))))


def end_this_session(pupil: Pupil) -> list[Concern]:
    """The session is ending now: its drafts go to the DSL as interrupted."""
    current = session_hash(create=False)
    if current is None:
        return []
    return deliver_interrupted(list(db.session.scalars(
        select(ConcernDraft).where(ConcernDraft.pupil_id == pupil.id, ConcernDraft.session_hash == current)
        .order_by(ConcernDraft.id))))


def end_stale(limit: int = 1000) -> int:
    """Deliver every draft untouched for ``ENDED_AFTER`` (`flask concerns end-drafts`, from cron)."""
    drafts = list(db.session.scalars(select(ConcernDraft).where(ConcernDraft.updated_at < utcnow() - ENDED_AFTER)
                                      .order_by(ConcernDraft.id).limit(limit)))
    return len(deliver_interrupted(drafts))


def _commit_and_alert(work) -> list[Concern]:
    """Run ``work`` in its own transaction; a failure never stops a sign-in or a sign-out (the
    drafts stay, and the next sign-in or `flask concerns end-drafts` delivers them)."""
    from . import alerts

    try:
        delivered = work()
        db.session.commit()
    except SQLAlchemyError:
        db.session.rollback()
        return []
    if delivered:
        alerts.after_commit()
    return delivered


def _on_signed_out(_app, user=None, **_extra) -> None:
    if getattr(user, "is_pupil", False):
        pupil_id = user.id
        delivered = _commit_and_alert(lambda: end_this_session(db.session.get(Pupil, pupil_id)))
        g.tell_interrupted_sent = bool(delivered)


def _on_signed_in(_app, user=None, **_extra) -> None:
    if not getattr(user, "is_pupil", False):
        return
    from flask import after_this_request

    pupil_id = user.id

    # After the sign-in has committed, in its own transaction.
    @after_this_request
    def deliver(response):
        _commit_and_alert(lambda: end_other_sessions(db.session.get(Pupil, pupil_id)))
        return response


def connect(app) -> None:
    user_logged_out.connect(_on_signed_out, app)
    user_logged_in.connect(_on_signed_in, app)
