"""What one core does: the app's CPU per request for each busy route, on PostgreSQL, for docs/capacity.md.

    .venv/bin/python bench/capacity.py --database-url postgresql+psycopg://postgres@127.0.0.1:5432/DB [--n 200]

Seeds the classroom bench's school (bench/classroom.py: a KS2 class with passwords, a Reception
class with picture passwords and badges, every pledge made), a DSL and a school with Google sign-in
against a real OpenID provider on loopback (tests/oidc_provider.py, run as its own process). Then,
one request at a time in this process with the production config (the argon2id profile of
production), it measures each route's CPU time in the app (``time.process_time``: the app's share,
which is what app cores must supply) and its wall time (app + PostgreSQL + the network), and
prints requests per second per app core (1 / CPU time). The database is emptied first. The
machine's load average is printed beside the figures: other work slows the wall time far more
than the CPU time.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.classroom import PASSWORD, _reset_postgres, seed  # noqa: E402

PROVIDER = """
import json, sys, time
from tests.oidc_provider import Provider
p = Provider()
p.clients = {"bench-client": "bench-secret"}
p.user = {"sub": "g-1", "email": "dsl@bench.sch.uk", "email_verified": True, "hd": "bench.sch.uk", "amr": ["pwd"]}
p.thread.start()
print(p.base, flush=True)
sys.stdin.read()
"""


def csrf(html: str) -> str:
    return re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html).group(1)


class Meter:
    """CPU, wall and database time of the timed calls, per route (database time: from sending each
    statement to having its result, so PostgreSQL's work plus the network, an upper bound)."""

    def __init__(self, engine=None):
        self.cpu: dict[str, list[float]] = {}
        self.wall: dict[str, list[float]] = {}
        self.db: dict[str, list[float]] = {}
        self.statements: dict[str, list[int]] = {}
        self.pg_cpu: dict[str, list[float]] = {}
        self._db_time = 0.0
        self._count = 0
        self._backends: set[int] = set()
        if engine is not None:
            from sqlalchemy import event

            event.listen(engine, "before_cursor_execute", self._before)
            event.listen(engine, "after_cursor_execute", self._after)
            event.listen(engine, "connect", lambda conn, _rec: self._backends.add(conn.info.backend_pid))
            engine.dispose()  # new connections, so their PostgreSQL processes are known

    def _backend_cpu(self) -> float:
        """CPU seconds used so far by the PostgreSQL processes serving this app (same machine)."""
        total = 0.0
        for pid in self._backends:
            try:
                fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
                total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
            except (OSError, IndexError, ValueError):
                pass
        return total

    def _before(self, _conn, _cursor, _stmt, _params, context, _many):
        context._bench_t0 = time.perf_counter()

    def _after(self, _conn, _cursor, _stmt, _params, context, _many):
        self._db_time += time.perf_counter() - context._bench_t0
        self._count += 1

    def __call__(self, name: str, expect: int, fn, *args, **kwargs):
        self._db_time, self._count = 0.0, 0
        pg0 = self._backend_cpu()
        c0, w0 = time.process_time(), time.perf_counter()
        r = fn(*args, **kwargs)
        self.cpu.setdefault(name, []).append(time.process_time() - c0)
        self.wall.setdefault(name, []).append(time.perf_counter() - w0)
        self.pg_cpu.setdefault(name, []).append(self._backend_cpu() - pg0)
        self.db.setdefault(name, []).append(self._db_time)
        self.statements.setdefault(name, []).append(self._count)
        if r.status_code != expect:
            raise RuntimeError(f"{name}: HTTP {r.status_code}, expected {expect}")
        return r


def run(app, data: dict, provider_base: str, n: int) -> Meter:
    from pupil_app.extensions import db

    with app.app_context():
        engine = db.engine
    meter = Meter(engine)
    for i in range(n):  # password sign-in (KS2): argon2id at the production profile
        c = app.test_client()
        page = c.get("/sign-in").get_data(as_text=True)
        meter("password sign-in (POST)", 302, c.post, "/sign-in", data={
            "csrf_token": csrf(page), "username": data["ks2"][i % len(data["ks2"])], "password": PASSWORD})
    for i in range(n):  # picture password: the last of three taps signs in
        pid, _badge = data["rec"][i % len(data["rec"])]
        c = app.test_client()
        url = f"/class/{data['rec_token']}/{pid}"
        page = c.get(url).get_data(as_text=True)
        meter("picture sign-in (3rd tap)", 302, c.post, url, data={
            "csrf_token": csrf(page), "so_far": "cat sun", "pick": "boat"})
    for i in range(n):  # QR badge: "That's me"
        _pid, token = data["rec"][i % len(data["rec"])]
        c = app.test_client()
        page = c.get(f"/badge/{token}").get_data(as_text=True)
        meter("badge sign-in (POST)", 302, c.post, f"/badge/{token}", data={"csrf_token": csrf(page)})
    for _ in range(n):  # SSO: the callback exchanges the code and checks the signed ID token
        c = app.test_client()
        page = c.get("/staff/sign-in").get_data(as_text=True)
        r = c.post("/staff/sso", data={"csrf_token": csrf(page), "email": "dsl@bench.sch.uk"})
        try:
            urllib.request.build_opener(_NoRedirect()).open(r.location, timeout=10)
        except urllib.error.HTTPError as e:
            back = urllib.parse.urlsplit(e.headers["Location"])
        meter("SSO callback", 302, c.get, f"{back.path}?{back.query}")
    pupil = app.test_client()
    page = pupil.get("/sign-in").get_data(as_text=True)
    pupil.post("/sign-in", data={"csrf_token": csrf(page), "username": data["ks2"][0], "password": PASSWORD})
    for _ in range(n):
        meter("lesson page", 200, pupil.get, "/learn/ks2-content/1")
    module = app.extensions["content"].modules["ks2-content"]
    answered = 0
    while answered < n:  # quiz answers, one question per post (the answer is sent whole, as with script)
        page = pupil.get(f"/learn/{module.id}/{len(module.screens)}").get_data(as_text=True)
        start = pupil.post(f"/learn/{module.id}/quiz", data={"csrf_token": csrf(page)})
        if start.status_code not in (302, 303):
            raise RuntimeError(f"quiz start: HTTP {start.status_code}")
        url = urllib.parse.urlsplit(start.location).path
        page = pupil.get(url).get_data(as_text=True)
        for q in module.questions:
            last = q is module.questions[-1]
            meter("quiz answer", 302, pupil.post, url, data={
                "csrf_token": csrf(page), "question": q.id, "answer": list(q.correct_answer)})
            answered += 1
            if not last:
                page = pupil.get(url).get_data(as_text=True)
    for i in range(n):  # Tell an adult: the send, committed before the reply
        c = pupil
        loc = c.get("/tell").location
        token = loc.rstrip("/").split("/")[-2]
        page = c.get(f"/tell/{token}/feel").get_data(as_text=True)
        c.post(f"/tell/{token}/feel", data={"csrf_token": csrf(page), "choice": "worried"})  # the draft begins
        meter("concern send", 200, c.post, f"/tell/{token}/send", headers={"Accept": "application/json"}, data={
            "csrf_token": csrf(page), "feeling": "worried", "what": "stranger", "about": "me",
            "location": "game", "talk_to": "anyone", "words": f"Capacity bench message {i}."})
    return meter


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--database-url", help="a PostgreSQL database the bench may empty")
    parser.add_argument("--n", type=int, default=200, help="requests per route")
    parser.add_argument("--figures", help="print the sizings from a JSON file of an earlier run")
    args = parser.parse_args()
    if args.figures:
        report(json.loads(Path(args.figures).read_text()))
        return 0
    tmp = Path(tempfile.mkdtemp(prefix="pupil-capacity-"))
    provider = subprocess.Popen([sys.executable, "-c", PROVIDER], cwd=ROOT, stdin=subprocess.PIPE,
                                stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    provider_base = provider.stdout.readline().strip()
    env = {"FLASK_CONFIG": "production", "SECRET_KEY": "bench-" + "x" * 40, "DATABASE_URL": args.database_url,
           "DATA_KEY_FILE": str(tmp / "data.key"), "SESSION_COOKIE_SECURE": "0", "INSTANCE_PATH": str(tmp),
           "MAIL_OUTBOX_DIR": str(tmp / "outbox"), "SIGNIN_RATE_LIMIT": "100000 per minute",
           "BADGE_RATE_LIMIT": "100000 per minute", "SSO_GOOGLE_ISSUER": provider_base,
           "APP_BASE_URL": "http://localhost"}
    os.environ.update(env)
    try:
        _reset_postgres(env)
        data = seed(env)
        from pupil_app import create_app
        from pupil_app.auth import service as auth, sso
        from pupil_app.extensions import db
        from pupil_app.schools.models import Pupil, StaffRole, StaffUser

        app = create_app("production")
        with app.app_context():
            school_id = db.session.scalar(db.select(Pupil.school_id).limit(1))
            dsl = StaffUser(school_id=school_id, username="bench.dsl", display_name="DSL", email="dsl@bench.sch.uk",
                            password_hash=auth.hash_password("bench-dsl-pass"))
            dsl.role_rows = [StaffRole(role="dsl")]
            db.session.add(dsl)
            sso.save_config(school_id, "google", "bench.sch.uk", "bench-client", "bench-secret")
            db.session.commit()
        run(app, data, provider_base, max(10, args.n // 10))  # warm: templates, caches, pools
        load_before = os.getloadavg()
        meter = run(app, data, provider_base, args.n)
        load_after = os.getloadavg()
    finally:
        provider.stdin.close()
        provider.wait(timeout=10)
    figures = {}
    for name in meter.cpu:
        figures[name] = {"cpu_ms": round(statistics.median(meter.cpu[name]) * 1000, 2),
                         "wall_ms": round(statistics.median(meter.wall[name]) * 1000, 2),
                         "db_ms": round(statistics.median(meter.db[name]) * 1000, 2),
                         # clock ticks are 10 ms: the mean over every request, not the median
                         "pg_cpu_ms": round(statistics.mean(meter.pg_cpu[name]) * 1000, 2),
                         "statements": round(statistics.mean(meter.statements[name]), 1)}
    figures["_load"] = [round(load_before[0], 1), round(load_after[0], 1)]
    (tmp / "capacity.json").write_text(json.dumps(figures, indent=1))
    report(figures)
    print(f"\nFigures as JSON: {tmp / 'capacity.json'} (--figures FILE prints the sizings again)")
    return 0


# ---------------------------------------------------------------------------------------------
# The sizing model (docs/capacity.md explains each assumption)

SIZES = {  # name: (schools, pupils)
    "(a) one school": (1, 420),
    "(b) a trust of 50 schools": (50, 21_000),
    "(c) every state primary school in England": (16_764, 4_600_000),
}
SHARE_IN_HOUR = 0.6  # of pupils sign in between 9:00 and 10:00 on Safer Internet Day
PEAK_SHARE = 0.4  # of that hour's sessions start in the busiest 15 minutes (lessons start 9:00-9:15)
KS1_SHARE = 3 / 7  # Reception to Year 2: pictures or badges; Years 3 to 6 mostly passwords
# Requests per pupil session in the peak, per route measured ("page" = a lesson-sized page).
SESSION = {
    "password sign-in (POST)": (1 - KS1_SHARE) * 0.8,
    "badge sign-in (POST)": KS1_SHARE * 0.3 + (1 - KS1_SHARE) * 0.2,
    "picture sign-in (3rd tap)": KS1_SHARE * 0.7 * 3,  # three taps, each about the third's cost
    "SSO callback": 1 / 30,  # one teacher per class
    "lesson page": 2 + 10 + 6,  # sign-in pages, 10 lesson screens, 6 quiz questions shown
    "quiz answer": 6,
    "concern send": 0.003 * 4,  # 0.3 % tell an adult (four requests of about a send's cost)
}
UTILISATION = 0.6  # plan cores to run at 60 % in the peak (headroom for bursts: a class signs in at once)


def sizing(figures: dict) -> list[str]:
    lines = []
    per_session_cpu = sum(n * figures[r]["cpu_ms"] for r, n in SESSION.items()) / 1000
    per_session_db = sum(n * figures[r]["pg_cpu_ms"] for r, n in SESSION.items()) / 1000
    sign_ins = sum(n for r, n in SESSION.items() if "sign-in" in r and "picture" not in r) + KS1_SHARE * 0.7
    share = {r: n * figures[r]["cpu_ms"] / 1000 / per_session_cpu for r, n in SESSION.items()}
    lines.append(f"App CPU per pupil session {per_session_cpu * 1000:.0f} ms; PostgreSQL CPU "
                 f"{per_session_db * 1000:.0f} ms; CPU by route: "
                 + ", ".join(f"{r} {v:.0%}" for r, v in sorted(share.items(), key=lambda kv: -kv[1])))
    for name, (_schools, pupils) in SIZES.items():
        sessions_per_s = pupils * SHARE_IN_HOUR * PEAK_SHARE / 900
        app_cores = sessions_per_s * per_session_cpu / UTILISATION
        db_cores = sessions_per_s * per_session_db / UTILISATION
        redis_ops = sessions_per_s * sign_ins * 3  # a moving-window hit: about 3 Redis commands
        redis_mb = sessions_per_s * sign_ins * 60 * 100 / 1e6  # one entry (~100 bytes) per hit, 60 s window
        rows_gb = pupils * 40 * 1.2 / 1e6  # ~40 quizzes a pupil a year, ~1.2 kB each with indexes and figures
        lines.append(f"{name}: {pupils:,} pupils, peak {sessions_per_s:,.1f} sessions/s -> "
                     f"app {app_cores:,.2f} cores, PostgreSQL {db_cores:,.2f} cores, "
                     f"Redis {redis_ops:,.0f} ops/s "
                     f"and {redis_mb:,.1f} MB, quiz data {rows_gb:,.1f} GB a year")
    return lines


def report(figures: dict) -> None:
    load = figures.get("_load", ["?", "?"])
    print(f"\nPostgreSQL, production config, one request at a time; load average {load[0]} before, {load[1]} after\n")
    print(f"{'route':<28} {'app CPU ms':>10} {'PG CPU ms':>9} {'DB wait ms':>10} {'wall ms':>8} {'SQL':>5} "
          f"{'req/s per app core':>19}")
    for name, f in figures.items():
        if name.startswith("_"):
            continue
        print(f"{name:<28} {f['cpu_ms']:>10.2f} {f['pg_cpu_ms']:>9.2f} {f['db_ms']:>10.2f} {f['wall_ms']:>8.2f} "
              f"{f['statements']:>5.1f} "
              f"{1000 / f['cpu_ms']:>19.0f}")
    print()
    for line in sizing(figures):
        print(line)


if __name__ == "__main__":
    raise SystemExit(main())
