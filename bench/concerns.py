"""Tell an adult under load, and the DSL inbox on a trust-sized data set, against gunicorn.

1. 200 concerns sent at once by 30 pupils (30 concurrent clients), one in five sent twice at the
   same instant (a double tap): afterwards every concern is checked in the database, decrypted and
   compared with what was sent. Prints lost, duplicated, and the send's p50/p95.
   Each message is what a child does at least: open "Tell an adult", tap a feeling, send.
2. The DSL inbox of a school with 20,000 concerns (10 schools, 5,000 pupils, 24,500 concerns in
   all): p50/p95 of the inbox page, with and without filters, search and paging (target p95 < 150 ms).

    .venv/bin/python bench/concerns.py [--database-url URL] [--inbox-requests 200]

Production config, gunicorn with 2 sync workers and --preload (as bench/classroom.py). It makes
its own database (a SQLite file in a temporary folder unless --database-url is given; PostgreSQL
is emptied first), and stops every server it starts. Only 127.0.0.1 is contacted.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.classroom import Client, _reset_postgres, csrf, expect, free_port, pct, serve, stop  # noqa: E402

PUPILS = 30
CONCERNS = 200
DOUBLE_TAP_EVERY = 5
SCHOOLS = 10
PUPILS_PER_SCHOOL = 500
INBOX_CONCERNS = 20_000
OTHER_SCHOOL_CONCERNS = 500
PASSWORD = "bench-pass-2026"
DSL_PASSWORD = "bench-dsl-2026"


class JsonClient(Client):
    """A pupil's browser that also sends the script's JSON requests."""

    def location(self, path: str) -> tuple[int, str | None]:
        """Status and Location of a redirect (the opener never follows one)."""
        try:
            with self.opener.open(urllib.request.Request(self.base + path), timeout=30) as r:
                r.read()
                return r.status, r.headers.get("Location")
        except urllib.error.HTTPError as e:
            e.read()
            return e.code, e.headers.get("Location")

    def post_json(self, path: str, data: dict) -> tuple[int, dict]:
        body = urllib.parse.urlencode(data).encode()
        req = urllib.request.Request(self.base + path, data=body, headers={"Accept": "application/json"})
        code, text = self._open(req)
        try:
            return code, json.loads(text)
        except ValueError:
            return code, {"status": f"HTTP {code}"}


def seed(env: dict, rng: random.Random) -> dict:
    """Ten schools of 500 pupils; the bench school's DSL has 20,000 concerns; 30 pupils to send more."""
    os.environ.update(env)
    from flask_migrate import upgrade
    from sqlalchemy import insert

    from pupil_app import create_app, crypto
    from pupil_app.auth import service as auth
    from pupil_app.concerns.models import (
        CATEGORIES,
        FEELINGS,
        LOCATIONS,
        STATUSES,
        WHAT_CHOICES,
        WHAT_TO_CATEGORY,
        Concern,
    )
    from pupil_app.extensions import db
    from pupil_app.schools.models import Pupil, School, SchoolClass, StaffRole, StaffUser, Trust
    from pupil_app.timeutil import utcnow

    app = create_app("production")
    out: dict = {}
    with app.app_context():
        upgrade(directory=str(ROOT / "migrations"))
        trust = Trust(name="Bench Trust")
        db.session.add(trust)
        db.session.flush()
        pupil_hash = auth.hash_password(PASSWORD)  # production argon2id profile
        schools = []
        for s in range(SCHOOLS):
            school = School(trust_id=trust.id, name=f"Bench Primary {s + 1}")
            db.session.add(school)
            db.session.flush()
            classes = [SchoolClass(school_id=school.id, name=f"Class {y}", year_group=y,
                                   signin_token=auth.new_class_token()) for y in range(7)]
            db.session.add_all(classes)
            db.session.flush()
            rows = [{"school_id": school.id, "class_id": classes[i % 7].id, "first_name": f"Kid{i}",
                     "last_name": f"School{s + 1}", "username": f"bench.s{s + 1}.{i}", "avatar": "fox",
                     "password_hash": pupil_hash if s == 0 and i < PUPILS else None, "active": True,
                     "session_version": 1, "failed_signins": 0, "created_at": utcnow()}
                    for i in range(PUPILS_PER_SCHOOL)]
            db.session.execute(insert(Pupil.__table__), rows)
            schools.append((school, classes))
        bench_school, bench_classes = schools[0]
        dsl = StaffUser(school_id=bench_school.id, username="bench.dsl", display_name="Ms Bench DSL",
                        email="dsl@bench.example", password_hash=auth.hash_password(DSL_PASSWORD))
        dsl.role_rows = [StaffRole(role="dsl")]
        db.session.add(dsl)
        db.session.flush()
        from sqlalchemy import select

        pupils_by_school = {}
        for school, _classes in schools:
            pupils_by_school[school.id] = list(db.session.execute(
                select(Pupil.id, Pupil.class_id).where(Pupil.school_id == school.id)))
        now = utcnow()

        def concerns_for(school_id: int, n: int, prefix: str):
            pupils = pupils_by_school[school_id]
            batch = []
            for i in range(n):
                pid, cid = rng.choice(pupils)
                staff = rng.random() < 0.25
                what = None if staff else rng.choice(WHAT_CHOICES)
                age = rng.random() ** 2 * 5 * 365  # most are recent, some are years old
                status = "closed" if age > 30 else rng.choice(STATUSES)
                created = now - timedelta(days=age, minutes=rng.randint(0, 1440))
                words = (f"Bench words {prefix}-{i}: someone in the game chat said unkind things again"
                         if staff or rng.random() < 0.6 else None)
                batch.append({
                    "school_id": school_id, "pupil_id": pid, "class_id": cid, "source": "staff" if staff else "pupil",
                    "logged_by_id": dsl.id if staff else None, "idempotency_key": f"bench-{prefix}-{i:06d}-seed",
                    "created_at": created, "occurred_at": None, "feeling": None if staff else rng.choice(FEELINGS),
                    "what": what, "about": None, "location": rng.choice(LOCATIONS), "talk_to": None,
                    "talk_to_staff_id": None, "words_enc": crypto.encrypt(words) if words else None,
                    "category": WHAT_TO_CATEGORY[what] if what else rng.choice(CATEGORIES),
                    "urgent": rng.random() < 0.08, "status": status,
                    "outcome": "resolved_in_school" if status == "closed" else None,
                    "assigned_to_id": dsl.id if status != "new" else None,
                    "read_at": created if status != "new" else None, "closed_at": created if status == "closed" else None,
                    "updated_at": created,
                })
                if len(batch) == 2000:
                    db.session.execute(insert(Concern.__table__), batch)
                    batch = []
            if batch:
                db.session.execute(insert(Concern.__table__), batch)

        concerns_for(bench_school.id, INBOX_CONCERNS, "s1")
        for school, _classes in schools[1:]:
            concerns_for(school.id, OTHER_SCHOOL_CONCERNS, f"s{school.id}")
        out["pupils"] = [f"bench.s1.{i}" for i in range(PUPILS)]
        out["class_id"] = bench_classes[4].id
        out["search_name"] = "Kid123"
        db.session.commit()
        if db.engine.dialect.name == "postgresql":  # what autovacuum would have done by now in real use
            with db.engine.connect() as conn:
                conn.exec_driver_sql("ANALYZE")
        db.engine.dispose()
    return out


def send_concerns(base: str, pupils: list[str]) -> tuple[list[float], list[float], dict[str, str], list[str]]:
    """Every pupil signs in, then CONCERNS messages go out from 30 clients at once (some double-tapped).

    Returns send latencies, whole-message latencies, {key: words} sent, and failures.
    """
    clients = []
    for username in pupils:
        c = JsonClient(base)
        page = expect(c.get("/sign-in"), 200, "sign-in page")
        expect(c.post("/sign-in", {"csrf_token": csrf(page), "username": username, "password": PASSWORD}),
               302, "pupil sign-in")
        clients.append(c)
    jobs = {i: [] for i in range(PUPILS)}
    for n in range(CONCERNS):
        jobs[n % PUPILS].append(n)
    sends: list[float] = []
    whole: list[float] = []
    sent: dict[str, str] = {}
    failures: list[str] = []
    lock = threading.Lock()
    barrier = threading.Barrier(PUPILS)

    def one(client: JsonClient, n: int):
        t0 = time.perf_counter()
        code, location = client.location("/tell")  # "Tell an adult": a new message, redirected to its first screen
        if code != 303 or not location:
            raise RuntimeError(f"/tell: HTTP {code}")
        token = location.rstrip("/").split("/")[-2]
        page = expect(client.get(f"/tell/{token}/feel"), 200, "first screen")
        feeling = random.choice(["worried", "scared", "sad"])
        expect(client.post(f"/tell/{token}/feel", {"csrf_token": csrf(page), "choice": feeling}), 303, "a feeling")
        words = f"Concern {n} from the bench: someone I do not know keeps messaging me in a game."
        data = {"csrf_token": csrf(page), "feeling": feeling,
                "what": random.choice(["stranger", "unkind", "upset"]), "about": "me", "location": "game",
                "talk_to": "anyone", "words": words}
        results = []

        def post():
            t = time.perf_counter()
            code, body = client.post_json(f"/tell/{token}/send", data)
            with lock:
                sends.append(time.perf_counter() - t)
            results.append((code, body.get("status")))

        if n % DOUBLE_TAP_EVERY == 0:  # a double tap: both requests at the same instant
            taps = [threading.Thread(target=post) for _ in range(2)]
            for t in taps:
                t.start()
            for t in taps:
                t.join()
        else:
            post()
        if not any(code == 200 and status == "saved" for code, status in results):
            raise RuntimeError(f"concern {n}: {results}")
        with lock:
            whole.append(time.perf_counter() - t0)
            sent[token] = words

    def worker(i: int):
        barrier.wait()
        for n in jobs[i]:
            try:
                one(clients[i], n)
            except Exception as exc:  # reported, never hidden
                with lock:
                    failures.append(f"{n}: {exc!r}")

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(PUPILS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return sends, whole, sent, failures


def check_database(env: dict, sent: dict[str, str]) -> tuple[int, int, int]:
    """(lost, duplicated, wrong words) for the concerns sent, straight from the database."""
    from sqlalchemy import func, select

    from pupil_app import create_app
    from pupil_app.concerns.models import Concern
    from pupil_app.extensions import db

    os.environ.update(env)
    app = create_app("production")
    with app.app_context():
        rows = list(db.session.execute(select(Concern.idempotency_key, Concern.words_enc)
                                       .where(Concern.idempotency_key.in_(list(sent)))))
        found = {}
        for key, enc in rows:
            found.setdefault(key, []).append(enc)
        from pupil_app import crypto

        lost = sum(1 for key in sent if key not in found)
        duplicated = sum(len(v) - 1 for v in found.values())
        wrong = sum(1 for key, encs in found.items() if crypto.decrypt(encs[0]) != sent[key])
        total_new = db.session.scalar(select(func.count()).select_from(Concern)
                                      .where(Concern.idempotency_key.not_like("bench-%")))
        db.engine.dispose()
    return lost, duplicated + max(0, total_new - len(found)), wrong


def inbox_latencies(base: str, requests: int, class_id: int, search: str) -> dict[str, list[float]]:
    dsl = Client(base)
    page = expect(dsl.get("/staff/sign-in"), 200, "staff sign-in")
    expect(dsl.post("/staff/sign-in", {"csrf_token": csrf(page), "username": "bench.dsl", "password": DSL_PASSWORD}),
           302, "DSL sign-in")
    views = {
        "inbox (all, new first)": "/staff/concerns",
        "inbox, status=closed": "/staff/concerns?status=closed",
        "inbox, open + category": "/staff/concerns?status=open&category=contact",
        f"inbox, class {class_id}": f"/staff/concerns?class={class_id}",
        "inbox, page 200": "/staff/concerns?page=200",
        f"inbox, search {search!r}": f"/staff/concerns?q={search}",
        "inbox, search words (2,000 decrypted)": "/staff/concerns?q=unkind+things",
    }
    for path in views.values():  # warm every worker's templates and caches
        for _ in range(4):
            expect(dsl.get(path), 200, path)
    out: dict[str, list[float]] = {}
    for name, path in views.items():
        n = requests if name == "inbox (all, new first)" else max(20, requests // 5)
        times = []
        for _ in range(n):
            t = time.perf_counter()
            code, body = dsl.get(path)
            times.append(time.perf_counter() - t)
            if code != 200 or "inbox__number" not in body:
                raise RuntimeError(f"{path}: HTTP {code}")
        out[name] = times
    total = re.search(r'All <span class="count">(\d+)</span>', dsl.get("/staff/concerns")[1])
    out["_total"] = [int(total.group(1))] if total else [0]
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--database-url", help="default: a SQLite file in a temporary folder")
    parser.add_argument("--inbox-requests", type=int, default=200)
    parser.add_argument("--seed", type=int, default=2026)
    args = parser.parse_args()

    tmp = Path(tempfile.mkdtemp(prefix="pupil-bench-concerns-"))
    env = dict(os.environ)
    env.update({
        "FLASK_CONFIG": "production", "SECRET_KEY": "bench-" + "x" * 40, "APP_BASE_URL": "http://127.0.0.1",
        "DATABASE_URL": args.database_url or f"sqlite:///{tmp / 'bench.sqlite'}",
        "DATA_KEY_FILE": str(tmp / "data.key"), "SESSION_COOKIE_SECURE": "0", "INSTANCE_PATH": str(tmp),
        "MAIL_OUTBOX_DIR": str(tmp / "outbox"), "PYTHONPATH": str(ROOT),
        "SIGNIN_RATE_LIMIT": "1000 per minute",
    })
    env.pop("MAIL_SERVER", None)
    os.environ.update(env)  # before anything imports config.py, whose settings read the environment
    if args.database_url and args.database_url.startswith("postgres"):
        print("Using PostgreSQL: the bench drops and recreates its tables.")
        _reset_postgres(env)
    t = time.perf_counter()
    data = seed(env, random.Random(args.seed))
    print(f"Seeded {SCHOOLS} schools, {SCHOOLS * PUPILS_PER_SCHOOL:,} pupils, "
          f"{INBOX_CONCERNS + (SCHOOLS - 1) * OTHER_SCHOOL_CONCERNS:,} concerns in {time.perf_counter() - t:.1f} s")
    port = free_port()
    gunicorn = [sys.executable, "-m", "gunicorn", "--workers", "2", "--worker-class", "sync", "--preload",
                "--log-level", "warning", "--bind", f"127.0.0.1:{port}", "wsgi:app"]
    proc = serve(gunicorn, env, port)
    base = f"http://127.0.0.1:{port}"
    print(f"gunicorn, 2 sync workers, production config, {env['DATABASE_URL'].split(':')[0]}")
    try:
        t = time.perf_counter()
        sends, whole, sent, failures = send_concerns(base, data["pupils"])
        wall = time.perf_counter() - t
        time.sleep(1.0)  # alerts go out after each response; let the last ones finish
        inbox = inbox_latencies(base, args.inbox_requests, data["class_id"], data["search_name"])
    finally:
        stop(proc)
    lost, duplicated, wrong = check_database(env, sent)
    alerts = len(list((tmp / "outbox").glob("*.eml")))
    doubles = CONCERNS // DOUBLE_TAP_EVERY
    print(f"\n{CONCERNS} concerns from {PUPILS} concurrent pupils ({doubles} of them double-tapped), wall {wall:.2f} s"
          + (f"  FAILURES: {failures[:3]}" if failures else ""))
    print(f"  saved {len(sent) - lost} of {len(sent)} confirmed; lost {lost}; duplicated {duplicated}; "
          f"words not as sent {wrong}; alert emails written {alerts}")
    print(f"  send (POST, commit before reply)  p50 {pct(sends, 50) * 1000:7.1f} ms   p95 {pct(sends, 95) * 1000:7.1f} ms"
          f"   n={len(sends)}")
    print(f"  whole message (open, tap, send)    p50 {pct(whole, 50) * 1000:7.1f} ms   p95 {pct(whole, 95) * 1000:7.1f} ms")
    total = inbox.pop("_total")[0]
    print(f"\nDSL inbox, {total:,} concerns in the school (one DSL, sequential requests, each one audited):")
    for name, times in inbox.items():
        print(f"  {name:<40} p50 {pct(times, 50) * 1000:7.1f} ms   p95 {pct(times, 95) * 1000:7.1f} ms   n={len(times)}")
    main_p95 = pct(inbox["inbox (all, new first)"], 95) * 1000
    ok = not failures and lost == 0 and duplicated == 0 and wrong == 0 and len(sent) == CONCERNS and main_p95 < 150
    print("\nAll targets met (0 lost, 0 duplicated, inbox p95 < 150 ms)." if ok else "\nSome targets missed (see above).")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
