"""Redis away (refused, or accepting and never answering): every sign-in still works, a signed-in
child can still tell an adult, /healthz says what is degraded, and counting moves back to Redis
when it returns. Real parts: a closed port, a TCP server that never answers, a private redis-server."""

from __future__ import annotations

import pytest

from pupil_app import create_app, ratelimit
from pupil_app.auth import service as auth_service
from pupil_app.extensions import db
from pupil_app.schools.models import Pupil, Role

from .concern_flow import count_concerns, tell
from .conftest import PASSWORD
from .faultparts import PrivateRedis, SilentServer, capture_logs, closed_port
from .test_auth import csrf_from


def _app_with_redis(app, url: str, **extra):
    return create_app("testing", SQLALCHEMY_DATABASE_URI=app.config["SQLALCHEMY_DATABASE_URI"],
                      MAIL_OUTBOX_DIR=app.config["MAIL_OUTBOX_DIR"], RATELIMIT_STORAGE_URI=url, **extra)


def _every_sign_in(faulty, make_pupil, make_class, make_staff, app) -> list[str]:
    """Password, picture, badge and staff sign-ins; returns where each one landed."""
    year4, reception = make_class(4), make_class(0)
    reader = make_pupil(year4)
    picture_pupil = make_pupil(reception, password=None, pictures=("dog", "star", "apple"))
    staff = make_staff(Role.TEACHER, classes=(year4,))
    with app.app_context():
        badge = auth_service.issue_badge(db.session.get(Pupil, reader.id))
        db.session.commit()
    landed = []
    c = faulty.test_client()
    r = c.post("/sign-in", data={"csrf_token": csrf_from(c, "/sign-in"), "username": reader.username,
                                 "password": PASSWORD})
    landed.append(r.location)
    c = faulty.test_client()
    url = f"/class/{picture_pupil.token}/{picture_pupil.id}"
    r = c.post(url, data={"csrf_token": csrf_from(c, url), "so_far": "dog star", "pick": "apple"})
    landed.append(r.location)
    c = faulty.test_client()
    r = c.post(f"/badge/{badge}", data={"csrf_token": csrf_from(c, f"/badge/{badge}")})
    landed.append(r.location)
    c = faulty.test_client()
    r = c.post("/staff/sign-in", data={"csrf_token": csrf_from(c, "/staff/sign-in"), "username": staff.username,
                                       "password": PASSWORD})
    landed.append(r.location)
    return landed


@pytest.mark.parametrize("fault", ["refused", "never answers"])
def test_every_sign_in_works_and_a_child_can_tell_an_adult_when_redis_is_away(fault, app, make_pupil, make_class,
                                                                            make_staff):
    silent = SilentServer() if fault == "never answers" else None
    port = silent.__enter__().port if silent else closed_port()
    logs = capture_logs().__enter__()
    try:
        faulty = _app_with_redis(app, f"redis://127.0.0.1:{port}/0")
        landed = _every_sign_in(faulty, make_pupil, make_class, make_staff, app)
        homes = [url.rsplit("/", 2)[-2] if url else None for url in landed]
        assert homes == ["learn", "learn", "learn", "staff"], landed
        # Signed in with the password above: the child tells an adult and it is stored once.
        pupil = make_pupil(make_class(3), first_name="Ola")
        c = faulty.test_client()
        c.post("/sign-in", data={"csrf_token": csrf_from(c, "/sign-in"), "username": pupil.username,
                                 "password": PASSWORD})
        _, sent = tell(c, words="someone keeps messaging me")
        assert sent.status_code == 303 and count_concerns(app, pupil_id=pupil.id) == 1
        health = faulty.test_client().get("/healthz").get_json()
        assert health["status"] == "degraded" and any("Redis" in reason for reason in health["reasons"])
        assert "127.0.0.1" not in str(health) and "redis://" not in str(health)  # no addresses or secrets
        # One log line for the outage, not one per request.
        assert sum("Rate-limit storage unreachable" in m for m in logs.messages()) == 1
    finally:
        logs.__exit__(None, None, None)
        if silent:
            silent.__exit__(None, None, None)


def test_limits_still_hold_per_process_while_redis_is_away(app, make_pupil):
    faulty = _app_with_redis(app, f"redis://127.0.0.1:{closed_port()}/0", SIGNIN_RATE_LIMIT="3 per minute",
                             WTF_CSRF_ENABLED=False)
    c = faulty.test_client()
    codes = [c.post("/sign-in", data={"username": "nobody", "password": "wrong"}).status_code for _ in range(4)]
    assert codes == [401, 401, 401, 429]  # fail open, not fail off


@pytest.mark.skipif(not PrivateRedis.available(), reason="redis-server is not installed")
def test_counting_goes_back_to_redis_when_it_returns(app):
    with PrivateRedis() as redis_server:
        url = f"redis://127.0.0.1:{redis_server.port}/0"
        settings = {"SIGNIN_RATE_LIMIT": "2 per minute", "WTF_CSRF_ENABLED": False, "RATELIMIT_REDIS_RETRY": 0}
        first, second = _app_with_redis(app, url, **settings), _app_with_redis(app, url, **settings)
        redis_server.proc.terminate()
        redis_server.proc.wait(5)
        assert first.test_client().post("/sign-in", data={"username": "x", "password": "y"}).status_code == 401
        assert first.extensions["rate_limiter"].degraded
        with PrivateRedis() as back:  # Redis again (a new server on a new port stands in for the restart)
            for instance in (first, second):
                instance.extensions["rate_limiter"] = ratelimit.FailOpenLimiter(
                    f"redis://127.0.0.1:{back.port}/0", retry_after=0)
            codes = [instance.test_client().post("/sign-in", data={"username": "x", "password": "y"}).status_code
                     for instance in (first, second, first)]
            assert codes == [401, 401, 429]  # shared again: the third try across two processes is refused
            assert first.test_client().get("/healthz").get_json()["status"] == "ok"
