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
    """CPU and wall time of the timed calls, per route."""

    def __init__(self):
        self.cpu: dict[str, list[float]] = {}
        self.wall: dict[str, list[float]] = {}

    def __call__(self, name: str, fn, expect: int):
        c0, w0 = time.process_time(), time.perf_counter()
        r = fn()
        self.cpu.setdefault(name, []).append(time.process_time() - c0)
        self.wall.setdefault(name, []).append(time.perf_counter() - w0)
        if r.status_code != expect:
            raise RuntimeError(f"{name}: HTTP {r.status_code}, expected {expect}")
        return r


def run(app, data: dict, provider_base: str, n: int) -> Meter:
    meter = Meter()
    for i in range(n):  # password sign-in (KS2): argon2id at the production profile
        c = app.test_client()
        page = c.get("/sign-in").get_data(as_text=True)
        meter("password sign-in (POST)", lambda: c.post("/sign-in", data={
            "csrf_token": csrf(page), "username": data["ks2"][i % len(data["ks2"])], "password": PASSWORD}), 302)
    for i in range(n):  # picture password: the last of three taps signs in
        pid, _badge = data["rec"][i % len(data["rec"])]
        c = app.test_client()
        url = f"/class/{data['rec_token']}/{pid}"
        page = c.get(url).get_data(as_text=True)
        meter("picture sign-in (3rd tap)", lambda: c.post(url, data={
            "csrf_token": csrf(page), "so_far": "cat sun", "pick": "boat"}), 302)
    for i in range(n):  # QR badge: "That's me"
        _pid, token = data["rec"][i % len(data["rec"])]
        c = app.test_client()
        page = c.get(f"/badge/{token}").get_data(as_text=True)
        meter("badge sign-in (POST)", lambda: c.post(f"/badge/{token}", data={"csrf_token": csrf(page)}), 302)
    for _ in range(n):  # SSO: the callback exchanges the code and checks the signed ID token
        c = app.test_client()
        page = c.get("/staff/sign-in").get_data(as_text=True)
        r = c.post("/staff/sso", data={"csrf_token": csrf(page), "email": "dsl@bench.sch.uk"})
        try:
            urllib.request.build_opener(_NoRedirect()).open(r.location, timeout=10)
        except urllib.error.HTTPError as e:
            back = urllib.parse.urlsplit(e.headers["Location"])
        meter("SSO callback", lambda: c.get(f"{back.path}?{back.query}"), 302)
    pupil = app.test_client()
    page = pupil.get("/sign-in").get_data(as_text=True)
    pupil.post("/sign-in", data={"csrf_token": csrf(page), "username": data["ks2"][0], "password": PASSWORD})
    for _ in range(n):
        meter("lesson page", lambda: pupil.get("/learn/ks2-content/1"), 200)
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
            meter("quiz answer", lambda q=q: pupil.post(url, data={
                "csrf_token": csrf(page), "question": q.id, "answer": list(q.correct_answer)}), 302)
            answered += 1
            if not last:
                page = pupil.get(url).get_data(as_text=True)
    for i in range(n):  # Tell an adult: the send, committed before the reply
        c = pupil
        loc = c.get("/tell").location
        token = loc.rstrip("/").split("/")[-2]
        page = c.get(f"/tell/{token}/feel").get_data(as_text=True)
        c.post(f"/tell/{token}/feel", data={"csrf_token": csrf(page), "choice": "worried"})  # the draft begins
        meter("concern send", lambda: c.post(f"/tell/{token}/send", headers={"Accept": "application/json"}, data={
            "csrf_token": csrf(page), "feeling": "worried", "what": "stranger", "about": "me",
            "location": "game", "talk_to": "anyone", "words": f"Capacity bench message {i}."}), 200)
    return meter


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--database-url", required=True, help="a PostgreSQL database the bench may empty")
    parser.add_argument("--n", type=int, default=200, help="requests per route")
    args = parser.parse_args()
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
        from pupil_app.auth import service as auth
        from pupil_app.auth import sso
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
    out = {}
    print(f"\nPostgreSQL, production config, one request at a time; {os.cpu_count()} cores; load average "
          f"{load_before[0]:.1f} before, {load_after[0]:.1f} after\n")
    print(f"{'route':<28} {'app CPU ms':>10} {'wall ms':>8} {'req/s per app core':>19}")
    for name in meter.cpu:
        cpu = statistics.median(meter.cpu[name]) * 1000
        wall = statistics.median(meter.wall[name]) * 1000
        out[name] = {"cpu_ms": round(cpu, 2), "wall_ms": round(wall, 2), "per_core": round(1000 / cpu)}
        print(f"{name:<28} {cpu:>10.2f} {wall:>8.2f} {1000 / cpu:>19.0f}")
    (tmp / "capacity.json").write_text(json.dumps(out, indent=1))
    print(f"\nFigures as JSON: {tmp / 'capacity.json'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
