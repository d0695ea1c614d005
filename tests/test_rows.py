"""Messages as plain dicts: the same values a Message holds, in order, in one query."""

from __future__ import annotations

import pytest

from chathistory import services
from chathistory.exceptions import ValidationError
from chathistory.services.rows import MESSAGE_ROW_FIELDS, WINDOW_ROW_FIELDS, instruction_rows
from tests.factories import make_conversation, make_message, tool_call


def as_row(message) -> dict:
    """A Message's field values keyed as history_rows keys them."""
    return {field: getattr(message, field) for field in MESSAGE_ROW_FIELDS}


def test_history_rows_hold_exactly_the_values_of_the_messages(conversation):
    make_message(conversation, role="system", content="Be brief.")
    make_message(
        conversation,
        role="assistant",
        content=None,
        tool_calls=[tool_call("c1")],
        metadata={"model": "gpt-4o", "big": 1e23, "n": [1, 1.0, "1"]},
    )
    make_message(conversation, role="tool", tool_call_id="c1", content='{"temp_c": 18}', name="get_weather")
    make_message(conversation, content="Thanks 🙂\r\n")
    rows = services.history_rows(conversation)
    assert rows == [as_row(m) for m in services.get_chat_history(conversation)]
    assert list(rows[0]) == list(MESSAGE_ROW_FIELDS)
    assert type(rows[1]["metadata"]["big"]) is float
    assert rows[1]["created_at"].tzinfo is not None


def test_history_rows_last_n_is_exactly_the_last_n_in_order(conversation):
    for n in range(10):
        make_message(conversation, content=f"m{n}")
    assert [r["seq"] for r in services.history_rows(conversation, last=3)] == [8, 9, 10]
    assert [r["seq"] for r in services.history_rows(conversation, last=50)] == list(range(1, 11))
    assert services.history_rows(conversation, last=0) == []


def test_history_rows_are_one_query_and_only_the_fields_asked_for(conversation, django_assert_num_queries):
    for n in range(5):
        make_message(conversation, content=f"m{n}")
    with django_assert_num_queries(1):
        rows = services.history_rows(conversation, last=2, fields=WINDOW_ROW_FIELDS)
    assert rows == [
        {
            "seq": 4,
            "role": "user",
            "content": "m3",
            "name": None,
            "refusal": None,
            "tool_calls": None,
            "tool_call_id": None,
        },
        {
            "seq": 5,
            "role": "user",
            "content": "m4",
            "name": None,
            "refusal": None,
            "tool_calls": None,
            "tool_call_id": None,
        },
    ]


def test_history_rows_never_reads_another_conversation(conversation):
    other = make_conversation(user=conversation.user)
    make_message(other, content="elsewhere")
    make_message(conversation, content="here")
    assert [r["content"] for r in services.history_rows(conversation)] == ["here"]


@pytest.mark.parametrize("last", [-1, "3", 2.5, True])
def test_history_rows_rejects_a_last_that_is_not_a_whole_number(conversation, last):
    with pytest.raises(ValidationError) as rejection:
        services.history_rows(conversation, last=last)
    assert set(rejection.value.errors) == {"last"}


def test_history_rows_refuses_a_field_a_message_does_not_have(conversation):
    with pytest.raises(ValueError, match="contnet"):
        services.history_rows(conversation, fields=("seq", "contnet"))


def test_instruction_rows_are_the_system_and_developer_messages_before_a_seq(conversation):
    make_message(conversation, role="system", content="s1")
    make_message(conversation, content="u2")
    make_message(conversation, role="developer", content="d3")
    make_message(conversation, role="system", content="s4")
    rows = instruction_rows(conversation, before_seq=4, fields=("seq", "role", "content"))
    assert rows == [{"seq": 1, "role": "system", "content": "s1"}, {"seq": 3, "role": "developer", "content": "d3"}]
    assert [r["seq"] for r in instruction_rows(conversation)] == [1, 3, 4]


def test_instruction_rows_need_seq_to_be_put_in_order(conversation):
    with pytest.raises(ValueError, match="seq"):
        instruction_rows(conversation, fields=("role", "content"))
