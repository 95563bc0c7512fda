"""The deploy/ files agree with each other and with the app (tests/test_multinode.py runs them)."""

from __future__ import annotations

import re
from pathlib import Path

from tests.concern_flow import csrf_of

DEPLOY = Path(__file__).resolve().parent.parent / "deploy"


def test_every_runner_starts_the_same_scripts():
    compose = (DEPLOY / "compose.yaml").read_text()
    assert compose.count('command: ["deploy/run-app.sh"]') >= 2  # two or more app nodes
    assert 'command: ["deploy/run-sender.sh"]' in compose and 'command: ["deploy/release.sh"]' in compose
    assert "condition: service_completed_successfully" in compose  # nodes wait for the release step
    assert 'CMD ["deploy/run-app.sh"]' in (DEPLOY / "Dockerfile").read_text()
    assert "USER pupil" in (DEPLOY / "Dockerfile").read_text()  # never root
    units = {p.name: p.read_text() for p in (DEPLOY / "systemd").glob("*.service")}
    assert "ExecStart=/opt/pupil_app/deploy/run-app.sh" in units["pupil-app@.service"]
    assert "ExecStart=/opt/pupil_app/deploy/run-sender.sh" in units["pupil-app-sender.service"]
    assert "ExecStart=/opt/pupil_app/deploy/release.sh" in units["pupil-app-release.service"]
    assert "gunicorn --config deploy/gunicorn.conf.py wsgi:app" in (DEPLOY / "run-app.sh").read_text()
    assert "flask db upgrade" in (DEPLOY / "release.sh").read_text()
    assert "db upgrade" not in (DEPLOY / "run-app.sh").read_text()  # nodes never migrate


def test_the_proxy_is_one_trusted_hop_and_every_setting_is_documented():
    proxy = (DEPLOY / "nginx" / "proxy.conf").read_text()
    # The app trusts one hop: the proxy must overwrite the client's own X-Forwarded-For.
    assert "proxy_set_header X-Forwarded-For $remote_addr;" in proxy
    assert 'TRUST_PROXY_HOPS: "1"' in (DEPLOY / "compose.yaml").read_text()
    readme = (DEPLOY / "README.md").read_text()
    config = (Path(__file__).resolve().parent.parent / "config.py").read_text()
    settings = (set(re.findall(r'environ\.get\("([A-Z_]+)"', config))
                | set(re.findall(r'environ\["([A-Z_]+)"\]', config)))
    missing = sorted(s for s in settings if f"`{s}`" not in readme and not s.startswith("TEST_"))
    assert missing == [], f"settings not in deploy/README.md: {missing}"


def test_forms_work_over_https_behind_the_proxy(app, client, make_pupil):
    """Over HTTPS the CSRF check wants the site's own Referer; the pages let browsers send it."""
    pupil = make_pupil(year_group=4)
    https = {"base_url": "https://localhost"}
    page = client.get("/sign-in", **https)
    assert page.headers["Referrer-Policy"] == "same-origin"
    form = {"csrf_token": csrf_of(page.get_data(as_text=True)), "username": pupil.username,
            "password": pupil.password}
    # What a browser sends under "no-referrer" (the old policy): refused, so nobody could sign in.
    assert client.post("/sign-in", data=form, **https).status_code == 400
    r = client.post("/sign-in", data=form, **https, headers={"Referer": "https://localhost/sign-in"})
    assert r.status_code == 302


def test_production_refuses_hosts_it_was_not_given(monkeypatch):
    monkeypatch.setenv("SECRET_KEY", "x" * 40)
    monkeypatch.setenv("DATABASE_URL", "sqlite://")
    from pupil_app import create_app

    # TRUSTED_HOSTS=safe-online.example.sch.uk in the environment (config.py splits it into this list).
    app = create_app("production", DATA_KEY="0" * 43 + "=", TRUSTED_HOSTS=["safe-online.example.sch.uk"])
    c = app.test_client()
    assert c.get("/healthz", base_url="https://safe-online.example.sch.uk").status_code == 200
    assert c.get("/healthz", base_url="https://evil.example").status_code == 400
