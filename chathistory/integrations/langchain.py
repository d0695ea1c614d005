"""LangChain's chat message history, stored by chathistory: ``pip install "chathistory[langchain]"``.

``DjangoChatMessageHistory`` is a ``langchain_core.chat_history.BaseChatMessageHistory`` over one
conversation, so a LangChain app (``RunnableWithMessageHistory``, an agent) keeps its history
in the same tables as the API and the admin. Messages go in through langchain-core's own
converter (``convert_to_openai_messages``: roles, tool calls, names) with their content kept
as given, and come back through ``convert_to_messages``; whatever of a LangChain message
those converters do not carry (its ``id``, ``response_metadata``, ``usage_metadata``, a tool
message's ``artifact`` …) is kept under the ``"langchain"`` key of the message's metadata, so
a message comes back equal to the one stored. ``window=N`` reads only the last N messages.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from asgiref.sync import sync_to_async
from django.db import transaction
from langchain_core.chat_history import BaseChatMessageHistory
from langchain_core.messages import BaseMessage, convert_to_messages, convert_to_openai_messages
from langchain_core.messages.tool import invalid_tool_call

from chathistory import services
from chathistory.conf import app_settings
from chathistory.exceptions import ValidationError
from chathistory.models import Conversation, Message
from chathistory.services.base import write_alias
from chathistory.services.history import answerable
from chathistory.validation import MESSAGE_FIELDS

if TYPE_CHECKING:
    import uuid

    from django.contrib.auth.models import AbstractBaseUser

#: The metadata key that holds what langchain-core's converters do not carry.
METADATA_KEY = "langchain"
# The stored columns that a LangChain message maps to, besides content.
_COLUMNS = tuple(name for name in MESSAGE_FIELDS if name not in ("content", "metadata"))


class DjangoChatMessageHistory(BaseChatMessageHistory):
    """The messages of one chathistory conversation, as LangChain messages.

    Pass the ``conversation``, or a ``user`` with an optional ``conversation_id`` (the session
    id of ``RunnableWithMessageHistory``): the user's conversation of that id, created when
    new; an id of another user's raises ``ConversationIdTaken``. Nothing is read until the
    history is used, so it may be built in async code. ``window=N`` makes ``messages`` the last
    N messages only (less tool results whose call fell outside it), one query
    whatever the length of the conversation.
    """

    def __init__(
        self,
        conversation: Conversation | None = None,
        *,
        user: AbstractBaseUser | None = None,
        conversation_id: uuid.UUID | str | None = None,
        window: int | None = None,
    ) -> None:
        if (conversation is None) == (user is None):
            raise TypeError("Pass a conversation, or a user (with an optional conversation_id), not both.")
        if window is not None and (isinstance(window, bool) or not isinstance(window, int) or window < 1):
            raise ValueError(f"window must be a whole number, 1 or more, not {window!r}.")
        self._conversation = conversation
        self._user = user
        self._conversation_id = conversation_id
        self.window = window

    @property
    def conversation(self) -> Conversation:
        if self._conversation is None:
            assert self._user is not None
            self._conversation, _ = services.get_or_create_conversation(self._user, self._conversation_id)
        return self._conversation

    @property
    def messages(self) -> list[BaseMessage]:  # type: ignore[override]
        stored = services.get_chat_history(self.conversation, last=self.window)
        if self.window is not None:
            stored = _answerable(stored)
        return [to_langchain_message(message) for message in stored]

    def add_messages(self, messages: Sequence[BaseMessage]) -> None:
        """Append ``messages`` in one transaction: all of them, or none."""
        rows = [from_langchain_message(message) for message in messages]
        if not rows:
            return
        conversation = self.conversation
        limit = app_settings.MAX_BATCH_SIZE
        with transaction.atomic(using=write_alias(Message, conversation)):
            for start in range(0, len(rows), limit):
                services.add_messages(conversation, rows[start : start + limit])

    def clear(self) -> None:
        """Delete the conversation's messages; the next one is seq 1 again. The conversation stays."""
        services.clear_conversation(self.conversation)

    async def aget_messages(self) -> list[BaseMessage]:
        return await sync_to_async(lambda: self.messages)()

    async def aadd_messages(self, messages: Sequence[BaseMessage]) -> None:
        await sync_to_async(self.add_messages)(messages)

    async def aclear(self) -> None:
        await sync_to_async(self.clear)()


def _answerable(messages: list[Message]) -> list[Message]:
    """``messages`` less each tool result whose call is not among them: the history window's rule, as models need."""
    rows = [
        {
            "seq": message.seq,
            "role": message.role,
            "tool_calls": message.tool_calls,
            "tool_call_id": message.tool_call_id,
        }
        for message in messages
    ]
    kept = {row["seq"] for row in answerable(rows)}
    return [message for message in messages if message.seq in kept]


def from_langchain_message(message: BaseMessage) -> dict[str, Any]:
    """The ``add_messages`` dict for a LangChain message: its OpenAI form, its content as given."""
    try:
        shaped = convert_to_openai_messages(message)
    except ValueError as error:
        raise ValidationError({"content": [str(error)]}) from None
    assert isinstance(shaped, dict)
    row: dict[str, Any] = {name: shaped[name] for name in _COLUMNS if shaped.get(name) is not None}
    row["role"] = shaped["role"]
    row["content"] = message.content
    # What the converters would not bring back, so that the message returns equal.
    plain = _from_row(row, {})
    dumped = message.model_dump()
    extras = {
        name: dumped[name]
        for name in type(message).model_fields
        if name not in ("type", "content") and getattr(message, name) != getattr(plain, name, None)
    }
    if extras:
        row["metadata"] = {METADATA_KEY: extras}
    return row


def to_langchain_message(message: Message) -> BaseMessage:
    """A stored message as the LangChain message it was (or, if stored otherwise, its natural equivalent)."""
    row = {name: getattr(message, name) for name in ("role", "content", *_COLUMNS)}
    return _from_row(row, (message.metadata or {}).get(METADATA_KEY) or {})


def _from_row(row: dict[str, Any], extras: dict[str, Any]) -> BaseMessage:
    shaped = {name: value for name, value in row.items() if value is not None}
    shaped.setdefault("content", "")
    # convert_to_messages parses each call's arguments as JSON; the contract stores any string,
    # so calls whose arguments are not a JSON object come back as LangChain's invalid tool calls.
    invalid = []
    if shaped.get("tool_calls"):
        parsed = []
        for call in shaped["tool_calls"]:
            if _arguments_object(call):
                parsed.append(call)
            else:
                invalid.append(_invalid(call))
        shaped["tool_calls"] = parsed
    converted = convert_to_messages([shaped])[0]
    if invalid:
        converted = converted.model_copy(update={"invalid_tool_calls": invalid})
    return converted.model_copy(update=extras) if extras else converted


def _arguments_object(call: dict[str, Any]) -> bool:
    function = call.get("function")
    if call.get("type") != "function" or not isinstance(function, dict):
        return False
    arguments = function.get("arguments")
    if not isinstance(arguments, str):
        return False
    try:
        return isinstance(json.loads(arguments, strict=False), dict)
    except ValueError:
        return False


def _invalid(call: dict[str, Any]) -> Any:
    body = call.get("function") or call.get("custom") or {}
    return invalid_tool_call(
        name=body.get("name"),
        args=body.get("arguments", body.get("input")),
        id=call.get("id"),
        error="The arguments are not a JSON object.",
    )
