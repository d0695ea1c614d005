"""A database that cannot be reached, as the API's 503: ``{"detail": ...}`` with ``Retry-After``.

Only a failure to reach the database becomes a 503: a refused or lost connection, a server that
is starting up or shutting down, or one with no connection slot left. Every other database
error (a constraint, a bad query, a deadlock) is a bug or a conflict, and stays what it is.
"""

from __future__ import annotations

from django.db import InterfaceError, OperationalError
from rest_framework import status
from rest_framework.exceptions import APIException

RETRY_AFTER_SECONDS = 5

# SQLSTATE classes and codes that say "the server is not there for you right now".
_UNREACHABLE_SQLSTATE_CLASSES = ("08",)  # connection exception
_UNREACHABLE_SQLSTATES = frozenset(
    {
        "57P01",  # admin_shutdown: the server is stopping (pg_ctl stop)
        "57P02",  # crash_shutdown
        "57P03",  # cannot_connect_now: starting up, or in recovery
        "53300",  # too_many_connections
    }
)
# SQLite names its "cannot use the file now" errors only in their message.
_SQLITE_UNREACHABLE = ("unable to open database file", "database is locked", "disk i/o error")


class DatabaseUnavailable(APIException):
    status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    default_detail = "The database cannot be reached. Try again shortly."
    default_code = "database_unavailable"
    # DRF's exception handler turns ``wait`` into the Retry-After header.
    wait = RETRY_AFTER_SECONDS


def database_unreachable(exc: BaseException) -> bool:
    """Whether ``exc`` says the database cannot be reached, as opposed to an ordinary database error."""
    if isinstance(exc, InterfaceError):
        # Django raises it for a connection that a failure has closed ("connection already closed").
        return True
    if not isinstance(exc, OperationalError):
        return False
    cause = exc.__cause__
    sqlstate = getattr(cause, "sqlstate", None)
    if cause is not None and hasattr(cause, "sqlstate"):
        # psycopg: an error the server never sent (no SQLSTATE) is a connection that failed or broke.
        return sqlstate is None or sqlstate[:2] in _UNREACHABLE_SQLSTATE_CLASSES or sqlstate in _UNREACHABLE_SQLSTATES
    message = str(exc).lower()
    return any(text in message for text in _SQLITE_UNREACHABLE)


def as_unavailable(exc: BaseException) -> APIException | None:
    """The 503 to answer for ``exc`` when it means the database cannot be reached; otherwise ``None``."""
    if database_unreachable(exc):
        return DatabaseUnavailable()
    return None
