"""A host project as ``startproject`` makes one, plus exactly the README's "Add it to your Django project".

Then, on purpose, what real projects do that must not change chathistory's routes: a user
model that signs in by email and has no username, DRF defaults of its own (a camelCase
renderer, Basic auth only, admins only, page-number pagination, a global exception handler, a
throttle that would stop the suite, another datetime format), chathistory routed to a second
database, and no WhiteNoise. ``DATABASE_URL`` picks SQLite (default) or PostgreSQL, as for the suite.
"""

from pathlib import Path

import dj_database_url

BASE_DIR = Path(__file__).resolve().parent

# --- startproject ---------------------------------------------------------------------------------
SECRET_KEY = "host-project-tests-only"
DEBUG = False
ALLOWED_HOSTS = ["testserver", "localhost", "127.0.0.1"]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "tests.hostproject.users",
    # --- the README's "Add it to your Django project" ---
    "rest_framework",
    "rest_framework.authtoken",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "chathistory",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "tests.hostproject.urls"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
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

LANGUAGE_CODE = "en-us"
TIME_ZONE = "Europe/Paris"
USE_I18N = True
USE_TZ = True
STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "static-root"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- the README's "Add it to your Django project" -------------------------------------------------
# A message may be up to MAX_CONTENT_LENGTH characters: let Django read bodies that large.
DATA_UPLOAD_MAX_MEMORY_SIZE = 16 * 1024 * 1024
# SQLite only: WAL, a busy timeout and BEGIN IMMEDIATE, so concurrent appends wait instead of failing.
SQLITE_OPTIONS = {
    "transaction_mode": "IMMEDIATE",
    "timeout": 20,
    "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;",
}

# --- the host's own ways ----------------------------------------------------------------------------
AUTH_USER_MODEL = "users.User"


def _database(suffix: str) -> dict:
    config = dj_database_url.config(default=f"sqlite:///{BASE_DIR / f'host{suffix}.sqlite3'}")
    if config["ENGINE"] == "django.db.backends.sqlite3":
        config["NAME"] = str(BASE_DIR / f"host{suffix}.sqlite3")
        config["OPTIONS"] = dict(SQLITE_OPTIONS)
    else:
        config["NAME"] = f"{config['NAME']}_host{suffix}"
    return config


DATABASES = {"default": _database(""), "chat": _database("_chat")}
DATABASE_ROUTERS = ["tests.hostproject.routers.ChatRouter"]

REST_FRAMEWORK = {
    "DEFAULT_RENDERER_CLASSES": ["tests.hostproject.drf.CamelCaseJSONRenderer"],
    "DEFAULT_AUTHENTICATION_CLASSES": ["rest_framework.authentication.BasicAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAdminUser"],
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 2,
    "EXCEPTION_HANDLER": "tests.hostproject.drf.wrapping_exception_handler",
    "DEFAULT_THROTTLE_CLASSES": ["rest_framework.throttling.AnonRateThrottle"],
    "DEFAULT_THROTTLE_RATES": {"anon": "1/day"},
    "DATETIME_FORMAT": "%d/%m/%Y %H:%M",
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.FormParser"],
    "DEFAULT_FILTER_BACKENDS": ["rest_framework.filters.SearchFilter", "rest_framework.filters.OrderingFilter"],
    "DEFAULT_VERSIONING_CLASS": "rest_framework.versioning.AcceptHeaderVersioning",
}

# The suite's speed-ups: quick password hashing, and throttles no test reaches (one test lowers them).
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
CHATHISTORY = {"THROTTLE_RATES": {"anon": "100000/minute", "user": "100000/minute"}}
