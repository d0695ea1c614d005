from __future__ import annotations

import json

import pytest

from chathistory.encoders import ExactNumberJSONEncoder
from tests.factories import make_message

LARGE_FLOATS = [1e16, 1e23, -1.5e300, 1.7976931348623157e308, 2.900228094707153e16]


def _encode(value) -> str:
    return json.dumps(value, cls=ExactNumberJSONEncoder)


@pytest.mark.parametrize("number", LARGE_FLOATS)
def test_large_floats_are_written_with_a_fraction_and_read_back_equal(number):
    text = _encode({"n": [number]})
    assert "e" not in text and text.endswith(".0]}")
    assert json.loads(text) == {"n": [number]}


def test_values_without_large_floats_are_written_as_the_standard_encoder_writes_them():
    value = {"é": [1, 2.5, 1e-7, None, True, "🙂", {"k": []}], "n": 10**30}
    assert _encode(value) == json.dumps(value)


def test_the_rest_of_a_value_with_a_large_float_is_written_as_usual():
    value = {"big": 1e20, "text": 'é"🙂', "list": [None, False, 3, {"x": 0.5}], "empty": {}}
    assert json.loads(_encode(value)) == value
    assert '"text": "\\u00e9\\"\\ud83d\\ude42"' in _encode(value)


def test_large_floats_round_trip_through_the_database_as_floats(conversation):
    metadata = {"values": LARGE_FLOATS, "nested": {"n": 1e23}}
    make_message(
        conversation,
        role="assistant",
        content=None,
        tool_calls=[
            {
                "id": "call_1",
                "type": "function",
                "function": {"name": "f", "arguments": "{}"},
                "score": 1e23,
            }
        ],
        metadata=metadata,
    )
    stored = type(conversation).objects.get(pk=conversation.pk).messages.get()
    assert stored.metadata == metadata
    assert [type(value) for value in stored.metadata["values"]] == [float] * len(LARGE_FLOATS)
    assert type(stored.tool_calls[0]["score"]) is float and stored.tool_calls[0]["score"] == 1e23
