"""A trust-sized data set for the dashboard benchmark: 10 schools, 5,000 pupils, 1,000,000 quiz attempts.

    .venv/bin/python bench/trust_data.py [--database-url URL] [--attempts 1000000]

Creates the schema with ``flask db upgrade`` (the real migrations), then bulk-inserts the trust:
each school has 17 classes from Reception to Year 6 (the first of 30 pupils, the class the
benchmark opens), a teacher per class, an admin and a DSL; school 1 also has the trust admin.
Pupils have quizzes in every module of their own band and the bands before it, as pupils who have
used the app for years would, with realistic answers (some questions harder, one wrong answer
more tempting), ``module_progress`` kept as the app keeps it and the per-term quiz figures
rebuilt from the attempts (coverage/aggregates.py). SQLite uses ``executemany`` in
one transaction; PostgreSQL uses ``COPY``. Without --database-url the data goes to a SQLite file
in a temporary folder, whose URL is printed. Staff sign in with BENCH_PASSWORD.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import tempfile
import time
import zlib
from datetime import datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

TRUST = "Bench Trust"
SCHOOLS = 10
PUPILS = 5_000
ATTEMPTS = 1_000_000
BENCH_PASSWORD = "bench-pass-2026"
# Forms per year group, Reception to Year 6: 17 classes for 500 pupils a school.
FORMS = (2, 3, 2, 3, 2, 3, 2)
# Older pupils have used the app for longer and do more quizzes.
YEAR_WEIGHT = (0.4, 0.7, 0.9, 1.0, 1.15, 1.3, 1.45)
BANDS_UP_TO = {0: ("ks1",), 1: ("ks1",), 2: ("ks1",), 3: ("ks1", "ks2"), 4: ("ks1", "ks2"), 5: ("ks1", "ks2"),
               6: ("ks1", "ks2", "eop")}
FIRST = ("Oliver Amelia Noah Isla Muhammad Ava Leo Mia Oscar Ivy Arthur Freya George Lily Harry Sophia Jack "
         "Grace Theo Aisha Jacob Zara Charlie Evie Archie Maryam Finley Ella Poppy Ethan Ruby Luca Hana").split()
LAST = ("Smith Jones Williams Taylor Brown Davies Evans Wilson Thomas Johnson Roberts Robinson Thompson Wright "
        "Walker White Edwards Hughes Green Hall Lewis Harris Clarke Patel Jackson Wood Khan Begum Nowak").split()
CHUNK = 20_000


def bench_env(database_url: str, tmp: Path) -> dict:
    env = dict(os.environ)
    env.update({
        "FLASK_CONFIG": "production", "SECRET_KEY": "bench-" + "x" * 40, "APP_BASE_URL": "http://127.0.0.1",
        "DATABASE_URL": database_url,
        "DATA_KEY_FILE": str(tmp / "data.key"), "SESSION_COOKIE_SECURE": "0", "INSTANCE_PATH": str(tmp),
        "PYTHONPATH": str(ROOT),
    })
    return env


def _answer_pool(module, rng: random.Random, size: int = 64) -> list[tuple[str, int]]:
    """Answer sets a class would give: (JSON text, score)."""
    pool = []
    for _ in range(size):
        ability = rng.uniform(0.45, 0.98)
        answers, score = {}, 0
        for q in module.questions:
            ease = 0.62 + (zlib.crc32(q.id.encode()) % 38) / 100
            if rng.random() < ability * ease:
                given = list(q.correct_answer)
                score += 1
            elif q.is_order:
                given = list(reversed(q.correct_answer))
            else:
                wrong = [c.id for c in q.choices if not c.correct]
                given = [wrong[-1] if rng.random() < 0.7 else rng.choice(wrong)]
            answers[q.id] = given
        pool.append((json.dumps(answers, separators=(",", ":")), score))
    return pool


def exists(database_url: str) -> bool:
    from sqlalchemy import create_engine, inspect, text

    from config import _database_url

    engine = create_engine(_database_url(database_url))
    try:
        with engine.connect() as conn:
            if "trusts" not in inspect(conn).get_table_names():
                return False
            return conn.execute(text("SELECT count(*) FROM trusts WHERE name = :n"), {"n": TRUST}).scalar() > 0
    finally:
        engine.dispose()


def generate(database_url: str, tmp: Path, attempts_total: int = ATTEMPTS, seed: int = 5) -> dict:
    """Create the schema and the trust; returns counts and timings."""
    os.environ.update(bench_env(database_url, tmp))
    from flask_migrate import upgrade
    from sqlalchemy import text

    from pupil_app import create_app
    from pupil_app.auth import service as auth
    from pupil_app.extensions import db
    from pupil_app.schools.models import band_for_year

    started = time.perf_counter()
    if database_url.startswith("sqlite:///"):
        Path(database_url[len("sqlite:///"):]).unlink(missing_ok=True)  # a fresh file, schema and all
    app = create_app("production")
    rng = random.Random(seed)
    with app.app_context():
        if database_url.startswith("postgres"):
            with db.engine.begin() as conn:
                conn.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
        upgrade(directory=str(ROOT / "migrations"))
        content = app.extensions["content"]
        engine = db.engine
        postgres = engine.dialect.name == "postgresql"
        staff_hash = auth.hash_password(BENCH_PASSWORD)  # the production argon2id profile
        pools = {m.id: _answer_pool(m, rng) for m in content.modules.values()}
        modules_by_band = {b: [m for m in content.modules_for_band(b)] for b in ("ks1", "ks2", "eop")}
        now = datetime(2026, 11, 1)
        raw = engine.raw_connection()
        cur = raw.cursor()
        mark = "%s" if postgres else "?"

        def ts(value):
            # SQLite keeps datetimes as text in SQLAlchemy's own format; PostgreSQL takes them as they are.
            if postgres or not isinstance(value, datetime):
                return value
            return value.strftime("%Y-%m-%d %H:%M:%S.%f")

        def many(sql: str, rows: list[tuple]) -> None:
            if rows:
                cur.executemany(sql.replace("?", mark), [tuple(ts(v) for v in row) for row in rows])

        if not postgres:
            cur.execute("PRAGMA synchronous=OFF")
        created = now - timedelta(days=800)
        many("INSERT INTO trusts (name, created_at) VALUES (?, ?)", [(TRUST, created)])
        cur.execute("SELECT id FROM trusts WHERE name = " + mark, (TRUST,))
        trust_id = cur.fetchone()[0]
        many("INSERT INTO schools (trust_id, name, created_at) VALUES (?, ?, ?)",
             [(trust_id, f"Bench School {s + 1:02d}", created) for s in range(SCHOOLS)])
        cur.execute("SELECT id, name FROM schools WHERE trust_id = " + mark + " ORDER BY name", (trust_id,))
        school_ids = [r[0] for r in cur.fetchall()]

        # Classes: 17 a school; sizes spread so the school has PUPILS / SCHOOLS pupils, the first 30.
        per_school = PUPILS // SCHOOLS
        class_rows, layout = [], []
        for sid in school_ids:
            forms = [(y, f) for y, n in enumerate(FORMS) for f in range(n)]
            base, extra = divmod(per_school, len(forms))
            for i, (year, form) in enumerate(forms):
                size = base + (1 if i < extra else 0)
                name = f"{'R' if year == 0 else year}{'ABC'[form]}"
                class_rows.append((sid, name, year, auth.new_class_token(), True, created))
                layout.append((sid, name, year, size))
        many("INSERT INTO classes (school_id, name, year_group, signin_token, active, created_at) "
             "VALUES (?, ?, ?, ?, ?, ?)", class_rows)
        cur.execute("SELECT id, school_id, name FROM classes")
        class_id = {(sid, name): cid for cid, sid, name in cur.fetchall()}

        # Staff: a teacher per class, an admin and a DSL per school; the trust admin in school 1.
        staff_rows, teaches, roles = [], [], []
        for s_index, sid in enumerate(school_ids):
            n = s_index + 1
            staff_rows.append((sid, f"admin.s{n}", f"Admin {n}", staff_hash, True, 1, 0, created))
            roles.append((f"admin.s{n}", "admin"))
            staff_rows.append((sid, f"dsl.s{n}", f"DSL {n}", staff_hash, True, 1, 0, created))
            roles.append((f"dsl.s{n}", "dsl"))
            for (csid, cname, _y, _size) in layout:
                if csid == sid:
                    username = f"teacher.s{n}.{cname.lower()}"
                    staff_rows.append((sid, username, f"Teacher {cname}", staff_hash, True, 1, 0, created))
                    roles.append((username, "teacher"))
                    teaches.append((username, class_id[(sid, cname)]))
        staff_rows.append((school_ids[0], "trust.admin", "Trust Admin", staff_hash, True, 1, 0, created))
        roles.append(("trust.admin", "trust_admin"))
        many("INSERT INTO staff_users (school_id, username, display_name, password_hash, active, session_version, "
             "failed_signins, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)", staff_rows)
        cur.execute("SELECT id, username FROM staff_users")
        staff_id = {u: i for i, u in cur.fetchall()}
        many("INSERT INTO staff_roles (staff_id, role) VALUES (?, ?)", [(staff_id[u], r) for u, r in roles])
        many("INSERT INTO class_teachers (class_id, staff_id) VALUES (?, ?)", [(c, staff_id[u]) for u, c in teaches])

        # Pupils.
        pupil_rows, n = [], 0
        for sid, cname, _year, size in layout:
            for _ in range(size):
                n += 1
                pupil_rows.append((sid, class_id[(sid, cname)], rng.choice(FIRST), rng.choice(LAST), f"bench.p{n}",
                                   "fox", True, 1, 0, created))
        many("INSERT INTO pupils (school_id, class_id, first_name, last_name, username, avatar, active, "
             "session_version, failed_signins, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", pupil_rows)
        cur.execute("SELECT p.id, p.school_id, p.class_id, c.year_group FROM pupils p JOIN classes c ON c.id = p.class_id")
        pupils = sorted(cur.fetchall())
        raw.commit()

        # Quiz attempts and progress, streamed in chunks.
        weights = [YEAR_WEIGHT[y] for _pid, _sid, _cid, y in pupils]
        scale = attempts_total / sum(weights)
        quotas = [int(w * scale) for w in weights]
        for i in range(attempts_total - sum(quotas)):
            quotas[i % len(quotas)] += 1
        attempt_cols = ("pupil_id", "school_id", "class_id", "module_id", "content_version", "answers", "score",
                        "total", "started_at", "finished_at")
        progress_cols = ("pupil_id", "module_id", "school_id", "started_at", "completed_at", "best_score",
                         "best_total", "attempts", "last_activity_at")
        buffer: list[tuple] = []
        progress: list[tuple] = []
        inserted = 0

        def flush(rows: list[tuple], table: str, cols: tuple[str, ...]) -> None:
            if not rows:
                return
            if postgres:
                with cur.copy(f"COPY {table} ({', '.join(cols)}) FROM STDIN") as copy:
                    for row in rows:
                        copy.write_row(row)
            else:
                cur.executemany(f"INSERT INTO {table} ({', '.join(cols)}) VALUES ({', '.join('?' * len(cols))})",
                                [tuple(ts(v) for v in row) for row in rows])

        for (pid, sid, cid, year), quota in zip(pupils, quotas):
            modules = [m for band in BANDS_UP_TO[year] for m in modules_by_band[band]]
            counts = [0] * len(modules)
            for _ in range(quota):
                counts[rng.randrange(len(modules))] += 1
            for module, count in zip(modules, counts):
                if not count:
                    continue
                band_age = ("ks1", "ks2", "eop").index(module.band)
                # Work in an earlier band happened in earlier years.
                start = now - timedelta(days=rng.randint(20, 330) + 365 * (len(BANDS_UP_TO[year]) - 1 - band_age))
                pool = pools[module.id]
                total = len(module.questions)
                best, first_done, last = None, None, start
                finished_n = 0
                for k in range(count):
                    when = start + timedelta(days=k // 3, minutes=17 * k)
                    answers, score = pool[rng.randrange(len(pool))]
                    if k == count - 1 and rng.random() < 0.05:  # an unfinished last go
                        buffer.append((pid, sid, cid, module.id, module.version, "{}", None, total, when, None))
                        continue
                    buffer.append((pid, sid, cid, module.id, module.version, answers, score, total, when,
                                   when + timedelta(minutes=4)))
                    finished_n += 1
                    best = score if best is None or score > best else best
                    first_done = first_done or when
                    last = when
                progress.append((pid, module.id, sid, start, first_done, best, total if best is not None else None,
                                 finished_n, last))
            if len(buffer) >= CHUNK:
                flush(buffer, "quiz_attempts", attempt_cols)
                inserted += len(buffer)
                buffer = []
                flush(progress, "module_progress", progress_cols)
                progress = []
        flush(buffer, "quiz_attempts", attempt_cols)
        inserted += len(buffer)
        flush(progress, "module_progress", progress_cols)
        raw.commit()
        # The bulk insert bypassed the app: count the per-term quiz figures from the attempts, as
        # `flask coverage aggregates --rebuild` does.
        from pupil_app.coverage import aggregates

        with engine.begin() as conn:
            aggregates.rebuild(conn, app.extensions["content"].modules)
        if not postgres:
            cur.execute("ANALYZE")
            raw.commit()
        cur.close()
        raw.close()
        if postgres:
            # The steady state autovacuum keeps: statistics, and a visibility map for index-only scans.
            with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                conn.execute(text("VACUUM ANALYZE"))
        engine.dispose()
    return {"schools": SCHOOLS, "classes": len(layout), "pupils": len(pupils), "attempts": inserted,
            "staff": len(staff_rows), "seconds": time.perf_counter() - started,
            "bands": {band_for_year(y) for y in range(7)}}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--database-url", help="default: a SQLite file in a temporary folder")
    parser.add_argument("--attempts", type=int, default=ATTEMPTS)
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="pupil-trust-"))
    url = args.database_url or f"sqlite:///{tmp / 'trust.sqlite'}"
    result = generate(url, tmp, args.attempts)
    print(f"{result['schools']} schools, {result['classes']} classes, {result['pupils']:,} pupils, "
          f"{result['staff']} staff, {result['attempts']:,} quiz attempts in {result['seconds']:.0f} s")
    print(f"Database: {url}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
