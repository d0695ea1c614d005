"""The append path: the statements it runs, the rules it checks under the row lock, and idempotent appends."""

from __future__ import annotations

from unittest import mock

import pytest
from django.db import connections
from django.test.utils import CaptureQueriesContext

from chathistory import services, statements
from chathistory.exceptions import IdempotencyKeyReused, ValidationError
from chathistory.models import Conversation, IdempotencyKey, Message
from tests.conftest import CHAT_DATABASE
from tests.factories import make_conversation, make_message, tool_call


def _statements(block) -> list[str]:
    """The SQL that ``block()`` sends, less the savepoints of the test's own transaction."""
    with CaptureQueriesContext(connections[CHAT_DATABASE]) as captured:
        block()
    return [q["sql"] for q in captured.captured_queries if "SAVEPOINT" not in q["sql"].upper()]


def _kinds(sql: list[str]) -> list[str]:
    return [" ".join(statement.split()[:3]).upper() for statement in sql]


def _one_statement() -> bool:
    return statements.can_append_in_one_statement(CHAT_DATABASE)


def test_a_plain_append_reserves_its_seq_and_inserts(conversation):
    sql = _statements(lambda: services.add_messages(conversation, [{"role": "user", "content": "a"}] * 3))
    if _one_statement():
        assert len(sql) == 1 and sql[0].startswith("WITH counter AS (UPDATE")
    else:
        assert [s.split()[0].upper() for s in sql] == ["UPDATE", "INSERT"]
    assert list(Message.objects.filter(conversation=conversation).order_by("seq").values_list("seq", flat=True)) == [
        1,
        2,
        3,
    ]


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_on_postgres_a_plain_append_in_autocommit_opens_no_transaction_of_its_own():
    conversation = make_conversation()
    connection = connections[CHAT_DATABASE]
    with mock.patch.object(connection, "set_autocommit", side_effect=AssertionError("a transaction was opened")):
        message = make_message(conversation, content="one round trip")
    assert Message.objects.get(pk=message.pk).seq == 1
    assert Conversation.objects.get(pk=conversation.pk).message_count == 1


@pytest.mark.postgres
def test_on_postgres_a_plain_append_to_a_deleted_conversation_stores_nothing(conversation):
    Conversation.objects.filter(pk=conversation.pk).delete()
    with pytest.raises(Conversation.DoesNotExist):
        make_message(conversation)
    assert not Message.objects.exists()


def test_an_append_with_tool_calls_checks_the_ids_then_inserts_message_and_calls(conversation):
    sql = _statements(
        lambda: make_message(conversation, role="assistant", content=None, tool_calls=[tool_call("a"), tool_call("b")])
    )
    assert [s.split()[0].upper() for s in sql] == ["UPDATE", "SELECT", "INSERT", "INSERT"]
    assert "chathistory_toolcall" in sql[1]


def test_a_tool_result_looks_up_its_call_once(conversation):
    make_message(conversation, role="assistant", content=None, tool_calls=[tool_call("a")])
    sql = _statements(lambda: make_message(conversation, role="tool", tool_call_id="a", content="18C"))
    assert [s.split()[0].upper() for s in sql] == ["UPDATE", "SELECT", "INSERT"]


def test_an_append_under_a_key_looks_the_key_up_under_the_lock_and_stores_it(conversation):
    message = {"role": "user", "content": "hi"}
    sql = _statements(lambda: services.add_messages_once(conversation, [message], key="k"))
    assert [s.split()[0].upper() for s in sql] == ["UPDATE", "SELECT", "INSERT", "INSERT"]
    assert "chathistory_idempotencykey" in sql[1] and "chathistory_idempotencykey" in sql[3]


def test_the_insert_writes_every_concrete_column_of_message(conversation):
    sql = _statements(lambda: make_message(conversation))
    insert = next(s for s in sql if "INSERT" in s.upper())
    for field in Message._meta.concrete_fields:
        if not field.primary_key:
            assert field.column in insert, field.name
    assert [f.name for f in statements.message_insert_fields()] == [
        f.name for f in Message._meta.concrete_fields if f is not Message._meta.pk
    ]


def test_every_field_given_comes_back_from_the_database(conversation):
    made = services.add_message(
        conversation,
        role="assistant",
        content="Sunny.",
        name="forecaster",
        tool_calls=[tool_call("w")],
        metadata={"model": "m", "usage": {"total_tokens": 3}},
    )
    stored = Message.objects.get(pk=made.pk)
    for field in statements.message_insert_fields():
        assert getattr(stored, field.attname) == getattr(made, field.attname), field.name


def test_a_second_answer_is_refused_before_any_insert(conversation):
    make_message(conversation, role="assistant", content=None, tool_calls=[tool_call("a")])
    make_message(conversation, role="tool", tool_call_id="a", content="18C")
    before = Conversation.objects.get(pk=conversation.pk)

    def answer_again():
        with pytest.raises(ValidationError) as rejection:
            make_message(conversation, role="tool", tool_call_id="a", content="19C")
        assert rejection.value.errors == {"tool_call_id": ['The tool call "a" has already been answered.']}

    sql = _statements(answer_again)
    assert [s.split()[0].upper() for s in sql] == ["UPDATE", "SELECT"]
    after = Conversation.objects.get(pk=conversation.pk)
    assert (after.message_count, after.updated_at) == (before.message_count, before.updated_at)


def test_a_call_id_made_again_is_refused_before_any_insert(conversation):
    make_message(conversation, role="assistant", content=None, tool_calls=[tool_call("a")])

    def make_again():
        with pytest.raises(ValidationError) as rejection:
            make_message(conversation, role="assistant", content=None, tool_calls=[tool_call("b"), tool_call("a")])
        assert rejection.value.errors == {
            "tool_calls": ['A tool call with id "a" was already made in this conversation.']
        }

    sql = _statements(make_again)
    assert not any(s.upper().startswith("INSERT") for s in sql)
    assert Message.objects.filter(conversation=conversation).count() == 1


def test_a_batch_answer_to_a_call_made_later_in_the_batch_is_unknown(conversation, nothing_stored):
    with nothing_stored() as rejection:
        services.add_messages(
            conversation,
            [
                {"role": "tool", "tool_call_id": "a", "content": "early"},
                {"role": "assistant", "content": None, "tool_calls": [tool_call("a")]},
            ],
        )
    assert list(rejection.value.errors[0]) == ["tool_call_id"]
    assert rejection.value.errors[1] == {}


def test_add_messages_once_stores_once_and_then_returns_what_it_stored(conversation):
    batch = [{"role": "user", "content": "one"}, {"role": "assistant", "content": "two"}]
    first, created = services.add_messages_once(conversation, batch, key="k")
    assert created and [m.seq for m in first] == [1, 2]
    stamp = Conversation.objects.get(pk=conversation.pk).updated_at

    again, created = services.add_messages_once(conversation, batch, key="k")

    assert not created
    assert [(m.pk, m.seq, m.content) for m in again] == [(m.pk, m.seq, m.content) for m in first]
    stored = Conversation.objects.get(pk=conversation.pk)
    assert (stored.message_count, stored.updated_at) == (2, stamp)
    assert Message.objects.filter(conversation=conversation).count() == 2


def test_add_messages_once_refuses_the_key_with_another_request(conversation):
    services.add_messages_once(conversation, [{"role": "user", "content": "one"}], key="k")
    with pytest.raises(IdempotencyKeyReused):
        services.add_messages_once(conversation, [{"role": "user", "content": "other"}], key="k")
    assert Message.objects.filter(conversation=conversation).count() == 1


def test_a_rejected_append_does_not_use_up_its_key(conversation):
    with pytest.raises(ValidationError):
        services.add_messages_once(conversation, [{"role": "wizard", "content": "x"}], key="k")
    with pytest.raises(ValidationError):
        services.add_messages_once(conversation, [{"role": "tool", "tool_call_id": "nope", "content": "x"}], key="k")
    assert not IdempotencyKey.objects.exists()
    _, created = services.add_messages_once(conversation, [{"role": "user", "content": "x"}], key="k")
    assert created


def test_add_messages_once_compares_the_hash_it_is_given(conversation):
    message = {"role": "user", "content": "x"}
    services.add_messages_once(conversation, [message], key="k", request_hash=services.request_fingerprint(message))
    with pytest.raises(IdempotencyKeyReused):
        services.add_messages_once(conversation, [message], key="k")  # the hash of a list: another request


def test_add_messages_once_needs_at_least_one_message(conversation, nothing_stored):
    with nothing_stored() as rejection:
        services.add_messages_once(conversation, [], key="k")
    assert rejection.value.errors == {"non_field_errors": ["Send at least one message."]}


def test_keys_are_per_conversation(conversation, user):
    other, _ = services.get_or_create_conversation(user)
    message = [{"role": "user", "content": "x"}]
    assert services.add_messages_once(conversation, message, key="k")[1]
    assert services.add_messages_once(other, message, key="k")[1]


def test_an_append_to_a_deleted_conversation_raises_does_not_exist(conversation):
    services.delete_conversation(Conversation.objects.get(pk=conversation.pk))
    with pytest.raises(Conversation.DoesNotExist):
        make_message(conversation)
