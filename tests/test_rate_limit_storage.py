"""Several app processes share rate-limit counters through Redis (when REDIS_URL is set)."""

from __future__ import annotations

import os
import uuid

import pytest

from pupil_app import create_app, ratelimit

REDIS_URL = os.environ.get("REDIS_URL")


@pytest.mark.skipif(not REDIS_URL, reason="REDIS_URL is not set (.ci/run sets it when Redis answers)")
def test_two_app_instances_share_sign_in_counters_through_redis(app):
    prefix = f"test-{uuid.uuid4().hex}"
    settings = {"RATELIMIT_STORAGE_URI": REDIS_URL, "RATELIMIT_KEY_PREFIX": prefix, "SIGNIN_RATE_LIMIT": "3 per minute",
                "SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"], "WTF_CSRF_ENABLED": False}
    first, second = create_app("testing", **settings), create_app("testing", **settings)
    codes = []
    try:
        for instance in (first, second, first, second):
            client = instance.test_client()
            codes.append(client.post("/sign-in", data={"username": "x", "password": "y"}).status_code)
    finally:
        ratelimit.reset(first)
    # The fourth post is refused although each instance saw only two: the count is shared.
    assert codes == [401, 401, 401, 429]


def test_counters_go_to_redis_when_redis_url_is_set():
    from config import ratelimit_storage

    assert ratelimit_storage({"REDIS_URL": "redis://127.0.0.1:6379/0"}) == "redis://127.0.0.1:6379/0"
    assert ratelimit_storage({}) == "memory://"
    assert ratelimit_storage({"RATELIMIT_STORAGE_URI": "redis://x", "REDIS_URL": "redis://y"}) == "redis://x"


def test_behind_a_proxy_limits_count_each_client_address(app):
    proxied = create_app("testing", TRUST_PROXY_HOPS=1, BADGE_RATE_LIMIT="1 per minute",
                         SQLALCHEMY_DATABASE_URI=app.config["SQLALCHEMY_DATABASE_URI"])
    client = proxied.test_client()

    def get(addr):
        return client.get("/badge/forged", headers={"X-Forwarded-For": addr}).status_code

    assert get("10.1.1.1") == 404
    assert get("10.1.1.2") == 404  # another client: its own count
    assert get("10.1.1.1") == 429
    direct = create_app("testing", BADGE_RATE_LIMIT="1 per minute",
                        SQLALCHEMY_DATABASE_URI=app.config["SQLALCHEMY_DATABASE_URI"]).test_client()
    # Without TRUST_PROXY_HOPS the header is ignored: a client cannot dodge the limit by forging it.
    assert direct.get("/badge/forged", headers={"X-Forwarded-For": "1.1.1.1"}).status_code == 404
    assert direct.get("/badge/forged", headers={"X-Forwarded-For": "2.2.2.2"}).status_code == 429
