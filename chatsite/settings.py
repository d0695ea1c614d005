"""Settings for chatsite, the project that serves chathistory. Everything comes from the environment.

- ``DATABASE_URL``: dj-database-url's format; default an SQLite file ``db.sqlite3`` at the repo root.
- ``DJANGO_SECRET_KEY``: required unless ``DJANGO_DEBUG`` is on.
- ``DJANGO_DEBUG``: ``1``/``true``/``yes`` turns debug on; off by default.
- ``DJANGO_ALLOWED_HOSTS``: comma-separated; with debug on, local hosts are allowed as well.
- ``DJANGO_HTTPS``: ``1`` in production: HTTPS redirect, HSTS (``DJANGO_HSTS_SECONDS``, default a
  year; ``DJANGO_HSTS_INCLUDE_SUBDOMAINS``, ``DJANGO_HSTS_PRELOAD``, default on), secure cookies.
  ``DJANGO_SECURE_PROXY_SSL_HEADER=1`` trusts a proxy's ``X-Forwarded-Proto``.
- ``DJANGO_CONN_MAX_AGE``: seconds a database connection is kept for the next request, default
  600 (``0`` opens one per request); ``DJANGO_CONN_HEALTH_CHECKS``: check a kept connection
  before reusing it, default on.
- ``CHATHISTORY_THROTTLE_USER``: API requests per authenticated user, default ``1200/minute``.
- ``CHATHISTORY_THROTTLE_ANON``: requests per client address without credentials (the token
  route, the schema), default ``60/minute``. Counts live in the default cache (per process
  unless ``REDIS_URL`` is set).
- ``REDIS_URL``: e.g. ``redis://127.0.0.1:6379/0``; the default cache, shared by every worker and
  host (throttle counts, read-your-writes pins). ``REDIS_KEY_PREFIX`` keeps two sites apart on one Redis.
- ``DATABASE_TRANSACTION_POOLING``: set it when ``DATABASE_URL`` is PgBouncer in transaction mode.
- ``DATABASE_REPLICA_URLS``: comma-separated streaming replicas of ``DATABASE_URL`` (aliases
  ``replica``, ``replica_2``, …); chathistory's reads go to them, a client's reads after its own
  writes to the primary (``chathistory.routers``); ``CHATHISTORY_REPLICA_PIN_SECONDS`` (default 5) and
  ``CHATHISTORY_REPLICA_MAX_LAG_SECONDS`` (default 5) tune it.
"""

from __future__ import annotations

import os
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent


def env_flag(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


DEBUG = env_flag("DJANGO_DEBUG")
SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "DJANGO_SECRET_KEY is not set. Set it to a long random string, or set DJANGO_DEBUG=1 for local development."
        )
    SECRET_KEY = "insecure-development-key-do-not-use-in-production"

ALLOWED_HOSTS = [host.strip() for host in os.environ.get("DJANGO_ALLOWED_HOSTS", "").split(",") if host.strip()]
if DEBUG:
    ALLOWED_HOSTS += ["localhost", "127.0.0.1", "[::1]"]

# Served over HTTPS (DJANGO_HTTPS=1 in production): plain HTTP is redirected, browsers are told
# to keep to HTTPS (HSTS), cookies travel only over it. /healthz stays reachable over plain HTTP
# for health checkers inside the network. Behind a proxy that terminates TLS and sets
# X-Forwarded-Proto, DJANGO_SECURE_PROXY_SSL_HEADER=1 lets Django see that a request was HTTPS.
if env_flag("DJANGO_HTTPS"):
    SECURE_SSL_REDIRECT = True
    SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
    SECURE_HSTS_SECONDS = int(os.environ.get("DJANGO_HSTS_SECONDS", str(365 * 24 * 3600)))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = env_flag("DJANGO_HSTS_INCLUDE_SUBDOMAINS", True)
    SECURE_HSTS_PRELOAD = env_flag("DJANGO_HSTS_PRELOAD", True)
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
if env_flag("DJANGO_SECURE_PROXY_SSL_HEADER"):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework.authtoken",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "chathistory",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "chathistory.middleware.DatabaseUnavailableMiddleware",
]

ROOT_URLCONF = "chatsite.urls"
WSGI_APPLICATION = "chatsite.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]


def env_int(name: str, default: int) -> int:
    value = os.environ.get(name, "").strip()
    if not value:
        return default
    try:
        return int(value)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a whole number of seconds, not {value!r}.") from None


def database_from_env() -> dict:
    # Connections outlive a request (opening one costs more than most requests); the health
    # check reopens one the server closed, so a database restart heals without a restart here.
    config = dj_database_url.config(
        default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}",
        conn_max_age=env_int("DJANGO_CONN_MAX_AGE", 600),
        conn_health_checks=env_flag("DJANGO_CONN_HEALTH_CHECKS", True),
    )
    if config["ENGINE"] == "django.db.backends.sqlite3":
        # Concurrent writers: WAL lets readers run beside a writer, IMMEDIATE takes the write
        # lock at BEGIN (no deadlock-prone lock upgrades), and the timeout waits for it.
        # synchronous=FULL syncs the WAL at every commit: an acknowledged append survives a
        # power cut, as it does on PostgreSQL with synchronous_commit=on.
        config["OPTIONS"] = {
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;",
            **config.get("OPTIONS", {}),
        }
    return config


DATABASES = {"default": database_from_env()}


def replicas_from_env() -> dict[str, dict]:
    urls = [url.strip() for url in os.environ.get("DATABASE_REPLICA_URLS", "").split(",") if url.strip()]
    aliases = ["replica" if number == 1 else f"replica_{number}" for number in range(1, len(urls) + 1)]
    return {
        alias: {
            **config,
            # A replica that does not answer is skipped quickly; tests read through the primary.
            "OPTIONS": {"connect_timeout": 2, **config.get("OPTIONS", {})},
            "TEST": {"MIRROR": "default"},
        }
        for alias, url in zip(aliases, urls, strict=True)
        for config in [dj_database_url.parse(url, conn_max_age=60, conn_health_checks=True)]
    }


# Behind PgBouncer in transaction mode a cursor cannot outlive its transaction's server connection.
if env_flag("DATABASE_TRANSACTION_POOLING"):
    DATABASES["default"]["DISABLE_SERVER_SIDE_CURSORS"] = True

READ_REPLICAS = replicas_from_env()
if READ_REPLICAS:
    DATABASES.update(READ_REPLICAS)
    DATABASE_ROUTERS = ["chathistory.routers.ReplicaRouter"]
    MIDDLEWARE.insert(0, "chathistory.middleware.ReplicaPinMiddleware")

if os.environ.get("REDIS_URL"):
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": os.environ["REDIS_URL"],
            "KEY_PREFIX": os.environ.get("REDIS_KEY_PREFIX", "chatsite"),
        }
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
# Serve static files straight from the apps' folders, so no collectstatic step is needed.
WHITENOISE_USE_FINDERS = True

# Bodies up to 16 MiB are read (a batch of long messages); larger ones are refused with 413.
DATA_UPLOAD_MAX_MEMORY_SIZE = 16 * 1024 * 1024

LOGIN_URL = "admin:login"
# Django's database sessions, with forged keys refused before they reach a query (chatsite/sessions.py).
SESSION_ENGINE = "chatsite.sessions"

# chathistory's API sets its own DRF policies (authentication, renderers, pagination,
# throttles, schema), so chatsite needs no REST_FRAMEWORK settings for it.

# The app's limits at their defaults (see chathistory/conf.py), and throttle rates from the environment.
CHATHISTORY = {
    "MAX_CONTENT_LENGTH": 1_000_000,
    "MAX_METADATA_BYTES": 16_384,
    "MAX_BATCH_SIZE": 1000,
    "READ_REPLICAS": list(READ_REPLICAS),
    "REPLICA_PIN_SECONDS": int(os.environ.get("CHATHISTORY_REPLICA_PIN_SECONDS", "5")),
    "REPLICA_MAX_LAG_SECONDS": int(os.environ.get("CHATHISTORY_REPLICA_MAX_LAG_SECONDS", "5")),
    "THROTTLE_RATES": {
        "anon": os.environ.get("CHATHISTORY_THROTTLE_ANON", "60/minute"),
        "user": os.environ.get("CHATHISTORY_THROTTLE_USER", "1200/minute"),
    },
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "loggers": {
        "chathistory": {"handlers": ["console"], "level": os.environ.get("CHATHISTORY_LOG_LEVEL", "INFO")},
        # Every server error with its traceback, on stderr whatever DEBUG says (Django's own
        # console handler speaks only in debug). Django logs the path, never the request body.
        "django.request": {"handlers": ["console"], "level": "ERROR", "propagate": False},
    },
}
