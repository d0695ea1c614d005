import base64
from unittest import mock
from urllib.parse import urlencode

import pytest
from django.conf import settings
from django.core.cache import cache
from django.db import OperationalError
from django.test import Client, override_settings
from rest_framework.test import APIClient

from chathistory.models import Conversation, Message
from tests.conftest import CHAT_DATABASE
from tests.factories import make_conversation


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


@pytest.mark.parametrize(
    "method, path, body",
    [
        ("patch", "CONVERSATION", '{"\\ud800": []}'),
        ("post", "/api/conversations/", '{"\\ud800": []}'),
        ("post", "MESSAGES", '{"role": "user", "content": "x", "\\ud800": []}'),
    ],
)
def test_an_unknown_key_with_a_lone_surrogate_is_a_400_naming_it_escaped(api, conversation, method, path, body):
    url = {"CONVERSATION": f"/api/conversations/{conversation.id}/", "MESSAGES": messages_url(conversation)}.get(
        path, path
    )

    response = getattr(api, method)(url, body, content_type="application/json")

    assert_json_error(response, 400)
    assert list(response.json()) == ["\\ud800"]
    assert Conversation.objects.get().title == "Weather in Paris"
    assert not Message.objects.exists()


def test_a_batch_item_with_a_lone_surrogate_key_is_named_escaped(api, conversation):
    body = '[{"role": "user", "content": "x"}, {"role": "user", "content": "y", "\\udfff": 1}]'

    response = api.post(messages_url(conversation), body, content_type="application/json")

    assert_json_error(response, 400)
    assert response.json()[0] == {}
    assert list(response.json()[1]) == ["\\udfff"]
    assert not Message.objects.exists()


@pytest.mark.parametrize("charset", ["rot13", "zlib", "base64"])
def test_a_charset_that_is_not_a_text_encoding_is_415(api, conversation, charset):
    response = api.post(
        messages_url(conversation),
        b'{"role": "user", "content": "x"}',
        content_type=f"application/json; charset={charset}",
    )

    assert_json_error(response, 415)
    assert not Message.objects.exists()


def test_the_docs_page_answers_options_with_405_not_a_crash(db):
    response = APIClient().options("/api/docs/")

    assert response.status_code == 405


@pytest.mark.parametrize("query", ["", "?format=json", "?format=api", "?format=nonsense"])
def test_the_docs_page_ignores_a_stale_token(db, query):
    client = APIClient(raise_request_exception=False)
    client.credentials(HTTP_AUTHORIZATION="Token no-such-token")

    response = client.get("/api/docs/" + query)

    assert response.status_code == (200 if not query else 404)


@pytest.mark.parametrize(
    "content_type", ["text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x"]
)
def test_a_body_that_is_not_json_is_415(api, conversation, content_type):
    response = api.post(messages_url(conversation), b"role=user&content=hi", content_type=content_type)

    assert_json_error(response, 415)
    assert not Message.objects.exists()


def test_a_body_without_a_content_type_is_415(api, conversation):
    response = api.generic("PATCH", f"/api/conversations/{conversation.id}/", b'{"title": "x"}', content_type="")

    assert_json_error(response, 415)
    assert Conversation.objects.get(pk=conversation.pk).title == "Weather in Paris"


@override_settings(DATA_UPLOAD_MAX_MEMORY_SIZE=1000)
@pytest.mark.parametrize("path", ["/api/conversations/", "MESSAGES", "/api/conversations/import/"])
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


def test_bodies_up_to_16_mib_are_read_and_a_larger_one_is_a_json_413(api, conversation):
    assert settings.DATA_UPLOAD_MAX_MEMORY_SIZE == 16 * 1024 * 1024
    message = {"role": "user", "content": "x" * 999_000}  # within MAX_CONTENT_LENGTH

    within = api.post(messages_url(conversation), [message] * 16, format="json")  # about 16.0 MB
    over = api.post(messages_url(conversation), [message] * 17, format="json")  # about 17.0 MB

    assert within.status_code == 201 and len(within.json()) == 16
    assert_json_error(over, 413)
    assert Message.objects.filter(conversation=conversation).count() == 16


def test_a_body_within_the_limit_is_read(api, conversation):
    response = api.post(messages_url(conversation), {"role": "user", "content": "x" * 900_000}, format="json")

    assert response.status_code == 201


@pytest.mark.parametrize("path", ["/api/nothing/", "/api/conversations/a.b/"])
def test_an_unknown_api_path_is_a_json_404(api, path):
    assert_json_error(api.get(path), 404)


def encoded(querystring):
    return base64.b64encode(querystring.encode()).decode()


def at(position, **tokens):
    """A cursor as the server writes one: its tokens URL-encoded, then base64."""
    return encoded(urlencode({"p": position, **tokens}))


@pytest.mark.parametrize(
    "cursor",
    [
        encoded("p=not-a-date"),
        encoded("p=2024-01-01&o=abc"),
        encoded("r=x"),
        # A date that exists, but not once moved to UTC (it would overflow in the database).
        at("9999-12-31 23:59:59-01:00"),
        at("0001-01-01 00:00:00+01:00"),
        at("2024-01-01 00:00:00"),  # naive: the server always writes the offset
        at("2024-02-30 00:00:00+00:00"),
        at("2024-01-01 00:00:00+24:00"),
        encoded("o=-1"),
        encoded("o=1e3"),
        encoded("o= 7"),
        encoded("o=" + "9" * 30),
        encoded("r=2"),
        encoded("p=2024-01-01&p=2025-01-01"),
        encoded("q=1"),
        encoded("p"),
        encoded("p=%FF"),
        "!!!!",
        "%%%",
        "====",
        "cD0x",
        "cD0xIA",
        "é",
        "Zm9v" * 300,
    ],
)
def test_a_cursor_the_server_did_not_issue_is_404_on_conversations(api, conversation, cursor):
    response = api.get("/api/conversations/", {"cursor": cursor})

    assert_json_error(response, 404)
    assert response.json() == {"detail": "Invalid cursor"}


@pytest.mark.parametrize(
    "cursor",
    [
        encoded("p=abc"),
        encoded("p=-1"),
        encoded("p=2147483648"),
        encoded("p=1.5"),
        encoded("p=\u0663"),
        encoded("p=1_0"),
        encoded("p= 1"),
        encoded("p="),
        "!!!!",
        "%%%",
    ],
)
def test_a_cursor_the_server_did_not_issue_is_404_on_messages(api, conversation, cursor):
    assert_json_error(api.get(messages_url(conversation), {"cursor": cursor}), 404)


def test_every_cursor_the_server_issues_is_read_back(api, user):
    for number in range(5):
        make_conversation(user=user, title=f"c{number}")
    seen, url = [], "/api/conversations/?page_size=2"
    while url:
        page = api.get(url).json()
        seen += [item["title"] for item in page["results"]]
        url = page["next"]

    assert sorted(seen) == ["c0", "c1", "c2", "c3", "c4"]


def test_a_cursor_with_an_offset_in_any_timezone_reads_the_same_instant(api, user):
    older = make_conversation(user=user, title="older")
    newer = make_conversation(user=user, title="newer")
    Conversation.objects.filter(pk=older.pk).update(updated_at="2024-01-01T10:00:00+00:00")
    Conversation.objects.filter(pk=newer.pk).update(updated_at="2024-01-01T12:00:00+00:00")

    # 12:30 at +13:00 is 23:30 UTC the day before: nothing is older than that.
    far_east = api.get("/api/conversations/", {"cursor": at("2024-01-01 12:30:00+13:00")})
    # 06:00 at -05:00 is 11:00 UTC: only the older one comes after it.
    west = api.get("/api/conversations/", {"cursor": at("2024-01-01 06:00:00-05:00")})

    assert [item["title"] for item in far_east.json()["results"]] == []
    assert [item["title"] for item in west.json()["results"]] == ["older"]


def test_a_cursor_at_the_end_of_time_is_read_without_error(api, conversation):
    response = api.get("/api/conversations/", {"cursor": at("9999-12-31 23:59:59.999999+00:00")})

    assert response.status_code == 200
    assert [item["id"] for item in response.json()["results"]] == [str(conversation.id)]


def test_an_empty_cursor_is_no_cursor_as_for_every_parameter(api, conversation):
    response = api.get("/api/conversations/", {"cursor": ""})

    assert response.status_code == 200
    assert [item["id"] for item in response.json()["results"]] == [str(conversation.id)]


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
    broken = mock.Mock(cursor=mock.Mock(side_effect=OperationalError("connection refused")))
    with mock.patch("chatsite.views.connections", {CHAT_DATABASE: broken}):
        response = APIClient().get("/healthz")

    assert response.status_code == 503
    assert response.json()["status"] == "unavailable"


def test_sign_in_attempts_on_the_browsable_api_count_against_the_anonymous_limit(db, settings):
    cache.clear()
    settings.CHATHISTORY = {**settings.CHATHISTORY, "THROTTLE_RATES": {"anon": "2/minute"}}
    client = Client()
    guess = {"username": "nobody", "password": "guess"}

    assert client.get("/api/auth/login/").status_code == 200  # reading the form is not an attempt
    token = APIClient().post("/api/auth/token/", guess, format="json")
    first = client.post("/api/auth/login/", guess)
    second = client.post("/api/auth/login/", guess)

    assert (token.status_code, first.status_code, second.status_code) == (400, 200, 429)
    assert int(second["Retry-After"]) > 0
    cache.clear()
