"""Model answers built with the SDKs' own classes (no network), turned into messages to store."""

from __future__ import annotations

import pytest
from anthropic.types import TextBlock, ThinkingBlock, ToolUseBlock
from openai.types.chat import (
    ChatCompletionMessage,
    ChatCompletionMessageParam,
)
from openai.types.chat.chat_completion_audio import ChatCompletionAudio
from openai.types.chat.chat_completion_message import Annotation, AnnotationURLCitation
from openai.types.chat.chat_completion_message_custom_tool_call import (
    ChatCompletionMessageCustomToolCall,
    Custom,
)
from openai.types.chat.chat_completion_message_function_tool_call import (
    ChatCompletionMessageFunctionToolCall,
)
from pydantic import TypeAdapter

from chathistory.content import body_errors
from chathistory.exceptions import ValidationError
from chathistory.shapes import (
    message_from_model_response,
    to_anthropic_messages,
    to_openai_messages,
)
from tests.sdk_responses import anthropic_message, completion, weather_call
from tests.shapes_corpus import stored, strict_adapter, validate_strictly

MESSAGE_KEYS = {"role", "content", "refusal", "tool_calls", "tool_call_id", "name", "metadata"}
CHAT_MESSAGES = TypeAdapter(list[ChatCompletionMessageParam])
STRICT_CHAT_MESSAGES = strict_adapter(list[ChatCompletionMessageParam])


def assert_storable(message):
    assert message.keys() == MESSAGE_KEYS
    errors = body_errors(
        role=message["role"],
        content=message["content"],
        refusal=message["refusal"],
        tool_calls=message["tool_calls"],
        max_length=1_000_000,
    )
    assert errors == {}


def fields(message):
    """What is stored, less the metadata."""
    return {key: message[key] for key in ("role", "content", "refusal", "tool_calls")}


# OpenAI --------------------------------------------------------------------------------------


def test_a_chat_completion_gives_its_first_choice_and_its_facts():
    response = completion(ChatCompletionMessage(role="assistant", content="Hello!", annotations=[]))

    message = message_from_model_response(response)

    assert message == {
        "role": "assistant",
        "content": "Hello!",
        "refusal": None,
        "tool_calls": None,
        "tool_call_id": None,
        "name": None,
        "metadata": {
            "model": "gpt-4o-2024-08-06",
            "response_id": "chatcmpl-123",
            "finish_reason": "stop",
            "usage": {"completion_tokens": 5, "prompt_tokens": 12, "total_tokens": 17},
        },
    }
    assert_storable(message)


def test_the_model_dump_gives_what_the_object_gives():
    response = completion(ChatCompletionMessage(role="assistant", content="Hello!"))

    assert message_from_model_response(response.model_dump()) == message_from_model_response(response)
    assert message_from_model_response(response.choices[0].message.model_dump()) == message_from_model_response(
        response.choices[0].message
    )


def test_a_refusal_is_kept_with_null_content():
    response = completion(ChatCompletionMessage(role="assistant", content=None, refusal="I can't help with that."))

    message = message_from_model_response(response)

    assert fields(message) == {
        "role": "assistant",
        "content": None,
        "refusal": "I can't help with that.",
        "tool_calls": None,
    }
    assert_storable(message)
    assert to_openai_messages(stored(fields(message))) == [
        {"role": "assistant", "content": None, "refusal": "I can't help with that."}
    ]


def test_parallel_tool_calls_are_kept_as_returned():
    calls = [weather_call("call_1", "Paris"), weather_call("call_2", "Rome")]
    response = completion(ChatCompletionMessage(role="assistant", content=None, tool_calls=calls), "tool_calls")

    message = message_from_model_response(response)

    assert message["tool_calls"] == [call.model_dump(mode="json") for call in calls]
    assert message["content"] is None
    assert message["metadata"]["finish_reason"] == "tool_calls"
    assert_storable(message)
    CHAT_MESSAGES.validate_python(to_openai_messages(stored(fields(message))))


def test_a_custom_tool_call_is_kept_as_returned():
    call = ChatCompletionMessageCustomToolCall(
        id="call_7", type="custom", custom=Custom(name="run_python", input="print(6 * 7)")
    )
    response = completion(ChatCompletionMessage(role="assistant", content=None, tool_calls=[call]), "tool_calls")

    message = message_from_model_response(response)

    assert message["tool_calls"] == [
        {
            "id": "call_7",
            "type": "custom",
            "custom": {"name": "run_python", "input": "print(6 * 7)"},
        }
    ]
    assert_storable(message)


def test_keys_an_api_adds_to_a_tool_call_are_kept():
    call = ChatCompletionMessageFunctionToolCall.model_validate(
        {
            "id": "call_1",
            "type": "function",
            "function": {"name": "f", "arguments": "{}"},
            "index": 0,
        }
    )
    message = message_from_model_response(ChatCompletionMessage(role="assistant", tool_calls=[call]))

    assert message["tool_calls"][0]["index"] == 0


def test_a_bare_message_has_no_facts_to_give():
    message = message_from_model_response(ChatCompletionMessage(role="assistant", content="Hi"))

    assert message["metadata"] == {}


def test_annotations_go_to_the_metadata_and_the_content_stays_a_string():
    citation = Annotation(
        type="url_citation",
        url_citation=AnnotationURLCitation(start_index=0, end_index=5, title="Paris", url="https://example.com/"),
    )
    message = message_from_model_response(
        completion(ChatCompletionMessage(role="assistant", content="Paris is sunny.", annotations=[citation]))
    )

    assert message["content"] == "Paris is sunny."
    assert message["metadata"]["annotations"] == [citation.model_dump(mode="json")]
    assert message["metadata"]["finish_reason"] == "stop"
    assert_storable(message)


def test_an_annotated_answer_goes_back_as_a_chat_completions_message():
    citation = Annotation(
        type="url_citation",
        url_citation=AnnotationURLCitation(start_index=0, end_index=5, title="Paris", url="https://example.com/"),
    )
    message = message_from_model_response(
        ChatCompletionMessage(role="assistant", content="Paris is sunny.", annotations=[citation])
    )

    shaped = to_openai_messages([message])

    assert validate_strictly(STRICT_CHAT_MESSAGES, shaped) == [{"role": "assistant", "content": "Paris is sunny."}]


def test_an_audio_answer_keeps_its_transcript_as_content():
    audio = ChatCompletionAudio(id="audio_1", data="UklGRg==", expires_at=1_700_003_600, transcript="Hello there.")
    message = message_from_model_response(completion(ChatCompletionMessage(role="assistant", audio=audio)))

    assert message["content"] == "Hello there."


# Anthropic -----------------------------------------------------------------------------------


def test_an_anthropic_answer_with_thinking_text_and_two_tool_uses():
    response = anthropic_message(
        [
            ThinkingBlock(type="thinking", thinking="Two cities.", signature="c2lnbmF0dXJl"),
            TextBlock(type="text", text="Checking both."),
            ToolUseBlock(type="tool_use", id="toolu_1", name="get_weather", input={"city": "Paris"}),
            ToolUseBlock(type="tool_use", id="toolu_2", name="get_weather", input={"city": "Rome"}),
        ],
        stop_reason="tool_use",
    )

    message = message_from_model_response(response)

    assert message == {
        "role": "assistant",
        "content": [
            {"type": "thinking", "thinking": "Two cities.", "signature": "c2lnbmF0dXJl"},
            {"type": "text", "text": "Checking both."},
        ],
        "refusal": None,
        "tool_calls": [
            {
                "id": "toolu_1",
                "type": "function",
                "function": {"name": "get_weather", "arguments": '{"city":"Paris"}'},
            },
            {
                "id": "toolu_2",
                "type": "function",
                "function": {"name": "get_weather", "arguments": '{"city":"Rome"}'},
            },
        ],
        "tool_call_id": None,
        "name": None,
        "metadata": {
            "model": "claude-sonnet-4-5",
            "response_id": "msg_01",
            "stop_reason": "tool_use",
            "usage": {"input_tokens": 30, "output_tokens": 12},
        },
    }
    assert_storable(message)
    assert message_from_model_response(response.model_dump()) == message


def test_an_anthropic_answer_goes_back_to_anthropic_as_it_came():
    response = anthropic_message(
        [
            ThinkingBlock(type="thinking", thinking="Hmm.", signature="c2ln"),
            TextBlock(type="text", text="Checking."),
            ToolUseBlock(type="tool_use", id="toolu_1", name="get_weather", input={"city": "Paris"}),
        ],
        stop_reason="tool_use",
    )
    message = message_from_model_response(response)

    (assistant,) = to_anthropic_messages(stored(fields(message)))["messages"]

    # The blocks as the SDK's params take them: the dump less the nulls it fills in.
    assert assistant == {
        "role": "assistant",
        "content": [
            {"type": "thinking", "thinking": "Hmm.", "signature": "c2ln"},
            {"type": "text", "text": "Checking."},
            {
                "type": "tool_use",
                "id": "toolu_1",
                "name": "get_weather",
                "input": {"city": "Paris"},
            },
        ],
    }


def test_an_anthropic_text_answer_is_string_content():
    message = message_from_model_response(anthropic_message([TextBlock(type="text", text="Hello!")]))

    assert message["content"] == "Hello!"
    assert message["metadata"]["stop_reason"] == "end_turn"


def test_an_anthropic_answer_with_no_block_is_empty_content_and_says_why():
    message = message_from_model_response(anthropic_message([], stop_reason="refusal"))

    assert message["content"] == ""
    assert message["metadata"]["stop_reason"] == "refusal"
    assert_storable(message)


def test_a_malformed_anthropic_block_is_named_under_response():
    dumped = anthropic_message([TextBlock(type="text", text="Hi")]).model_dump()
    dumped["content"].append({"type": "tool_use", "id": "", "name": "f", "input": {}})

    with pytest.raises(ValidationError) as rejection:
        message_from_model_response(dumped)

    assert list(rejection.value.errors) == ["response.content[1].id"]


# Anything else -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "response",
    [
        None,
        "Hello!",
        42,
        ["Hello!"],
        {"content": "Hello!"},
        {"role": "user", "content": "Hello!"},
        {
            "id": "msg_1",
            "type": "message",
            "role": "assistant",
            "status": "completed",
            "content": [],
        },
        {"id": "chatcmpl-1", "object": "chat.completion", "choices": []},
        {"id": "chatcmpl-1", "object": "chat.completion", "choices": [{"index": 0}]},
    ],
)
def test_anything_else_is_a_validation_error_under_response(response):
    with pytest.raises(ValidationError) as rejection:
        message_from_model_response(response)

    assert list(rejection.value.errors) == ["response"]
    assert rejection.value.errors["response"][0]
