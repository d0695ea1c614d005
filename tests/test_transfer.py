import io
import json
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from django.core.management import call_command

from chathistory import services
from chathistory.exceptions import ConversationIdTaken, ValidationError
from chathistory.models import Conversation, Message, ToolCall
from tests.contract import CONVERSATION_JSON_KEYS
from tests.factories import make_conversation, make_message, tool_call

TRICKY_TEXTS = [
    "line one\r\nline two\rthree\nfour",
    "emoji 👩‍👩‍👧 family, flags 🇫🇷🇯🇵, skin tones 👋🏽",
    "combining: e\u0301 n\u0303 a\u030a, precomposed: é ñ å",
    "RTL: שלום עולם, مرحبا بالعالم, mixed \u202eabc\u202c",
    "astral: 𝄞 𝕏 🜲 \U0010fffd",
    "separators that split lines elsewhere: a\u2028b\u2029c\x85d\x0be\x0cf",
    "  leading and trailing whitespace\t\t  ",
    "",
    "bom \ufeff inside, zero width \u200b\u200d joiners",
]


def _varied_conversations(user):
    """Conversations of every kind: every role, tool calls and their answers, unicode, metadata, an empty one."""
    chat = make_conversation(user=user, title="Trip to Zürich 🇨🇭", metadata={"tags": ["travel"], "n": 1e23})
    services.add_messages(
        chat,
        [
            {"role": "system", "content": "You are helpful."},
            {"role": "developer", "content": "Answer briefly.", "name": "policy"},
            *({"role": "user", "content": text} for text in TRICKY_TEXTS),
            {
                "role": "assistant",
                "content": None,
                "tool_calls": [
                    tool_call("call_a", arguments='{"city": "Zürich"}'),
                    {**tool_call("call_b", arguments="not json {"), "extra": {"kept": True}},
                ],
                "metadata": {"model": "gpt-4o", "usage": {"prompt_tokens": 12, "completion_tokens": 3}},
            },
            {"role": "tool", "tool_call_id": "call_a", "content": '{"temp": 21.5}'},
            {"role": "tool", "tool_call_id": "call_b", "content": "error: bad arguments", "name": "get_weather"},
            {"role": "assistant", "content": "Sunny, 21.5 °C. ☀️", "metadata": {"finish_reason": "stop"}},
        ],
    )
    archived = make_conversation(user=user, title="")
    make_message(archived, content="just one")
    services.update_conversation(archived, archived=True, metadata={"ключ": "значение"})
    make_conversation(user=user, title="empty")
    return Conversation.objects.filter(user=user)


def _rows(user):
    """Everything stored for ``user``, row by row, message ids left out (an import assigns new ones)."""
    conversations = list(
        Conversation.objects.filter(user=user)
        .order_by("pk")
        .values("pk", "title", "metadata", "archived", "message_count", "created_at", "updated_at")
    )
    messages = list(
        Message.objects.filter(conversation__user=user)
        .order_by("conversation", "seq")
        .values(
            "conversation", "seq", "role", "content", "name", "tool_calls", "tool_call_id", "metadata", "created_at"
        )
    )
    calls = list(
        ToolCall.objects.filter(conversation__user=user)
        .order_by("conversation", "call_id")
        .values_list("conversation", "call_id", "message_seq")
    )
    # As JSON too, so that 1 and 1.0 or True could not pass for each other.
    return conversations, messages, calls, json.dumps([conversations, messages, calls], default=str)


def test_export_then_import_into_an_empty_database_gives_back_every_row(user, tmp_path):
    _varied_conversations(user)
    before = _rows(user)
    path = tmp_path / "export.jsonl"
    call_command("chathistory_export", "--user", user.get_username(), "--output", str(path), stdout=io.StringIO())
    Conversation.objects.all().delete()
    assert Message.objects.count() == 0

    call_command("chathistory_import", str(path), "--user", user.get_username(), stdout=io.StringIO())

    after = _rows(user)
    assert after == before
    assert len(after[1]) == 2 + len(TRICKY_TEXTS) + 4 + 1


def test_export_document_has_the_contract_shape(conversation):
    make_message(conversation, content="Hi")
    document = services.export_conversation(conversation)
    assert document["format"] == "chathistory"
    assert document["version"] == 1
    assert set(document["conversation"]) == set(CONVERSATION_JSON_KEYS)
    assert document["conversation"]["id"] == str(conversation.pk)
    (message,) = document["messages"]
    assert "id" not in message
    assert message["seq"] == 1 and message["content"] == "Hi" and message["role"] == "user"
    assert message["created_at"].endswith("Z")


def test_import_keeps_ids_order_timestamps_and_content(user):
    stamp = "2024-03-01T10:00:00.123456+02:00"
    document = {
        "format": "chathistory",
        "version": 1,
        "conversation": {
            "id": "5f0c3c1e-8a4b-4c55-9a0e-2d5d3f7a9b10",
            "title": "Old",
            "metadata": {"a": 1},
            "archived": True,
            "message_count": 2,
            "created_at": "2024-03-01T09:00:00Z",
            "updated_at": "2024-03-02T09:00:00Z",
        },
        "messages": [
            {"seq": 2, "role": "assistant", "content": "second", "created_at": "2024-03-01T10:00:01Z"},
            {"seq": 1, "role": "user", "content": "first\r\n", "created_at": stamp},
        ],
    }
    conversation, created = services.import_conversation(user, document)
    assert created
    conversation.refresh_from_db()
    assert str(conversation.pk) == "5f0c3c1e-8a4b-4c55-9a0e-2d5d3f7a9b10"
    assert (conversation.title, conversation.metadata, conversation.archived) == ("Old", {"a": 1}, True)
    assert conversation.created_at == datetime(2024, 3, 1, 9, tzinfo=UTC)
    assert conversation.updated_at == datetime(2024, 3, 2, 9, tzinfo=UTC)
    messages = services.get_chat_history(conversation)
    assert [(m.seq, m.content) for m in messages] == [(1, "first\r\n"), (2, "second")]
    assert messages[0].created_at == datetime(2024, 3, 1, 8, 0, 0, 123456, tzinfo=UTC)
    assert conversation.message_count == 2


def test_an_imported_conversation_takes_appends_after_its_last_seq(user, conversation):
    make_message(conversation)
    document = services.export_conversation(conversation)
    conversation.delete()
    imported, _ = services.import_conversation(user, document)
    assert services.add_message(imported, role="user", content="again").seq == 2


def test_importing_the_same_document_again_stores_nothing(user, conversation):
    services.add_messages(
        conversation,
        [
            {"role": "assistant", "content": None, "tool_calls": [tool_call()]},
            {"role": "tool", "tool_call_id": "call_1", "content": "sunny"},
        ],
    )
    document = services.export_conversation(conversation)
    conversation.delete()
    first, created = services.import_conversation(user, document)
    assert created
    before = _rows(user)
    again, created = services.import_conversation(user, json.loads(json.dumps(document)))
    assert not created and again.pk == first.pk
    assert _rows(user) == before


def test_a_different_document_under_a_used_id_is_a_conflict(user, conversation, nothing_stored):
    make_message(conversation, content="original")
    document = services.export_conversation(conversation)
    document["messages"][0]["content"] = "changed"
    with pytest.raises(services.ConversationConflict):
        services.import_conversation(user, document)
    assert services.get_chat_history(conversation)[0].content == "original"


def test_a_number_that_changed_type_is_a_difference(user, conversation):
    services.update_conversation(conversation, metadata={"n": 1})
    document = services.export_conversation(conversation)
    document["conversation"]["metadata"] = {"n": True}
    with pytest.raises(services.ConversationConflict):
        services.import_conversation(user, document)


def test_another_users_id_is_taken_and_nothing_more(other_user, conversation):
    make_message(conversation)
    document = services.export_conversation(conversation)
    with pytest.raises(ConversationIdTaken) as raised:
        services.import_conversation(other_user, document)
    assert not isinstance(raised.value, services.ConversationConflict)
    assert str(raised.value) == "This conversation id is already taken."


def _first_read_misses(monkeypatch):
    """As if another import stored the id between the import's read and its insert."""
    from django.db.models import QuerySet

    original = QuerySet.first
    missed = []

    def first(self):
        if self.model is Conversation and not missed:
            missed.append(True)
            return None
        return original(self)

    monkeypatch.setattr(QuerySet, "first", first)
    return missed


def test_an_import_that_loses_the_race_for_its_id_answers_as_a_repeat_or_a_refusal(
    user, other_user, conversation, monkeypatch
):
    make_message(conversation, content="kept")
    document = services.export_conversation(conversation)

    missed = _first_read_misses(monkeypatch)
    again, created = services.import_conversation(user, document)
    assert missed and not created and again.pk == conversation.pk

    missed.clear()
    with pytest.raises(ConversationIdTaken) as raised:
        services.import_conversation(other_user, document)
    assert missed and not isinstance(raised.value, services.ConversationConflict)
    assert Message.objects.count() == 1


def test_a_document_without_an_id_is_stored_under_a_new_one(user):
    document = {"format": "chathistory", "version": 1, "conversation": {"title": "t"}, "messages": []}
    first, _ = services.import_conversation(user, document)
    second, _ = services.import_conversation(user, document)
    assert first.pk != second.pk


def _document(**conversation):
    return {"format": "chathistory", "version": 1, "conversation": conversation, "messages": []}


@pytest.mark.parametrize(
    ("change", "field"),
    [
        (lambda d: d.update(format="other"), "format"),
        (lambda d: d.update(version=2), "version"),
        (lambda d: d.update(version=True), "version"),
        (lambda d: d.update(extra=1), "extra"),
        (lambda d: d.pop("messages"), "messages"),
        (lambda d: d.update(conversation=[]), "conversation"),
        (lambda d: d["conversation"].update(id="nope"), "conversation.id"),
        (lambda d: d["conversation"].update(title="x" * 201), "conversation.title"),
        (lambda d: d["conversation"].update(metadata=[]), "conversation.metadata"),
        (lambda d: d["conversation"].update(user=1), "conversation.user"),
        (lambda d: d["conversation"].update(created_at="yesterday"), "conversation.created_at"),
        (lambda d: d["conversation"].update(updated_at="2024-01-01T00:00:00"), "conversation.updated_at"),
        (lambda d: d["conversation"].update(updated_at="0001-01-01T01:00:01+02:00"), "conversation.updated_at"),
        (lambda d: d["conversation"].update(created_at="9999-12-31T23:59:59-01:00"), "conversation.created_at"),
        (lambda d: d["conversation"].update(message_count=3), "conversation.message_count"),
        (lambda d: d.update(messages=[{"role": "wizard", "content": "x"}]), "messages[0].role"),
        (lambda d: d.update(messages=[{"role": "user", "contnet": "x"}]), "messages[0].contnet"),
        (lambda d: d.update(messages=[{"role": "user", "content": "a\x00"}]), "messages[0].content"),
        (lambda d: d.update(messages=[{"role": "user", "content": "x", "seq": 0}]), "messages[0].seq"),
        (lambda d: d.update(messages=[{"role": "user", "content": "x", "created_at": 5}]), "messages[0].created_at"),
        (lambda d: d.update(messages=["x"]), "messages[0]"),
        (
            lambda d: d.update(
                messages=[
                    {"role": "user", "content": "x", "seq": 1},
                    {"role": "user", "content": "y", "seq": 1},
                ]
            ),
            "messages",
        ),
        (
            lambda d: d.update(
                messages=[
                    {"role": "user", "content": "x", "seq": 1},
                    {"role": "user", "content": "y"},
                ]
            ),
            "messages",
        ),
        # The append path's tool-call rules, by the document's own positions.
        (
            lambda d: d.update(
                messages=[
                    {"role": "user", "content": "x"},
                    {"role": "tool", "tool_call_id": "nowhere", "content": "r"},
                ]
            ),
            "messages[1].tool_call_id",
        ),
        (
            lambda d: d.update(
                messages=[
                    {"role": "assistant", "tool_calls": [tool_call("c")], "seq": 2},
                    {"role": "tool", "tool_call_id": "c", "content": "answer before its call", "seq": 1},
                ]
            ),
            "messages[1].tool_call_id",
        ),
        (
            lambda d: d.update(
                messages=[
                    {"role": "assistant", "tool_calls": [tool_call("c")]},
                    {"role": "tool", "tool_call_id": "c", "content": "r"},
                    {"role": "tool", "tool_call_id": "c", "content": "r again"},
                ]
            ),
            "messages[2].tool_call_id",
        ),
    ],
)
def test_a_bad_document_is_rejected_naming_the_field_and_nothing_is_stored(user, nothing_stored, change, field):
    document = _document(id="5f0c3c1e-8a4b-4c55-9a0e-2d5d3f7a9b10", title="t")
    change(document)
    with nothing_stored() as rejection:
        services.import_conversation(user, document)
    assert field in rejection.value.errors


@pytest.mark.parametrize(
    ("key", "field", "problem"),
    [
        ("contnet", "messages[0].contnet", "Unknown field"),
        ("conversation", "messages[0].conversation", "assigned by the server"),
        ("user", "messages[0].user", "assigned by the server"),
    ],
)
def test_a_message_key_outside_the_message_json_is_refused_whether_or_not_the_id_is_stored(
    user, conversation, key, field, problem
):
    make_message(conversation, content="original")
    document = services.export_conversation(conversation)
    document["messages"][0][key] = "x"
    for stored in (True, False):
        with pytest.raises(ValidationError) as rejection:
            services.import_conversation(user, document)
        assert set(rejection.value.errors) == {field}
        assert problem in rejection.value.errors[field][0]
        if stored:
            conversation.delete()
    assert not Conversation.objects.exists()


def test_a_bad_message_late_in_the_document_leaves_nothing_behind(user, nothing_stored):
    messages = [{"role": "user", "content": f"m{n}"} for n in range(50)] + [{"role": "user"}]
    with nothing_stored() as rejection:
        services.import_conversation(user, {**_document(), "messages": messages})
    assert set(rejection.value.errors) == {"messages[50].content"}


def test_import_takes_more_messages_than_one_append_batch(user, settings):
    settings.CHATHISTORY = {"MAX_BATCH_SIZE": 10}
    messages = [{"role": "user", "content": f"m{n}"} for n in range(25)]
    conversation, _ = services.import_conversation(user, {**_document(), "messages": messages})
    assert conversation.message_count == 25


def test_iter_export_in_openai_jsonl_shape_skips_empty_conversations(user):
    chat = make_conversation(user=user)
    services.add_messages(
        chat,
        [
            {"role": "user", "content": "weather?"},
            {"role": "assistant", "content": None, "tool_calls": [tool_call()]},
            {"role": "tool", "tool_call_id": "call_1", "content": "sunny"},
        ],
    )
    make_conversation(user=user)
    make_message(make_conversation(), content="someone else's")
    (line,) = services.iter_export(user=user, format="openai-jsonl")
    assert line == {"messages": services.to_openai_messages(services.get_chat_history(chat))}


def test_iter_export_reads_in_chunks(user, monkeypatch, django_assert_num_queries):
    from chathistory.services import transfer

    monkeypatch.setattr(transfer, "EXPORT_CHUNK", 2)
    for _ in range(3):
        conversation = make_conversation(user=user)
        services.add_messages(conversation, [{"role": "user", "content": str(m)} for m in range(3)])
    # Conversations: chunks of 2 and 1; messages: a chunk of 2 and one of 1 for each.
    with django_assert_num_queries(2 + 3 * 2):
        documents = list(services.iter_export(user=user))
    assert [len(d["messages"]) for d in documents] == [3, 3, 3]
    assert [m["seq"] for m in documents[0]["messages"]] == [1, 2, 3]


def test_iter_export_reads_the_messages_of_short_conversations_together(user, monkeypatch, django_assert_num_queries):
    from chathistory.services import transfer

    monkeypatch.setattr(transfer, "EXPORT_CHUNK", 4)
    sizes = [3, 1, 0, 2, 2, 5, 1]
    for number, size in enumerate(sizes, start=1):
        conversation = make_conversation(user=user, id=uuid.UUID(int=number))  # in the order of the ids
        if size:
            services.add_messages(conversation, [{"role": "user", "content": f"m{m}"} for m in range(size)])
    make_message(make_conversation(), content="someone else's")
    # Conversations: chunks of 4 and 3. Messages: [3, 1, 0], [2, 2], then 5 alone in chunks of
    # 4 and 1, then [1].
    with django_assert_num_queries(2 + 2 + 2 + 1):
        documents = list(services.iter_export(user=user))
    assert [len(d["messages"]) for d in documents] == sizes
    assert [d["conversation"]["id"] for d in documents] == sorted(d["conversation"]["id"] for d in documents)
    for document in documents:
        assert [m["seq"] for m in document["messages"]] == list(range(1, len(document["messages"]) + 1))
        conversation = Conversation.objects.get(pk=document["conversation"]["id"])
        assert document == services.export_conversation(conversation)


def test_messages_appended_during_an_export_are_left_out_even_when_they_fill_a_read(user, monkeypatch):
    from chathistory.services import transfer

    monkeypatch.setattr(transfer, "EXPORT_CHUNK", 3)
    first, second = make_conversation(user=user), make_conversation(user=user)
    make_message(first, content="before")
    services.add_messages(second, [{"role": "user", "content": "b1"}, {"role": "user", "content": "b2"}])
    read = sorted(Conversation.objects.filter(user=user), key=lambda conversation: conversation.pk)
    services.add_messages(first, [{"role": "user", "content": f"after {n}"} for n in range(4)])

    exported = [(conversation, messages) for conversation, messages in transfer._read_together(read)]

    by_id = {conversation.pk: [m.content for m in messages] for conversation, messages in exported}
    assert by_id == {first.pk: ["before"], second.pk: ["b1", "b2"]}


def test_export_agrees_with_its_own_message_count(conversation):
    make_message(conversation)
    stale = Conversation.objects.get(pk=conversation.pk)
    make_message(conversation)  # lands after the conversation row was read
    document = services.export_conversation(stale)
    assert document["conversation"]["message_count"] == len(document["messages"]) == 1


def test_a_naive_python_datetime_is_rejected_and_an_aware_one_kept(user):
    naive = {**_document(), "messages": [{"role": "user", "content": "x", "created_at": datetime(2024, 1, 1)}]}
    with pytest.raises(ValidationError):
        services.import_conversation(user, naive)
    moment = datetime(2024, 1, 1, tzinfo=UTC) + timedelta(microseconds=7)
    aware = {**_document(), "messages": [{"role": "user", "content": "x", "created_at": moment}]}
    conversation, _ = services.import_conversation(user, aware)
    assert services.get_chat_history(conversation)[0].created_at == moment


def test_async_twins_export_and_import(user, conversation):
    from asgiref.sync import async_to_sync

    make_message(conversation, content="async")

    async def round_trip():
        document = await services.aexport_conversation(conversation)
        return await services.aimport_conversation(user, document)

    again, created = async_to_sync(round_trip)()
    assert not created and again.pk == conversation.pk
