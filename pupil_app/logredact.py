"""Secrets never reach a log: tokens in request paths and search words in query strings are redacted.

Some links must carry a secret in their path (a QR badge, a class sign-in link, a parent's letter,
a set-password link, a Tell-an-adult message's address), and the DSL's search words travel in the
query string so a filtered inbox can be bookmarked. Access logs write every request's path, so the
same filter is applied to Werkzeug's development log, to gunicorn's access log (``gunicorn.conf.py``
uses ``RedactingLogger``) and to anything else the app logs.
"""

from __future__ import annotations

import logging
import re

REDACTED = "[redacted]"
# /badge/<token>, /class/<token>[/<id>], /p/<token>[/thanks], /staff/set-password/<token>, /tell/<token>/<step>
_PATH_SECRET = re.compile(r"(/(?:badge|class|p|set-password|tell)/)(?!\[redacted\])[^/?#\s\"']+")
# Query values that may be secret or a child's name: search words and anything called a token or key.
_QUERY_SECRET = re.compile(r"([?&](?:q|token|key|next|from)=)[^&#\s\"']*", re.IGNORECASE)


def redact(text: str) -> str:
    return _QUERY_SECRET.sub(r"\1" + REDACTED, _PATH_SECRET.sub(r"\1" + REDACTED, text))


class RedactFilter(logging.Filter):
    """A logging filter that rewrites the finished message with the secrets taken out."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # noqa: BLE001 - a malformed record is logged as it is
            return True
        cleaned = redact(message)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        return True


def install() -> None:
    """Filter the loggers that write request lines: Werkzeug's (development) and gunicorn's."""
    for name in ("werkzeug", "gunicorn.access", "gunicorn.error", "pupil_app"):
        logger = logging.getLogger(name)
        if not any(isinstance(f, RedactFilter) for f in logger.filters):
            logger.addFilter(RedactFilter())
    for handler in logging.getLogger().handlers:
        if not any(isinstance(f, RedactFilter) for f in handler.filters):
            handler.addFilter(RedactFilter())


try:  # gunicorn is a runtime dependency in production; the app itself does not need it
    from gunicorn.glogging import Logger as _GunicornLogger
except ImportError:  # pragma: no cover
    _GunicornLogger = None

if _GunicornLogger is not None:
    class RedactingLogger(_GunicornLogger):
        """gunicorn's logger with every access line redacted (``logger_class`` in gunicorn.conf.py)."""

        def atoms(self, resp, req, environ, request_time):
            atoms = super().atoms(resp, req, environ, request_time)
            for key in ("r", "U", "q", "f"):
                if isinstance(atoms.get(key), str):
                    atoms[key] = redact(atoms[key])
            return atoms
