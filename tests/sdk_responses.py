"""Model answers built with the SDKs' own classes (no network), for the tests that store them."""

from __future__ import annotations

from anthropic.types import Message, Usage
from openai.types.chat import ChatCompletion, ChatCompletionMessage
from openai.types.chat.chat_completion import Choice
from openai.types.chat.chat_completion_message_function_tool_call import (
    ChatCompletionMessageFunctionToolCall,
    Function,
)
from openai.types.completion_usage import CompletionUsage


def completion(message: ChatCompletionMessage, finish_reason: str = "stop") -> ChatCompletion:
    return ChatCompletion(
        id="chatcmpl-123",
        object="chat.completion",
        created=1_700_000_000,
        model="gpt-4o-2024-08-06",
        choices=[Choice(index=0, finish_reason=finish_reason, logprobs=None, message=message)],
        usage=CompletionUsage(prompt_tokens=12, completion_tokens=5, total_tokens=17),
    )


def weather_call(call_id: str, city: str) -> ChatCompletionMessageFunctionToolCall:
    return ChatCompletionMessageFunctionToolCall(
        id=call_id,
        type="function",
        function=Function(name="get_weather", arguments=f'{{"city": "{city}"}}'),
    )


def anthropic_message(content, stop_reason="end_turn") -> Message:
    return Message(
        id="msg_01",
        type="message",
        role="assistant",
        model="claude-sonnet-4-5",
        content=content,
        stop_reason=stop_reason,
        stop_sequence=None,
        usage=Usage(input_tokens=30, output_tokens=12),
    )
