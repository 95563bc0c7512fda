"""Attack 7: ``gunicorn wsgi:app`` must run the production settings, so the development SECRET_KEY
(public, in config.py) can never sign a cookie the running app accepts."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

# Imports wsgi.py as gunicorn does, makes a DSL and a concern, then presents a staff cookie forged
# with the development key.
FORGE = textwrap.dedent("""
    from flask.sessions import SecureCookieSessionInterface
    import wsgi
    from config import DEV_SECRET_KEY
    from pupil_app.extensions import db
    from pupil_app.auth.service import hash_password
    from pupil_app.schools.models import School, StaffRole, StaffUser, Trust

    app = wsgi.app
    print("config:", app.config["DEMO_DATA_ALLOWED"] is False and "production" or "development")
    with app.app_context():
        db.create_all()
        school = School(trust=Trust(name="T"), name="S")
        dsl = StaffUser(school=school, username="dsl", display_name="D", password_hash=hash_password("x" * 20))
        dsl.role_rows = [StaffRole(role="dsl")]
        db.session.add_all([school, dsl])
        db.session.commit()
        user_id = dsl.get_id()
    forger = type("Forger", (), {"secret_key": DEV_SECRET_KEY, "config": app.config})()
    cookie = SecureCookieSessionInterface().get_signing_serializer(forger).dumps(
        {"_user_id": user_id, "_fresh": True, "signin_method": "password"})
    client = app.test_client()
    client.set_cookie("session", cookie, domain="safe.school.example")
    r = client.get("/staff/concerns", base_url="https://safe.school.example")
    print("status:", r.status_code, r.headers.get("Location", ""))
""")


def _run(env_extra: dict, tmp_path: Path, script: str = "import wsgi") -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in (
        "SECRET_KEY", "DATABASE_URL", "APP_BASE_URL", "FLASK_CONFIG", "TRUSTED_HOSTS")}
    env.update({"PYTHONPATH": str(ROOT), "INSTANCE_PATH": str(tmp_path), "DATA_KEY_FILE": str(tmp_path / "k")})
    env.update(env_extra)
    return subprocess.run([sys.executable, "-c", script], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=120)


def test_wsgi_refuses_to_start_without_the_production_settings(tmp_path):
    result = _run({}, tmp_path)
    assert result.returncode != 0
    assert "refusing to start" in result.stderr and "SECRET_KEY" in result.stderr
    # The public development key is refused too.
    result = _run({"SECRET_KEY": "dev-only-not-secret", "DATABASE_URL": f"sqlite:///{tmp_path / 'a.sqlite'}",
                   "APP_BASE_URL": "https://safe.school.example"}, tmp_path)
    assert result.returncode != 0 and "SECRET_KEY must be a long random value" in result.stderr


def test_a_staff_cookie_forged_with_the_development_key_reads_nothing(tmp_path):
    result = _run({"SECRET_KEY": "r" * 48, "DATABASE_URL": f"sqlite:///{tmp_path / 'prod.sqlite'}",
                   "APP_BASE_URL": "https://safe.school.example", "FLASK_CONFIG": "development"}, tmp_path, FORGE)
    assert result.returncode == 0, result.stderr
    assert "config: production" in result.stdout  # even with FLASK_CONFIG=development in the environment
    assert "status: 302 /staff/sign-in" in result.stdout  # not signed in: the forged cookie is worthless
