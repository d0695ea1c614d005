"""A server error reaches the console with its traceback, and never with what the client sent."""

import io
import logging
import sys

import pytest
from django.conf import settings
from django.test import override_settings
from django.urls import path
from rest_framework.test import APIClient

from tests.test_settings import run_python

SECRET = "my password is hunter2"


def explode(request):
    raise RuntimeError("the view broke")


urlpatterns = [path("api/explode/", explode), path("explode/", explode)]


def console_handlers():
    # The test runner adds capturing handlers of its own (StreamHandler subclasses).
    return [h for h in logging.getLogger("django.request").handlers if type(h) is logging.StreamHandler]


@pytest.fixture
def console():
    """What django.request's console handler writes, instead of stderr."""
    (handler,) = console_handlers()
    buffer = io.StringIO()
    original = handler.setStream(buffer)
    yield buffer
    handler.setStream(original)


def test_django_request_errors_go_to_the_console_handler_alone():
    config = settings.LOGGING["loggers"]["django.request"]
    assert config["handlers"] == ["console"]
    assert config["propagate"] is False
    assert settings.LOGGING["handlers"]["console"]["class"] == "logging.StreamHandler"

    (handler,) = console_handlers()
    assert handler.stream is sys.stderr


@override_settings(ROOT_URLCONF="tests.test_logging")
@pytest.mark.parametrize("url", ["/api/explode/", "/explode/"])
def test_a_500_is_logged_on_django_request_with_its_traceback(db, console, url, monkeypatch):
    records = []
    monkeypatch.setattr(logging.getLogger("django.request"), "handle", records.append)
    client = APIClient(raise_request_exception=False)

    response = client.post(url, {"content": SECRET}, format="json")

    assert response.status_code == 500
    (record,) = records
    assert record.levelno == logging.ERROR
    assert record.exc_info and record.exc_info[0] is RuntimeError
    assert url in record.getMessage()


@override_settings(ROOT_URLCONF="tests.test_logging")
def test_the_console_shows_the_path_and_traceback_but_not_the_body(db, console):
    client = APIClient(raise_request_exception=False)

    client.post("/api/explode/?q=1", {"content": SECRET}, format="json", HTTP_X_NOTE=SECRET)

    output = console.getvalue()
    assert "Internal Server Error: /api/explode/" in output
    assert "Traceback (most recent call last)" in output
    assert "RuntimeError: the view broke" in output
    assert SECRET not in output


@override_settings(ROOT_URLCONF="tests.test_logging")
def test_client_errors_are_not_logged_as_server_errors(db, console, api):
    api.post("/api/conversations/", {"contnet": SECRET}, format="json")
    api.get("/api/nothing/")

    assert console.getvalue() == ""


def test_the_deployed_settings_print_a_server_errors_traceback_to_stderr_with_debug_off():
    code = (
        "import django; django.setup()\n"
        "from django.test import Client, override_settings\n"
        "from django.urls import path\n"
        "def explode(request): raise RuntimeError('the view broke')\n"
        "urlpatterns = [path('explode/', explode)]\n"
        "with override_settings(ROOT_URLCONF=__name__, ALLOWED_HOSTS=['testserver']):\n"
        f"    print(Client(raise_request_exception=False).post('/explode/', {{'content': {SECRET!r}}}).status_code)\n"
    )
    result = run_python(
        ["-c", code],
        DJANGO_SETTINGS_MODULE="chatsite.settings",
        DJANGO_SECRET_KEY="x",
        DJANGO_DEBUG="0",
        DATABASE_URL="sqlite:///:memory:",
    )

    assert result.stdout.strip() == "500", result.stderr
    assert "Internal Server Error: /explode/" in result.stderr
    assert "RuntimeError: the view broke" in result.stderr
    assert SECRET not in result.stderr
