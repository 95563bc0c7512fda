"""Error pages that never make things worse.

A handler here never touches the database: when a request fails because the database is away (or
its transaction is broken, as PostgreSQL's ``InFailedSqlTransaction`` after any error), the
session is rolled back, the signed-in account is not loaded again, and the page is rendered from
what is in memory (templates, the session cookie, the language the child chose). A child sees a
calm page in their language ("Tell the adult in the room. Your words are still on this screen."),
staff a plain 503 with ``Retry-After``. Every failure is one log line with a request id, which is
also sent back in the ``X-Request-ID`` header (and shown on staff error pages).
"""

from __future__ import annotations

import logging
import re
import uuid

from flask import Flask, Response, g, jsonify, render_template, request, session
from flask_babel import force_locale, lazy_gettext as _l
from flask_wtf.csrf import CSRFError
from sqlalchemy import exc as sa_exc

log = logging.getLogger("pupil_app.errors")

# The database (or its connection pool) is away or its transaction is unusable: a 503, not a bug.
UNAVAILABLE = (sa_exc.OperationalError, sa_exc.InterfaceError, sa_exc.InternalError, sa_exc.TimeoutError,
               sa_exc.PendingRollbackError, sa_exc.DisconnectionError)
RETRY_AFTER = 30
_REQUEST_ID = re.compile(r"[A-Za-z0-9._-]{8,64}")

PUPIL_CALM_TITLE = _l("Tell the adult in the room")
PUPIL_CALM_MESSAGE = _l("Your words are still on this screen.")  # under the title: the whole sentence
PUPIL_CALM_JSON = _l("We could not send your message just now. Please tell the adult in your room now. "
                     "Your message is still here, so you can try again.")


def request_id() -> str:
    """This request's id: the proxy's ``X-Request-ID`` when it looks like one, else a new one."""
    rid = g.get("request_id")
    if rid is None:
        sent = request.headers.get("X-Request-ID", "")
        rid = g.request_id = sent if _REQUEST_ID.fullmatch(sent) else uuid.uuid4().hex[:16]
    return rid


def _wants_json() -> bool:
    return request.accept_mimetypes.best == "application/json"


def _is_staff_request() -> bool:
    """Staff or pupil, from memory only: an account already loaded, else the session's login id."""
    user = g.get("_login_user")
    # is_anonymous, not is_authenticated: the latter reads the account's ``active`` column, which a
    # failed transaction has expired, so it would query the database again from the error page.
    if user is not None and getattr(user, "is_anonymous", True) is False:
        return getattr(type(user), "kind", None) == "staff"
    user_id = str(session.get("_user_id") or "")
    return user_id.startswith("staff:") or request.path.startswith("/staff")


def _language(app: Flask) -> str:
    """The child's language without the database: the session's choice, else a loaded pupil's."""
    languages = app.config["LANGUAGES"]
    chosen = session.get("lang")
    if chosen in languages:
        return chosen
    user = g.get("_login_user")
    saved = getattr(user, "__dict__", {}).get("language") if user is not None else None
    return saved if saved in languages else app.config["BABEL_DEFAULT_LOCALE"]


def _forget_database(app: Flask) -> tuple[bool, str]:
    """Roll the session back and stop anything loading the account (or its school) again in this
    request: the page is drawn as for a signed-out visitor. Returns (staff?, language) first."""
    from .extensions import db, login_manager

    staff, language = _is_staff_request(), _language(app)
    try:
        db.session.rollback()
    except Exception:  # noqa: BLE001 - the connection may be gone; the page must still go out
        pass
    g._login_user = login_manager.anonymous_user()
    return staff, language


def _page(code: int, title, message, staff: bool, language: str, retry: bool = False):
    headers = {"Retry-After": str(RETRY_AFTER)} if retry else {}
    from flask.globals import request_ctx

    if request_ctx and request_ctx.url_adapter is None:
        # A request for a host this site does not serve (TRUSTED_HOSTS): no links can be built.
        return Response(f"{code} {title}", mimetype="text/plain"), code, headers
    with force_locale(language):
        body = render_template("error.html", code=code, title=str(title), message=str(message), staff_page=staff,
                               request_id=request_id(), retry=retry)
    return body, code, headers


def _render(app: Flask, code: int, title, message):
    """A 4xx page with the usual bars; if even that needs a database that is away, drawn without it."""
    try:
        return _page(code, title, message, _is_staff_request(), _language(app))
    except UNAVAILABLE:
        staff, language = _forget_database(app)
        return _page(code, title, message, staff, language)


def _unavailable(app: Flask, error: Exception):
    """The database is away: a calm page for a child, a plain 503 with a retry for staff."""
    staff, language = _forget_database(app)
    log.error("request_id=%s %s %s: database unavailable (%s: %s)", request_id(), request.method, request.path,
              type(error).__name__, str(error).splitlines()[0][:200] if str(error) else "")
    if _wants_json():
        with force_locale(language):
            body = jsonify(status="failed", message=str(PUPIL_CALM_JSON), request_id=request_id())
        return body, 503, {"Retry-After": str(RETRY_AFTER)}
    if staff:
        return _page(503, _l("The service is unavailable for a moment"),
                     _l("Nothing you saved has been lost. Please try again in a minute."), True, language, retry=True)
    return _page(503, PUPIL_CALM_TITLE, PUPIL_CALM_MESSAGE, False, language, retry=True)


def register(app: Flask) -> None:
    """Error handlers, the request id and one log line per failure."""

    def log_exception(exc_info) -> None:
        # Flask calls this for every unhandled exception before the 500 page: one record, with the id.
        log.error("request_id=%s %s %s: unhandled %s", request_id(), request.method, request.path,
                  exc_info[0].__name__ if exc_info[0] else "error", exc_info=exc_info)

    app.log_exception = log_exception  # type: ignore[method-assign]

    @app.after_request
    def add_request_id(response):
        if "request_id" in g:
            response.headers["X-Request-ID"] = g.request_id
        return response

    def simple(code: int, title, message):
        def handler(e):
            body, status, headers = _render(app, code, title, message)
            if code == 429 and getattr(e, "retry_after", None):
                headers["Retry-After"] = str(e.retry_after)
            return body, status, headers
        return handler

    for code, title, message in (
            (400, _l("Something was not right"), _l("Please go back and try again.")),
            (403, _l("This page is not for you"), _l("Go back to your home page.")),
            (404, _l("We could not find that page"), _l("Go back to your home page.")),
            (405, _l("That did not work"), _l("Go back to your home page.")),
            (409, _l("That was already done"), _l("Go back to your home page.")),
            (413, _l("That was too much to send"), _l("Please send something shorter.")),
            (429, _l("Too many tries"), _l("Please wait a minute, then try again, or ask an adult.")),
    ):
        app.register_error_handler(code, simple(code, title, message))
    from werkzeug.exceptions import SecurityError

    @app.errorhandler(SecurityError)
    def untrusted_host(_e):
        # A Host header outside TRUSTED_HOSTS: answer plainly, building no link from that name.
        return "This site does not answer to that host name.", 400, {"Content-Type": "text/plain; charset=utf-8"}

    app.register_error_handler(CSRFError, simple(
        400, _l("This page was open too long"), _l("Please go back, reload the page and try again.")))

    for error_class in UNAVAILABLE:
        app.register_error_handler(error_class, lambda e: _unavailable(app, e))

    @app.errorhandler(500)
    def server_error(e):
        original = getattr(e, "original_exception", None)
        if isinstance(original, UNAVAILABLE):
            return _unavailable(app, original)
        staff, language = _forget_database(app)
        return _page(500, _l("Something went wrong"), _l("Please tell the adult in your room."), staff, language)
