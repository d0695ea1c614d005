"""Reading a conversation back: in order, the last N, and the window ready to send to a model."""

from __future__ import annotations

from collections.abc import Iterable
from operator import attrgetter
from typing import Any

from chathistory import shapes
from chathistory.models import INSTRUCTION_ROLES, Conversation, Message, Role
from chathistory.services.base import reject
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


def history_window(conversation: Conversation, *, last: int | None = None) -> list[Message]:
    """The messages a model is sent, whichever shape they are sent in.

    All messages; with ``last=N``, the last N, less tool results whose call fell outside the
    window (so it never starts with an orphan tool message), with every earlier system and
    developer message kept ahead of them, in order: the model keeps its instructions however
    long the conversation grows.
    """
    window = get_chat_history(conversation, last=last)
    if last is None:
        return window
    # No ORDER BY in SQL: with one, SQLite's planner prefers the (conversation, seq) index and
    # walks the whole conversation; without, it seeks (conversation, role, seq) per role.
    instructions = conversation.messages.filter(role__in=INSTRUCTION_ROLES).order_by()
    if window:
        instructions = instructions.filter(seq__lt=window[0].seq)
    earlier_instructions = sorted(instructions, key=attrgetter("seq"))
    calls_in_window = {call["id"] for message in window for call in message.tool_calls or ()}
    answerable = [message for message in window if message.role != Role.TOOL or message.tool_call_id in calls_in_window]
    return [*earlier_instructions, *answerable]


def get_openai_messages(conversation: Conversation, *, last: int | None = None) -> list[dict[str, Any]]:
    """The model-ready window (``history_window``) in the OpenAI Chat Completions shape: what ``/history/`` returns."""
    return to_openai_messages(history_window(conversation, last=last))


def to_openai_messages(messages: Iterable[MessageLike]) -> list[dict[str, Any]]:
    """Messages in the OpenAI Chat Completions shape: no seq, ids or metadata."""
    return shapes.to_openai_messages(messages)
