"""Rate limits on the routes that guess secrets (sign-in, badges, later parent links).

Built on the ``limits`` library directly rather than Flask-Limiter: Flask-Limiter checks every
request of the app in a before-request hook (about a tenth of a lesson page's cost), while only a
handful of routes need a limit. Counters live in Redis when REDIS_URL is set, so several app
processes share them; otherwise in this process's memory.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from functools import wraps
from typing import TypeVar

from flask import Flask, current_app, request
from limits import parse
from limits.storage import storage_from_string
from limits.strategies import MovingWindowRateLimiter
from werkzeug.exceptions import TooManyRequests

F = TypeVar("F", bound=Callable)
_log = logging.getLogger(__name__)


def init_app(app: Flask) -> None:
    storage = storage_from_string(app.config["RATELIMIT_STORAGE_URI"])
    app.extensions["rate_limiter"] = MovingWindowRateLimiter(storage)
    app.extensions["rate_limit_storage"] = storage


def reset(app: Flask) -> None:
    """Forget every counter (tests; an admin unblocking a school after a network fault)."""
    app.extensions["rate_limit_storage"].reset()


def rate_limited(setting: str, scope: str, methods: tuple[str, ...] = ("GET", "POST")) -> Callable[[F], F]:
    """Allow at most ``app.config[setting]`` (e.g. "300 per minute") requests per client address.

    A whole class shares the school's address, so limits are set for a class, and accounts have
    their own lock after repeated wrong secrets (auth.service).
    """

    def decorator(view: F) -> F:
        @wraps(view)
        def wrapper(*args, **kwargs):
            if request.method in methods and current_app.config.get("RATELIMIT_ENABLED", True):
                limiter: MovingWindowRateLimiter = current_app.extensions["rate_limiter"]
                item = parse(current_app.config[setting])
                key = (current_app.config.get("RATELIMIT_KEY_PREFIX", ""), scope, request.remote_addr or "-")
                if not limiter.hit(item, *key):
                    stats = limiter.get_window_stats(item, *key)
                    raise TooManyRequests(retry_after=max(1, int(stats.reset_time - time.time())))
            return view(*args, **kwargs)

        return wrapper  # type: ignore[return-value]

    return decorator



# ---- counters for the sign-in throttles (auth.throttle) -------------------------------------------
# Each helper fails open: when the counter store (Redis) is away, sign-in carries on unthrottled
# rather than shutting every child out; the error is logged.

def _limiter() -> MovingWindowRateLimiter:
    return current_app.extensions["rate_limiter"]


def _key(*parts: object) -> tuple[str, ...]:
    return (current_app.config.get("RATELIMIT_KEY_PREFIX", ""),) + tuple(str(p) for p in parts)


def under(limit: str, *parts: object) -> bool:
    """True while fewer than ``limit`` (e.g. "5 per 10 minutes") hits are counted for ``parts``."""
    try:
        return _limiter().test(parse(limit), *_key(*parts))
    except Exception:  # noqa: BLE001 - fail open
        _log.warning("rate-limit store unavailable; %s not checked", parts[:1], exc_info=True)
        return True


def count(limit: str, *parts: object) -> bool:
    """Count one hit for ``parts``; False when that went over ``limit``."""
    try:
        return _limiter().hit(parse(limit), *_key(*parts))
    except Exception:  # noqa: BLE001 - fail open
        _log.warning("rate-limit store unavailable; %s not counted", parts[:1], exc_info=True)
        return True


def forget(limit: str, *parts: object) -> None:
    """Clear the counter for ``parts`` (an adult lifts a pause)."""
    try:
        _limiter().clear(parse(limit), *_key(*parts))
    except Exception:  # noqa: BLE001 - fail open
        _log.warning("rate-limit store unavailable; %s not cleared", parts[:1], exc_info=True)


def generation(*parts: object, bump: bool = False) -> int:
    """A number that an adult's "let them sign in" moves on, so every counter keyed with it restarts."""
    key = "/".join(_key("generation", *parts))
    storage = current_app.extensions["rate_limit_storage"]
    try:
        return storage.incr(key, 30 * 24 * 3600) if bump else int(storage.get(key) or 0)
    except Exception:  # noqa: BLE001 - fail open
        _log.warning("rate-limit store unavailable; generation of %s not read", parts[:1], exc_info=True)
        return 0
