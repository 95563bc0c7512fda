"""Rate limits on the routes that guess secrets (sign-in, badges, parent links), failing open.

Built on the ``limits`` library directly rather than Flask-Limiter: Flask-Limiter checks every
request of the app in a before-request hook (about a tenth of a lesson page's cost), while only a
handful of routes need a limit. Counters live in Redis when REDIS_URL is set, so several app
processes share them; otherwise in this process's memory.

Redis is optional to a child: every Redis call has a short connect and read timeout
(``RATELIMIT_REDIS_TIMEOUT``, 0.1 s) and no retries. When Redis is away (refused, or accepting and
never answering) the limiter counts in this process's memory instead, skips Redis for
``RATELIMIT_REDIS_RETRY`` seconds (so only one request in that time pays the timeout), logs once a
minute, and ``/healthz`` reports "degraded" with the reason (``degraded_reason``).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from functools import wraps
from typing import TypeVar

from flask import Flask, current_app, request
from limits import RateLimitItem, parse
from limits.storage import MemoryStorage, storage_from_string
from limits.strategies import MovingWindowRateLimiter
from werkzeug.exceptions import TooManyRequests

F = TypeVar("F", bound=Callable)
log = logging.getLogger(__name__)

LOG_EVERY = 60.0  # seconds between two log lines about the same outage


class FailOpenLimiter:
    """A moving-window limiter on shared storage that falls back to memory counters when it fails."""

    def __init__(self, uri: str, timeout: float = 0.1, retry_after: float = 5.0):
        self.uri = uri
        self.shared = not uri.startswith("memory://")
        options: dict = {}
        if uri.startswith(("redis://", "rediss://", "unix://")):
            from redis.backoff import NoBackoff
            from redis.retry import Retry

            options = {"socket_connect_timeout": timeout, "socket_timeout": timeout, "retry": Retry(NoBackoff(), 0),
                       "retry_on_timeout": False, "health_check_interval": 0}
        self.storage = storage_from_string(uri, **options)
        self.local_storage = self.storage if not self.shared else MemoryStorage()
        self.limiter = MovingWindowRateLimiter(self.storage)
        self.local = MovingWindowRateLimiter(self.local_storage)
        self.retry_after = retry_after
        self._lock = threading.Lock()
        self._down_since: float | None = None
        self._skip_until = 0.0
        self._last_log = 0.0
        self.last_error: str | None = None

    # -- health
    @property
    def degraded(self) -> bool:
        return self._down_since is not None

    def degraded_reason(self) -> str | None:
        if self._down_since is None:
            return None
        return f"rate-limit counters: Redis unreachable for {int(time.time() - self._down_since)} s " \
               f"({self.last_error}); counting in each process instead"

    def _failed(self, exc: Exception) -> None:
        now = time.time()
        with self._lock:
            if self._down_since is None:
                self._down_since = now
            self._skip_until = now + self.retry_after
            self.last_error = type(exc).__name__
            if now - self._last_log >= LOG_EVERY:
                self._last_log = now
                log.warning("Rate-limit storage unreachable (%s: %s); counting in this process's memory.",
                            type(exc).__name__, str(exc)[:200])

    def _recovered(self) -> None:
        if self._down_since is not None:
            with self._lock:
                if self._down_since is not None:
                    log.warning("Rate-limit storage is back after %.0f s.", time.time() - self._down_since)
                self._down_since = None

    def _use_shared(self) -> bool:
        return self.shared and time.time() >= self._skip_until

    # -- counting
    def hit(self, item: RateLimitItem, *key: str) -> tuple[bool, MovingWindowRateLimiter]:
        """Count one request; returns (allowed, the limiter that counted it)."""
        if self._use_shared():
            try:
                allowed = self.limiter.hit(item, *key)
                self._recovered()
                return allowed, self.limiter
            except Exception as exc:  # noqa: BLE001 - any storage fault: fail open to memory counters
                self._failed(exc)
        return self.local.hit(item, *key), self.local

    def run(self, op):
        """``op(limiter, storage)`` on the shared counters, or on this process's when they are away."""
        if self._use_shared():
            try:
                result = op(self.limiter, self.storage)
                self._recovered()
                return result
            except Exception as exc:  # noqa: BLE001 - any storage fault: fail open to memory counters
                self._failed(exc)
        return op(self.local, self.local_storage)

    def reset(self) -> None:
        self.local_storage.reset()
        if self.shared:
            try:
                self.storage.reset()
            except Exception as exc:  # noqa: BLE001
                self._failed(exc)


def init_app(app: Flask) -> None:
    limiter = FailOpenLimiter(app.config["RATELIMIT_STORAGE_URI"],
                              timeout=float(app.config.get("RATELIMIT_REDIS_TIMEOUT", 0.1)),
                              retry_after=float(app.config.get("RATELIMIT_REDIS_RETRY", 5.0)))
    app.extensions["rate_limiter"] = limiter
    app.extensions["rate_limit_storage"] = limiter.storage


def reset(app: Flask) -> None:
    """Forget every counter (tests; an admin unblocking a school after a network fault)."""
    app.extensions["rate_limiter"].reset()


def degraded_reason(app: Flask) -> str | None:
    return app.extensions["rate_limiter"].degraded_reason()


def rate_limited(setting: str, scope: str, methods: tuple[str, ...] = ("GET", "POST")) -> Callable[[F], F]:
    """Allow at most ``app.config[setting]`` (e.g. "300 per minute") requests per client address.

    A whole class shares the school's address, so limits are set for a class, and accounts have
    their own lock after repeated wrong secrets (auth.service).
    """

    def decorator(view: F) -> F:
        @wraps(view)
        def wrapper(*args, **kwargs):
            if request.method in methods and current_app.config.get("RATELIMIT_ENABLED", True):
                limiter: FailOpenLimiter = current_app.extensions["rate_limiter"]
                item = parse(current_app.config[setting])
                key = (current_app.config.get("RATELIMIT_KEY_PREFIX", ""), scope, request.remote_addr or "-")
                allowed, counted_by = limiter.hit(item, *key)
                if not allowed:
                    try:
                        reset_at = counted_by.get_window_stats(item, *key).reset_time
                    except Exception:  # noqa: BLE001 - the storage went away between two calls
                        reset_at = time.time() + 60
                    raise TooManyRequests(retry_after=max(1, int(reset_at - time.time())))
            return view(*args, **kwargs)

        return wrapper  # type: ignore[return-value]

    return decorator


# ---- counters for the sign-in throttles (auth.throttle) -------------------------------------------
# Each helper fails open: when the counter store (Redis) is away, the counting moves to this
# process's memory (FailOpenLimiter); anything else that fails lets sign-in carry on, logged.

def _limiter() -> FailOpenLimiter:
    return current_app.extensions["rate_limiter"]


def _key(*parts: object) -> tuple[str, ...]:
    return (current_app.config.get("RATELIMIT_KEY_PREFIX", ""),) + tuple(str(p) for p in parts)


def under(limit: str, *parts: object) -> bool:
    """True while fewer than ``limit`` (e.g. "5 per 10 minutes") hits are counted for ``parts``."""
    try:
        return _limiter().run(lambda lim, _s: lim.test(parse(limit), *_key(*parts)))
    except Exception:  # noqa: BLE001 - fail open
        log.warning("rate-limit store unavailable; %s not checked", parts[:1], exc_info=True)
        return True


def count(limit: str, *parts: object) -> bool:
    """Count one hit for ``parts``; False when that went over ``limit``."""
    try:
        return _limiter().run(lambda lim, _s: lim.hit(parse(limit), *_key(*parts)))
    except Exception:  # noqa: BLE001 - fail open
        log.warning("rate-limit store unavailable; %s not counted", parts[:1], exc_info=True)
        return True


def forget(limit: str, *parts: object) -> None:
    """Clear the counter for ``parts`` (an adult lifts a pause)."""
    try:
        _limiter().run(lambda lim, _s: lim.clear(parse(limit), *_key(*parts)))
    except Exception:  # noqa: BLE001 - fail open
        log.warning("rate-limit store unavailable; %s not cleared", parts[:1], exc_info=True)


def generation(*parts: object, bump: bool = False) -> int:
    """A number that an adult's "let them sign in" moves on, so every counter keyed with it restarts."""
    key = "/".join(_key("generation", *parts))
    try:
        return _limiter().run(lambda _l, storage: storage.incr(key, 30 * 24 * 3600) if bump
                              else int(storage.get(key) or 0))
    except Exception:  # noqa: BLE001 - fail open
        log.warning("rate-limit store unavailable; generation of %s not read", parts[:1], exc_info=True)
        return 0
