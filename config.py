"""Settings classes. Everything secret or deployment-specific comes from the environment."""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit

BASE_DIR = Path(__file__).resolve().parent
INSTANCE_DIR = Path(os.environ.get("INSTANCE_PATH", BASE_DIR / "instance"))


# Development only, and public: production refuses to start with it (ProductionConfig.check).
DEV_SECRET_KEY = "dev-only-not-secret"


def _database_url(default: str) -> str:
    url = os.environ.get("DATABASE_URL", default)
    # Hosted PostgreSQL often hands out postgres:// URLs; SQLAlchemy 2 wants the driver named.
    if url.startswith("postgres://"):
        url = "postgresql+psycopg://" + url[len("postgres://"):]
    elif url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://"):]
    return url


def ratelimit_storage(env=os.environ) -> str:
    """Rate-limit counters: shared in Redis when REDIS_URL is set (several processes), else memory."""
    return env.get("RATELIMIT_STORAGE_URI") or env.get("REDIS_URL") or "memory://"


class Config:
    """Defaults shared by every environment."""

    APP_NAME = "Safe Online"
    SECRET_KEY = os.environ.get("SECRET_KEY", DEV_SECRET_KEY)
    SQLALCHEMY_DATABASE_URI = _database_url(f"sqlite:///{INSTANCE_DIR / 'pupil_app.sqlite'}")
    SQLALCHEMY_ENGINE_OPTIONS: dict = {"pool_pre_ping": True}
    CONTENT_DIR = Path(os.environ.get("CONTENT_DIR", BASE_DIR / "content"))
    # Key for encrypting picture passwords (and later safeguarding text) at rest: from the
    # environment, else a file under instance/ created on first run.
    DATA_KEY = os.environ.get("DATA_KEY")
    DATA_KEY_FILE = Path(os.environ.get("DATA_KEY_FILE", INSTANCE_DIR / "data.key"))

    # Sessions: pupils share class devices, staff handle sensitive data.
    PUPIL_IDLE_TIMEOUT = timedelta(minutes=15)
    STAFF_IDLE_TIMEOUT = timedelta(minutes=30)
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = False
    REMEMBER_COOKIE_DURATION = timedelta(seconds=0)
    MAX_CONTENT_LENGTH = 2 * 1024 * 1024

    # Sign-in hardening (auth.throttle): wrong tries slow the guesser; they never lock the owner out.
    PASSWORD_FAILS_PER_CLIENT_ACCOUNT = "5 per 5 minutes"
    PASSWORD_FAILS_PER_CLIENT = "50 per 10 minutes"
    PASSWORD_FAILS_PER_ACCOUNT = "20 per hour"
    PICTURE_FAILS_PER_PUPIL = "5 per 10 minutes"
    PICTURE_FAILS_PER_DEVICE = "10 per 10 minutes"
    PICTURE_FAILS_PER_CLASS = "40 per 10 minutes"
    # The class page takes picture sign-ins only while a teacher has opened the class for a lesson:
    # for CLASS_OPEN_FOR, and never past SCHOOL_DAY_ENDS (school time zone).
    CLASS_OPEN_FOR = timedelta(hours=3)
    SCHOOL_DAY_ENDS = os.environ.get("SCHOOL_DAY_ENDS", "17:00")
    SIGNIN_RATE_LIMIT = os.environ.get("SIGNIN_RATE_LIMIT", "300 per minute")
    BADGE_LIFETIME = timedelta(days=int(os.environ.get("BADGE_LIFETIME_DAYS", "400")))
    BADGE_RATE_LIMIT = os.environ.get("BADGE_RATE_LIMIT", "300 per minute")
    PARENT_LINK_RATE_LIMIT = os.environ.get("PARENT_LINK_RATE_LIMIT", "60 per minute")  # per address; homes differ
    RATELIMIT_STORAGE_URI = ratelimit_storage()
    # Prefix of the rate-limit counters' keys: lets several deployments share one Redis.
    RATELIMIT_KEY_PREFIX = os.environ.get("RATELIMIT_KEY_PREFIX", "")
    # Argon2id at OWASP's minimum profile: m=19 MiB, t=2, p=1.
    ARGON2_TIME_COST = 2
    ARGON2_MEMORY_COST = 19 * 1024
    ARGON2_PARALLELISM = 1

    # English, Welsh and four home languages (pupil pages and content; see pupil_app/languages).
    LANGUAGES = {"en": "English", "cy": "Cymraeg", "pl": "Polski", "ro": "Română", "ur": "اردو", "ar": "العربية"}
    BABEL_DEFAULT_LOCALE = "en"
    BABEL_TRANSLATION_DIRECTORIES = str(BASE_DIR / "pupil_app" / "translations")
    # Number of proxies in front of the app whose X-Forwarded-* headers are trusted (0: none).
    TRUST_PROXY_HOPS = int(os.environ.get("TRUST_PROXY_HOPS", "0"))
    WTF_CSRF_TIME_LIMIT = None  # the CSRF token lives as long as the session; idle timeout ends it
    DEMO_DATA_ALLOWED = True

    # Alerts to the school's DSLs when a concern arrives: no concern text, no child's name, a link.
    # Sent over SMTP when MAIL_SERVER is set; otherwise each message is written as an .eml file to
    # MAIL_OUTBOX_DIR, so nothing leaves the machine. Unsent alerts wait in the pending_mail table
    # until the alert sender (ALERT_SENDER below) sends them, retrying with back-off.
    MAIL_SERVER = os.environ.get("MAIL_SERVER") or None
    MAIL_PORT = int(os.environ.get("MAIL_PORT", "587"))
    MAIL_USE_TLS = os.environ.get("MAIL_USE_TLS", "1") != "0"  # STARTTLS on MAIL_PORT
    MAIL_USE_SSL = os.environ.get("MAIL_USE_SSL", "0") == "1"  # implicit TLS (port 465)
    MAIL_USERNAME = os.environ.get("MAIL_USERNAME") or None
    MAIL_PASSWORD = os.environ.get("MAIL_PASSWORD") or None
    MAIL_DEFAULT_SENDER = os.environ.get("MAIL_DEFAULT_SENDER", "Safe Online <no-reply@localhost>")
    MAIL_TIMEOUT = float(os.environ.get("MAIL_TIMEOUT", "10"))
    MAIL_OUTBOX_DIR = Path(os.environ.get("MAIL_OUTBOX_DIR", INSTANCE_DIR / "outbox"))
    # Where alerts are sent from (never from a request): "thread", a daemon thread in each app process
    # (the default outside production), or "process", the `flask concerns sender` service (production's
    # default: run it next to the app). See pupil_app/concerns/sender.py.
    ALERT_SENDER = os.environ.get("ALERT_SENDER", "thread")
    ALERT_POLL_SECONDS = float(os.environ.get("ALERT_POLL_SECONDS", "5"))
    # Redis (rate-limit counters) is optional: short timeouts, then counting in each process.
    RATELIMIT_REDIS_TIMEOUT = float(os.environ.get("RATELIMIT_REDIS_TIMEOUT", "0.1"))
    RATELIMIT_REDIS_RETRY = float(os.environ.get("RATELIMIT_REDIS_RETRY", "5"))
    # Links in alerts sent outside a request (`flask concerns send-alerts` queues none, the demo does).
    APP_BASE_URL = os.environ.get("APP_BASE_URL", "http://127.0.0.1:5000")
    # Staff single sign-on (OpenID Connect). Each school's client id, secret, domain and Entra tenant
    # are set with `flask sso set`; these are the providers' fixed addresses (tests point them at a
    # provider on loopback) and how long to wait for them.
    SSO_GOOGLE_ISSUER = os.environ.get("SSO_GOOGLE_ISSUER", "https://accounts.google.com")
    SSO_MICROSOFT_AUTHORITY = os.environ.get("SSO_MICROSOFT_AUTHORITY", "https://login.microsoftonline.com")
    SSO_HTTP_TIMEOUT = float(os.environ.get("SSO_HTTP_TIMEOUT", "5"))
    # Second factor (DSLs, admins, trust admins; teachers when the school asks): how old it may be
    # before opening a concern's words, exporting, printing or transferring. Passkeys are bound to
    # WEBAUTHN_RP_ID (the site's host name) and WEBAUTHN_ORIGIN; unset, the request's host is used.
    MFA_FRESH_MINUTES = float(os.environ.get("MFA_FRESH_MINUTES", "15"))
    WEBAUTHN_RP_ID = os.environ.get("WEBAUTHN_RP_ID") or None
    WEBAUTHN_ORIGIN = os.environ.get("WEBAUTHN_ORIGIN") or None
    # Dates and times on staff pages and in exports.
    TIMEZONE = os.environ.get("TIMEZONE", "Europe/London")
    # When the year-end rollover may be done (and undone), month-day to month-day in TIMEZONE.
    ROLLOVER_WINDOW = tuple(os.environ.get("ROLLOVER_WINDOW", "07-01:09-30").split(":", 1))
    BABEL_DEFAULT_TIMEZONE = TIMEZONE  # Flask-Babel's own formatting agrees with pupil_app.timeutil


class DevelopmentConfig(Config):
    DEBUG = False


class TestingConfig(Config):
    TESTING = True
    SECRET_KEY = "testing-secret"
    SQLALCHEMY_DATABASE_URI = os.environ.get("TEST_DATABASE_URL", "sqlite://")
    DATA_KEY = "0" * 43 + "="  # a fixed Fernet key for tests; never used elsewhere
    RATELIMIT_STORAGE_URI = "memory://"
    # Cheapest argon2 parameters in unit tests; the bench and production use the OWASP profile.
    ARGON2_TIME_COST = 1
    ARGON2_MEMORY_COST = 1024
    # Never a real mail server in tests: the outbox folder (tests/conftest.py points it at a temporary
    # folder), written during the request so a test sees the message at once (fault tests use "thread").
    MAIL_SERVER = None
    ALERT_SENDER = "inline"


def _hosts(raw: str | None) -> list[str]:
    return [h.strip() for h in (raw or "").split(",") if h.strip()]


class ProductionConfig(Config):
    DEMO_DATA_ALLOWED = False
    ALERT_SENDER = os.environ.get("ALERT_SENDER", "process")
    # Host names this site answers to (comma-separated, e.g. "safe-online.example.sch.uk"); any
    # other Host header is refused, so no link is ever built from an attacker's host name.
    TRUSTED_HOSTS = [h.strip() for h in os.environ.get("TRUSTED_HOSTS", "").split(",") if h.strip()] or None
    SESSION_COOKIE_SECURE = os.environ.get("SESSION_COOKIE_SECURE", "1") != "0"
    # Links in emails come only from here (never from a request's Host header).
    APP_BASE_URL = os.environ.get("APP_BASE_URL") or None
    # Requests for any other host are refused (400): the host of APP_BASE_URL, plus TRUSTED_HOSTS
    # (comma-separated, e.g. the address a load balancer's health check uses).
    TRUSTED_HOSTS = _hosts(os.environ.get("TRUSTED_HOSTS")) or None

    @classmethod
    def check(cls) -> None:
        """Refuse to start without the settings a real deployment must provide."""
        missing = [name for name in ("SECRET_KEY", "DATABASE_URL", "APP_BASE_URL") if not os.environ.get(name)]
        if missing:
            raise RuntimeError(
                f"Production needs {' and '.join(missing)} in the environment; refusing to start."
            )
        secret = os.environ["SECRET_KEY"]
        if secret == DEV_SECRET_KEY or len(secret) < 32:
            raise RuntimeError("SECRET_KEY must be a long random value (at least 32 characters), never the "
                               "development one; refusing to start.")
        base = urlsplit(os.environ["APP_BASE_URL"])
        if base.scheme not in ("http", "https") or not base.hostname:
            raise RuntimeError("APP_BASE_URL must be the site's address, e.g. https://safe.school.example; "
                               "refusing to start.")

    @classmethod
    def trusted_hosts(cls) -> list[str]:
        hosts = [urlsplit(os.environ["APP_BASE_URL"]).hostname]
        return hosts + [h for h in _hosts(os.environ.get("TRUSTED_HOSTS")) if h not in hosts]


CONFIGS = {
    "development": DevelopmentConfig,
    "testing": TestingConfig,
    "production": ProductionConfig,
}
