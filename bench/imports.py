"""The MIS import, timed in-process: what an admin waits for after choosing a file.

    .venv/bin/python bench/imports.py [--database-url URL] [--repeat 5]

1. A 2,000-row file (realistic columns, three children called Oscar Taylor with three UPNs) up to its
   preview page.
2. A 50,000-row file, refused with a message ("one import takes at most 3,000").
Each against a baseline measured in the same run on the same database: an upload of the same bytes to
a route that only reads the body (the cost of the request itself). Prints p50 per step and the ratio.
It makes its own database (a SQLite file in a temporary folder unless --database-url is given; a
PostgreSQL database is emptied first).
"""

from __future__ import annotations

import argparse
import io
import os
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from pupil_app import create_app  # noqa: E402
from pupil_app.auth import service as auth_service  # noqa: E402
from pupil_app.extensions import db  # noqa: E402
from pupil_app.schools.models import Role, School, StaffRole, StaffUser, Trust  # noqa: E402

PASSWORD = "bench-admin-2026"
HEADER = "UPN,Legal Forename,Preferred Forename,Legal Surname,NC Year,Reg Group,First Language\n"


def mis_file(rows: int) -> bytes:
    lines = [HEADER]
    for n in range(rows):
        first = "Oscar" if n in (7, 900, 1800) else f"Child{n}"
        last = "Taylor" if n in (7, 900, 1800) else f"Family{n % 400}"
        year = n % 6 + 1
        lines.append(f"A{n:011d}{n % 10},{first},{first},{last},Year {year},{year}{'ABC'[n % 3]},English\n")
    return "".join(lines).encode("utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url")
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    tmp = tempfile.mkdtemp()
    url = args.database_url or f"sqlite:///{tmp}/bench.sqlite"
    app = create_app("testing", SQLALCHEMY_DATABASE_URI=url, WTF_CSRF_ENABLED=False, MAIL_OUTBOX_DIR=tmp)

    @app.post("/__bench__/echo")
    def echo():  # the baseline: the same upload, read and answered, nothing else
        from flask import request

        return {"bytes": len(request.files["file"].read())}

    app.view_functions["echo"].access = "public"
    with app.app_context():
        db.drop_all()
        db.create_all()
        trust = Trust(name="Bench Trust")
        school = School(trust=trust, name="Bench Primary")
        admin = StaffUser(school=school, username="bench.admin", display_name="Bench Admin",
                          password_hash=auth_service.hash_password(PASSWORD))
        admin.role_rows = [StaffRole(role=Role.ADMIN.value)]
        db.session.add_all([trust, school, admin])
        db.session.commit()
        school_id = school.id
    client = app.test_client()
    client.post("/staff/sign-in", data={"username": "bench.admin", "password": PASSWORD})
    print(f"database: {url.split('@')[-1]}   load average: {os.getloadavg()[0]:.2f}")
    print(f"{'step':<44} {'p50 ms':>8} {'baseline ms':>12} {'ratio':>7}")
    # A preview with problems listed is a 422 page; either way the admin sees the whole file checked.
    for label, rows, status in (("2,000-row MIS file to its preview", 2000, (303, 422)),
                                ("50,000-row file refused with a message", 50_000, (400, 413))):
        body = mis_file(rows)
        took, base = [], []
        for _ in range(args.repeat):
            started = time.perf_counter()
            r = client.post("/__bench__/echo", data={"file": (io.BytesIO(body), "pupils.csv")},
                            content_type="multipart/form-data")
            base.append(time.perf_counter() - started)
            started = time.perf_counter()
            r = client.post(f"/staff/admin/schools/{school_id}/import",
                            data={"file": (io.BytesIO(body), "pupils.csv")}, content_type="multipart/form-data")
            took.append(time.perf_counter() - started)
            assert r.status_code in status, (r.status_code, re.sub(r"\s+", " ", r.get_data(as_text=True))[:300])
        p50, b50 = statistics.median(took) * 1000, statistics.median(base) * 1000
        print(f"{label:<44} {p50:8.0f} {b50:12.1f} {p50 / b50:7.1f}x")
    print(f"load average after: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
