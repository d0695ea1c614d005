"""Which database errors mean "cannot reach the database" (a 503 with Retry-After), and which stay errors."""

from __future__ import annotations

import psycopg
import pytest
from django.db import IntegrityError, InterfaceError, OperationalError, ProgrammingError
from psycopg import errors as pg_errors

from chathistory import services
from chathistory.api.unavailable import as_unavailable, database_unreachable


def _wrapped(django_error: type[Exception], cause: Exception) -> Exception:
    """A driver error as Django raises it: its own class, the driver's error as the cause."""
    error = django_error(str(cause))
    error.__cause__ = cause
    return error


@pytest.mark.parametrize(
    "error",
    [
        _wrapped(OperationalError, psycopg.OperationalError("connection failed: Connection refused")),
        _wrapped(OperationalError, pg_errors.AdminShutdown("terminating connection due to administrator command")),
        _wrapped(OperationalError, pg_errors.CannotConnectNow("the database system is starting up")),
        _wrapped(OperationalError, pg_errors.TooManyConnections("too many clients already")),
        InterfaceError("connection already closed"),
        OperationalError("unable to open database file"),
        OperationalError("database is locked"),
    ],
    ids=["refused", "shutdown", "starting", "no-slot", "closed", "sqlite-file", "sqlite-locked"],
)
def test_errors_that_mean_the_database_cannot_be_reached_are_a_503(error):
    assert database_unreachable(error)
    unavailable = as_unavailable(error)
    assert unavailable.status_code == 503 and unavailable.wait == 5


@pytest.mark.parametrize(
    "error",
    [
        _wrapped(OperationalError, pg_errors.QueryCanceled("canceling statement due to statement timeout")),
        _wrapped(OperationalError, pg_errors.DeadlockDetected("deadlock detected")),
        OperationalError("no such table: chathistory_message"),
        IntegrityError("duplicate key"),
        ProgrammingError("syntax error"),
        ValueError("not a database error"),
    ],
    ids=["timeout", "deadlock", "sqlite-schema", "integrity", "programming", "other"],
)
def test_ordinary_errors_are_left_alone(error):
    assert not database_unreachable(error)
    assert as_unavailable(error) is None


def test_an_api_route_answers_503_json_with_retry_after_when_the_database_is_gone(api, monkeypatch):
    def unreachable(*args, **kwargs):
        raise _wrapped(OperationalError, psycopg.OperationalError("connection failed: Connection refused"))

    monkeypatch.setattr(services, "list_conversations", unreachable)

    response = api.get("/api/conversations/")

    assert response.status_code == 503
    assert response["Retry-After"] == "5"
    assert response.json() == {"detail": "The database cannot be reached. Try again shortly."}


def test_an_ordinary_database_error_is_still_a_server_error(api, monkeypatch):
    def broken(*args, **kwargs):
        raise ProgrammingError("syntax error")

    monkeypatch.setattr(services, "list_conversations", broken)

    with pytest.raises(ProgrammingError):
        api.get("/api/conversations/")
