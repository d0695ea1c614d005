"""Reading a conversation back: in order, the last N, and the window ready to send to a model."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from chathistory import shapes
from chathistory.models import Conversation, Message, Role
from chathistory.services.base import reject
from chathistory.services.rows import WINDOW_ROW_FIELDS, history_rows, instruction_rows
from chathistory.shapes._fields import MessageLike
from chathistory.validation import last_errors


def get_chat_history(conversation: Conversation, *, last: int | None = None) -> list[Message]:
    """The conversation's messages in order; with ``last=N``, exactly the last N (one query)."""
    errors = last_errors(last)
    if errors:
        raise reject(errors, "last")
    # The related manager reads from the database the routers choose for this conversation.
    messages = conversation.messages.all()
    if last is None:
        return list(messages.order_by("seq"))
    return list(reversed(messages.tail(last))) if last else []


def history_window(conversation: Conversation, *, last: int | None = None) -> list[dict[str, Any]]:
    """The messages a model is sent, whichever shape they are sent in, as rows (``WINDOW_ROW_FIELDS``).

    All messages; with ``last=N``, the last N, less tool results whose call fell outside the
    window (so it never starts with an orphan tool message), with every earlier system and
    developer message kept ahead of them, in order: the model keeps its instructions however
    long the conversation grows. Rows, not model instances: every shape builds dicts anyway.
    """
    window = history_rows(conversation, last=last, fields=WINDOW_ROW_FIELDS)
    if last is None:
        return window
    earlier = instruction_rows(conversation, before_seq=window[0]["seq"] if window else None, fields=WINDOW_ROW_FIELDS)
    return [*earlier, *answerable(window)]


def answerable(window: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The rows of a window less each tool result whose call is not in it, which no model would take."""
    calls_in_window = {call["id"] for row in window for call in row["tool_calls"] or ()}
    return [row for row in window if row["role"] != Role.TOOL or row["tool_call_id"] in calls_in_window]


def get_openai_messages(conversation: Conversation, *, last: int | None = None) -> list[dict[str, Any]]:
    """The model-ready window (``history_window``) in the OpenAI Chat Completions shape: what ``/history/`` returns."""
    return to_openai_messages(history_window(conversation, last=last))


def to_openai_messages(messages: Iterable[MessageLike]) -> list[dict[str, Any]]:
    """Messages in the OpenAI Chat Completions shape: no seq, ids or metadata."""
    return shapes.to_openai_messages(messages)
