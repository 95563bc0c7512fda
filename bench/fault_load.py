"""What bench/faults.py runs against each fault: the seed, 30 pupils' load, and the database checks."""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path

from bench.classroom import csrf
from bench.concerns import JsonClient

ROOT = Path(__file__).resolve().parent.parent
PUPILS = 30
PASSWORD = "bench-pass-2026"
PLEDGE_PUPILS = 10
ARRIVAL = 0.2  # seconds between two children of the class starting (a class arrives over 6 s, not in 1 ms)


def seed(env: dict) -> dict:
    os.environ.update(env)
    from flask_migrate import upgrade

    from pupil_app import create_app
    from pupil_app.auth import service as auth
    from pupil_app.content import current_content
    from pupil_app.extensions import db
    from pupil_app.pledge import service, versions
    from pupil_app.schools.models import Pupil, School, SchoolClass, StaffRole, StaffUser, Trust

    app = create_app("production")
    with app.app_context():
        upgrade(directory=str(ROOT / "migrations"))
        trust = Trust(name="Fault Trust")
        school = School(trust=trust, name="Fault Primary 100%")
        klass = SchoolClass(school=school, name="Year 5 (100% kind)", year_group=5, signin_token=auth.new_class_token())
        db.session.add_all([trust, school, klass])
        db.session.flush()
        hashed = auth.hash_password(PASSWORD)
        names = []
        for i in range(PUPILS + PLEDGE_PUPILS):
            p = Pupil(school_id=school.id, class_id=klass.id, first_name=f"Kid{i}", last_name="Fault",
                      username=f"fault{i}", password_hash=hashed, avatar="fox")
            db.session.add(p)
            db.session.flush()
            names.append(p.username)
        for n in range(2):
            dsl = StaffUser(school_id=school.id, username=f"dsl{n}", display_name=f"DSL {n}",
                            email=f"dsl{n}@fault.example", password_hash=hashed)
            dsl.role_rows = [StaffRole(role="dsl")]
            db.session.add(dsl)
        with app.test_request_context():
            pledge = current_content().pledge_for_band("ks2")
            wording = {s.id: {"text": s.text, "why": s.why} for s in pledge.statements}
            first = pledge.statements[0].id
            wording[first]["text"] = "Be 100% kind."
            versions.publish(school.id, pledge.id, "major", None, wording=wording)
            db.session.flush()
            current = versions.ensure_current_version(school.id, pledge.id)
            for p in db.session.query(Pupil).filter(Pupil.username.in_(names[:PUPILS])):
                service.record_signature(p, current)
        db.session.commit()
        db.engine.dispose()
    return {"pupils": names[:PUPILS], "pledgers": names[PUPILS:]}


def counts(env: dict, keys: list[str]) -> tuple[int, int, int, int]:
    """(lost, duplicated, alerts unsent, alert rows) for the acknowledged message keys."""
    os.environ.update(env)
    from sqlalchemy import func, select

    from pupil_app import create_app
    from pupil_app.concerns.models import Concern, PendingMail
    from pupil_app.extensions import db

    app = create_app("production")
    with app.app_context():
        found: dict[str, int] = {}
        for key in db.session.scalars(select(Concern.idempotency_key).where(Concern.idempotency_key.in_(keys))):
            found[key] = found.get(key, 0) + 1
        unsent = db.session.scalar(select(func.count()).select_from(PendingMail).where(PendingMail.sent_at.is_(None)))
        alerts = db.session.scalar(select(func.count()).select_from(PendingMail))
        db.session.remove()
        db.engine.dispose()
    lost = sum(1 for k in keys if k not in found)
    return lost, sum(v - 1 for v in found.values()), unsent, alerts


class Load:
    """30 pupils: sign in, then send concerns; failed sends are sent again until acknowledged."""

    def __init__(self, base: str, pupils: list[str], per_pupil: int):
        self.base, self.pupils, self.per_pupil = base, pupils, per_pupil
        self.signins: list[float] = []
        self.sends: list[float] = []
        self.statuses: dict[int, int] = {}
        self.acknowledged: list[str] = []
        self.failures: list[str] = []
        self.lock = threading.Lock()

    def _note(self, code: int, seconds: float, into: list[float]) -> None:
        with self.lock:
            self.statuses[code] = self.statuses.get(code, 0) + 1
            into.append(seconds)

    def _retrying(self, fn, into, ok, what: str, deadline: float):
        while time.time() < deadline:
            t = time.perf_counter()
            try:
                code, result = fn()
            except Exception as exc:  # a connection reset while a worker is killed: the browser tries again
                code, result = 0, repr(exc)
            self._note(code, time.perf_counter() - t, into)
            if ok(code, result):
                return result
            time.sleep(0.3)
        raise RuntimeError(f"{what}: gave up")

    def pupil(self, username: str, deadline: float) -> None:
        c = JsonClient(self.base)

        def sign_in():
            code, page = c.get("/sign-in")
            if code != 200:
                return code, None
            return c.post("/sign-in", {"csrf_token": csrf(page), "username": username, "password": PASSWORD})

        self._retrying(sign_in, self.signins, lambda code, _: code == 302, "sign-in", deadline)
        for n in range(self.per_pupil):
            location = self._retrying(lambda: c.location("/tell"), [], lambda code, loc: code == 303 and loc,
                                      "open", deadline)
            token = location.rstrip("/").split("/")[-2]
            page = self._retrying(lambda t=token: c.get(f"/tell/{t}/feel"), [], lambda code, _: code == 200, "feel",
                                  deadline)
            tap = {"csrf_token": csrf(page), "choice": "worried"}  # the tap that starts the message
            self._retrying(lambda t=token, d=tap: c.post(f"/tell/{t}/feel", d), [], lambda code, _: code == 303,
                           "tap", deadline)
            data = {"csrf_token": csrf(page), "feeling": "worried", "what": "stranger", "about": "me",
                    "location": "game", "talk_to": "anyone", "words": f"{username} message {n}: help please"}
            self._retrying(lambda t=token, d=data: c.post_json(f"/tell/{t}/send", d), self.sends,
                           lambda code, body: code == 200 and body.get("status") == "saved", "send", deadline)
            with self.lock:
                self.acknowledged.append(token)

    def run(self, seconds: float = 180) -> float:
        deadline = time.time() + seconds
        t = time.perf_counter()

        def one(n, u):
            time.sleep(n * ARRIVAL)
            try:
                self.pupil(u, deadline)
            except Exception as exc:
                with self.lock:
                    self.failures.append(f"{u}: {exc}")

        threads = [threading.Thread(target=one, args=(n, u)) for n, u in enumerate(self.pupils)]
        for th in threads:
            th.start()
        for th in threads:
            th.join()
        return time.perf_counter() - t


def wait_until(check, timeout: float = 180, step: float = 0.2) -> float | None:
    t = time.perf_counter()
    while time.perf_counter() - t < timeout:
        try:
            if check():
                return time.perf_counter() - t
        except Exception:  # noqa: BLE001 - not back yet
            pass
        time.sleep(step)
    return None


def probe_ok(base: str) -> bool:
    c = JsonClient(base)
    return c.get("/readyz")[0] == 200
