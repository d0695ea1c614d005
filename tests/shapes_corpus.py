"""A conversation with every role, every part type, refusals, parallel and custom tool calls,
and the helpers that check a shape against an SDK's own types with no extra key allowed."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from pydantic import ConfigDict, TypeAdapter

PNG_DATA_URL = "data:image/png;base64,iVBORw0KGgo="
PDF_DATA_URL = "data:application/pdf;base64,JVBERi0xLjQK"
THINKING = {"type": "thinking", "thinking": "Two cities: two calls.", "signature": "c2lnbmF0dXJl"}
BREAKPOINT = {"mode": "explicit"}


@dataclass
class Stored:
    """A stored message as the shapes read it: the attributes of a ``Message`` row."""

    seq: int
    role: str
    content: str | list[Any] | None = None
    name: str | None = None
    refusal: str | None = None
    tool_calls: list[dict[str, Any]] | None = None
    tool_call_id: str | None = None
    metadata: dict[str, Any] = field(default_factory=dict)


def function_call(call_id: str, name: str = "get_weather", arguments: str = '{"city": "Paris"}'):
    return {"id": call_id, "type": "function", "function": {"name": name, "arguments": arguments}}


def custom_call(call_id: str, name: str = "run_python", tool_input: str = "print(6 * 7)"):
    return {"id": call_id, "type": "custom", "custom": {"name": name, "input": tool_input}}


def stored(*messages: dict[str, Any]) -> list[Stored]:
    return [Stored(seq=seq, **message) for seq, message in enumerate(messages, start=1)]


CORPUS_MESSAGES: list[dict[str, Any]] = [
    {"role": "system", "content": "Be brief."},
    {
        "role": "developer",
        "content": [{"type": "text", "text": "Use metric units.", "prompt_cache_breakpoint": BREAKPOINT}],
        "name": "policy",
    },
    {"role": "user", "content": "Weather in Paris and Rome?", "name": "alice"},
    {
        "role": "user",
        "content": [
            {"type": "text", "text": "Also, what is on these?"},
            {"type": "image_url", "image_url": {"url": PNG_DATA_URL, "detail": "low"}},
            {"type": "image_url", "image_url": {"url": "https://example.com/cat.jpg"}},
            {"type": "input_audio", "input_audio": {"data": "UklGRiQAAABXQVZF", "format": "wav"}},
            {"type": "file", "file": {"file_data": PDF_DATA_URL, "filename": "report.pdf"}},
            {"type": "file", "file": {"file_id": "file-abc123"}},
            {"type": "document", "source": {"type": "url", "url": "https://example.com/a.pdf"}},
        ],
    },
    {
        "role": "assistant",
        "content": [THINKING, {"type": "text", "text": "Checking both."}],
        "tool_calls": [
            function_call("call_1"),
            function_call("call_2", arguments='{"city": "Rome"}'),
        ],
    },
    {"role": "tool", "tool_call_id": "call_1", "content": "18C"},
    {
        "role": "tool",
        "tool_call_id": "call_2",
        "content": [{"type": "text", "text": "25"}, {"type": "text", "text": "C"}],
    },
    {"role": "assistant", "content": "Paris 18C, Rome 25C."},
    {"role": "user", "content": "Now compute six times seven."},
    {"role": "assistant", "content": None, "tool_calls": [custom_call("call_3")]},
    {"role": "tool", "tool_call_id": "call_3", "content": "42"},
    {"role": "assistant", "content": [{"type": "refusal", "refusal": "I can't share that."}]},
    {"role": "user", "content": "Why not?"},
    {"role": "assistant", "content": None, "refusal": "I won't explain."},
    {"role": "developer", "content": "Answer in French."},
    {"role": "user", "content": [{"type": "text", "text": "Merci"}]},
    {"role": "assistant", "content": "De rien.", "name": "bot"},
]


def corpus() -> list[Stored]:
    return stored(*CORPUS_MESSAGES)


def strict_adapter(kind: Any) -> TypeAdapter:
    """An SDK type that also refuses keys it does not declare (TypedDicts allow them by default)."""
    return TypeAdapter(kind, config=ConfigDict(extra="forbid"))


def validate_strictly(adapter: TypeAdapter, value: Any) -> Any:
    """Validate, and consume every ``Iterable`` field, which pydantic checks only as it is read."""
    return _consumed(adapter.validate_python(value))


def _consumed(value: Any) -> Any:
    if isinstance(value, (str, bytes)):
        return value
    if isinstance(value, Mapping):
        return {key: _consumed(item) for key, item in value.items()}
    if isinstance(value, Iterable):
        return [_consumed(item) for item in value]
    return value
