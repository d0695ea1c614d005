import threading
from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.test import override_settings
from django.utils import timezone

from chathistory.models import IdempotencyKey, Message
from tests.conftest import api_client_for
from tests.factories import make_conversation, make_user


def messages_url(conversation):
    return f"/api/conversations/{conversation.id}/messages/"


def post(api, conversation, body, key="key-1", **kwargs):
    return api.post(messages_url(conversation), body, format="json", HTTP_IDEMPOTENCY_KEY=key, **kwargs)


MESSAGE = {"role": "user", "content": "Hello", "metadata": {"a": 1, "b": [1, 2]}}


def test_a_retry_with_the_same_key_and_body_replays_the_first_answer_and_stores_nothing(api, conversation):
    first = post(api, conversation, MESSAGE)
    retry = post(api, conversation, MESSAGE)

    assert first.status_code == 201 and "Idempotent-Replayed" not in first.headers
    assert retry.status_code == 200
    assert retry.headers["Idempotent-Replayed"] == "true"
    assert retry.json() == first.json()
    assert Message.objects.filter(conversation=conversation).count() == 1


def test_a_body_equal_as_parsed_json_counts_as_the_same(api, conversation):
    post(api, conversation, MESSAGE)
    spaced = '{ "metadata": {"b": [1, 2], "a": 1},\n "content": "Hello", "role": "user" }'

    retry = api.post(messages_url(conversation), spaced, content_type="application/json", HTTP_IDEMPOTENCY_KEY="key-1")

    assert retry.status_code == 200
    assert Message.objects.count() == 1


def test_a_batch_is_replayed_as_an_array(api, conversation):
    batch = [{"role": "user", "content": "a"}, {"role": "assistant", "content": "b"}]
    first = post(api, conversation, batch)
    post(api, conversation, {"role": "user", "content": "in between"}, key="key-2")

    retry = post(api, conversation, batch)

    assert retry.status_code == 200
    assert retry.json() == first.json()
    assert [m["seq"] for m in retry.json()] == [1, 2]


def test_the_same_key_with_a_different_body_is_422_and_stores_nothing(api, conversation):
    post(api, conversation, MESSAGE)

    response = post(api, conversation, {**MESSAGE, "content": "Hello!"})

    assert response.status_code == 422
    assert "detail" in response.json()
    assert Message.objects.count() == 1


def test_a_rejected_request_does_not_consume_its_key(api, conversation):
    rejected = post(api, conversation, {"role": "user", "contnet": "typo"})
    fixed = post(api, conversation, MESSAGE)

    assert rejected.status_code == 400
    assert fixed.status_code == 201
    assert Message.objects.count() == 1


def test_a_key_belongs_to_its_conversation(api, user, conversation):
    other = make_conversation(user=user)

    assert post(api, conversation, MESSAGE).status_code == 201
    assert post(api, other, MESSAGE).status_code == 201


def test_without_a_key_every_request_appends(api, conversation):
    for _ in range(2):
        assert api.post(messages_url(conversation), MESSAGE, format="json").status_code == 201

    assert Message.objects.count() == 2


@pytest.mark.parametrize("key", ["", "k" * 256])
def test_an_empty_or_overlong_key_is_a_400_naming_the_header(api, conversation, key):
    response = post(api, conversation, MESSAGE, key=key)

    assert response.status_code == 400
    assert list(response.json()) == ["Idempotency-Key"]
    assert not Message.objects.exists()


def test_another_users_key_on_their_conversation_is_404(other_api, conversation):
    assert post(other_api, conversation, MESSAGE).status_code == 404
    assert not IdempotencyKey.objects.exists()


@override_settings(CHATHISTORY={"IDEMPOTENCY_KEY_RETENTION_HOURS": 2})
def test_the_purge_command_deletes_keys_past_the_retention_setting(api, conversation):
    post(api, conversation, MESSAGE, key="old")
    post(api, conversation, MESSAGE, key="new")
    IdempotencyKey.objects.filter(key="old").update(created_at=timezone.now() - timedelta(hours=3))
    out = StringIO()

    call_command("chathistory_purge_idempotency_keys", stdout=out)

    assert list(IdempotencyKey.objects.values_list("key", flat=True)) == ["new"]
    assert "Deleted 1" in out.getvalue()
    assert post(api, conversation, MESSAGE, key="old").status_code == 201


def test_the_purge_command_refuses_negative_hours(db):
    with pytest.raises(CommandError, match="--hours"):
        call_command("chathistory_purge_idempotency_keys", "--hours", "-1")


def test_a_stored_key_records_the_seqs_it_answers_with(api, conversation):
    post(api, conversation, [MESSAGE, MESSAGE])

    record = IdempotencyKey.objects.get()
    assert (record.first_seq, record.last_seq) == (1, 2)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_ten_racing_requests_with_one_key_store_one_message():
    user = make_user()
    conversation = make_conversation(user=user)
    api_client_for(user)  # the token, before the threads race for it
    barrier = threading.Barrier(10)
    statuses, bodies = [], []

    def send():
        client = api_client_for(user)
        barrier.wait()
        try:
            response = post(client, conversation, MESSAGE, key="raced")
            statuses.append(response.status_code)
            bodies.append(response.json())
        finally:
            connection.close()

    threads = [threading.Thread(target=send) for _ in range(10)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(statuses) == [200] * 9 + [201]
    assert Message.objects.filter(conversation=conversation).count() == 1
    assert all(body == bodies[0] for body in bodies)
