"""Stored messages in the OpenAI Chat Completions shape, checked with the openai SDK's own types."""

from __future__ import annotations

import pydantic
import pytest
from openai.types.chat import ChatCompletionMessageParam

from chathistory.shapes import to_openai_messages
from chathistory.shapes.openai import CHAT_COMPLETIONS_PARTS
from tests.shapes_corpus import (
    CORPUS_MESSAGES,
    THINKING,
    corpus,
    custom_call,
    function_call,
    stored,
    strict_adapter,
    validate_strictly,
)

CHAT_MESSAGES = strict_adapter(list[ChatCompletionMessageParam])


def test_the_corpus_is_accepted_by_the_sdk_with_no_extra_key():
    shaped = to_openai_messages(corpus())

    validated = validate_strictly(CHAT_MESSAGES, shaped)

    assert validated == shaped
    assert len(shaped) == len(CORPUS_MESSAGES)


def test_each_role_has_its_chat_completions_shape():
    shaped = to_openai_messages(corpus())

    assert shaped[0] == {"role": "system", "content": "Be brief."}
    assert shaped[1] == {
        "role": "developer",
        "content": CORPUS_MESSAGES[1]["content"],
        "name": "policy",
    }
    assert shaped[2] == {"role": "user", "content": "Weather in Paris and Rome?", "name": "alice"}
    assert shaped[5] == {"role": "tool", "tool_call_id": "call_1", "content": "18C"}
    assert shaped[16] == {"role": "assistant", "content": "De rien.", "name": "bot"}


def test_each_role_takes_the_parts_it_may_store():
    taken = {role: set(kinds) for role, kinds in CHAT_COMPLETIONS_PARTS.items()}

    assert taken == {
        "system": {"text"},
        "developer": {"text"},
        "tool": {"text"},
        "user": {"text", "image_url", "input_audio", "file"},
        "assistant": {"text", "refusal"},
    }


def test_no_seq_ids_or_metadata_leave_the_store():
    keys = {key for message in to_openai_messages(corpus()) for key in message}
    assert keys == {"role", "content", "name", "refusal", "tool_calls", "tool_call_id"}


def test_user_parts_are_kept_as_given_less_provider_blocks():
    user = to_openai_messages(corpus())[3]

    assert user["content"] == CORPUS_MESSAGES[3]["content"][:6]
    assert [part["type"] for part in user["content"]] == [
        "text",
        "image_url",
        "image_url",
        "input_audio",
        "file",
        "file",
    ]


def test_parallel_tool_calls_are_kept_and_thinking_is_left_out():
    assistant = to_openai_messages(corpus())[4]

    assert assistant == {
        "role": "assistant",
        "content": [{"type": "text", "text": "Checking both."}],
        "tool_calls": CORPUS_MESSAGES[4]["tool_calls"],
    }


def test_a_custom_tool_call_is_kept_as_given():
    assistant = to_openai_messages(corpus())[9]

    assert assistant == {
        "role": "assistant",
        "content": None,
        "tool_calls": [custom_call("call_3")],
    }


def test_refusals_are_kept_as_a_part_and_as_the_field():
    shaped = to_openai_messages(corpus())

    assert shaped[11] == {
        "role": "assistant",
        "content": [{"type": "refusal", "refusal": "I can't share that."}],
    }
    assert shaped[13] == {"role": "assistant", "content": None, "refusal": "I won't explain."}


def test_other_keys_of_tool_calls_are_kept():
    call = {**function_call("call_1"), "x-trace": {"id": 7}}
    (assistant,) = to_openai_messages(stored({"role": "assistant", "tool_calls": [call]}))

    assert assistant["tool_calls"] == [call]


def test_an_assistant_left_with_no_part_is_null_with_tool_calls_and_empty_otherwise():
    shaped = to_openai_messages(
        stored(
            {"role": "assistant", "content": [THINKING], "tool_calls": [function_call("call_1")]},
            {"role": "assistant", "content": [THINKING]},
            {"role": "assistant", "content": [THINKING], "refusal": "No."},
            {
                "role": "user",
                "content": [{"type": "document", "source": {"type": "text", "data": "x"}}],
            },
        )
    )

    assert [message["content"] for message in shaped] == [None, "", "", ""]
    validate_strictly(CHAT_MESSAGES, shaped)


def test_an_empty_string_is_content_and_stays():
    (message,) = to_openai_messages(stored({"role": "assistant", "content": "", "tool_calls": [function_call("c")]}))
    assert message["content"] == ""


def test_name_is_kept_on_every_role_that_has_one():
    shaped = to_openai_messages(
        stored(
            {"role": "system", "content": "s", "name": "ops"},
            {"role": "tool", "tool_call_id": "c", "content": "18C", "name": "get_weather"},
            {"role": "user", "content": "hi", "name": ""},
        )
    )

    assert [message.get("name") for message in shaped] == ["ops", "get_weather", None]


def test_mappings_are_shaped_like_stored_rows():
    assert to_openai_messages(CORPUS_MESSAGES) == to_openai_messages(corpus())


def test_the_strict_check_refuses_a_key_the_sdk_does_not_declare_even_deep_in_a_part():
    shaped = to_openai_messages(
        stored({"role": "user", "content": [{"type": "text", "text": "hi", "cache_control": {}}]})
    )

    with pytest.raises(pydantic.ValidationError, match="cache_control"):
        validate_strictly(CHAT_MESSAGES, shaped)
