"""Every rejection of API.md "Validation": the exact field named, and nothing stored."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from django.test import override_settings

from chathistory import services
from chathistory.validation import (
    MAX_JSON_DEPTH,
    compact_json_size,
    field_label,
    json_problem,
    parse_instant,
    quoted,
    text_problem,
)
from tests.factories import make_message, tool_call

NUL = "before\x00after"
LONE_SURROGATE = "before\ud800after"
UNSTORABLE = pytest.mark.parametrize("bad", [NUL, LONE_SURROGATE], ids=["nul", "lone-surrogate"])


def test_unknown_role_is_rejected(conversation, nothing_stored):
    with nothing_stored() as rejection:
        services.add_message(conversation, role="wizard", content="Abracadabra")
    assert set(rejection.value.errors) == {"role"}


def test_missing_role_is_rejected(conversation, nothing_stored):
    with nothing_stored() as rejection:
        services.add_messages(conversation, [{"content": "Hello"}])
    assert rejection.value.errors == [{"role": rejection.value.errors[0]["role"]}]


# U+0000 and lone surrogates, everywhere a string can hide -----------------------------------


@UNSTORABLE
@pytest.mark.parametrize("field", ["content", "name"])
def test_unstorable_text_in_message_field_is_rejected(conversation, nothing_stored, bad, field):
    message = {"role": "user", "content": "Hello", field: bad}
    with nothing_stored() as rejection:
        services.add_message(conversation, **message)
    assert set(rejection.value.errors) == {field}


@UNSTORABLE
def test_unstorable_text_in_tool_call_id_is_rejected(conversation, nothing_stored, bad):
    with nothing_stored() as rejection:
        services.add_message(conversation, role="tool", tool_call_id=bad, content="18C")
    assert set(rejection.value.errors) == {"tool_call_id"}


def _tool_calls_with(bad: str) -> dict[str, list]:
    """One malformed tool_calls per place a string can sit inside it."""
    return {
        "id": [tool_call(call_id=bad)],
        "function-name": [tool_call(name=bad)],
        "arguments": [tool_call(arguments=bad)],
        "extra-key": [{**tool_call(), bad: "value"}],
        "extra-value": [{**tool_call(), "extra": {"nested": [bad]}}],
        "function-extra-key": [{**tool_call(), "function": {**tool_call()["function"], bad: 1}}],
    }


@UNSTORABLE
@pytest.mark.parametrize("place", list(_tool_calls_with("x")))
def test_unstorable_text_anywhere_in_tool_calls_is_rejected(conversation, nothing_stored, bad, place):
    with nothing_stored() as rejection:
        services.add_message(conversation, role="assistant", tool_calls=_tool_calls_with(bad)[place])
    assert set(rejection.value.errors) == {"tool_calls"}


@UNSTORABLE
@pytest.mark.parametrize(
    "metadata",
    [lambda bad: {bad: 1}, lambda bad: {"model": bad}, lambda bad: {"a": [{"b": {bad: None}}]}],
    ids=["key", "value", "nested-key"],
)
def test_unstorable_text_in_message_metadata_is_rejected(conversation, nothing_stored, bad, metadata):
    with nothing_stored() as rejection:
        services.add_message(conversation, role="user", content="Hi", metadata=metadata(bad))
    assert set(rejection.value.errors) == {"metadata"}


@UNSTORABLE
def test_unstorable_text_in_conversation_title_or_metadata_is_rejected(user, nothing_stored, bad):
    with nothing_stored() as rejection:
        services.get_or_create_conversation(user, title=bad)
    assert set(rejection.value.errors) == {"title"}
    with nothing_stored() as rejection:
        services.get_or_create_conversation(user, metadata={"tags": [bad]})
    assert set(rejection.value.errors) == {"metadata"}


@UNSTORABLE
def test_unstorable_text_in_conversation_update_is_rejected(conversation, nothing_stored, bad):
    with nothing_stored() as rejection:
        services.update_conversation(conversation, title=bad)
    assert set(rejection.value.errors) == {"title"}
    with nothing_stored() as rejection:
        services.update_conversation(conversation, metadata={bad: "x"})
    assert set(rejection.value.errors) == {"metadata"}


# Lengths and sizes --------------------------------------------------------------------------


@override_settings(CHATHISTORY={"MAX_CONTENT_LENGTH": 10})
def test_content_over_max_length_is_rejected_counting_characters(conversation, nothing_stored):
    assert make_message(conversation, content="🙂" * 10).content == "🙂" * 10
    with nothing_stored() as rejection:
        services.add_message(conversation, role="user", content="🙂" * 11)
    assert set(rejection.value.errors) == {"content"}


def test_content_at_default_max_length_is_accepted_and_one_more_rejected(conversation, nothing_stored):
    assert len(make_message(conversation, content="x" * 1_000_000).content) == 1_000_000
    with nothing_stored() as rejection:
        services.add_message(conversation, role="user", content="x" * 1_000_001)
    assert set(rejection.value.errors) == {"content"}


def test_name_over_64_characters_and_title_over_200_are_rejected(conversation, user, nothing_stored):
    with nothing_stored() as rejection:
        services.add_message(conversation, role="user", content="Hi", name="n" * 65)
    assert set(rejection.value.errors) == {"name"}
    with nothing_stored() as rejection:
        services.get_or_create_conversation(user, title="t" * 201)
    assert set(rejection.value.errors) == {"title"}


@pytest.mark.parametrize("metadata", [[], ["a"], "text", 3, 1.5, True, None], ids=repr)
def test_message_metadata_that_is_not_an_object_is_rejected(conversation, nothing_stored, metadata):
    with nothing_stored() as rejection:
        services.add_messages(conversation, [{"role": "user", "content": "Hi", "metadata": metadata}])
    assert rejection.value.errors == [{"metadata": rejection.value.errors[0]["metadata"]}]


@pytest.mark.parametrize("metadata", [[], "text", None], ids=repr)
def test_conversation_metadata_that_is_not_an_object_is_rejected(conversation, nothing_stored, metadata):
    with nothing_stored() as rejection:
        services.update_conversation(conversation, metadata=metadata)
    assert set(rejection.value.errors) == {"metadata"}


@pytest.mark.parametrize("number", [float("nan"), float("inf"), float("-inf")], ids=repr)
def test_metadata_with_nan_or_infinity_is_rejected(conversation, nothing_stored, number):
    with nothing_stored() as rejection:
        services.add_message(conversation, role="user", content="Hi", metadata={"score": [number]})
    assert set(rejection.value.errors) == {"metadata"}


def test_metadata_nested_deeper_than_the_limit_is_rejected(conversation, nothing_stored):
    deep: dict = {}
    for _ in range(MAX_JSON_DEPTH + 5):
        deep = {"d": deep}
    with nothing_stored() as rejection:
        services.add_message(conversation, role="user", content="Hi", metadata=deep)
    assert set(rejection.value.errors) == {"metadata"}


@override_settings(CHATHISTORY={"MAX_METADATA_BYTES": 32})
def test_metadata_size_is_utf8_bytes_of_compact_json(conversation, nothing_stored):
    # {"k":"…"} is 8 bytes around the value; "é" is 2 bytes in UTF-8 (6 if escaped as \u00e9).
    at_limit = {"k": "é" * 12}
    assert compact_json_size(at_limit) == 32
    assert make_message(conversation, metadata=at_limit).metadata == at_limit
    with nothing_stored() as rejection:
        services.add_message(conversation, role="user", content="Hi", metadata={"k": "é" * 12 + "a"})
    assert set(rejection.value.errors) == {"metadata"}
    with nothing_stored() as rejection:
        services.update_conversation(conversation, metadata={"k": "é" * 12 + "a"})
    assert set(rejection.value.errors) == {"metadata"}


def test_metadata_at_default_size_limit_is_accepted_and_one_byte_more_rejected(conversation, nothing_stored):
    at_limit = {"k": "é" * 8188}
    assert compact_json_size(at_limit) == 16_384
    assert make_message(conversation, metadata=at_limit).metadata == at_limit
    with nothing_stored() as rejection:
        services.add_message(conversation, role="user", content="Hi", metadata={"k": "é" * 8188 + "a"})
    assert set(rejection.value.errors) == {"metadata"}


# Tool calls ---------------------------------------------------------------------------------


def _function(**overrides) -> dict:
    return {**tool_call()["function"], **overrides}


MALFORMED_TOOL_CALLS = {
    "not-a-list": tool_call(),
    "empty-list": [],
    "item-not-an-object": ["call_1"],
    "missing-id": [{"type": "function", "function": _function()}],
    "empty-id": [{**tool_call(), "id": ""}],
    "id-not-a-string": [{**tool_call(), "id": 7}],
    "id-too-long": [tool_call(call_id="c" * 256)],
    "missing-type": [{"id": "call_1", "function": _function()}],
    "wrong-type": [{**tool_call(), "type": "tool"}],
    "missing-function": [{"id": "call_1", "type": "function"}],
    "function-not-an-object": [{**tool_call(), "function": "get_weather"}],
    "missing-function-name": [{**tool_call(), "function": {"arguments": "{}"}}],
    "empty-function-name": [{**tool_call(), "function": _function(name="")}],
    "missing-arguments": [{**tool_call(), "function": {"name": "get_weather"}}],
    "arguments-not-a-string": [{**tool_call(), "function": _function(arguments={"city": "Paris"})}],
    "repeated-id": [tool_call(), tool_call()],
}


@pytest.mark.parametrize("tool_calls", MALFORMED_TOOL_CALLS.values(), ids=MALFORMED_TOOL_CALLS.keys())
def test_malformed_tool_calls_are_rejected(conversation, nothing_stored, tool_calls):
    with nothing_stored() as rejection:
        services.add_message(conversation, role="assistant", content="Let me check.", tool_calls=tool_calls)
    assert set(rejection.value.errors) == {"tool_calls"}


def test_tool_call_id_already_made_in_the_conversation_is_rejected(conversation, nothing_stored):
    make_message(conversation, role="assistant", content=None, tool_calls=[tool_call("call_1")])
    with nothing_stored() as rejection:
        services.add_message(conversation, role="assistant", tool_calls=[tool_call("call_1")])
    assert set(rejection.value.errors) == {"tool_calls"}


def test_a_reused_call_id_that_looks_like_a_column_name_is_still_named_tool_calls(conversation, nothing_stored):
    # PostgreSQL quotes the clashing key's value in its error: the field comes from the constraint.
    make_message(conversation, role="assistant", content=None, tool_calls=[tool_call("tool_call_id")])
    with nothing_stored() as rejection:
        services.add_message(conversation, role="assistant", tool_calls=[tool_call("tool_call_id")])
    assert set(rejection.value.errors) == {"tool_calls"}


def test_tool_call_id_made_twice_within_one_batch_is_rejected(conversation, nothing_stored):
    batch = [
        {"role": "assistant", "tool_calls": [tool_call("call_1")]},
        {"role": "assistant", "tool_calls": [tool_call("call_1")]},
    ]
    with nothing_stored() as rejection:
        services.add_messages(conversation, batch)
    assert rejection.value.errors[0] == {}
    assert set(rejection.value.errors[1]) == {"tool_calls"}


@pytest.mark.parametrize("role", ["system", "developer", "user", "tool"])
def test_tool_calls_on_a_non_assistant_message_are_rejected(conversation, nothing_stored, role):
    message = {"role": role, "content": "Hi", "tool_calls": [tool_call("call_9")]}
    if role == "tool":
        make_message(conversation, role="assistant", content=None, tool_calls=[tool_call("call_1")])
        message["tool_call_id"] = "call_1"
    with nothing_stored() as rejection:
        services.add_message(conversation, **message)
    assert set(rejection.value.errors) == {"tool_calls"}


def test_tool_message_without_tool_call_id_is_rejected(conversation, nothing_stored):
    with nothing_stored() as rejection:
        services.add_message(conversation, role="tool", content="18C")
    assert set(rejection.value.errors) == {"tool_call_id"}


def test_tool_message_answering_an_unknown_call_is_rejected(conversation, nothing_stored):
    make_message(conversation, role="assistant", content=None, tool_calls=[tool_call("call_1")])
    with nothing_stored() as rejection:
        services.add_message(conversation, role="tool", tool_call_id="call_2", content="18C")
    assert set(rejection.value.errors) == {"tool_call_id"}


def test_tool_message_answering_another_conversations_call_is_rejected(conversation, user, nothing_stored):
    other = services.get_or_create_conversation(user)[0]
    make_message(other, role="assistant", content=None, tool_calls=[tool_call("call_1")])
    with nothing_stored() as rejection:
        services.add_message(conversation, role="tool", tool_call_id="call_1", content="18C")
    assert set(rejection.value.errors) == {"tool_call_id"}


def test_tool_message_answering_an_answered_call_is_rejected(conversation, nothing_stored):
    make_message(conversation, role="assistant", content=None, tool_calls=[tool_call("call_1")])
    make_message(conversation, role="tool", tool_call_id="call_1", content="18C")
    with nothing_stored() as rejection:
        services.add_message(conversation, role="tool", tool_call_id="call_1", content="19C")
    assert set(rejection.value.errors) == {"tool_call_id"}


def test_a_call_answered_twice_within_one_batch_is_rejected(conversation, nothing_stored):
    batch = [
        {"role": "assistant", "tool_calls": [tool_call("call_1")]},
        {"role": "tool", "tool_call_id": "call_1", "content": "18C"},
        {"role": "tool", "tool_call_id": "call_1", "content": "19C"},
    ]
    with nothing_stored() as rejection:
        services.add_messages(conversation, batch)
    assert rejection.value.errors[:2] == [{}, {}]
    assert set(rejection.value.errors[2]) == {"tool_call_id"}


def test_a_call_made_earlier_in_the_same_batch_can_be_answered(conversation):
    batch = [
        {"role": "assistant", "tool_calls": [tool_call("call_1"), tool_call("call_2", name="get_time")]},
        {"role": "tool", "tool_call_id": "call_2", "content": "12:00"},
        {"role": "tool", "tool_call_id": "call_1", "content": "18C"},
    ]
    stored = services.add_messages(conversation, batch)
    assert [(m.seq, m.tool_call_id) for m in stored] == [(1, None), (2, "call_2"), (3, "call_1")]


def test_a_call_made_later_in_the_same_batch_cannot_be_answered_before_it(conversation, nothing_stored):
    batch = [
        {"role": "tool", "tool_call_id": "call_1", "content": "18C"},
        {"role": "assistant", "tool_calls": [tool_call("call_1")]},
    ]
    with nothing_stored() as rejection:
        services.add_messages(conversation, batch)
    assert set(rejection.value.errors[0]) == {"tool_call_id"}
    assert rejection.value.errors[1] == {}


@pytest.mark.parametrize("role", ["system", "developer", "user", "assistant"])
def test_tool_call_id_on_a_non_tool_message_is_rejected(conversation, nothing_stored, role):
    make_message(conversation, role="assistant", content=None, tool_calls=[tool_call("call_1")])
    with nothing_stored() as rejection:
        services.add_message(conversation, role=role, content="Hi", tool_call_id="call_1")
    assert set(rejection.value.errors) == {"tool_call_id"}


# Content ------------------------------------------------------------------------------------


def test_assistant_message_with_neither_content_nor_tool_calls_names_content(conversation, nothing_stored):
    with nothing_stored() as rejection:
        services.add_message(conversation, role="assistant")
    assert set(rejection.value.errors) == {"content"}


@pytest.mark.parametrize("role", ["system", "developer", "user", "assistant"])
def test_an_empty_string_is_content(conversation, role):
    assert make_message(conversation, role=role, content="").content == ""


@pytest.mark.parametrize("role", ["system", "developer", "user"])
def test_null_content_is_rejected_outside_assistant_tool_calls(conversation, nothing_stored, role):
    with nothing_stored() as rejection:
        services.add_message(conversation, role=role, content=None)
    assert set(rejection.value.errors) == {"content"}


@pytest.mark.parametrize("content", [42, ["text"], {"text": "hi"}], ids=repr)
def test_content_that_is_not_a_string_is_rejected(conversation, nothing_stored, content):
    with nothing_stored() as rejection:
        services.add_message(conversation, role="user", content=content)
    assert set(rejection.value.errors) == {"content"}


# Fields a message or conversation does not have ---------------------------------------------


@pytest.mark.parametrize("field", ["contnet", "seq", "id", "created_at", "conversation"])
def test_unknown_or_server_assigned_message_fields_are_rejected(conversation, nothing_stored, field):
    with nothing_stored() as rejection:
        services.add_messages(conversation, [{"role": "user", "content": "Hi", field: 1}])
    assert rejection.value.errors == [{field: rejection.value.errors[0][field]}]


def test_an_unknown_key_that_cannot_be_encoded_is_named_escaped(conversation, nothing_stored):
    with nothing_stored() as rejection:
        services.add_messages(conversation, [{"role": "user", "content": "Hi", "x\ud800": 1}])
    (errors,) = rejection.value.errors
    assert list(errors) == ["x\\ud800"]
    assert all(message.encode() for message in errors["x\\ud800"])


def test_a_role_that_is_not_one_is_quoted_escaped_and_short(conversation, nothing_stored):
    with nothing_stored() as rejection:
        services.add_message(conversation, role="\ud800" + "w" * 500, content="Hi")
    (message,) = rejection.value.errors["role"]
    assert message.startswith('"\\ud800www')
    assert len(message) < 200
    message.encode()


def test_a_tool_call_id_with_a_lone_surrogate_is_named_without_echoing_it(conversation, nothing_stored):
    calls = [tool_call(call_id="\ud800"), tool_call(call_id="\ud800")]
    with nothing_stored() as rejection:
        services.add_message(conversation, role="assistant", content=None, tool_calls=calls)
    problems = rejection.value.errors["tool_calls"]
    assert [problem.split(":")[0] for problem in problems] == ["tool_calls[0].id", "tool_calls[1].id"]
    assert all("lone surrogate (U+D800)" in problem for problem in problems)
    "".join(problems).encode()


def test_a_repeated_tool_call_id_is_named_by_the_call_it_repeats(conversation, nothing_stored):
    with nothing_stored() as rejection:
        services.add_message(conversation, role="assistant", content=None, tool_calls=[tool_call("c"), tool_call("c")])
    assert rejection.value.errors["tool_calls"] == [
        "tool_calls[1].id: Repeats the id of tool_calls[0]; each tool call of a message needs its own id."
    ]


@pytest.mark.parametrize("field", ["titel", "message_count", "updated_at", "id", "user"])
def test_unknown_or_server_assigned_conversation_fields_are_rejected(conversation, nothing_stored, field):
    with nothing_stored() as rejection:
        services.update_conversation(conversation, **{field: 1})
    assert set(rejection.value.errors) == {field}


def test_archived_must_be_a_boolean(conversation, nothing_stored):
    with nothing_stored() as rejection:
        services.update_conversation(conversation, archived="yes")
    assert set(rejection.value.errors) == {"archived"}


# Batches ------------------------------------------------------------------------------------


def test_a_bad_third_item_stores_nothing_and_points_at_that_item(conversation, nothing_stored):
    make_message(conversation, content="Already here")
    batch = [
        {"role": "user", "content": "One"},
        {"role": "assistant", "content": "Two"},
        {"role": "wizard", "content": "Three"},
        {"role": "user", "content": "Four"},
    ]
    with nothing_stored() as rejection:
        services.add_messages(conversation, batch)
    errors = rejection.value.errors
    assert isinstance(errors, list)
    assert errors[:2] == [{}, {}] and errors[3] == {}
    assert set(errors[2]) == {"role"}


@override_settings(CHATHISTORY={"MAX_BATCH_SIZE": 3})
def test_a_batch_over_max_batch_size_is_rejected(conversation, nothing_stored):
    with nothing_stored() as rejection:
        services.add_messages(conversation, [{"role": "user", "content": str(i)} for i in range(4)])
    assert set(rejection.value.errors) == {"non_field_errors"}
    assert len(services.add_messages(conversation, [{"role": "user", "content": str(i)} for i in range(3)])) == 3


@pytest.mark.parametrize("batch", [{"role": "user", "content": "Hi"}, "text", None], ids=repr)
def test_a_batch_that_is_not_a_list_is_rejected(conversation, nothing_stored, batch):
    with nothing_stored() as rejection:
        services.add_messages(conversation, batch)
    assert set(rejection.value.errors) == {"non_field_errors"}


def test_a_batch_item_that_is_not_an_object_is_rejected(conversation, nothing_stored):
    with nothing_stored() as rejection:
        services.add_messages(conversation, [{"role": "user", "content": "Hi"}, "Hello"])
    assert rejection.value.errors[0] == {}
    assert set(rejection.value.errors[1]) == {"non_field_errors"}


# The checks themselves ----------------------------------------------------------------------


def test_text_problem_names_nul_and_lone_surrogates_and_accepts_the_rest():
    assert "U+0000" in text_problem(NUL)
    assert "U+DFFF" in text_problem("\udfff")
    assert text_problem("👩‍👩‍👧 e\u0301 שלום \U0010ffff") is None


def test_json_problem_rejects_non_json_values():
    assert json_problem({"when": object()}) is not None
    assert json_problem({1: "integer key"}) is not None
    assert json_problem({"ok": [None, True, 1, 1.5, "s", {}]}) is None


def test_quoted_writes_client_input_as_encodable_json_text():
    assert quoted("wizard") == '"wizard"'
    assert quoted("a\ud800b") == '"a\\ud800b"'
    assert quoted("nul\x00") == '"nul\\u0000"'
    assert quoted("é👩") == '"é👩"'
    assert quoted(["user", 5]) == '["user", 5]'
    assert quoted(object()) == "(object)"
    assert quoted("x" * 10_000) == '"' + "x" * 80 + '…"'  # cut inside the quotes


def test_quoted_survives_nesting_deeper_than_the_encoder():
    deep = []
    for _ in range(100_000):
        deep = [deep]
    assert quoted(deep) == "(a list)"


def test_field_label_keeps_encodable_keys_and_escapes_the_rest():
    assert field_label("contnet") == "contnet"
    assert field_label("é\x00") == "é\x00"
    assert field_label("\ud800\udfff") == "\\ud800\\udfff"
    assert field_label(5) == "5"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2025-01-31T10:30:00+01:00", datetime(2025, 1, 31, 9, 30, tzinfo=UTC)),
        ("2025-01-31T09:30:00Z", datetime(2025, 1, 31, 9, 30, tzinfo=UTC)),
        ("2025-01-31T09:30:00", None),  # no offset: which instant is meant?
        ("2025-02-30T09:30:00Z", None),  # no such day
        ("0001-01-01T00:30:00+01:00", None),  # before the year 1 once in UTC
        ("9999-12-31T23:59:59-01:00", None),  # after the year 9999 once in UTC
        ("tomorrow", None),
        (1738315800, None),
    ],
)
def test_parse_instant_reads_aware_iso_8601_in_utc_and_nothing_else(text, expected):
    assert parse_instant(text) == expected
