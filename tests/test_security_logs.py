"""Attack 10: secrets in logs. Tokens in request paths (badge, class, parent, set-password, Tell an
adult) and the DSL's search words never reach the app's logs or gunicorn's access log."""

from __future__ import annotations

import io
import logging
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

from pupil_app.logredact import redact

ROOT = Path(__file__).resolve().parents[1]
SECRET = "Sekr1tT0kenAAAAAAAAAAA"
URLS = [f"/badge/{SECRET}", f"/class/{SECRET}", f"/class/{SECRET}/12", f"/p/{SECRET}", f"/p/{SECRET}/thanks",
        f"/staff/set-password/{SECRET}", f"/tell/{SECRET}/words", f"/staff/concerns?status=new&q={SECRET}"]


def test_every_secret_in_a_request_line_is_redacted():
    for url in URLS:
        line = f'10.0.0.1 - - [01/Dec/2026 10:00:00] "GET {url} HTTP/1.1" 200 -'
        assert SECRET not in redact(line), url
    assert redact('"GET /staff/classes/12 HTTP/1.1"') == '"GET /staff/classes/12 HTTP/1.1"'


def test_the_development_servers_request_log_is_filtered(app):
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    logger = logging.getLogger("werkzeug")
    logger.addHandler(handler)
    level, disabled = logger.level, logger.disabled
    logger.setLevel(logging.INFO)
    logger.disabled = False  # (alembic's logging set-up in the migration tests switches it off)
    try:
        logger.info('%s - - [%s] "%s" %s %s', "127.0.0.1", "now", f"GET /badge/{SECRET} HTTP/1.1", "200", "-")
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)
        logger.disabled = disabled
    assert "[redacted]" in stream.getvalue() and SECRET not in stream.getvalue()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_gunicorns_access_log_holds_no_token(tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in ("FLASK_CONFIG", "TRUSTED_HOSTS")}
    env.update({"SECRET_KEY": "s" * 48, "DATABASE_URL": f"sqlite:///{tmp_path / 'g.sqlite'}",
                "APP_BASE_URL": "http://127.0.0.1", "SESSION_COOKIE_SECURE": "0", "PYTHONPATH": str(ROOT),
                "INSTANCE_PATH": str(tmp_path), "DATA_KEY_FILE": str(tmp_path / "k")})
    subprocess.run([sys.executable, "-c", "import wsgi\nfrom pupil_app.extensions import db\n"
                    "with wsgi.app.app_context(): db.create_all()"], cwd=ROOT, env=env, check=True, timeout=120)
    port = _free_port()
    log = tmp_path / "access.log"
    server = subprocess.Popen([sys.executable, "-m", "gunicorn", "--workers", "1", "--bind", f"127.0.0.1:{port}",
                               "--access-logfile", str(log), "wsgi:app"], cwd=ROOT, env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.time() + 60
        while time.time() < deadline:
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2)
                break
            except OSError:  # not listening yet (URLError, refused, timed out)
                time.sleep(0.5)
        for url in URLS:
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}{url}", timeout=30)
            except urllib.error.HTTPError:
                pass  # 404 for an unknown token, a redirect to sign-in: the log line is what matters
    finally:
        server.terminate()
        server.wait(timeout=30)
    text = log.read_text()
    assert text.count("[redacted]") >= len(URLS), text
    assert SECRET not in text
