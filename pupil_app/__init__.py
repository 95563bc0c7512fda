"""pupil_app: online safety for primary schools. ``create_app`` is the whole boot sequence."""

from __future__ import annotations

import os
import time

from flask import Flask, request, session
from flask_login import current_user, logout_user

from config import CONFIGS, INSTANCE_DIR, ProductionConfig, _database_url


def create_app(config_name: str | None = None, **overrides) -> Flask:
    """Build the app: config, extensions, content, blueprints, error pages, CLI, headers."""
    from . import guards

    config_name = config_name or os.environ.get("FLASK_CONFIG", "development")
    config_class = CONFIGS[config_name]
    app = Flask(__name__, instance_path=str(INSTANCE_DIR))
    app.config.from_object(config_class)
    if config_class is ProductionConfig:
        ProductionConfig.check()
        app.config["SECRET_KEY"] = os.environ["SECRET_KEY"]
        app.config["SQLALCHEMY_DATABASE_URI"] = _database_url(os.environ["DATABASE_URL"])
        app.config["APP_BASE_URL"] = os.environ["APP_BASE_URL"].rstrip("/")
        app.config["TRUSTED_HOSTS"] = ProductionConfig.trusted_hosts()
    app.config.update(overrides)
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        os.makedirs(app.instance_path, exist_ok=True)
        # A local file has no network connection to go stale: skip the per-checkout ping.
        app.config["SQLALCHEMY_ENGINE_OPTIONS"] = {
            k: v for k, v in app.config["SQLALCHEMY_ENGINE_OPTIONS"].items() if k != "pool_pre_ping"}

    if app.config.get("TRUST_PROXY_HOPS"):
        # Behind a load balancer: take the client address and scheme from its X-Forwarded headers,
        # so rate limits count real clients and QR links are https.
        from werkzeug.middleware.proxy_fix import ProxyFix

        hops = int(app.config["TRUST_PROXY_HOPS"])
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)

    register_extensions(app)
    register_content(app)
    guards.install_converters(app)  # bounded <int:...> ids, before any route is added
    register_blueprints(app)
    register_errorhandlers(app)
    register_request_hooks(app)
    register_template_helpers(app)
    register_cli(app)
    from .logredact import install

    install()  # no token or search words in any log line
    return app


def register_extensions(app: Flask) -> None:
    from . import crypto, datakey, ratelimit
    from .auth.service import load_account
    from .extensions import babel, csrf, db, login_manager, migrate
    from .i18n import select_locale

    db.init_app(app)
    migrate.init_app(app, db, directory=os.path.join(os.path.dirname(os.path.dirname(__file__)), "migrations"))
    login_manager.init_app(app)
    login_manager.user_loader(load_account)
    login_manager.login_view = "auth.sign_in_choice"
    login_manager.login_message = None
    csrf.init_app(app)
    babel.init_app(app, locale_selector=select_locale)
    ratelimit.init_app(app)
    crypto.init_app(app)
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        _sqlite_pragmas(app)
    datakey.enforce(app)  # refuse a wrong data key; after the pragmas: its connection is the pool's first


def _sqlite_pragmas(app: Flask) -> None:
    from sqlalchemy import event

    from .extensions import db

    with app.app_context():
        engine = db.engine

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn, _record):  # pragma: no cover - exercised by every SQLite test
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA foreign_keys=ON")
        if app.config["SQLALCHEMY_DATABASE_URI"] != "sqlite://":
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA busy_timeout=5000")
            cur.execute("PRAGMA synchronous=NORMAL")
        cur.close()


def register_content(app: Flask) -> None:
    from .content import load_content

    # Validated once; a fault stops start-up with a message naming the file and the problem.
    app.extensions["content"] = load_content(app.config["CONTENT_DIR"])


def register_blueprints(app: Flask) -> None:
    from .access import declare_static
    from .admin.views import bp as admin_bp
    from .auth.sso_views import bp as sso_bp
    from .auth.views import bp as auth_bp
    from .concerns.views import bp as concerns_bp
    from .coverage.views import bp as coverage_bp
    from .filtering.views import bp as filtering_bp
    from .health import bp as health_bp
    from .languages.views import bp as languages_bp
    from .learning.views import bp as learning_bp
    from .main import bp as main_bp
    from .offline.views import bp as offline_bp
    from .pledge.views import bp as pledge_bp
    from .records.views import bp as records_bp

    app.register_blueprint(main_bp)
    app.register_blueprint(health_bp)
    app.register_blueprint(auth_bp)
    app.register_blueprint(sso_bp)
    app.register_blueprint(learning_bp)
    app.register_blueprint(pledge_bp)
    app.register_blueprint(coverage_bp)
    app.register_blueprint(admin_bp)
    app.register_blueprint(concerns_bp)
    app.register_blueprint(offline_bp)
    app.register_blueprint(records_bp)
    app.register_blueprint(filtering_bp)
    app.register_blueprint(languages_bp)
    declare_static(app)


def register_errorhandlers(app: Flask) -> None:
    from . import errors

    errors.register(app)


PUBLIC_FILES = frozenset({"static", "main.picture"})


def register_request_hooks(app: Flask) -> None:
    from . import guards
    from .auth.service import idle_limit
    from .concerns import sender

    guards.init_app(app)  # malformed input (JSON into forms, NUL bytes) is a 400 before anything else
    sender.init_app(app)  # the alert sender thread (ALERT_SENDER = "thread"), started by the first request

    @app.before_request
    def enforce_idle_timeout():
        """Shared devices: sign a pupil out after 15 idle minutes, staff after 30."""
        if request.endpoint in PUBLIC_FILES:
            return None  # a stylesheet or picture needs no account (and still loads when the database is away)
        if not current_user.is_authenticated:
            return None
        now = time.time()
        seen = session.get("seen")
        if seen is not None and now - seen > idle_limit(current_user).total_seconds():
            kind = current_user.kind
            lang = session.get("lang")
            logout_user()
            session.clear()
            if lang:
                session["lang"] = lang
            session["idle_signed_out"] = kind
        else:
            # Writing the time back only once a minute keeps most responses cookie-free.
            if seen is None or now - seen > 60:
                session["seen"] = now
        return None

    headers = {
        "Content-Security-Policy": (
            "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
            "font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; "
            "form-action 'self'; frame-ancestors 'none'"),
        "X-Content-Type-Options": "nosniff",
        "X-Frame-Options": "DENY",
        # Badge and class links carry secrets in the URL: never leak them in a Referer to another
        # site. Same-origin only, because over HTTPS the CSRF check needs the site's own Referer
        # (with "no-referrer" every form post behind a TLS proxy was refused).
        "Referrer-Policy": "same-origin",
        "Permissions-Policy": "camera=(), microphone=(), geolocation=(), payment=()",
        "Cross-Origin-Opener-Policy": "same-origin",
    }
    if app.config.get("SESSION_COOKIE_SECURE"):
        headers["Strict-Transport-Security"] = "max-age=31536000; includeSubDomains"
    private = {"Cache-Control": "no-store", "Pragma": "no-cache"}
    # Not personal, so a device may keep them (the service worker keeps lessons going offline):
    # files, and lesson screens, which are the same for every pupil of a language (rendering.py).
    keepable = {"static", "main.picture", "offline.audio_file", "offline.service_worker", "offline.offline_page",
                "learning.screen"}

    @app.after_request
    def security_headers(response):
        """The same security headers on every response; signed-in pages are never cached."""
        h = response.headers
        for name, value in headers.items():
            if name not in h:  # a route may set a stricter policy of its own (pictures do)
                h[name] = value
        if request.endpoint in keepable and response.status_code in (200, 206, 304):
            if request.endpoint == "learning.screen":
                h["Cache-Control"] = "private, no-cache"  # kept on this device, checked when online
        elif session.get("_user_id") or request.path.startswith(("/class/", "/badge/")):  # the cookie, not the account
            h.update(private)
        return response


def register_template_helpers(app: Flask) -> None:
    from flask import url_for

    from . import schooltext
    from .i18n import current_language, is_rtl, switcher_languages
    from .qr import qr_svg
    from .timeutil import register_filters as register_date_filters

    # Asset URLs never change while the app runs: build each once (pages use dozens).
    url_cache: dict[tuple[str, str, str], str] = {}

    def asset_url(endpoint: str, arg: str, value: str) -> str:
        key = (request.script_root, endpoint, value)
        url = url_cache.get(key)
        if url is None:
            url = url_cache[key] = url_for(endpoint, **{arg: value})
        return url

    # gettext in templates: the request's catalogue is looked up once (context processor below),
    # not on every string as Flask-Babel's own callables do.
    from flask_babel import get_translations
    from jinja2 import pass_context

    @pass_context
    def template_gettext(ctx, string):
        return (ctx.get("translations") or get_translations()).ugettext(string)

    @pass_context
    def template_ngettext(ctx, singular, plural, n):
        return (ctx.get("translations") or get_translations()).ungettext(singular, plural, n)

    app.jinja_env.install_gettext_callables(template_gettext, template_ngettext, newstyle=True)
    schooltext.install(app.jinja_env, template_gettext)  # school-written text is never a format string
    app.jinja_env.globals["static_url"] = lambda filename: asset_url("static", "filename", filename)
    app.jinja_env.globals["picture_url"] = lambda name: asset_url("main.picture", "name", name)
    app.jinja_env.globals["qr_svg"] = qr_svg
    register_date_filters(app)

    @app.context_processor
    def inject():
        return {
            # The signed-in account as a plain object: templates read it often, a proxy costs each time.
            "viewer": current_user._get_current_object(),
            "translations": get_translations(),
            "content": app.extensions["content"],
            "current_language": current_language(),
            "languages": switcher_languages(),
            "language_names": app.config["LANGUAGES"],
            "text_direction": "rtl" if is_rtl() else "ltr",
            "app_name": app.config["APP_NAME"],
        }


def register_cli(app: Flask) -> None:
    from .cli import register

    register(app)
