"""Model providers' own shapes: answers as their SDKs return them, Anthropic's messages, and the
history window as OpenAI Responses input or Anthropic messages.

The mapping itself is pure and lives in ``chathistory.shapes``; this module stores through the
append service (so every rule and the routers apply) and reads through ``history_window`` (so
every shape gets the same window).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from chathistory import shapes
from chathistory.exceptions import FieldErrors, ValidationError
from chathistory.models import Conversation, Message
from chathistory.services.appends import add_message, add_messages
from chathistory.services.base import reject
from chathistory.services.history import history_window
from chathistory.shapes._fields import MessageLike
from chathistory.shapes.anthropic import _stored_with_origins


def add_model_response(conversation: Conversation, response: Any, *, metadata: dict[str, Any] | None = None) -> Message:
    """Store a model's answer exactly as the SDK returned it, and return the message.

    ``response``: an OpenAI ``ChatCompletion`` (its first choice) or ``ChatCompletionMessage``, or
    an Anthropic ``Message``, as the SDK's object or its ``model_dump()`` dict. The message's
    metadata holds the response's ``model``, ``response_id``, ``finish_reason`` (OpenAI) or
    ``stop_reason`` (Anthropic), ``usage`` and an OpenAI answer's ``annotations``, with ``metadata``
    on top.
    """
    try:
        message = shapes.message_from_model_response(response)
    except ValidationError as error:
        raise reject(error.errors, "response") from None
    if metadata is None:
        pass
    elif isinstance(metadata, dict):
        message["metadata"] = {**message["metadata"], **metadata}
    else:
        message["metadata"] = metadata  # not an object: rejected, naming metadata
    return add_message(conversation, **message)


def add_anthropic_messages(conversation: Conversation, messages: Any, *, system: Any = None) -> list[Message]:
    """Append messages in Anthropic's Messages shape (and its top-level ``system``), all or nothing.

    Mapped as ``chathistory.shapes.from_anthropic_messages`` says: each ``tool_result`` block
    becomes a tool message, ``tool_use`` a function tool call, ``thinking`` and other blocks are
    kept as given. Errors are keyed by the path of what was given: ``messages[1].content[0].id``,
    or ``messages[3]`` for a rule of the stored message (``tool_call_id: …`` when a result answers
    no earlier call).
    """
    try:
        converted = _stored_with_origins(messages, system)
    except ValidationError as error:
        raise reject(error.errors, "anthropic") from None
    try:
        return add_messages(conversation, [message for _, message in converted])
    except ValidationError as error:
        if not isinstance(error.errors, list):
            raise
        # Logged already where it was rejected: only its keys change, to what the caller sent.
        raise ValidationError(_by_origin([origin for origin, _ in converted], error.errors)) from None


def get_responses_input(conversation: Conversation, *, last: int | None = None) -> list[dict[str, Any]]:
    """The model-ready window (as ``get_openai_messages`` has it) as OpenAI Responses API input items."""
    return to_responses_input(history_window(conversation, last=last))


def get_anthropic_messages(conversation: Conversation, *, last: int | None = None) -> dict[str, list[dict[str, Any]]]:
    """The model-ready window in Anthropic's Messages shape: ``{"system": [...], "messages": [...]}``."""
    return to_anthropic_messages(history_window(conversation, last=last))


def to_responses_input(messages: Iterable[MessageLike]) -> list[dict[str, Any]]:
    """Messages as OpenAI Responses API input items: no seq, database ids or metadata."""
    return shapes.to_responses_input(messages)


def to_anthropic_messages(messages: Iterable[MessageLike]) -> dict[str, list[dict[str, Any]]]:
    """Messages in Anthropic's Messages shape: ``{"system": [...], "messages": [...]}``."""
    return shapes.to_anthropic_messages(messages)


def _by_origin(origins: list[str], errors: list[FieldErrors]) -> FieldErrors:
    """Errors of the stored messages, keyed by the Anthropic message (or ``system``) each came from."""
    found: FieldErrors = {}
    for origin, item in zip(origins, errors, strict=True):
        for field, problems in item.items():
            found.setdefault(origin, []).extend(f"{field}: {problem}" for problem in problems)
    return found
