import base64
from unittest import mock

import pytest
from django.core.cache import cache
from django.db import OperationalError
from django.test import override_settings
from rest_framework.test import APIClient

from chathistory.models import Conversation, Message


def messages_url(conversation):
    return f"/api/conversations/{conversation.id}/messages/"


def assert_json_error(response, status):
    assert response.status_code == status
    assert response["Content-Type"].startswith("application/json")
    assert response.json()


@pytest.mark.parametrize("body", ['{"role": "user",', "{'role': 'user'}", "", "\xff", '{"a": NaN}'])
def test_malformed_json_is_400_and_stores_nothing(api, conversation, body):
    response = api.post(messages_url(conversation), body.encode("latin-1"), content_type="application/json")

    assert_json_error(response, 400)
    assert not Message.objects.exists()


def test_json_nested_beyond_the_decoders_recursion_is_400(api, conversation):
    body = "[" * 200_000 + "]" * 200_000

    assert_json_error(api.post(messages_url(conversation), body, content_type="application/json"), 400)


def test_metadata_nested_too_deeply_is_a_400_naming_it(api, conversation):
    deep = {}
    for _ in range(150):
        deep = {"k": deep}

    response = api.post(messages_url(conversation), {"role": "user", "content": "x", "metadata": deep}, format="json")

    assert_json_error(response, 400)
    assert "metadata" in response.json()


@pytest.mark.parametrize("text", ['"\\ud800"', '"a\\u0000b"'])
def test_unstorable_characters_are_a_400_naming_the_field(api, conversation, text):
    body = f'{{"role": "user", "content": {text}}}'

    response = api.post(messages_url(conversation), body, content_type="application/json")

    assert_json_error(response, 400)
    assert "content" in response.json()


@pytest.mark.parametrize("content_type", ["text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x"])
def test_a_body_that_is_not_json_is_415(api, conversation, content_type):
    response = api.post(messages_url(conversation), b"role=user&content=hi", content_type=content_type)

    assert_json_error(response, 415)
    assert not Message.objects.exists()


def test_a_body_without_a_content_type_is_415(api, conversation):
    response = api.generic("PATCH", f"/api/conversations/{conversation.id}/", b'{"title": "x"}', content_type="")

    assert_json_error(response, 415)
    assert Conversation.objects.get(pk=conversation.pk).title == "Weather in Paris"


@override_settings(DATA_UPLOAD_MAX_MEMORY_SIZE=1000)
@pytest.mark.parametrize("path", ["/api/conversations/", "MESSAGES"])
def test_a_body_over_the_upload_limit_is_413(api, conversation, path):
    url = messages_url(conversation) if path == "MESSAGES" else path
    body = {"role": "user", "content": "x" * 2000}

    response = api.post(url, body, format="json")

    assert_json_error(response, 413)
    assert "1,000 bytes" in response.json()["detail"]
    assert not Message.objects.exists()


def test_django_refusing_a_large_body_is_413_as_well(api, conversation):
    with override_settings(DATA_UPLOAD_MAX_MEMORY_SIZE=10):
        request_body_read_first = mock.patch(
            "chathistory.api.parsers.BoundedJSONParser.parse",
            side_effect=lambda stream, *args, **kwargs: stream.body,
        )
        with request_body_read_first:
            response = api.post(messages_url(conversation), {"role": "user", "content": "x" * 50}, format="json")

    assert_json_error(response, 413)


def test_a_body_within_the_limit_is_read(api, conversation):
    response = api.post(messages_url(conversation), {"role": "user", "content": "x" * 900_000}, format="json")

    assert response.status_code == 201


@pytest.mark.parametrize("path", ["/api/nothing/", "/api/conversations/a.b/"])
def test_an_unknown_api_path_is_a_json_404(api, path):
    assert_json_error(api.get(path), 404)


@pytest.mark.parametrize("position", ["p=not-a-date", "p=2024-01-01&o=abc", "r=x"])
def test_a_forged_cursor_is_404(api, conversation, position):
    cursor = base64.b64encode(position.encode()).decode()

    assert_json_error(api.get("/api/conversations/", {"cursor": cursor}), 404)


def test_a_forged_message_cursor_is_404(api, conversation):
    cursor = base64.b64encode(b"p=abc").decode()

    assert_json_error(api.get(messages_url(conversation), {"cursor": cursor}), 404)


@pytest.mark.parametrize("page_size", ["0", "-5", "abc"])
def test_a_meaningless_page_size_falls_back_to_the_default(api, conversation, page_size):
    assert api.get("/api/conversations/", {"page_size": page_size}).status_code == 200


def test_too_many_requests_is_429_with_retry_after(api, settings):
    cache.clear()
    settings.CHATHISTORY = {**settings.CHATHISTORY, "THROTTLE_RATES": {"user": "2/minute", "anon": None}}

    statuses = [api.get("/api/conversations/").status_code for _ in range(3)]
    response = api.get("/api/conversations/")

    assert statuses == [200, 200, 429]
    assert_json_error(response, 429)
    assert int(response["Retry-After"]) > 0
    cache.clear()


def test_anonymous_token_requests_are_throttled(db, settings):
    cache.clear()
    settings.CHATHISTORY = {**settings.CHATHISTORY, "THROTTLE_RATES": {"anon": "1/minute"}}
    body = {"username": "nobody", "password": "guess"}

    first = APIClient().post("/api/auth/token/", body, format="json")
    second = APIClient().post("/api/auth/token/", body, format="json")

    assert (first.status_code, second.status_code) == (400, 429)
    assert "Retry-After" in second
    cache.clear()


def test_healthz_answers_ok_after_a_database_round_trip(db, django_assert_num_queries):
    with django_assert_num_queries(1):
        response = APIClient().get("/healthz")

    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_healthz_is_503_with_json_when_the_database_does_not_answer(db):
    with mock.patch("chatsite.views.connection.cursor", side_effect=OperationalError("connection refused")):
        response = APIClient().get("/healthz")

    assert response.status_code == 503
    assert response.json()["status"] == "unavailable"
