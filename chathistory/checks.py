"""System checks for what a project must set up for chathistory (chathistory.E001…, W001…).

Errors are what breaks the app (a missing app, a bad ``CHATHISTORY`` value); warnings are what
works until load or size reveals it (SQLite without its concurrency options, a body limit
below the content limit).
"""

from __future__ import annotations

from typing import Any

from django.apps import apps
from django.conf import settings
from django.core.checks import CheckMessage, Error, Tags, Warning, register
from django.utils.module_loading import import_string

from chathistory.conf import DEFAULTS, LIMITS, OPTIONAL_LIMITS, app_settings

TOKEN_AUTHENTICATION = "chathistory.api.authentication.TokenAuthentication"
SESSION_AUTHENTICATION = "rest_framework.authentication.SessionAuthentication"

#: The apps the API, its docs and its filters need, and why.
REQUIRED_APPS = {
    "django.contrib.auth": "conversations belong to users",
    "django.contrib.contenttypes": "django.contrib.auth needs it",
    "rest_framework": "the REST API and its browsable pages",
    "django_filters": "the API's list filters",
    "drf_spectacular": "the schema/ and docs/ routes",
    "drf_spectacular_sidecar": "the docs page's Swagger UI files (served with no CDN)",
}
#: JSON of a message is longer than its content (escapes, the other fields): leave room for it.
BODY_HEADROOM = 64 * 1024


@register()
def check_settings(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    config = getattr(settings, "CHATHISTORY", {})
    if not isinstance(config, dict):
        return [Error("CHATHISTORY must be a dict.", id="chathistory.E001")]
    errors: list[CheckMessage] = []
    for name in sorted(set(config) - set(DEFAULTS)):
        errors.append(
            Error(
                f"CHATHISTORY has an unknown key {name!r}.",
                hint=f"Known keys: {', '.join(sorted(DEFAULTS))}.",
                id="chathistory.E002",
            )
        )
    replicas = config.get("READ_REPLICAS", ())
    if not isinstance(replicas, (list, tuple)) or not all(alias in settings.DATABASES for alias in replicas):
        errors.append(
            Error(
                f"CHATHISTORY['READ_REPLICAS'] must be a list of DATABASES aliases, not {replicas!r}.",
                id="chathistory.E007",
            )
        )
    search_config = config.get("SEARCH_CONFIG", "simple")
    if not isinstance(search_config, str) or not search_config:
        errors.append(
            Error(
                f"CHATHISTORY['SEARCH_CONFIG'] must name a text search configuration, not {search_config!r}.",
                hint="Such as 'simple' (whole words in any language) or 'english'.",
                id="chathistory.E008",
            )
        )
    for name in sorted(set(config) & {*LIMITS, *OPTIONAL_LIMITS, "REPLICA_PIN_SECONDS", "REPLICA_MAX_LAG_SECONDS"}):
        value = config[name]
        if value is None and name in OPTIONAL_LIMITS:
            continue
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            errors.append(
                Error(
                    f"CHATHISTORY[{name!r}] must be a positive integer, not {value!r}.",
                    id="chathistory.E003",
                )
            )
    if "AUTHENTICATION_CLASSES" in config:
        errors.extend(_authentication_errors(config["AUTHENTICATION_CLASSES"]))
    if "THROTTLE_RATES" in config:
        errors.extend(_throttle_errors(config["THROTTLE_RATES"]))
    return errors


def _authentication_errors(paths: object) -> list[CheckMessage]:
    if not isinstance(paths, list | tuple) or not paths or not all(isinstance(path, str) for path in paths):
        return [
            Error(
                "CHATHISTORY['AUTHENTICATION_CLASSES'] must be a non-empty list of dotted paths.",
                hint=f"The default is [{TOKEN_AUTHENTICATION!r}, {SESSION_AUTHENTICATION!r}].",
                id="chathistory.E004",
            )
        ]
    errors: list[CheckMessage] = []
    for path in paths:
        try:
            import_string(path)
        except ImportError as error:
            errors.append(
                Error(
                    f"CHATHISTORY['AUTHENTICATION_CLASSES'] names {path!r}, which cannot be imported: {error}",
                    id="chathistory.E004",
                )
            )
    return errors


def _throttle_errors(rates: object) -> list[CheckMessage]:
    from chathistory.api.throttling import rate_problem  # the api package is DRF's side of the app

    known = sorted(DEFAULTS["THROTTLE_RATES"])
    if not isinstance(rates, dict):
        return [
            Error(
                "CHATHISTORY['THROTTLE_RATES'] must be a dict of scope to rate.",
                hint=f"Scopes: {', '.join(known)}; a rate such as '60/minute', or None for no limit.",
                id="chathistory.E005",
            )
        ]
    errors: list[CheckMessage] = []
    for scope, rate in rates.items():
        problem = f"is not a scope of the API (scopes: {', '.join(known)})" if scope not in known else None
        problem = problem or rate_problem(rate)
        if problem:
            errors.append(
                Error(f"CHATHISTORY['THROTTLE_RATES'][{scope!r}] {problem}, not {rate!r}.", id="chathistory.E005")
            )
    return errors


@register()
def check_installed_apps(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    from rest_framework.authentication import SessionAuthentication, TokenAuthentication

    required = dict(REQUIRED_APPS)
    classes = _configured_authentication()
    if any(issubclass(cls, TokenAuthentication) for cls in classes):
        required["rest_framework.authtoken"] = "Authorization: Token and the auth/token/ route"
    if any(issubclass(cls, SessionAuthentication) for cls in classes):
        required["django.contrib.sessions"] = "session authentication and the browsable API's login"
    return [
        Error(
            f"{name!r} is not in INSTALLED_APPS; chathistory needs it for {why}.",
            hint=f'Add {name!r} to INSTALLED_APPS (the README\'s "Add it to your Django project" lists them).',
            id="chathistory.E006",
        )
        for name, why in required.items()
        if not apps.is_installed(name)
    ]


def _configured_authentication() -> list[type]:
    """The configured classes that import (chathistory.E004 reports the others)."""
    try:
        paths = [path for path in app_settings.AUTHENTICATION_CLASSES if isinstance(path, str)]
    except TypeError:
        return []
    classes = []
    for path in paths:
        try:
            found = import_string(path)
        except ImportError:
            continue
        if isinstance(found, type):
            classes.append(found)
    return classes


@register(Tags.database)
def check_sqlite_options(app_configs: Any = None, databases: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """SQLite serves concurrent writers only in WAL mode, waiting for the lock, taking it at BEGIN."""
    found = (sqlite_warning(alias, config) for alias, config in settings.DATABASES.items())
    return [warning for warning in found if warning is not None]


def sqlite_warning(alias: str, config: dict[str, Any]) -> Warning | None:
    """chathistory.W001 for one database, if it is an SQLite file without the options concurrency needs."""
    if config.get("ENGINE") != "django.db.backends.sqlite3" or _in_memory(config):
        return None
    options = config.get("OPTIONS", {})
    missing = []
    if "journal_mode=wal" not in str(options.get("init_command", "")).replace(" ", "").lower():
        missing.append('"init_command": "PRAGMA journal_mode=WAL;"')
    if not options.get("timeout"):
        missing.append('"timeout": 20')
    if str(options.get("transaction_mode", "")).upper() != "IMMEDIATE":
        missing.append('"transaction_mode": "IMMEDIATE"')
    if not missing:
        return None
    return Warning(
        f"The SQLite database {alias!r} is not set up for concurrent writers: two requests "
        "appending at once can fail with 'database is locked'.",
        hint=f"Add to DATABASES[{alias!r}]['OPTIONS']: {', '.join(missing)}.",
        id="chathistory.W001",
    )


def _in_memory(config: dict[str, Any]) -> bool:
    name = str(config.get("NAME") or "")
    return name in ("", ":memory:") or "mode=memory" in name


@register()
def check_body_size(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    try:
        content_length = int(app_settings.MAX_CONTENT_LENGTH)
    except (TypeError, ValueError):  # chathistory.E003 says so
        return []
    # A character of content can take up to 6 bytes of JSON ("\uXXXX"); 4 is UTF-8's most.
    needed = 4 * content_length + BODY_HEADROOM
    if limit is None or limit >= needed:
        return []
    return [
        Warning(
            f"DATA_UPLOAD_MAX_MEMORY_SIZE ({limit:,} bytes) is too small for a message of "
            f"MAX_CONTENT_LENGTH ({content_length:,} characters): the API answers such a request with 413.",
            hint=f"Set DATA_UPLOAD_MAX_MEMORY_SIZE to at least {needed:,} (chatsite uses 16 MiB).",
            id="chathistory.W002",
        )
    ]


@register()
def check_static_files(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    if apps.is_installed("django.contrib.staticfiles"):
        return []
    return [
        Warning(
            "'django.contrib.staticfiles' is not in INSTALLED_APPS: the API docs page (Swagger UI from "
            "drf-spectacular-sidecar) and the browsable API load no styles or scripts.",
            hint="Add 'django.contrib.staticfiles', set STATIC_URL and STATIC_ROOT, and serve them "
            "(collectstatic behind your web server, or WhiteNoise).",
            id="chathistory.W003",
        )
    ]
