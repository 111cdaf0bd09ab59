"""huoyuan settings: everything comes from the environment, and nothing set means the demo.

With no variables set the marketplace boots on SQLite (WAL mode) under ``HUOYUAN_DATA_DIR``
(default ``./data``). ``DATABASE_URL`` selects PostgreSQL, ``REDIS_URL`` a shared cache, and
``HUOYUAN_PRODUCTION=1`` turns on every deployment safeguard (and refuses to start without a
secret key). Bad values stop the process with a message naming the variable.
"""

from __future__ import annotations

import hashlib
import secrets
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.csp import CSP
from django.utils.translation import gettext_lazy as _

from config.env import env_bool, env_choice, env_dir, env_int, env_list, env_str

BASE_DIR = Path(__file__).resolve().parent.parent
DATA_DIR = env_dir("HUOYUAN_DATA_DIR", Path.cwd() / "data")
PRODUCTION = env_bool("HUOYUAN_PRODUCTION", False)
DEBUG = env_bool("HUOYUAN_DEBUG", False)
if PRODUCTION and DEBUG:
    raise ImproperlyConfigured("HUOYUAN_DEBUG must not be on when HUOYUAN_PRODUCTION=1.")


def _secret_key() -> str:
    key = env_str("HUOYUAN_SECRET_KEY", "")
    if key:
        if PRODUCTION and len(key) < 50:
            raise ImproperlyConfigured("HUOYUAN_SECRET_KEY must be at least 50 characters.")
        return key
    if PRODUCTION:
        raise ImproperlyConfigured("HUOYUAN_SECRET_KEY is required when HUOYUAN_PRODUCTION=1.")
    # Demo and development: one random key per data folder, kept so sessions survive restarts.
    DATA_DIR.mkdir(parents=True, exist_ok=True)
    path = DATA_DIR / "secret_key"
    if not path.exists():
        path.write_text(secrets.token_urlsafe(64))
        path.chmod(0o600)
    return path.read_text().strip()


SECRET_KEY = _secret_key()

# --- payments ----------------------------------------------------------------------------------
# The sandbox provider signs its webhooks with this secret (derived from the secret key unless
# set). Deliveries go over HTTP to HUOYUAN_SANDBOX_WEBHOOK_URL when set (the demo points it at
# itself), else straight to the same handler in-process.
SANDBOX_WEBHOOK_SECRET = (
    env_str("HUOYUAN_SANDBOX_WEBHOOK_SECRET", "")
    or hashlib.sha256(f"sandbox-webhook:{SECRET_KEY}".encode()).hexdigest()
)
SANDBOX_WEBHOOK_URL = env_str("HUOYUAN_SANDBOX_WEBHOOK_URL", "")
if SANDBOX_WEBHOOK_URL and not SANDBOX_WEBHOOK_URL.startswith(("http://", "https://")):
    raise ImproperlyConfigured("HUOYUAN_SANDBOX_WEBHOOK_URL must start with http:// or https://.")
# Like a real provider: some deliveries twice, some late, some in the wrong order.
SANDBOX_CHAOS = env_bool("HUOYUAN_SANDBOX_CHAOS", True)
ALLOWED_HOSTS = env_list("HUOYUAN_ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]"])
CSRF_TRUSTED_ORIGINS = env_list("HUOYUAN_CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "ninja",
    "django_htmx",
    "django_tasks_db",
    "axes",
    "huoyuan.core",
    "huoyuan.accounts",
    "huoyuan.suppliers",
    "huoyuan.catalogue",
    "huoyuan.notifications",
    "huoyuan.ledger",
    "huoyuan.orders",
    "huoyuan.payments",
    "huoyuan.search",
    "huoyuan.demo",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "huoyuan.accounts.middleware.ActiveOrganizationMiddleware",
    "huoyuan.core.middleware.IdempotencyMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "huoyuan" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.template.context_processors.csp",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "huoyuan.core.context_processors.marketplace",
            ],
        },
    },
]

# --- database -------------------------------------------------------------------------------
DATABASE_URL = env_str("DATABASE_URL", "")
if DATABASE_URL:
    try:
        _db = dj_database_url.parse(
            DATABASE_URL, conn_max_age=env_int("HUOYUAN_DB_CONN_MAX_AGE", 60)
        )
    except ValueError as exc:
        raise ImproperlyConfigured(f"DATABASE_URL is not a database URL: {exc}") from None
    if _db["ENGINE"] != "django.db.backends.postgresql":
        raise ImproperlyConfigured(
            "DATABASE_URL must be a postgres:// URL (SQLite is the default)."
        )
    _db["CONN_HEALTH_CHECKS"] = True
    _db["TEST"] = {"NAME": env_str("HUOYUAN_TEST_DATABASE", "") or None}
    DATABASES = {"default": _db}
else:
    DATABASES = {
        "default": {
            # Django's SQLite backend with this process's writers queued in order (FIFO) before
            # BEGIN IMMEDIATE: SQLite's own busy handler starves waiters under load.
            "ENGINE": "huoyuan.core.sqlite",
            "NAME": str(DATA_DIR / "huoyuan.sqlite3"),
            # Keep each thread's connection: reopening runs the PRAGMAs below on every request.
            "CONN_MAX_AGE": env_int("HUOYUAN_DB_CONN_MAX_AGE", 600),
            "CONN_HEALTH_CHECKS": True,
            "OPTIONS": {
                # IMMEDIATE takes the write lock at BEGIN, so select_for_update's missing row locks
                # cannot let two writers read the same stock; WAL lets readers run meanwhile.
                "transaction_mode": "IMMEDIATE",
                "timeout": 20,
                "init_command": (
                    "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;"
                ),
            },
        }
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- cache, sessions, rate limits ------------------------------------------------------------
REDIS_URL = env_str("REDIS_URL", "")
if REDIS_URL:
    CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}
    }
else:
    # Shared by every web process of one installation (unlike local memory), so rate limits hold.
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.db.DatabaseCache",
            "LOCATION": "huoyuan_cache",
        }
    }

# --- background tasks ------------------------------------------------------------------------
TASKS_BACKEND = env_choice("HUOYUAN_TASKS_BACKEND", "database", {"database", "immediate"})
TASKS = {
    "default": {
        "BACKEND": (
            "django_tasks_db.DatabaseBackend"
            if TASKS_BACKEND == "database"
            else "django.tasks.backends.immediate.ImmediateBackend"
        ),
        "QUEUES": ["default"],
    }
}

# --- accounts --------------------------------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "core:home"
LOGOUT_REDIRECT_URL = "core:home"
# Login rate limit: 5 failures per account and address lock that pair out for 15 minutes.
AXES_FAILURE_LIMIT = env_int("HUOYUAN_LOGIN_FAILURE_LIMIT", 5, minimum=1)
AXES_COOLOFF_TIME = 0.25  # hours
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_USERNAME_FORM_FIELD = "username"
AXES_LOCKOUT_TEMPLATE = "accounts/locked_out.html"
AXES_RESET_ON_SUCCESS = True
AXES_VERBOSE = False
AXES_ENABLED = env_bool("HUOYUAN_LOGIN_RATE_LIMIT", True)
INVITATION_DAYS = env_int("HUOYUAN_INVITATION_DAYS", 7, minimum=1)

_MAIL_BACKEND = env_str(
    "HUOYUAN_EMAIL_BACKEND",
    # Production sends real mail (SMTP); the demo prints it to the console.
    "django.core.mail.backends.smtp.EmailBackend"
    if PRODUCTION
    else "django.core.mail.backends.console.EmailBackend",
)
_MAILER: dict[str, object] = {"BACKEND": _MAIL_BACKEND}
if _MAIL_BACKEND.endswith("smtp.EmailBackend"):
    _MAILER["OPTIONS"] = {
        "host": env_str("HUOYUAN_EMAIL_HOST", "localhost"),
        "port": env_int("HUOYUAN_EMAIL_PORT", 25, minimum=1),
        "username": env_str("HUOYUAN_EMAIL_USER", ""),
        "password": env_str("HUOYUAN_EMAIL_PASSWORD", ""),
        "use_tls": env_bool("HUOYUAN_EMAIL_TLS", False),
    }
MAILERS = {"default": _MAILER}
DEFAULT_FROM_EMAIL = env_str("HUOYUAN_FROM_EMAIL", "huoyuan <noreply@localhost>")
# Where links in emails point (notifications, invitations sent by background jobs).
SITE_URL = env_str("HUOYUAN_SITE_URL", "http://127.0.0.1:8000")

# --- languages and money ---------------------------------------------------------------------
LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English"), ("de", "Deutsch")]
LOCALE_PATHS = [BASE_DIR / "huoyuan" / "locale"]
USE_I18N = True
TIME_ZONE = "Asia/Shanghai"
USE_TZ = True
DEFAULT_CURRENCY = "CNY"
DISPLAY_CURRENCIES = env_list(
    "HUOYUAN_DISPLAY_CURRENCIES", ["CNY", "USD", "EUR", "GBP", "JPY", "KRW"]
)
MARKETPLACE_NAME = _("huoyuan")

# --- static and media ------------------------------------------------------------------------
STATIC_URL = "/static/"
# Production serves collected files; the demo serves straight from the apps (no folder needed).
STATIC_ROOT = DATA_DIR / "static" if PRODUCTION else None
MEDIA_URL = "/media/"
MEDIA_ROOT = DATA_DIR / "media"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if PRODUCTION
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}
# Serve straight from the app folders in the demo: no collectstatic step before the first run.
WHITENOISE_USE_FINDERS = not PRODUCTION
WHITENOISE_AUTOREFRESH = DEBUG
# Uploads: refuse large bodies before they are read; images are checked again by content.
DATA_UPLOAD_MAX_MEMORY_SIZE = 12 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
MAX_IMAGE_BYTES = env_int("HUOYUAN_MAX_IMAGE_BYTES", 8 * 1024 * 1024, minimum=1024)
MAX_IMAGE_PIXELS = env_int("HUOYUAN_MAX_IMAGE_PIXELS", 40_000_000, minimum=10_000)
MAX_IMPORT_BYTES = env_int("HUOYUAN_MAX_IMPORT_BYTES", 20 * 1024 * 1024, minimum=1024)

SEARCH_BACKEND = env_choice("HUOYUAN_SEARCH_BACKEND", "database", {"database", "tantivy"})
# The embedded engine's index (written by the worker only; read by every web process).
SEARCH_INDEX_DIR = DATA_DIR / "search-index"

# --- security --------------------------------------------------------------------------------
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = True
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF, CSP.NONCE],
    "style-src": [CSP.SELF],
    "img-src": [CSP.SELF, "data:"],
    "connect-src": [CSP.SELF],
    "font-src": [CSP.SELF],
    "object-src": [CSP.NONE],
    "base-uri": [CSP.SELF],
    "form-action": [CSP.SELF],
    "frame-ancestors": [CSP.NONE],
}
if PRODUCTION:
    SECURE_SSL_REDIRECT = env_bool("HUOYUAN_SSL_REDIRECT", True)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_HSTS_SECONDS = env_int("HUOYUAN_HSTS_SECONDS", 31_536_000, minimum=0)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env_str("HUOYUAN_LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}

# --- API -------------------------------------------------------------------------------------
NINJA_PAGINATION_PER_PAGE = 24
NINJA_PAGINATION_MAX_PER_PAGE_SIZE = 100

# Anonymous visitors of public listing pages get a cached render for this long (0 = off); any
# change to public content moves the cache's version, so edits show on the next request.
PAGE_CACHE_SECONDS = env_int("HUOYUAN_PAGE_CACHE_SECONDS", 60, minimum=0)
