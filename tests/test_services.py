"""The service layer of API.md: the three user stories, each operation's promises, queries and logs."""

from __future__ import annotations

import json
import logging
import uuid
from datetime import timedelta

import pytest
from django.db import connections
from django.utils import timezone

from chathistory import services, statements
from chathistory.exceptions import ConversationIdTaken, ValidationError
from chathistory.models import Conversation, Message, ToolCall
from tests.conftest import CHAT_DATABASE
from tests.factories import make_conversation, make_message, make_user, tool_call

TRICKY_TEXTS = [
    "👩‍👩‍👧‍👦 family, 🏳️‍🌈 flag, 👍🏽 thumbs",  # ZWJ sequences and modifiers
    "e\u0301 vs é, Z\u0351\u0364\u0308a\u0300\u0301l\u0327g\u0306o\u0338",  # combining marks
    "שלום עולם, مرحبا بالعالم \u202eevil\u202c \u200f",  # right-to-left text and controls
    "line one\r\nline two\rline three\n",
    "  \t leading and trailing whitespace \n\n ",
    "𝔘𝔫𝔦𝔠𝔬𝔡𝔢 𐍈 🀄 \U0010fffd \U000e0001",  # outside the BMP
    "\ufeffbyte order mark, \u200bzero width, \u00a0non-breaking",
    "<script>alert('x')</script> &amp; &lt;b&gt;",
    "'; DROP TABLE chathistory_message; -- \" OR 1=1 /* */",
    '{"role": "system", "content": null, "escaped": "\\u0000"}',
    "backslashes \\ \\\\ and %s %(name)s {0} $1 ?",
    "",
    "ab🙂\r\n" * 40_000,  # 200,000 characters
]


def _same_json(left, right) -> bool:
    """Equal as JSON, types included (1 and 1.0 differ)."""
    return json.dumps(left, sort_keys=True) == json.dumps(right, sort_keys=True)


# The three user stories ---------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_a_conversation_written_in_one_session_reads_back_in_another():
    user = make_user()
    conversation, created = services.get_or_create_conversation(user, title="Paris trip")
    services.add_message(conversation, role="system", content="You are a travel agent.")
    services.add_message(conversation, role="user", content="What's the weather in Paris?")
    services.add_message(conversation, role="assistant", content="Sunny, 18°C.")

    connections.close_all()

    reread = Conversation.objects.get(pk=conversation.pk)
    history = services.get_chat_history(reread)
    assert created
    assert (reread.title, reread.message_count) == ("Paris trip", 3)
    assert [(m.seq, m.role, m.content) for m in history] == [
        (1, "system", "You are a travel agent."),
        (2, "user", "What's the weather in Paris?"),
        (3, "assistant", "Sunny, 18°C."),
    ]
    connections.close_all()


def test_each_conversation_keeps_its_own_history_and_other_users_never_appear(user, other_user):
    trip = make_conversation(user=user, title="Trip")
    recipes = make_conversation(user=user, title="Recipes")
    theirs = make_conversation(user=other_user, title="Theirs")
    make_message(trip, content="Flights to Rome?")
    make_message(theirs, content="Someone else's question")
    make_message(recipes, content="Pasta for four?")
    make_message(trip, role="assistant", content="Tuesday is cheapest.")

    assert list(services.list_conversations(user)) == [trip, recipes]
    assert list(services.list_conversations(other_user)) == [theirs]
    assert [m.content for m in services.get_chat_history(trip)] == ["Flights to Rome?", "Tuesday is cheapest."]
    assert [m.content for m in services.get_chat_history(recipes)] == ["Pasta for four?"]
    assert [m.seq for m in services.get_chat_history(theirs)] == [1]


def test_mixed_messages_keep_roles_and_every_character(conversation):
    calls = [
        {
            "id": "call_😀_1",
            "type": "function",
            "function": {"name": "search", "arguments": '{"q": "unterminated', "strict": True, "x": [None]},
            "index": 0,
            "extra": {"nested": {"deeper": ["kept", 1, 2.5, False]}},
        },
        tool_call("call_2", name="lookup", arguments="not json at all \r\n 🙂"),
    ]
    metadata = {
        "model": "gpt-4o",
        "usage": {"prompt_tokens": 12, "completion_tokens": 3},
        "ключ 🔑 مفتاح": "значение",
        "every type": [None, True, False, 0, -1, 2**64 + 1, -(2**70), 0.1, -2.5e-8, 1.0, 1e23, -1.5e300, "", {}, []],
        "nested": {"a": {"b": {"c": [[[{"d": None}]]]}}},
        "null": None,
    }
    written = [{"role": "system", "content": text, "name": "ops"} for text in TRICKY_TEXTS]
    written += [
        {"role": "developer", "content": TRICKY_TEXTS[0]},
        {"role": "user", "content": TRICKY_TEXTS[2], "name": "alice_🙂", "metadata": metadata},
        {"role": "assistant", "content": None, "tool_calls": calls, "metadata": {"finish_reason": "tool_calls"}},
        {"role": "tool", "tool_call_id": "call_😀_1", "content": TRICKY_TEXTS[-1]},
        {"role": "tool", "tool_call_id": "call_2", "content": TRICKY_TEXTS[9]},
        {"role": "assistant", "content": TRICKY_TEXTS[3], "tool_calls": None},
    ]
    for message in written:
        services.add_message(conversation, **message)

    history = services.get_chat_history(Conversation.objects.get(pk=conversation.pk))

    assert [m.seq for m in history] == list(range(1, len(written) + 1))
    for message, stored in zip(written, history, strict=True):
        assert stored.role == message["role"]
        assert stored.content == message["content"]
        assert stored.name == message.get("name")
        assert stored.tool_call_id == message.get("tool_call_id")
        assert _same_json(stored.tool_calls, message.get("tool_calls"))
        assert _same_json(stored.metadata, message.get("metadata", {}))


# get_or_create_conversation -----------------------------------------------------------------


def test_get_or_create_without_id_creates_a_new_conversation_each_time(user):
    first, first_created = services.get_or_create_conversation(user, title="One", metadata={"k": 1})
    second, second_created = services.get_or_create_conversation(user)
    assert first_created and second_created and first.pk != second.pk
    assert (first.title, first.metadata, first.message_count, first.archived) == ("One", {"k": 1}, 0, False)
    assert Conversation.objects.for_user(user).count() == 2


def test_get_or_create_with_a_new_id_creates_it_under_that_id(user):
    chosen = uuid.uuid4()
    conversation, created = services.get_or_create_conversation(user, str(chosen), title="Chosen")
    assert created and conversation.pk == chosen
    assert Conversation.objects.get(pk=chosen).title == "Chosen"


def test_get_or_create_with_an_owned_id_returns_it_unchanged(conversation, user):
    make_message(conversation)
    again, created = services.get_or_create_conversation(user, conversation.pk, title="Other", metadata={"x": 1})
    assert not created and again.pk == conversation.pk
    assert (again.title, again.metadata, again.message_count) == ("Weather in Paris", {}, 1)
    assert Conversation.objects.get(pk=conversation.pk).title == "Weather in Paris"


def test_get_or_create_with_another_users_id_raises_and_changes_nothing(conversation, other_user):
    with pytest.raises(ConversationIdTaken) as raised:
        services.get_or_create_conversation(other_user, str(conversation.pk), title="Mine now")
    assert str(conversation.pk) not in str(raised.value)
    assert "Weather" not in str(raised.value)
    assert Conversation.objects.get(pk=conversation.pk).title == "Weather in Paris"
    assert not Conversation.objects.for_user(other_user).exists()


@pytest.mark.parametrize("bad_id", ["not-a-uuid", "", 42, "123e4567-e89b-12d3-a456-42661417400"])
def test_get_or_create_with_an_invalid_id_names_id(user, nothing_stored, bad_id):
    with nothing_stored() as rejection:
        services.get_or_create_conversation(user, bad_id)
    assert set(rejection.value.errors) == {"id"}


# Conversations: changes, deletion, listing --------------------------------------------------


def _age(conversation: Conversation, **delta) -> None:
    """Move a conversation's updated_at into the past, so a later write visibly moves it."""
    Conversation.objects.filter(pk=conversation.pk).update(updated_at=timezone.now() - timedelta(**delta))
    conversation.refresh_from_db()


def test_add_message_moves_updated_at_and_message_count(conversation):
    _age(conversation, hours=1)
    before = conversation.updated_at
    message = make_message(conversation)
    stored = Conversation.objects.get(pk=conversation.pk)
    assert stored.updated_at > before
    assert stored.message_count == conversation.message_count == 1
    assert stored.updated_at == conversation.updated_at == message.created_at


def test_update_conversation_changes_fields_and_moves_updated_at(conversation):
    _age(conversation, hours=1)
    before = conversation.updated_at
    services.update_conversation(conversation, title="Renamed", metadata={"pinned": True}, archived=True)
    stored = Conversation.objects.get(pk=conversation.pk)
    assert (stored.title, stored.metadata, stored.archived) == ("Renamed", {"pinned": True}, True)
    assert stored.updated_at > before
    assert conversation.title == "Renamed"


def test_deleting_a_conversation_deletes_its_messages_and_tool_calls_only(conversation, user):
    kept = make_conversation(user=user)
    for target in (conversation, kept):
        make_message(target, role="assistant", content=None, tool_calls=[tool_call("call_1")])
        make_message(target, role="tool", tool_call_id="call_1", content="18C")

    services.delete_conversation(conversation)

    assert not Conversation.objects.filter(pk=conversation.pk).exists()
    assert not Message.objects.filter(conversation_id=conversation.pk).exists()
    assert not ToolCall.objects.filter(conversation_id=conversation.pk).exists()
    assert Message.objects.filter(conversation=kept).count() == 2
    assert ToolCall.objects.filter(conversation=kept).count() == 1


def test_deleting_the_user_deletes_their_conversations(conversation, user, other_user):
    make_message(conversation, role="assistant", content=None, tool_calls=[tool_call()])
    theirs = make_conversation(user=other_user)
    make_message(theirs)

    user.delete()

    assert list(Conversation.objects.all()) == [theirs]
    assert list(Message.objects.values_list("conversation_id", flat=True)) == [theirs.pk]
    assert not ToolCall.objects.exists()


def test_list_conversations_is_most_recent_first_with_ties_broken_by_id(user):
    conversations = [make_conversation(user=user, title=str(i)) for i in range(4)]
    moment = timezone.now() - timedelta(days=1)
    for conversation, offset in zip(conversations, [3, 1, 1, 2], strict=True):
        Conversation.objects.filter(pk=conversation.pk).update(updated_at=moment + timedelta(minutes=offset))
    make_message(conversations[1])  # the most recently active now

    listed = list(services.list_conversations(user))

    expected = [conversations[1], conversations[0], conversations[3]]
    tied = sorted([conversations[2]], key=lambda c: c.pk, reverse=True)
    assert listed == expected + tied
    rows = [(c.updated_at, c.pk) for c in listed]
    assert rows == sorted(rows, reverse=True)


def test_list_conversations_ties_are_ordered_by_id(user):
    moment = timezone.now()
    conversations = [make_conversation(user=user) for _ in range(5)]
    Conversation.objects.filter(user=user).update(updated_at=moment)
    listed = [c.pk for c in services.list_conversations(user)]
    assert listed == sorted((c.pk for c in conversations), reverse=True)


def test_list_conversations_filters_on_archived(user):
    active = make_conversation(user=user, title="active")
    archived = make_conversation(user=user, title="archived")
    services.update_conversation(archived, archived=True)
    assert list(services.list_conversations(user, archived=True)) == [archived]
    assert list(services.list_conversations(user, archived=False)) == [active]
    assert set(services.list_conversations(user)) == {active, archived}


def test_set_archived_updates_many_and_returns_how_many(user):
    conversations = [make_conversation(user=user) for _ in range(3)]
    count = services.set_archived(Conversation.objects.filter(pk__in=[c.pk for c in conversations[:2]]), True)
    assert count == 2
    assert list(services.list_conversations(user, archived=False)) == [conversations[2]]


# Appending ----------------------------------------------------------------------------------


def test_seq_is_gapless_across_single_appends_and_batches(conversation):
    make_message(conversation)
    services.add_messages(conversation, [{"role": "user", "content": str(i)} for i in range(3)])
    make_message(conversation, role="assistant", content="Done")
    assert [m.seq for m in services.get_chat_history(conversation)] == [1, 2, 3, 4, 5]
    assert Conversation.objects.get(pk=conversation.pk).message_count == 5


def test_seq_is_per_conversation(user):
    first, second = make_conversation(user=user), make_conversation(user=user)
    assert [make_message(first).seq, make_message(second).seq, make_message(first).seq] == [1, 1, 2]


def test_add_messages_with_an_empty_list_stores_nothing(conversation):
    assert services.add_messages(conversation, []) == []
    assert Conversation.objects.get(pk=conversation.pk).message_count == 0


def test_metadata_omitted_is_an_empty_object(conversation):
    assert make_message(conversation).metadata == {}
    assert services.add_messages(conversation, [{"role": "user", "content": "Hi"}])[0].metadata == {}


def test_appending_to_a_deleted_conversation_raises_does_not_exist(conversation):
    Conversation.objects.filter(pk=conversation.pk).delete()
    with pytest.raises(Conversation.DoesNotExist):
        make_message(conversation)
    assert not Message.objects.exists()


# Reading ------------------------------------------------------------------------------------


def test_get_chat_history_last_n_is_exactly_the_last_n(conversation):
    services.add_messages(conversation, [{"role": "user", "content": str(i)} for i in range(1, 11)])
    assert [m.seq for m in services.get_chat_history(conversation, last=3)] == [8, 9, 10]
    assert [m.seq for m in services.get_chat_history(conversation, last=1)] == [10]
    assert services.get_chat_history(conversation, last=0) == []
    assert [m.seq for m in services.get_chat_history(conversation, last=50)] == list(range(1, 11))
    assert [m.seq for m in services.get_chat_history(conversation)] == list(range(1, 11))


@pytest.mark.parametrize("last", [-1, "3", 2.5, True])
def test_get_chat_history_rejects_a_last_that_is_not_a_whole_number(conversation, last):
    with pytest.raises(ValidationError) as rejection:
        services.get_chat_history(conversation, last=last)
    assert set(rejection.value.errors) == {"last"}


def _tool_round_trip(conversation: Conversation) -> None:
    services.add_messages(
        conversation,
        [
            {"role": "system", "content": "Be brief.", "name": "ops"},  # 1
            {"role": "user", "content": "Weather and time in Paris?", "name": "alice"},  # 2
            {"role": "assistant", "content": None, "tool_calls": [tool_call("c1"), tool_call("c2", name="time")]},  # 3
            {"role": "tool", "tool_call_id": "c1", "content": "18C"},  # 4
            {"role": "tool", "tool_call_id": "c2", "content": "12:00", "metadata": {"ms": 3}},  # 5
            {"role": "developer", "content": "Answer in French."},  # 6
            {"role": "assistant", "content": "18°C, midi.", "metadata": {"model": "m"}},  # 7
            {"role": "user", "content": "Merci"},  # 8
        ],
    )


def test_to_openai_messages_has_the_chat_completions_shape(conversation):
    _tool_round_trip(conversation)
    assert services.to_openai_messages(services.get_chat_history(conversation)) == [
        {"role": "system", "content": "Be brief.", "name": "ops"},
        {"role": "user", "content": "Weather and time in Paris?", "name": "alice"},
        {"role": "assistant", "content": None, "tool_calls": [tool_call("c1"), tool_call("c2", name="time")]},
        {"role": "tool", "tool_call_id": "c1", "content": "18C"},
        {"role": "tool", "tool_call_id": "c2", "content": "12:00"},
        {"role": "developer", "content": "Answer in French."},
        {"role": "assistant", "content": "18°C, midi."},
        {"role": "user", "content": "Merci"},
    ]


def test_get_openai_messages_without_last_is_the_whole_conversation(conversation):
    _tool_round_trip(conversation)
    everything = services.to_openai_messages(services.get_chat_history(conversation))
    assert services.get_openai_messages(conversation) == everything


def test_openai_window_drops_orphan_tool_results_and_keeps_earlier_instructions_ahead(conversation):
    _tool_round_trip(conversation)
    assert services.get_openai_messages(conversation, last=5) == [
        {"role": "system", "content": "Be brief.", "name": "ops"},
        {"role": "developer", "content": "Answer in French."},
        {"role": "assistant", "content": "18°C, midi."},
        {"role": "user", "content": "Merci"},
    ]


def test_openai_window_keeps_tool_results_whose_call_is_inside_it(conversation):
    _tool_round_trip(conversation)
    window = services.get_openai_messages(conversation, last=6)
    assert [m["role"] for m in window] == ["system", "assistant", "tool", "tool", "developer", "assistant", "user"]
    assert window[0]["content"] == "Be brief."


@pytest.mark.parametrize("last", range(1, 10))
def test_openai_window_never_starts_with_or_holds_an_unanswerable_tool_message(conversation, last):
    _tool_round_trip(conversation)
    window = services.get_openai_messages(conversation, last=last)
    called: set[str] = set()
    for message in window:
        called.update(call["id"] for call in message.get("tool_calls", ()))
        if message["role"] == "tool":
            assert message["tool_call_id"] in called
    assert window[0]["role"] != "tool"
    non_instructions = [m for m in window if m["role"] not in ("system", "developer")]
    assert len(non_instructions) <= last


# Queries: the same number whatever the conversation's length --------------------------------


def _fill(conversation: Conversation, length: int) -> None:
    missing = length - conversation.message_count
    services.add_messages(conversation, [{"role": "user", "content": f"m{i}"} for i in range(missing)])


@pytest.mark.parametrize("length", [5, 500])
def test_appends_and_reads_run_a_fixed_number_of_queries(conversation, django_assert_num_queries, length):
    _fill(conversation, length)
    # Inside the test's transaction each append also runs SAVEPOINT and RELEASE SAVEPOINT.
    # UPDATE … RETURNING, INSERT; on PostgreSQL one statement (and no savepoint) does both
    with django_assert_num_queries(1 if statements.can_append_in_one_statement(CHAT_DATABASE) else 4):
        make_message(conversation, content="plain")
    # UPDATE … RETURNING, SELECT the ids (not made before), INSERT message, INSERT tool calls
    with django_assert_num_queries(6):
        make_message(conversation, role="assistant", content=None, tool_calls=[tool_call("a"), tool_call("b")])
    with django_assert_num_queries(5):  # UPDATE … RETURNING, SELECT the call (made, unanswered), INSERT
        make_message(conversation, role="tool", tool_call_id="a", content="18C")
    with django_assert_num_queries(5):
        services.add_messages(
            conversation,
            [{"role": "tool", "tool_call_id": "b", "content": "x"}]
            + [{"role": "user", "content": str(i)} for i in range(20)],
        )
    total = length + 24
    with django_assert_num_queries(1):
        history = services.get_chat_history(conversation, last=50)
    assert [m.seq for m in history] == list(range(max(1, total - 49), total + 1))
    with django_assert_num_queries(2):  # the window, the instructions before it
        assert len(services.get_openai_messages(conversation, last=50)) <= 50


# Logging ------------------------------------------------------------------------------------


def test_logs_creation_appends_and_rejections_but_never_content(user, caplog):
    caplog.set_level(logging.INFO, logger="chathistory")
    secret = f"secret-{uuid.uuid4()}"

    conversation, _ = services.get_or_create_conversation(user, title=secret)
    services.add_messages(
        conversation,
        [{"role": "user", "content": secret, "name": "n"}, {"role": "assistant", "content": secret}],
    )
    with pytest.raises(ValidationError):
        services.add_message(conversation, role="wizard", content=secret)
    with pytest.raises(ValidationError):
        services.add_message(conversation, role="tool", tool_call_id=secret, content=secret)

    messages = [record.getMessage() for record in caplog.records if record.name == "chathistory"]
    assert any("created" in m and str(conversation.pk) in m for m in messages)
    assert any("appended 2" in m and str(conversation.pk) in m for m in messages)
    assert any("rejected" in m and "role" in m for m in messages)
    assert any("rejected" in m and "tool_call_id" in m for m in messages)
    assert secret not in caplog.text
    assert all(secret not in repr(record.args) for record in caplog.records)
