"""Alert emails to a school's DSLs: "there is a new concern", a link, and nothing else.

No concern text and no child's name ever goes into an email (mail is copied, forwarded and kept on
phones). Each alert is first written to the ``pending_mail`` table in the same transaction as the
concern; no request ever talks to the mail server. A sender (``sender.py``: a thread in each app
process, or the ``flask concerns sender`` process) claims due rows atomically for a short lease,
sends them, and records each as sent or as failed with its next retry (back-off). A claim whose
lease ran out (its sender died) is claimed again by the next pass, so nothing waits for cron. The
concern is on the dashboard whatever happens to the mail.

Transport: SMTP when ``MAIL_SERVER`` is set, else an ``.eml`` file per message in
``MAIL_OUTBOX_DIR`` (development and tests: nothing leaves the machine).
"""

from __future__ import annotations

import logging
import os
import smtplib
import ssl
import threading
import time
import uuid
from datetime import UTC, timedelta
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from pathlib import Path
from urllib.parse import urlsplit

from flask import current_app, g, has_app_context
from flask_babel import force_locale, gettext as _
from sqlalchemy import or_, select, update

from ..extensions import db
from ..schools.models import Role, School, StaffRole, StaffUser
from ..timeutil import utcnow
from .models import Concern, Incident, PendingMail

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 30  # about a day of back-off; then the alert is shown as failed on the dashboard
# A sender holds its claim this long; past it another sender may claim the alert again. A batch stops
# starting new messages at half the lease, so a slow mail server never lets a claim run out mid-send.
CLAIM_FOR = timedelta(seconds=60)
CLAIM_BATCH = 20
_budget = threading.local()
# Alerts about one pupil within this long are combined into the first (every concern is still stored
# and on the dashboard); an urgent concern after non-urgent ones is still alerted at once.
COMBINE_WITHIN = timedelta(minutes=5)


def _link(endpoint: str, **values) -> str:
    """An absolute link into the DSL dashboard (which asks the reader to sign in). Built from
    APP_BASE_URL only, never from the request's Host header (which anyone can set)."""
    base = urlsplit(current_app.config["APP_BASE_URL"])
    adapter = current_app.url_map.bind(base.netloc, script_name=base.path or "/", url_scheme=base.scheme)
    return adapter.build(endpoint, values, force_external=True)


def concern_link(concern_id: int) -> str:
    return _link("concerns.detail", concern_id=concern_id)


def dsl_addresses(school_id: int) -> list[str]:
    rows = db.session.scalars(
        select(StaffUser.email).join(StaffRole, StaffRole.staff_id == StaffUser.id)
        .where(StaffUser.school_id == school_id, StaffUser.active.is_(True), StaffRole.role == Role.DSL.value,
               StaffUser.email.is_not(None))
        .order_by(StaffUser.id))
    seen: list[str] = []
    for email in rows:
        if email and email.strip() and email.strip() not in seen:
            seen.append(email.strip())
    return seen


def _every_language(build) -> list[str]:
    """``build()`` in each of the app's languages (staff have no language of their own: English and
    Welsh alerts, as a Welsh public body writes), without repeats."""
    out: list[str] = []
    for code in ("en", "cy"):
        with force_locale(code):
            text = build()
        if text not in out:
            out.append(text)
    return out


def _queue(school_id: int, subject, intro, link: str | None, concern_id: int | None = None,
           addresses: list[str] | None = None, opener=None) -> int:
    """Queue alerts (flushed with the concern; a sender delivers them once committed). ``subject``
    and ``intro`` build the text in the current language; the message carries every language.
    ``addresses`` (default: the school's DSLs) and ``opener`` (default: "Open it on the DSL
    dashboard") serve other domains."""
    subjects = " / ".join(_every_language(subject))
    opener = opener or (lambda: _("Open it on the DSL dashboard (you will be asked to sign in):"))

    def text() -> str:
        parts = [intro()]
        if link:
            parts.append(opener() + "\n" + link)
        parts.append(_("This email deliberately contains no details."))
        return "\n\n".join(parts) + "\n"

    body = "\n\n----\n\n".join(_every_language(text))
    addresses = dsl_addresses(school_id) if addresses is None else addresses
    now = utcnow()
    rows = [PendingMail(school_id=school_id, concern_id=concern_id, to_addr=address, subject=subjects[:200],
                        body=body, next_attempt_at=now, claimed_until=None) for address in addresses]
    db.session.add_all(rows)
    db.session.flush()
    if has_app_context() and rows:
        g.alerts_queued = True
    if not addresses:
        log.warning("School %s has no DSL with an email address; no alert queued (%s).", school_id, subjects)
    return len(addresses)


def queue(school_id: int, subject, intro, link: str, addresses: list[str], opener=None) -> int:
    """Queue an alert of another domain (filtering, monitoring) to ``addresses``: no details, a link."""
    return _queue(school_id, subject, intro, link, addresses=addresses, opener=opener)


def link_to(endpoint: str, **values) -> str:
    return _link(endpoint, **values)


def _already_alerted(concern: Concern) -> bool:
    """An alert about this pupil went (or is going) out in the last few minutes, and it covers this
    concern: it was urgent, or this one is not."""
    recent = db.session.execute(
        select(Concern.urgent).join(PendingMail, PendingMail.concern_id == Concern.id)
        .where(Concern.pupil_id == concern.pupil_id, Concern.id != concern.id,
               PendingMail.created_at >= utcnow() - COMBINE_WITHIN)).scalars().all()
    return bool(recent) and (any(recent) or not concern.urgent)


def queue_new_concern(concern: Concern) -> int:
    """Queue one alert per DSL of the concern's school (flushed with the concern). Returns how many.

    A pupil's concerns within a few minutes share one alert (a child tapping Send again and again,
    or someone flooding the DSL's inbox): the concerns are all stored, the email goes once.
    """
    if _already_alerted(concern):
        log.info("Concern %s: combined into the alert sent for the same pupil in the last few minutes.", concern.id)
        return 0
    name = db.session.get(School, concern.school_id).name

    def subject():
        text = _("New safeguarding concern at %(school)s", school=name)
        return _("URGENT: %(subject)s", subject=text) if concern.urgent else text

    def intro():
        if concern.urgent:
            text = _("A new safeguarding concern has been recorded at %(school)s and marked urgent.", school=name)
        else:
            text = _("A new safeguarding concern has been recorded at %(school)s.", school=name)
        return text + " " + _("More concerns about the same pupil in the next few minutes are not emailed "
                              "separately: they are on the dashboard.")

    return _queue(concern.school_id, subject, intro, concern_link(concern.id), concern.id)


def queue_notice(school_id: int, subject, intro, addresses: list[str] | None = None) -> int:
    """A notice about the school's safeguarding set-up (a new DSL, a DSL's address changed): to the
    school's DSLs, or to ``addresses``. Sent like alerts, once the change has committed."""
    return _queue(school_id, subject, intro, None, addresses=addresses)


def queue_new_incident(incident: Incident) -> int:
    name = db.session.get(School, incident.school_id).name
    return _queue(incident.school_id, lambda: _("New online safety incident at %(school)s", school=name),
                  lambda: _("A new online safety incident has been recorded in the log at %(school)s.", school=name),
                  _link("concerns.incident_log"))


def _message(row: PendingMail) -> EmailMessage:
    cfg = current_app.config
    msg = EmailMessage()
    msg["From"] = cfg["MAIL_DEFAULT_SENDER"]
    msg["To"] = row.to_addr
    msg["Subject"] = row.subject
    msg["Date"] = format_datetime(row.created_at.replace(tzinfo=UTC))
    msg["Message-ID"] = make_msgid(domain="pupil-app.local")
    msg.set_content(row.body)
    return msg


def _send_smtp(messages: list[EmailMessage]) -> list[Exception | None]:
    cfg = current_app.config
    results: list[Exception | None] = []
    try:
        if cfg["MAIL_USE_SSL"]:
            smtp: smtplib.SMTP = smtplib.SMTP_SSL(cfg["MAIL_SERVER"], cfg["MAIL_PORT"], timeout=cfg["MAIL_TIMEOUT"],
                                                  context=ssl.create_default_context())
        else:
            smtp = smtplib.SMTP(cfg["MAIL_SERVER"], cfg["MAIL_PORT"], timeout=cfg["MAIL_TIMEOUT"])
        with smtp:
            if cfg["MAIL_USE_TLS"] and not cfg["MAIL_USE_SSL"]:
                smtp.starttls(context=ssl.create_default_context())
            if cfg["MAIL_USERNAME"]:
                smtp.login(cfg["MAIL_USERNAME"], cfg["MAIL_PASSWORD"] or "")
            for msg in messages:
                if time.monotonic() > getattr(_budget, "deadline", float("inf")):
                    results.append(NOT_TRIED)  # the claim is running out: leave the rest to the next pass
                    continue
                try:
                    smtp.send_message(msg)
                    results.append(None)
                except (smtplib.SMTPException, OSError) as exc:
                    results.append(exc)
    except (smtplib.SMTPException, OSError) as exc:  # could not connect, TLS or login failed
        results.extend([exc] * (len(messages) - len(results)))
    return results


class NotTried(Exception):
    """A claimed message not attempted in this pass (released, not counted as a try)."""


NOT_TRIED = NotTried()


def _send_outbox(messages: list[EmailMessage]) -> list[Exception | None]:
    folder = Path(current_app.config["MAIL_OUTBOX_DIR"])
    results: list[Exception | None] = []
    for msg in messages:
        try:
            folder.mkdir(parents=True, exist_ok=True)
            name = f"{utcnow():%Y%m%d-%H%M%S}-{uuid.uuid4().hex[:12]}.eml"
            tmp = folder / (name + ".tmp")
            tmp.write_bytes(bytes(msg))
            os.replace(tmp, folder / name)  # a reader never sees half a message
            results.append(None)
        except OSError as exc:
            results.append(exc)
    return results


def transport():
    """The function that sends a batch of messages (tests replace it to simulate a failing server)."""
    return _send_smtp if current_app.config.get("MAIL_SERVER") else _send_outbox


def _deliver(rows: list[PendingMail]) -> tuple[int, int]:
    """Send claimed rows; record each as sent, or as failed with its next retry. Commits."""
    if not rows:
        return 0, 0
    _budget.deadline = time.monotonic() + CLAIM_FOR.total_seconds() / 2
    try:
        results = transport()([_message(r) for r in rows])
    finally:
        _budget.deadline = float("inf")
    sent = failed = 0
    done = utcnow()
    for row, error in zip(rows, results):
        row.claimed_until = None
        if error is NOT_TRIED:
            continue
        row.attempts += 1
        if error is None:
            row.sent_at, row.last_error, row.next_attempt_at = done, None, None
            sent += 1
        else:
            failed += 1
            row.last_error = f"{type(error).__name__}: {error}"[:300]
            # Back off: 1, 2, 4 ... minutes, at most an hour apart; give up after MAX_ATTEMPTS.
            row.next_attempt_at = (done + timedelta(minutes=min(60, 2 ** (row.attempts - 1)))
                                   if row.attempts < MAX_ATTEMPTS else None)
            log.warning("Alert %s to %s failed (attempt %s): %s", row.id, row.to_addr, row.attempts, row.last_error)
    db.session.commit()
    return sent, failed


def send_due(limit: int = 100) -> tuple[int, int]:
    """Send alerts that are due (new ones, failed ones whose retry time has come, any whose claim ran
    out), at most ``limit``, in batches of ``CLAIM_BATCH``. Returns (sent, failed)."""
    sent = failed = 0
    while limit > 0:
        batch_sent, batch_failed, claimed = _send_batch(min(limit, CLAIM_BATCH))
        sent, failed, limit = sent + batch_sent, failed + batch_failed, limit - max(claimed, 1)
        if claimed == 0:
            break
    return sent, failed


def _send_batch(limit: int) -> tuple[int, int, int]:
    """Claim up to ``limit`` due rows, each with a conditional UPDATE (two senders never both claim
    one), and send them. Only reads when nothing is due (the usual case). Commits its own work."""
    now = utcnow()
    due_ids = list(db.session.scalars(
        select(PendingMail.id).where(PendingMail.sent_at.is_(None), PendingMail.next_attempt_at.is_not(None),
                                     PendingMail.next_attempt_at <= now,
                                     or_(PendingMail.claimed_until.is_(None), PendingMail.claimed_until < now))
        .order_by(PendingMail.id).limit(limit)))
    if not due_ids:
        db.session.rollback()
        return 0, 0, 0
    claimed: list[int] = []
    for ident in due_ids:
        result = db.session.execute(
            update(PendingMail).where(PendingMail.id == ident, PendingMail.sent_at.is_(None),
                                      or_(PendingMail.claimed_until.is_(None), PendingMail.claimed_until < now))
            .values(claimed_until=now + CLAIM_FOR).execution_options(synchronize_session=False))
        if result.rowcount == 1:
            claimed.append(ident)
    db.session.commit()
    if not claimed:
        return 0, 0, 0
    rows = list(db.session.scalars(select(PendingMail).where(PendingMail.id.in_(claimed)).order_by(PendingMail.id)))
    return (*_deliver(rows), len(claimed))


def send_safely() -> tuple[int, int]:
    """Every due alert; never raises (the concern is saved whatever happens here, and unsent alerts
    stay pending for the next pass)."""
    try:
        return send_due()
    except Exception:  # noqa: BLE001 - a mail problem must never turn into an error for a child
        db.session.rollback()
        log.exception("Sending alerts failed; they stay pending and will be retried.")
        return 0, 0


def after_commit() -> None:
    """A request committed a concern or incident: wake this process's sender (``ALERT_SENDER`` =
    "thread"), or leave the alerts to the sender process ("process"). Never sends in the request,
    except with "inline" (tests only: to the outbox folder, so a test sees the message at once)."""
    queued = g.pop("alerts_queued", False) if has_app_context() else True
    mode = current_app.config.get("ALERT_SENDER", "thread")
    if mode == "inline":
        send_safely()
    elif mode == "thread" and queued:
        wake = current_app.extensions.get("alert_wake")  # set by sender.init_app
        if wake is not None:
            wake()


def problems(school_id: int) -> dict:
    """What the DSL dashboard says about alerts that have not gone out."""
    now = utcnow()
    rows = list(db.session.execute(
        select(PendingMail.attempts, PendingMail.last_error, PendingMail.next_attempt_at, PendingMail.claimed_until)
        .where(PendingMail.school_id == school_id, PendingMail.sent_at.is_(None),
               or_(PendingMail.attempts > 0, PendingMail.claimed_until < now,
                   PendingMail.next_attempt_at < now - CLAIM_FOR))
        .order_by(PendingMail.id)))
    counts = {"waiting": 0, "given_up": 0, "stuck": 0}
    for r in rows:
        # Stuck: a claim whose sender died, or never tried for longer than a lease (no sender running).
        if (r.claimed_until is not None and r.claimed_until < now) or r.attempts == 0:
            counts["stuck"] += 1
        elif r.next_attempt_at is None:
            counts["given_up"] += 1
        else:
            counts["waiting"] += 1
    errors = [r.last_error for r in rows if r.last_error]
    return {**counts, "last_error": errors[-1] if errors else None, "checked_at": now}
