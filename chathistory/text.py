"""What a string or JSON value may hold to be stored exactly, and how client input is quoted in errors.

Plain Python shared by the rules of ``validation``, ``content`` and the Anthropic shape: none of
them imports another for these.
"""

from __future__ import annotations

import json
import re
from typing import Any

MAX_JSON_DEPTH = 100

# PostgreSQL cannot store U+0000 in text, and a lone surrogate cannot be encoded as UTF-8 at all.
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")
_SURROGATE = re.compile("[\ud800-\udfff]")


class Errors(dict[str, list[str]]):
    """``{path: [messages]}``, the form every rule reports in, built one message at a time."""

    def add(self, path: str, message: str) -> None:
        self.setdefault(path, []).append(message)


def quoted(value: Any, *, limit: int = 80) -> str:
    """Client input as it may appear inside an error message: JSON-quoted, short, always encodable.

    A string longer than ``limit`` characters is cut to them. A lone surrogate is written as its
    escape (``\\ud800``) rather than echoed raw, which no response could encode; control characters
    are escaped by the JSON quoting itself.
    """
    if isinstance(value, str) and len(value) > limit:
        value = value[:limit] + "…"  # cut inside the quotes, so the literal still reads as one
    try:
        text = json.dumps(value, ensure_ascii=False)
    except (TypeError, ValueError, RecursionError):  # not JSON, or nested past the encoder
        return f"({json_type(value)})"
    if len(text) > limit + 3:  # a long list or object: its JSON cut
        text = text[:limit] + "…"
    return encodable(text)


def encodable(text: str) -> str:
    """``text`` with every lone surrogate written as its escape, so that it encodes as UTF-8."""
    if _SURROGATE.search(text) is None:
        return text
    return text.encode("utf-8", "backslashreplace").decode("utf-8")


def field_label(field: Any) -> str:
    """A key the client sent, as the key of an error naming it: itself unless it cannot be encoded."""
    return encodable(field) if isinstance(field, str) else repr(field)


def text_problem(value: str) -> str | None:
    """Why a string cannot be stored as given, or None when it can."""
    found = _UNSTORABLE.search(value)
    if found is None:
        return None
    if found.group() == "\x00":
        return "must not contain the NUL character (U+0000)"
    return f"must not contain a lone surrogate (U+{ord(found.group()):04X})"


def json_problem(value: Any) -> str | None:
    """Why a value would not come back from the database identical, or None when it will.

    Walks iteratively, so deep nesting is an error message rather than a RecursionError.
    """
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if depth > MAX_JSON_DEPTH:
            return f"must not nest deeper than {MAX_JSON_DEPTH} levels"
        if isinstance(item, str):
            problem = text_problem(item)
            if problem:
                return problem
        elif isinstance(item, dict):
            for key, child in item.items():
                if not isinstance(key, str):
                    return f"object keys must be strings, not {type(key).__name__}"
                problem = text_problem(key)
                if problem:
                    return f"keys {problem}"
                stack.append((child, depth + 1))
        elif isinstance(item, list):
            stack.extend((child, depth + 1) for child in item)
        elif isinstance(item, float):
            if item != item or item in (float("inf"), float("-inf")):
                return "must not contain NaN or Infinity, which JSON cannot represent"
        elif item is not None and not isinstance(item, (bool, int)):
            return f"must hold only JSON values, not {type(item).__name__}"
    return None


def compact_json(value: Any) -> str:
    """The compact JSON of ``value`` (``separators=(",", ":")``, ``ensure_ascii=False``), which the limits measure."""
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def compact_json_size(value: Any) -> int:
    """UTF-8 length of the compact JSON: the size that MAX_METADATA_BYTES limits."""
    return len(compact_json(value).encode())


def json_type(value: Any) -> str:
    names = {dict: "an object", list: "a list", str: "a string", bool: "a boolean", type(None): "null"}
    for kind, name in names.items():
        if isinstance(value, kind):
            return name
    if isinstance(value, (int, float)):
        return "a number"
    return type(value).__name__
