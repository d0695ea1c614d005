"""What the database itself enforces, whatever code writes to it."""

from __future__ import annotations

import pytest
from django.db import IntegrityError, transaction

from chathistory.models import Conversation, Message, ToolCall
from tests.factories import make_message, tool_call


def _insert(conversation: Conversation, **fields) -> None:
    fields.setdefault("seq", conversation.message_count + 1)
    fields.setdefault("role", "user")
    fields.setdefault("content", "Hi")
    with transaction.atomic():
        Message.objects.create(conversation=conversation, **fields)


def test_seq_is_unique_per_conversation(conversation):
    make_message(conversation)
    with pytest.raises(IntegrityError):
        _insert(conversation, seq=1)


@pytest.mark.parametrize(
    "fields",
    [
        {"seq": 0},
        {"role": "wizard"},
        {"role": "tool", "tool_call_id": None},
        {"role": "user", "tool_call_id": "call_1"},
        {"role": "user", "tool_calls": [tool_call()]},
    ],
    ids=["seq-zero", "unknown-role", "tool-without-call-id", "call-id-on-user", "tool-calls-on-user"],
)
def test_database_rejects_rows_that_break_the_model(conversation, fields):
    with pytest.raises(IntegrityError):
        _insert(conversation, **fields)


def test_a_tool_call_is_answered_at_most_once_in_the_database(conversation):
    make_message(conversation, role="assistant", content=None, tool_calls=[tool_call("call_1")])
    make_message(conversation, role="tool", tool_call_id="call_1", content="18C")
    with pytest.raises(IntegrityError):
        _insert(conversation, role="tool", tool_call_id="call_1", seq=3)


def test_a_tool_call_id_is_made_at_most_once_per_conversation(conversation):
    make_message(conversation, role="assistant", content=None, tool_calls=[tool_call("call_1")])
    assert list(ToolCall.objects.values_list("call_id", "message_seq")) == [("call_1", 1)]
    with pytest.raises(IntegrityError), transaction.atomic():
        ToolCall.objects.create(conversation=conversation, call_id="call_1", message_seq=2)


def test_str_shows_title_or_id_and_message_seq_and_role(conversation, user):
    untitled = Conversation.objects.create(user=user)
    assert str(conversation) == "Weather in Paris"
    assert str(untitled) == f"Conversation {untitled.pk}"
    assert str(make_message(conversation, role="user")) == "#1 user"
    assert str(ToolCall(call_id="call_1")) == "call_1"


def test_conversation_defaults(user):
    conversation = Conversation.objects.create(user=user)
    conversation.refresh_from_db()
    assert (conversation.title, conversation.metadata, conversation.archived, conversation.message_count) == (
        "",
        {},
        False,
        0,
    )
    assert conversation.created_at.tzinfo is not None and conversation.updated_at.tzinfo is not None


def test_user_related_name_is_namespaced(conversation, user):
    assert list(user.chat_conversations.all()) == [conversation]


def test_queryset_reads(conversation, user, other_user):
    make_message(conversation, role="system", content="Rules")
    make_message(conversation, role="user", content="Hi")
    make_message(conversation, role="developer", content="More rules")
    assert list(Conversation.objects.for_user(other_user)) == []
    assert list(Conversation.objects.for_user(user).archived(False)) == [conversation]
    assert [m.seq for m in Message.objects.in_conversation(conversation)] == [1, 2, 3]
    assert [m.seq for m in Message.objects.in_conversation(conversation).instructions()] == [1, 3]
    assert [m.seq for m in Message.objects.filter(conversation=conversation).tail(2)] == [3, 2]
