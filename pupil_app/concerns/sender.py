"""The alert sender: a loop that claims due ``pending_mail`` rows and sends them, outside any request.

``ALERT_SENDER`` chooses where the loop runs:

- ``"thread"`` (the default outside production): a daemon thread in each app process, started by
  the process's first request and woken at once when a request commits a concern. A hanging mail
  server holds only this thread, never a request worker.
- ``"process"`` (production): the app processes never send; run ``flask concerns sender`` as its
  own long-running service (one or more: claims are atomic, so several never send one alert twice).
- ``"inline"``: tests only; a request sends to the outbox folder before it answers.

Every pass also picks up claims whose lease ran out (a sender killed mid-send), so a crashed
worker's alerts go out again within ``CLAIM_FOR`` without cron. ``flask concerns send-alerts``
(one pass) stays for scripts.
"""

from __future__ import annotations

import logging
import os
import threading
import time

from flask import Flask

from ..extensions import db
from . import alerts

log = logging.getLogger(__name__)

POLL_SECONDS = 5.0  # how often an idle sender looks for due alerts (retries, expired claims)
LOG_EVERY = 60.0

_lock = threading.Lock()


class Sender:
    """One sending loop for one app; ``wake`` makes it look at once."""

    def __init__(self, app: Flask, poll: float = POLL_SECONDS):
        self.app = app
        self.poll = poll
        self.event = threading.Event()
        self.stopping = threading.Event()
        self.thread: threading.Thread | None = None
        self.pid = os.getpid()
        self.passes = 0
        self.last_ok: float | None = None
        self.last_error: str | None = None
        self._last_log = 0.0

    def run_once(self) -> tuple[int, int]:
        """One pass: send everything due. Never raises."""
        with self.app.app_context():
            try:
                result = alerts.send_due(limit=1000)
                self.last_ok, self.last_error = time.time(), None
                return result
            except Exception as exc:  # noqa: BLE001 - database away or anything else: try again later
                self.last_error = f"{type(exc).__name__}"
                now = time.time()
                if now - self._last_log >= LOG_EVERY:
                    self._last_log = now
                    log.warning("Alert sender pass failed (%s: %s); retrying.", type(exc).__name__,
                                str(exc).splitlines()[0][:200] if str(exc) else "")
                try:
                    db.session.rollback()
                except Exception:  # noqa: BLE001
                    pass
                return 0, 0
            finally:
                self.passes += 1
                db.session.remove()

    def loop(self) -> None:
        while not self.stopping.is_set():
            self.run_once()
            self.event.wait(self.poll)
            self.event.clear()

    def start(self) -> None:
        self.thread = threading.Thread(target=self.loop, name="alert-sender", daemon=True)
        self.thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        self.stopping.set()
        self.event.set()
        if self.thread is not None:
            self.thread.join(timeout)


def sender_of(app: Flask) -> Sender | None:
    """This process's sender thread for ``app`` (started if needed), or None when it does not run one."""
    if app.config.get("ALERT_SENDER", "thread") != "thread":
        return None
    current = app.extensions.get("alert_sender")
    if current is not None and current.pid == os.getpid() and current.thread and current.thread.is_alive():
        return current
    with _lock:
        current = app.extensions.get("alert_sender")
        if current is None or current.pid != os.getpid() or not (current.thread and current.thread.is_alive()):
            # A forked worker inherits no threads: each process starts its own.
            current = Sender(app, float(app.config.get("ALERT_POLL_SECONDS", POLL_SECONDS)))
            current.start()
            app.extensions["alert_sender"] = current
    return current


def wake(app: Flask) -> None:
    sender = sender_of(app)
    if sender is not None:
        sender.event.set()


def init_app(app: Flask) -> None:
    """Start the sender thread with the process's first request (never in `flask` commands)."""
    app.extensions["alert_wake"] = lambda: wake(app)

    @app.before_request
    def _ensure_sender():
        if app.config.get("ALERT_SENDER", "thread") == "thread":
            current = app.extensions.get("alert_sender")
            if current is None or current.pid != os.getpid():
                sender_of(app)


def run_forever(app: Flask, poll: float = POLL_SECONDS, stop: threading.Event | None = None) -> None:
    """``flask concerns sender``: the loop in the foreground until stopped (SIGTERM ends it)."""
    sender = Sender(app, poll)
    if stop is not None:
        sender.stopping = stop
    log.warning("Alert sender started (pid %s, every %.1f s).", os.getpid(), poll)
    sender.loop()
