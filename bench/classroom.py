"""A class of 30 signs in at once and opens a lesson, against gunicorn with the production config.

Prints wall time and p50/p95 per step for the three sign-in routes (password, picture password,
QR badge), then the lesson page's throughput at 30 concurrent clients next to a bare Flask route
that renders a template of the same size, served the same way, as a ratio. The throughput load
comes from wrk when it is installed (``apt-get install wrk``), else from Python threads, which
share the two cores with the server and so flatter whichever server does more work.

    .venv/bin/python bench/classroom.py [--database-url URL] [--seconds 5]

It makes its own database (a SQLite file in a temporary folder unless --database-url is given),
its own school and pupils, and stops every server it starts. Only 127.0.0.1 is contacted.
"""

from __future__ import annotations

import argparse
import http.cookiejar
import os
import re
import shutil
import signal
import socket
import subprocess
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
CLASS_SIZE = 30
PASSWORD = "bench-pass-2026"
LESSON = "/learn/{module}/1"
USER_AGENT = "Mozilla/5.0 (X11; CrOS x86_64) pupil-app-bench"  # a class Chromebook


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def pct(values: list[float], p: float) -> float:
    values = sorted(values)
    if not values:
        return float("nan")
    k = max(0, min(len(values) - 1, round(p / 100 * (len(values) - 1))))
    return values[k]


class Client:
    """One pupil's browser: its own cookies, no redirects followed silently."""

    def __init__(self, base: str):
        self.base = base
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar), NoRedirect())
        self.opener.addheaders = [("User-Agent", USER_AGENT)]

    def get(self, path: str) -> tuple[int, str]:
        return self._open(urllib.request.Request(self.base + path))

    def post(self, path: str, data: dict) -> tuple[int, str]:
        body = urllib.parse.urlencode(data, doseq=True).encode()
        return self._open(urllib.request.Request(self.base + path, data=body))

    def _open(self, req) -> tuple[int, str]:
        try:
            with self.opener.open(req, timeout=30) as r:
                return r.status, r.read().decode()
        except urllib.error.HTTPError as e:
            return e.code, e.read().decode(errors="replace")


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None

    def http_error_302(self, req, fp, code, msg, headers):
        return fp


def csrf(html: str) -> str:
    return re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html).group(1)


def seed(env: dict) -> dict:
    """Create the school, a KS2 class with passwords and a Reception class with pictures and badges."""
    os.environ.update(env)
    from pupil_app import create_app
    from pupil_app.auth import service as auth
    from pupil_app.extensions import db
    from pupil_app.pledge import service, versions
    from pupil_app.schools.models import Pupil, School, SchoolClass, Trust
    from pupil_app.timeutil import utcnow

    app = create_app("production")
    with app.app_context():
        from flask_migrate import upgrade

        upgrade(directory=str(ROOT / "migrations"))
        trust = Trust(name="Bench Trust")
        school = School(trust=trust, name="Bench Primary")
        ks2 = SchoolClass(school=school, name="Year 4", year_group=4, signin_token=auth.new_class_token())
        # Opened for the lesson by the teacher (the class page takes picture sign-ins only then).
        rec = SchoolClass(school=school, name="Reception", year_group=0, signin_token=auth.new_class_token(),
                          signin_open_until=utcnow() + timedelta(hours=3))
        db.session.add_all([trust, school, ks2, rec])
        db.session.flush()
        hashed = auth.hash_password(PASSWORD)  # the production argon2id profile
        out = {"ks2": [], "rec": [], "rec_token": rec.signin_token}
        for i in range(CLASS_SIZE):
            p = Pupil(school_id=school.id, class_id=ks2.id, first_name=f"Kid{i}", last_name="Bench",
                      username=f"ks2.bench{i}", password_hash=hashed, avatar="fox")
            r = Pupil(school_id=school.id, class_id=rec.id, first_name=f"Tot{i}", last_name="Bench",
                      username=f"rec.bench{i}", avatar="owl")
            db.session.add_all([p, r])
            db.session.flush()
            auth.set_picture_password(r, ("cat", "sun", "boat"))
            # Every pupil has made their pledge, so the journey measures lessons, not the first-log-on gate.
            service.record_signature(p, versions.ensure_current_version(school.id, "ks2"))
            service.record_signature(r, versions.ensure_current_version(school.id, "ks1"))
            out["ks2"].append(p.username)
            out["rec"].append((r.id, auth.issue_badge(r)))
        db.session.commit()
        db.engine.dispose()
    return out


def serve(cmd: list[str], env: dict, port: int) -> subprocess.Popen:
    proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                            start_new_session=True)
    deadline = time.time() + 30
    while time.time() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return proc
        except OSError:
            time.sleep(0.1)
    proc.kill()
    raise RuntimeError(f"server did not start: {proc.stderr.read().decode()[-2000:]}")


def stop(proc: subprocess.Popen) -> None:
    os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)


def run_class(name: str, base: str, journey) -> dict[str, list[float]]:
    """Start CLASS_SIZE journeys at the same instant; return per-step latencies and the wall time."""
    steps: dict[str, list[float]] = {}
    lock = threading.Lock()
    barrier = threading.Barrier(CLASS_SIZE + 1)
    failures: list[str] = []

    def timed(step: str, fn):
        t = time.perf_counter()
        result = fn()
        with lock:
            steps.setdefault(step, []).append(time.perf_counter() - t)
        return result

    def worker(i: int):
        client = Client(base)
        barrier.wait()
        try:
            journey(i, client, timed)
        except Exception as exc:  # a failed journey is reported, not hidden
            failures.append(f"{i}: {exc!r}")

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(CLASS_SIZE)]
    for t in threads:
        t.start()
    barrier.wait()
    start = time.perf_counter()
    for t in threads:
        t.join()
    wall = time.perf_counter() - start
    print(f"\n{name}: {CLASS_SIZE} pupils, wall {wall:.3f} s"
          + (f"  {len(failures)} FAILED, e.g. {failures[:2]}" if failures else ""))
    for step, values in steps.items():
        print(f"  {step:<28} p50 {pct(values, 50) * 1000:7.1f} ms   p95 {pct(values, 95) * 1000:7.1f} ms   n={len(values)}")
    return {"wall": wall, "failures": len(failures)}


def expect(status: tuple[int, str], code: int, what: str) -> str:
    if status[0] != code:
        said = re.search(r'class="form-error"[^>]*>([^<]+)<', status[1])
        raise RuntimeError(f"{what}: HTTP {status[0]}" + (f" ({said.group(1).strip()})" if said else ""))
    return status[1]


def wrk_throughput(url: str, cookie: str | None, seconds: float) -> tuple[float, dict[str, float]]:
    """Requests/s and latency percentiles from wrk (a C load generator: the server, not the client,
    is what is measured). 30 connections, 2 threads."""
    # The same User-Agent as the client that signed in: a session is bound to its device, and a
    # different one would make every request re-save the session (Flask-Login session protection).
    cmd = ["wrk", "-t2", f"-c{CLASS_SIZE}", f"-d{seconds:g}s", "--latency", "-H", f"User-Agent: {USER_AGENT}", url]
    if cookie:
        cmd[1:1] = ["-H", f"Cookie: {cookie}"]
    out = subprocess.run(cmd, capture_output=True, text=True, check=True, timeout=seconds + 30).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    if errors:
        raise RuntimeError(f"{url}: {errors.group(1)} error responses during the wrk run")
    lat = {}
    for p, value, unit in re.findall(r"^\s+(50|90|99)%\s+([\d.]+)(us|ms|s)$", out, re.M):
        lat[p] = float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]
    return rps, lat


def warm_up(base: str, paths: list[str]) -> None:
    """A few requests first, so every worker has booted and rendered each template once."""
    for _ in range(8):
        for path in paths:
            Client(base).get(path)


def throughput(base: str, path: str, clients: list[Client], seconds: float) -> tuple[float, list[float]]:
    stop_at = time.perf_counter() + seconds
    latencies: list[float] = []
    lock = threading.Lock()
    errors = []

    def hammer(client: Client):
        mine = []
        while time.perf_counter() < stop_at:
            t = time.perf_counter()
            code, _ = client.get(path)
            mine.append(time.perf_counter() - t)
            if code != 200:
                errors.append(code)
                break
        with lock:
            latencies.extend(mine)

    threads = [threading.Thread(target=hammer, args=(c,)) for c in clients]
    start = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - start
    if errors:
        raise RuntimeError(f"{path}: HTTP {errors[0]} during the throughput run")
    return len(latencies) / elapsed, latencies


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--database-url", help="default: a SQLite file in a temporary folder")
    parser.add_argument("--seconds", type=float, default=3.0, help="length of each throughput run")
    parser.add_argument("--rounds", type=int, default=5, help="alternating app/bare throughput runs (median)")
    parser.add_argument("--module", default="ks2-content")
    parser.add_argument("--python-client", action="store_true",
                        help="load the lesson page from Python threads even when wrk is installed")
    args = parser.parse_args()

    tmp = Path(tempfile.mkdtemp(prefix="pupil-bench-"))
    env = dict(os.environ)
    env.update({
        "FLASK_CONFIG": "production", "SECRET_KEY": "bench-" + "x" * 40, "APP_BASE_URL": "http://127.0.0.1",
        "DATABASE_URL": args.database_url or f"sqlite:///{tmp / 'bench.sqlite'}",
        "DATA_KEY_FILE": str(tmp / "data.key"), "SESSION_COOKIE_SECURE": "0", "INSTANCE_PATH": str(tmp),
        "PYTHONPATH": str(ROOT),
    })
    # config.py reads the environment when first imported: set it before anything imports it.
    os.environ.update(env)
    if args.database_url and args.database_url.startswith("postgres"):
        print("Using PostgreSQL: the bench drops and recreates its tables.")
        _reset_postgres(env)
    data = seed(env)
    port, bare_port = free_port(), free_port()
    gunicorn = [sys.executable, "-m", "gunicorn", "--workers", "2", "--worker-class", "sync", "--preload",
                "--log-level", "warning"]
    app_proc = serve(gunicorn + ["--bind", f"127.0.0.1:{port}", "wsgi:app"], env, port)
    base = f"http://127.0.0.1:{port}"
    warm_up(base, ["/healthz", "/sign-in"])
    lesson = LESSON.format(module=args.module)
    print(f"gunicorn, 2 sync workers, production config, {env['DATABASE_URL'].split(':')[0]}; class of {CLASS_SIZE}")
    results = {}
    try:
        def password(i, c, timed):
            page = expect(timed("GET sign-in page", lambda: c.get("/sign-in")), 200, "sign-in page")
            expect(timed("POST password", lambda: c.post("/sign-in", {
                "csrf_token": csrf(page), "username": data["ks2"][i], "password": PASSWORD})), 302, "password")
            expect(timed("GET first lesson", lambda: c.get(lesson)), 200, "lesson")

        def picture(i, c, timed):
            pid, _ = data["rec"][i]
            url = f"/class/{data['rec_token']}/{pid}"
            page = expect(timed("GET picture grid", lambda: c.get(url)), 200, "picture grid")
            expect(timed("POST three pictures", lambda: c.post(url, {
                "csrf_token": csrf(page), "so_far": "cat sun", "pick": "boat"})), 302, "pictures")
            expect(timed("GET first lesson", lambda: c.get("/learn/ks1-content/1")), 200, "lesson")

        def badge(i, c, timed):
            _, token = data["rec"][i]
            page = expect(timed("GET badge (Is this you?)", lambda: c.get(f"/badge/{token}")), 200, "badge")
            expect(timed("POST That's me", lambda: c.post(f"/badge/{token}", {"csrf_token": csrf(page)})), 302, "badge")
            expect(timed("GET first lesson", lambda: c.get("/learn/ks1-content/1")), 200, "lesson")

        results["password"] = run_class("Password sign-in + first lesson (target < 1.0 s wall)", base, password)
        results["picture"] = run_class("Class page + picture password + first lesson (target < 0.5 s wall)", base, picture)
        results["badge"] = run_class("QR badge + first lesson (target < 0.5 s wall)", base, badge)

        # Throughput: 30 signed-in clients on the lesson page.
        clients = []
        for i in range(CLASS_SIZE):
            c = Client(base)
            page = c.get("/sign-in")[1]
            c.post("/sign-in", {"csrf_token": csrf(page), "username": data["ks2"][i], "password": PASSWORD})
            clients.append(c)
        sample = expect(clients[0].get(lesson), 200, "lesson")

        # The bare route: a template of the same size, rendered by plain Flask under the same gunicorn.
        # Both servers stay up and the runs alternate, so a noisy moment does not favour either.
        (tmp / "bare_page.html").write_text(sample)
        bare_env = dict(env, BARE_TEMPLATE=str(tmp / "bare_page.html"))
        bare_proc = serve(gunicorn + ["--bind", f"127.0.0.1:{bare_port}", "bench.bare_app:app"], bare_env, bare_port)
        try:
            bare_base = f"http://127.0.0.1:{bare_port}"
            warm_up(bare_base, ["/"])
            bare_clients = [Client(bare_base) for _ in range(CLASS_SIZE)]
            runs: dict[str, list] = {"app": [], "bare": []}
            use_wrk = shutil.which("wrk") is not None and not args.python_client
            for _ in range(args.rounds):
                if use_wrk:
                    # A fresh cookie each round, as a browser keeps one: the app rewrites the session's
                    # last-seen time once a minute, and a stale copy would make it do so every request.
                    clients[0].get(lesson)
                    cookie = "; ".join(f"{c.name}={c.value}" for c in clients[0].jar)
                    runs["app"].append(wrk_throughput(base + lesson, cookie, args.seconds))
                    runs["bare"].append(wrk_throughput(bare_base + "/", None, args.seconds))
                else:
                    runs["app"].append(throughput(base, lesson, clients, args.seconds))
                    runs["bare"].append(throughput(bare_base, "/", bare_clients, args.seconds))
        finally:
            stop(bare_proc)
    finally:
        stop(app_proc)

    def median_run(name):
        ordered = sorted(runs[name], key=lambda r: r[0])
        return ordered[len(ordered) // 2]

    print("\nThroughput runs (req/s): app " + ", ".join(f"{r[0]:.0f}" for r in runs["app"])
          + "; bare " + ", ".join(f"{r[0]:.0f}" for r in runs["bare"]))
    rps, lat = median_run("app")
    bare_rps, bare_lat = median_run("bare")
    print(f"\nLesson page at {CLASS_SIZE} concurrent clients ({len(sample):,} bytes), median of {args.rounds} "
          f"alternating {args.seconds:g} s runs, load from {'wrk' if use_wrk else 'Python threads'}:")
    for name, (r, lt) in (("app", (rps, lat)), ("bare", (bare_rps, bare_lat))):
        if isinstance(lt, dict):
            print(f"  {name:<5} {r:8.0f} req/s   p50 {lt.get('50', 0):6.1f} ms   p90 {lt.get('90', 0):6.1f} ms"
                  f"   p99 {lt.get('99', 0):6.1f} ms")
        else:
            print(f"  {name:<5} {r:8.0f} req/s   p50 {pct(lt, 50) * 1000:6.1f} ms   p95 {pct(lt, 95) * 1000:6.1f} ms")
    print(f"  ratio app/bare: {rps / bare_rps:.2f}x (target >= 0.70x)")
    ok = (results["password"]["wall"] < 1.0 and results["picture"]["wall"] < 0.5 and results["badge"]["wall"] < 0.5
          and rps / bare_rps >= 0.7 and not any(r["failures"] for r in results.values()))
    print("\nAll targets met." if ok else "\nSome targets missed (see above).")
    return 0


def _reset_postgres(env: dict) -> None:
    from sqlalchemy import create_engine, text

    from config import _database_url

    engine = create_engine(_database_url(env["DATABASE_URL"]))
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
    engine.dispose()


if __name__ == "__main__":
    raise SystemExit(main())
