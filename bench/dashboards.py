"""The coverage dashboards at trust scale, against gunicorn with the production config.

Measures the class grid (a class of 30), the school heat map and the trust overview (and, for
information, a class's outcomes and questions page and the report to governors): p50 and p95 at
1 and at 10 concurrent clients, and the SQL queries each page makes.

    .venv/bin/python bench/dashboards.py [--database-url URL] [--seconds 5] [--fresh]

Without --database-url it generates the trust (bench/trust_data.py: 10 schools, 5,000 pupils,
1,000,000 quiz attempts) into a SQLite file in a temporary folder first. With a URL it reuses the
trust already there (or generates it; --fresh regenerates). gunicorn runs 2 sync workers with
--preload, as in production. Load comes from wrk when installed (a Lua hook reports p50/p95),
else from Python threads. Queries are counted in-process on the same database with the same
configuration. Only 127.0.0.1 is contacted.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import trust_data  # noqa: E402
from bench.classroom import USER_AGENT, Client, csrf, free_port, pct, serve, stop  # noqa: E402

TARGETS = {  # page: (p50 at 1 client, p95 at 10 clients), milliseconds
    "class grid": (20, 100),
    "school heat map": (None, 300),
}
WRK_SCRIPT = """
done = function(summary, latency, requests)
  io.write(string.format("P50 %f\\nP95 %f\\nREQUESTS %d\\nNON2XX %d\\n",
    latency:percentile(50) / 1000, latency:percentile(95) / 1000, summary.requests, summary.errors.status))
end
"""


def find_people(env: dict) -> dict:
    """Ids and usernames the benchmark needs, read from the generated trust."""
    from sqlalchemy import create_engine, text

    from config import _database_url

    engine = create_engine(_database_url(env["DATABASE_URL"]))
    with engine.connect() as conn:
        school_id = conn.execute(text("SELECT id FROM schools WHERE name = 'Bench School 01'")).scalar()
        class_id, size = conn.execute(text(
            "SELECT c.id, count(p.id) FROM classes c JOIN pupils p ON p.class_id = c.id "
            "WHERE c.school_id = :s GROUP BY c.id ORDER BY count(p.id) DESC, c.id LIMIT 1"), {"s": school_id}).one()
        teacher = conn.execute(text(
            "SELECT s.username FROM staff_users s JOIN class_teachers t ON t.staff_id = s.id WHERE t.class_id = :c"),
            {"c": class_id}).scalar()
        attempts = conn.execute(text(
            "SELECT count(*) FROM quiz_attempts a JOIN pupils p ON p.id = a.pupil_id WHERE p.class_id = :c"),
            {"c": class_id}).scalar()
        ids = dict(conn.execute(text("SELECT username, id FROM staff_users WHERE username IN "
                                     "(:t, 'admin.s1', 'trust.admin')"), {"t": teacher}).all())
    engine.dispose()
    return {"school_id": school_id, "class_id": class_id, "class_size": size, "class_attempts": attempts,
            "teacher": teacher, "ids": ids}


def pages(people: dict) -> list[tuple[str, str, str]]:
    c, s = people["class_id"], people["school_id"]
    return [
        ("class grid", people["teacher"], f"/staff/coverage/classes/{c}"),
        ("school heat map", "admin.s1", f"/staff/coverage/schools/{s}"),
        ("trust overview", "trust.admin", "/staff/coverage/trust"),
        ("class outcomes + questions", people["teacher"], f"/staff/coverage/classes/{c}/questions"),
        ("report to governors", "admin.s1", f"/staff/coverage/schools/{s}/report"),
    ]


def count_queries(env: dict, people: dict) -> dict[str, int]:
    """SQL statements per page, counted in-process against the same database and configuration."""
    os.environ.update(env)
    from sqlalchemy import event

    from pupil_app import create_app
    from pupil_app.extensions import db

    app = create_app("production")
    out = {}
    with app.app_context():
        engine = db.engine
    for name, user, path in pages(people):
        client = app.test_client()
        with client.session_transaction() as sess:
            sess["_user_id"] = f"staff:{people['ids'][user]}:1"
            sess["_fresh"] = True
        client.get(path)
        statements: list[str] = []

        def before(_conn, _cursor, statement, *_args, seen=statements):
            seen.append(statement)

        event.listen(engine, "before_cursor_execute", before)
        try:
            status = client.get(path).status_code
        finally:
            event.remove(engine, "before_cursor_execute", before)
        if status != 200:
            raise RuntimeError(f"{path}: HTTP {status} in-process")
        out[name] = len(statements)
    with app.app_context():
        db.engine.dispose()
    return out


def sign_in(base: str, username: str) -> Client:
    client = Client(base)
    page = client.get("/staff/sign-in")[1]
    status, _ = client.post("/staff/sign-in", {"csrf_token": csrf(page), "username": username,
                                               "password": trust_data.BENCH_PASSWORD})
    if status != 302:
        raise RuntimeError(f"{username} could not sign in (HTTP {status})")
    return client


def wrk_run(url: str, cookie: str, clients: int, seconds: float, script: Path) -> tuple[float, float, float]:
    cmd = ["wrk", f"-t{min(clients, 2)}", f"-c{clients}", f"-d{seconds:g}s", "-s", str(script),
           "-H", f"User-Agent: {USER_AGENT}", "-H", f"Cookie: {cookie}", url]
    out = subprocess.run(cmd, capture_output=True, text=True, check=True, timeout=seconds + 60).stdout
    if int(re.search(r"NON2XX (\d+)", out).group(1)):
        raise RuntimeError(f"{url}: error responses during the run")
    p50 = float(re.search(r"P50 ([\d.]+)", out).group(1))
    p95 = float(re.search(r"P95 ([\d.]+)", out).group(1))
    rps = int(re.search(r"REQUESTS (\d+)", out).group(1)) / seconds
    return p50, p95, rps


def thread_run(client_for, path: str, clients: int, seconds: float) -> tuple[float, float, float]:
    stop_at = time.perf_counter() + seconds
    latencies: list[float] = []
    lock = threading.Lock()
    errors: list[int] = []

    def hammer():
        client = client_for()
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

    threads = [threading.Thread(target=hammer) for _ in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if errors:
        raise RuntimeError(f"{path}: HTTP {errors[0]}")
    return pct(latencies, 50) * 1000, pct(latencies, 95) * 1000, len(latencies) / seconds


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--database-url", help="default: generate the trust into a SQLite file in a temporary folder")
    parser.add_argument("--seconds", type=float, default=5.0, help="length of each measured run")
    parser.add_argument("--fresh", action="store_true", help="regenerate the trust even if it is there")
    parser.add_argument("--python-client", action="store_true", help="load from Python threads even if wrk is installed")
    args = parser.parse_args()

    tmp = Path(tempfile.mkdtemp(prefix="pupil-dash-"))
    url = args.database_url or f"sqlite:///{tmp / 'trust.sqlite'}"
    env = trust_data.bench_env(url, tmp)
    if args.fresh or not trust_data.exists(url):
        print("Generating the trust (10 schools, 5,000 pupils, 1,000,000 quiz attempts)...", flush=True)
        made = trust_data.generate(url, tmp)
        print(f"  {made['pupils']:,} pupils, {made['attempts']:,} attempts in {made['seconds']:.0f} s")
    people = find_people(env)
    queries = count_queries(env, people)
    # Other work on the machine shows in every figure: say how busy it was.
    load_before = ", ".join(f"{x:.1f}" for x in os.getloadavg())

    port = free_port()
    gunicorn = [sys.executable, "-m", "gunicorn", "--workers", "2", "--worker-class", "sync", "--preload",
                "--log-level", "warning", "--bind", f"127.0.0.1:{port}", "wsgi:app"]
    server = serve(gunicorn, env, port)
    base = f"http://127.0.0.1:{port}"
    use_wrk = shutil.which("wrk") is not None and not args.python_client
    script = tmp / "percentiles.lua"
    script.write_text(WRK_SCRIPT)
    results = {}
    try:
        signed = {u: sign_in(base, u) for u in {p[1] for p in pages(people)}}
        for name, user, path in pages(people):
            client = signed[user]
            for _ in range(10):  # warm: every worker has rendered the page
                if client.get(path)[0] != 200:
                    raise RuntimeError(f"{path}: not 200 for {user}")
            cookie = "; ".join(f"{c.name}={c.value}" for c in client.jar)
            row = {}
            for clients in (1, 10):
                if use_wrk:
                    row[clients] = wrk_run(base + path, cookie, clients, args.seconds, script)
                else:
                    row[clients] = thread_run(lambda u=user: sign_in(base, u), path, clients, args.seconds)
            results[name] = row
    finally:
        stop(server)

    db_name = "PostgreSQL" if url.startswith("postgres") else "SQLite"
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    print(f"\ngunicorn, 2 sync workers, production config, {db_name}; trust of 10 schools, 5,000 pupils, "
          f"1,000,000 quiz attempts; class of {people['class_size']} with {people['class_attempts']:,} attempts; "
          f"load from {'wrk' if use_wrk else 'Python threads'}, {args.seconds:g} s per run; "
          f"{os.cpu_count()} cores, load average before the runs {load_before}, after {load}\n")
    print(f"{'page':<28} {'queries':>7} {'1 client p50':>13} {'p95':>8} {'10 clients p50':>15} {'p95':>8} {'req/s':>7}")
    ok = True
    for name, row in results.items():
        (p50_1, p95_1, _), (p50_10, p95_10, rps_10) = row[1], row[10]
        print(f"{name:<28} {queries[name]:>7} {p50_1:>10.1f} ms {p95_1:>5.1f} ms {p50_10:>12.1f} ms {p95_10:>5.1f} ms "
              f"{rps_10:>7.0f}")
        target = TARGETS.get(name)
        if target:
            if target[0] is not None and p50_1 >= target[0]:
                ok = False
            if p95_10 >= target[1]:
                ok = False
    print("\nTargets: class grid p50 < 20 ms at 1 client and p95 < 100 ms at 10; school heat map p95 < 300 ms "
          "at 10.")
    print("All targets met." if ok else "Some targets missed (see above).")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
