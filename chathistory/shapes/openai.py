"""The OpenAI Chat Completions shape: the ``messages`` of ``client.chat.completions.create``.

- system, developer and user messages: ``{"role", "content"}``;
- assistant: ``{"role": "assistant", "content": <string, list or null>}``, with ``"refusal"`` when it
  refused and ``"tool_calls"`` when it made tool calls (function and custom calls, every key as stored);
- tool: ``{"role": "tool", "tool_call_id", "content"}``;
- ``name`` on any message that has one.

Content parts are kept as stored, with every key. Parts of a type that Chat Completions does not
take on that role (a provider's own block, such as Anthropic's ``thinking``) are left out; when that
leaves no part, the content is ``null`` for an assistant message with tool calls and ``""``
otherwise, both of which the API takes. Chat Completions takes the known parts on the roles that
store them (``content.PART_ROLES``): ``text`` on every role, ``image_url``, ``input_audio`` and
``file`` on user messages, and ``refusal`` on assistant messages.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from chathistory.content import PART_ROLES, ROLE_NAMES
from chathistory.shapes._fields import MessageLike, field

# The known parts are the Chat Completions parts, so the roles that store one are those it goes to.
CHAT_COMPLETIONS_PARTS: dict[str, frozenset[str]] = {
    role: frozenset(kind for kind, roles in PART_ROLES.items() if role in roles) for role in ROLE_NAMES
}


def to_openai_messages(messages: Iterable[MessageLike]) -> list[dict[str, Any]]:
    """Messages in the Chat Completions shape, in the order given."""
    return [to_openai_message(message) for message in messages]


def to_openai_message(message: MessageLike) -> dict[str, Any]:
    role = str(field(message, "role"))
    tool_calls = field(message, "tool_calls")
    shaped: dict[str, Any] = {"role": role}
    if role == "tool":
        shaped["tool_call_id"] = field(message, "tool_call_id")
    shaped["content"] = _content(role, field(message, "content"), has_tool_calls=bool(tool_calls))
    if role == "assistant":
        refusal = field(message, "refusal")
        if refusal is not None:
            shaped["refusal"] = refusal
        if tool_calls:
            shaped["tool_calls"] = tool_calls
    name = field(message, "name")
    if name:
        shaped["name"] = name
    return shaped


def _content(role: str, content: Any, *, has_tool_calls: bool) -> Any:
    if not isinstance(content, list):
        return content
    taken = CHAT_COMPLETIONS_PARTS.get(role, frozenset())
    parts = [part for part in content if isinstance(part, dict) and part.get("type") in taken]
    if parts:
        return parts
    return None if role == "assistant" and has_tool_calls else ""
