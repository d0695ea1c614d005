"""Reading message-like objects: model rows and plain mappings alike."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol, Union

MessageLike = Union["StoredMessage", Mapping[str, Any]]


class StoredMessage(Protocol):
    """What the shapes read from a message: the fields of ``chathistory.models.Message``.

    Read-only members, so a model whose fields are typed more narrowly still fits.
    """

    @property
    def seq(self) -> int | None: ...
    @property
    def role(self) -> str: ...
    @property
    def content(self) -> str | list[Any] | None: ...
    @property
    def name(self) -> str | None: ...
    @property
    def refusal(self) -> str | None: ...
    @property
    def tool_calls(self) -> list[dict[str, Any]] | None: ...
    @property
    def tool_call_id(self) -> str | None: ...


def field(message: MessageLike, name: str) -> Any:
    """One field of a message, ``None`` when it has none."""
    if type(message) is dict:  # the rows every history read builds: ahead of the slower ABC check
        return message.get(name)
    if isinstance(message, Mapping):
        return message.get(name)
    return getattr(message, name, None)


def text_of(content: str | list[Any] | None) -> str:
    """The text of string content or of its ``text`` parts, joined as written (other parts have none)."""
    if content is None:
        return ""
    if isinstance(content, str):
        return content
    return "".join(
        part["text"]
        for part in content
        if isinstance(part, dict) and part.get("type") == "text" and isinstance(part.get("text"), str)
    )
