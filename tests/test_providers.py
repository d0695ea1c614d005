"""Model answers stored as the SDKs return them (objects and model_dump() dicts), and the Anthropic
round trip through the database."""

from __future__ import annotations

import json
import logging

import pytest
from anthropic.types import MessageParam, TextBlock, TextBlockParam, ThinkingBlock, ToolUseBlock
from hypothesis import HealthCheck, given, settings
from openai.types.chat import ChatCompletionMessage
from openai.types.chat.chat_completion_message_custom_tool_call import (
    ChatCompletionMessageCustomToolCall,
    Custom,
)

from chathistory import services
from chathistory.models import Conversation, Message
from chathistory.shapes import anthropic as anthropic_shape
from tests.factories import make_conversation
from tests.sdk_responses import anthropic_message, completion, weather_call
from tests.shapes_corpus import strict_adapter, validate_strictly
from tests.test_shapes_anthropic import _conversations as anthropic_conversations

ANTHROPIC_MESSAGES = strict_adapter(list[MessageParam])
ANTHROPIC_SYSTEM = strict_adapter(list[TextBlockParam])


def both_forms(response):
    """The SDK object and its model_dump() dict: each must store the same message."""
    return [pytest.param(response, id="object"), pytest.param(response.model_dump(), id="model_dump")]


def stored_fields(message):
    message = Message.objects.get(pk=message.pk)
    return {"content": message.content, "refusal": message.refusal, "tool_calls": message.tool_calls}


REFUSAL = completion(ChatCompletionMessage(role="assistant", content=None, refusal="I can't help with that."))
PARALLEL = completion(
    ChatCompletionMessage(
        role="assistant", content=None, tool_calls=[weather_call("call_1", "Paris"), weather_call("call_2", "Rome")]
    ),
    "tool_calls",
)
CUSTOM = completion(
    ChatCompletionMessage(
        role="assistant",
        content=None,
        tool_calls=[
            ChatCompletionMessageCustomToolCall(
                id="call_7", type="custom", custom=Custom(name="run_python", input="print(6 * 7)")
            )
        ],
    ),
    "tool_calls",
)
THINKING_AND_TOOLS = anthropic_message(
    [
        ThinkingBlock(type="thinking", thinking="Two cities.", signature="c2lnbmF0dXJl"),
        TextBlock(type="text", text="Checking both."),
        ToolUseBlock(type="tool_use", id="toolu_1", name="get_weather", input={"city": "Paris"}),
        ToolUseBlock(type="tool_use", id="toolu_2", name="get_weather", input={"city": "Rome"}),
    ],
    stop_reason="tool_use",
)


@pytest.mark.parametrize("response", both_forms(REFUSAL))
def test_a_refusal_is_stored_with_its_facts(conversation, response):
    message = services.add_model_response(conversation, response, metadata={"latency_ms": 812, "model": "mine"})

    assert stored_fields(message) == {"content": None, "refusal": "I can't help with that.", "tool_calls": None}
    assert Message.objects.get(pk=message.pk).metadata == {
        "model": "mine",  # the caller's metadata goes on top
        "response_id": "chatcmpl-123",
        "finish_reason": "stop",
        "usage": {"prompt_tokens": 12, "completion_tokens": 5, "total_tokens": 17},
        "latency_ms": 812,
    }
    assert services.get_openai_messages(conversation) == [
        {"role": "assistant", "content": None, "refusal": "I can't help with that."}
    ]


@pytest.mark.parametrize("response", both_forms(PARALLEL))
def test_parallel_tool_calls_are_stored_and_can_be_answered(conversation, response):
    services.add_message(conversation, role="user", content="Paris and Rome?")
    message = services.add_model_response(conversation, response)
    services.add_messages(
        conversation,
        [
            {"role": "tool", "tool_call_id": "call_2", "content": "25C"},
            {"role": "tool", "tool_call_id": "call_1", "content": "18C"},
        ],
    )

    assert [call["id"] for call in stored_fields(message)["tool_calls"]] == ["call_1", "call_2"]
    assert message.metadata["finish_reason"] == "tool_calls"


@pytest.mark.parametrize("response", both_forms(CUSTOM))
def test_a_custom_tool_call_is_stored_as_returned(conversation, response):
    message = services.add_model_response(conversation, response)

    assert stored_fields(message)["tool_calls"] == [
        {"id": "call_7", "type": "custom", "custom": {"name": "run_python", "input": "print(6 * 7)"}}
    ]


@pytest.mark.parametrize("response", both_forms(CUSTOM.choices[0].message))
def test_a_bare_chat_completion_message_is_stored_without_facts(conversation, response):
    message = services.add_model_response(conversation, response)

    assert Message.objects.get(pk=message.pk).metadata == {}


@pytest.mark.parametrize("response", both_forms(THINKING_AND_TOOLS))
def test_an_anthropic_answer_keeps_its_thinking_and_goes_back_unchanged(conversation, response):
    services.add_message(conversation, role="user", content="Weather in Paris and Rome?")

    message = services.add_model_response(conversation, response)

    stored = Message.objects.get(pk=message.pk)
    assert stored.content == [
        {"type": "thinking", "thinking": "Two cities.", "signature": "c2lnbmF0dXJl"},
        {"type": "text", "text": "Checking both."},
    ]
    assert stored.metadata == {
        "model": "claude-sonnet-4-5",
        "response_id": "msg_01",
        "stop_reason": "tool_use",
        "usage": {"input_tokens": 30, "output_tokens": 12},
    }
    (_, answer) = services.get_anthropic_messages(conversation)["messages"]
    assert answer == {
        "role": "assistant",
        "content": [block.model_dump(exclude_none=True) for block in THINKING_AND_TOOLS.content],
    }


@pytest.mark.parametrize("response", [None, "Hello", {"choices": []}, {"role": "user", "content": "x"}, 42])
def test_anything_else_is_a_validation_error_and_nothing_is_stored(conversation, nothing_stored, response):
    with nothing_stored() as rejection:
        services.add_model_response(conversation, response)

    assert set(rejection.value.errors) == {"response"}


def test_caller_metadata_that_is_not_an_object_is_rejected(conversation, nothing_stored):
    with nothing_stored() as rejection:
        services.add_model_response(conversation, REFUSAL, metadata=["not", "an", "object"])

    assert set(rejection.value.errors) == {"metadata"}


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow]
)
@given(anthropic_conversations())
def test_any_anthropic_conversation_stored_comes_back_equal(user, conversation):
    messages, system = conversation
    stored_in = make_conversation(user=user)

    services.add_anthropic_messages(stored_in, messages, system=system)

    back = services.get_anthropic_messages(Conversation.objects.get(pk=stored_in.pk))
    assert json.loads(json.dumps(back)) == {"system": system, "messages": messages}
    validate_strictly(ANTHROPIC_MESSAGES, back["messages"])
    validate_strictly(ANTHROPIC_SYSTEM, back["system"])


def test_a_stored_rule_broken_is_named_by_the_anthropic_message_and_logged_once(conversation, nothing_stored, caplog):
    caplog.set_level(logging.INFO, logger="chathistory")
    messages = [
        {"role": "assistant", "content": [{"type": "tool_use", "id": "toolu_1", "name": "f", "input": {}}]},
        {
            "role": "user",
            "content": [
                {"type": "tool_result", "tool_use_id": "toolu_1", "content": "ok"},
                {"type": "tool_result", "tool_use_id": "toolu_unknown", "content": "x"},
                {"type": "text", "text": "And?"},
            ],
        },
    ]

    with nothing_stored() as rejection:
        services.add_anthropic_messages(conversation, messages, system="Be brief.")

    assert list(rejection.value.errors) == ["messages[1]"]
    assert rejection.value.errors["messages[1]"][0].startswith("tool_call_id: ")
    rejected = [record for record in caplog.records if record.getMessage().startswith("rejected input")]
    assert len(rejected) == 1


def test_each_anthropic_message_is_converted_once_also_when_rejected(conversation, nothing_stored, monkeypatch):
    converted = []
    convert = anthropic_shape._from_message

    def counting(errors, path, message):
        converted.append(path)
        return convert(errors, path, message)

    monkeypatch.setattr(anthropic_shape, "_from_message", counting)
    messages = [
        {"role": "user", "content": "Hi"},
        {"role": "user", "content": [{"type": "tool_result", "tool_use_id": "toolu_unknown", "content": "x"}]},
    ]

    with nothing_stored():
        services.add_anthropic_messages(conversation, messages)

    assert converted == ["messages[0]", "messages[1]"]
