"""Stored messages as OpenAI Responses input items, checked with the openai SDK's own types."""

from __future__ import annotations

import pydantic
import pytest
from openai.types.responses import ResponseInputAudioParam, ResponseInputParam

from chathistory.shapes import to_responses_input
from tests.shapes_corpus import (
    PDF_DATA_URL,
    PNG_DATA_URL,
    THINKING,
    Stored,
    corpus,
    custom_call,
    function_call,
    stored,
    strict_adapter,
    validate_strictly,
)

RESPONSES_INPUT = strict_adapter(ResponseInputParam)
AUDIO_PARTS = strict_adapter(list[ResponseInputAudioParam])


def _has_audio(item):
    return any(part.get("type") == "input_audio" for part in item.get("content", ()))


def test_the_corpus_is_accepted_by_the_sdk_with_no_extra_key():
    items = to_responses_input(corpus())

    # The SDK defines the input_audio part, but its message content union does not list it yet.
    without_audio = [
        {**item, "content": [part for part in item["content"] if part["type"] != "input_audio"]}
        if _has_audio(item)
        else item
        for item in items
    ]
    assert validate_strictly(RESPONSES_INPUT, without_audio) == without_audio
    audio_parts = [
        part for item in items if _has_audio(item) for part in item["content"] if part["type"] == "input_audio"
    ]
    assert len(audio_parts) == 1
    assert validate_strictly(AUDIO_PARTS, audio_parts) == audio_parts


def test_instructions_and_user_messages_become_input_messages():
    items = to_responses_input(corpus())

    assert items[0] == {
        "type": "message",
        "role": "system",
        "content": [{"type": "input_text", "text": "Be brief."}],
    }
    assert items[1] == {
        "type": "message",
        "role": "developer",
        "content": [
            {
                "type": "input_text",
                "text": "Use metric units.",
                "prompt_cache_breakpoint": {"mode": "explicit"},
            }
        ],
    }
    assert items[3] == {
        "type": "message",
        "role": "user",
        "content": [
            {"type": "input_text", "text": "Also, what is on these?"},
            {"type": "input_image", "image_url": PNG_DATA_URL, "detail": "low"},
            {"type": "input_image", "image_url": "https://example.com/cat.jpg", "detail": "auto"},
            {"type": "input_audio", "input_audio": {"data": "UklGRiQAAABXQVZF", "format": "wav"}},
            {"type": "input_file", "file_data": PDF_DATA_URL, "filename": "report.pdf"},
            {"type": "input_file", "file_id": "file-abc123"},
        ],
    }


def test_an_assistant_turn_is_an_output_message_then_its_calls_in_order():
    items = to_responses_input(corpus())

    assert items[4:9] == [
        {
            "id": "msg_5",
            "type": "message",
            "role": "assistant",
            "status": "completed",
            "content": [{"type": "output_text", "text": "Checking both.", "annotations": []}],
        },
        {
            "type": "function_call",
            "call_id": "call_1",
            "name": "get_weather",
            "arguments": '{"city": "Paris"}',
        },
        {
            "type": "function_call",
            "call_id": "call_2",
            "name": "get_weather",
            "arguments": '{"city": "Rome"}',
        },
        {"type": "function_call_output", "call_id": "call_1", "output": "18C"},
        {"type": "function_call_output", "call_id": "call_2", "output": "25C"},
    ]


def test_a_custom_call_and_its_answer_are_custom_items():
    items = to_responses_input(corpus())

    assert items[11:13] == [
        {
            "type": "custom_tool_call",
            "call_id": "call_3",
            "name": "run_python",
            "input": "print(6 * 7)",
        },
        {"type": "custom_tool_call_output", "call_id": "call_3", "output": "42"},
    ]


def test_refusals_are_refusal_parts_the_field_after_the_content():
    items = to_responses_input(
        stored(
            {"role": "assistant", "content": [{"type": "refusal", "refusal": "No."}]},
            {"role": "assistant", "content": "Well,", "refusal": "no."},
        )
    )

    assert [item["content"] for item in items] == [
        [{"type": "refusal", "refusal": "No."}],
        [
            {"type": "output_text", "text": "Well,", "annotations": []},
            {"type": "refusal", "refusal": "no."},
        ],
    ]
    assert [item["id"] for item in items] == ["msg_1", "msg_2"]
    validate_strictly(RESPONSES_INPUT, items)


def test_an_assistant_with_only_tool_calls_has_no_message_item():
    items = to_responses_input(
        stored(
            {
                "role": "assistant",
                "content": [THINKING],
                "tool_calls": [function_call("c1"), custom_call("c2")],
            }
        )
    )

    assert [item["type"] for item in items] == ["function_call", "custom_tool_call"]


def test_a_tool_answer_to_a_call_not_given_is_a_function_call_output():
    (item,) = to_responses_input(stored({"role": "tool", "tool_call_id": "call_9", "content": "ok"}))

    assert item == {"type": "function_call_output", "call_id": "call_9", "output": "ok"}


def test_a_message_left_with_no_part_is_left_out():
    items = to_responses_input(
        stored(
            {
                "role": "user",
                "content": [{"type": "document", "source": {"type": "text", "data": "x"}}],
            },
            {"role": "user", "content": ""},
        )
    )

    assert items == [{"type": "message", "role": "user", "content": [{"type": "input_text", "text": ""}]}]


def test_ids_come_from_seq_and_from_the_position_without_one():
    items = to_responses_input(
        [
            Stored(seq=41, role="assistant", content="A"),
            Stored(seq=None, role="assistant", content="B"),  # type: ignore[arg-type]
        ]
    )

    assert [item["id"] for item in items] == ["msg_41", "msg_2"]


def test_the_strict_check_refuses_a_key_the_sdk_does_not_declare():
    items = to_responses_input(stored({"role": "user", "content": "hi"}))
    items[0]["name"] = "alice"

    with pytest.raises(pydantic.ValidationError):
        validate_strictly(RESPONSES_INPUT, items)
