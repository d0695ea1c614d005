"""A model's answer, as an SDK returned it, turned into the assistant message to store.

``message_from_model_response(response)`` takes one of

- an OpenAI ``ChatCompletion`` (its first choice, as ``n=1`` gives),
- an OpenAI ``ChatCompletionMessage`` (``completion.choices[0].message``),
- an Anthropic ``Message``,

as the SDK's object (anything with ``model_dump()``) or as its ``model_dump()`` dict, and returns
``{"role": "assistant", "content", "refusal", "tool_calls", "tool_call_id": None, "name": None,
"metadata"}``. The metadata holds what the response says of itself: ``model``, ``response_id``,
``finish_reason`` (OpenAI) or ``stop_reason`` (Anthropic) and ``usage`` (its null fields left out),
each only when the response has it; a bare ``ChatCompletionMessage`` has none of them.

What is kept of an OpenAI message: ``content``, ``refusal`` and ``tool_calls`` (function and custom
calls, every key as returned). Its ``annotations`` (URL citations of web search) go to the metadata
as ``annotations``, when there are any, and the content stays the string it was: a ``text`` part
carrying them would be sent back by the Chat Completions shape, whose request type has no such key.
An audio answer, whose content is null, keeps its ``audio.transcript`` as content (the audio itself
expires at OpenAI). The deprecated ``function_call``, always null beside ``tool_calls``, is not kept.

An Anthropic message is mapped as ``from_anthropic_messages`` maps an assistant message (``text``
blocks as content, ``tool_use`` blocks as function tool calls, ``thinking`` and every other block
kept as given); an answer with no block at all (a refusal can be one) is stored with ``""`` as
content, and its ``stop_reason`` says why.

Anything else raises ``ValidationError`` under ``response``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from chathistory.exceptions import ValidationError
from chathistory.shapes.anthropic import from_anthropic_messages

_EXPECTED = (
    "Expected an OpenAI ChatCompletion or ChatCompletionMessage, or an Anthropic Message "
    "(the SDK's object or its model_dump() dict)"
)


def message_from_model_response(response: Any) -> dict[str, Any]:
    """The assistant message of ``response``, with the response's own facts as ``metadata``."""
    data = _dump(response)
    if not isinstance(data, Mapping):
        raise _not_a_response(f"not {type(response).__name__}")
    if "choices" in data:
        return _from_chat_completion(data)
    if data.get("type") == "message" and "stop_reason" in data:
        return _from_anthropic_message(data)
    if data.get("role") == "assistant" and "type" not in data:
        return _from_openai_message(data, metadata={})
    raise _not_a_response("and this is none of them")


def _dump(response: Any) -> Any:
    dump = getattr(response, "model_dump", None)
    return dump(mode="json") if callable(dump) else response


def _not_a_response(detail: str) -> ValidationError:
    return ValidationError({"response": [f"{_EXPECTED}, {detail}."]})


def _from_chat_completion(data: Mapping[str, Any]) -> dict[str, Any]:
    choices = data.get("choices")
    if not isinstance(choices, list) or not choices:
        raise ValidationError({"response": ["The ChatCompletion has no choices to store."]})
    choice = choices[0]
    message = choice.get("message") if isinstance(choice, Mapping) else None
    if not isinstance(message, Mapping):
        raise ValidationError({"response": ["The ChatCompletion's first choice has no message."]})
    metadata = _facts(
        model=data.get("model"),
        response_id=data.get("id"),
        finish_reason=choice.get("finish_reason"),
        usage=_usage(data.get("usage")),
    )
    return _from_openai_message(message, metadata=metadata)


def _from_openai_message(message: Mapping[str, Any], *, metadata: dict[str, Any]) -> dict[str, Any]:
    content = message.get("content")
    annotations = message.get("annotations")
    if annotations:
        metadata = {**metadata, "annotations": annotations}
    audio = message.get("audio")
    if content is None and isinstance(audio, Mapping) and isinstance(audio.get("transcript"), str):
        content = audio["transcript"]
    return {
        "role": "assistant",
        "content": content,
        "refusal": message.get("refusal"),
        "tool_calls": message.get("tool_calls") or None,
        "tool_call_id": None,
        "name": None,
        "metadata": metadata,
    }


def _from_anthropic_message(data: Mapping[str, Any]) -> dict[str, Any]:
    blocks = data.get("content")
    if not isinstance(blocks, list):
        raise ValidationError({"response": ["The Anthropic Message has no list of content blocks."]})
    # The SDK's dump carries null for every optional field a block did not use (citations, caller).
    blocks = [_without_nulls(block) for block in blocks]
    try:
        (message,) = from_anthropic_messages([{"role": "assistant", "content": blocks}])
    except ValidationError as error:
        assert isinstance(error.errors, dict)
        raise ValidationError(
            {path.replace("messages[0].", "response.", 1): messages for path, messages in error.errors.items()}
        ) from None
    message["metadata"] = _facts(
        model=data.get("model"),
        response_id=data.get("id"),
        stop_reason=data.get("stop_reason"),
        usage=_usage(data.get("usage")),
    )
    return message


def _without_nulls(block: Any) -> Any:
    if not isinstance(block, Mapping):
        return block
    return {key: value for key, value in block.items() if value is not None}


def _usage(usage: Any) -> Any:
    return _without_nulls(usage) if isinstance(usage, Mapping) else usage


def _facts(**facts: Any) -> dict[str, Any]:
    return {key: value for key, value in facts.items() if value is not None}
