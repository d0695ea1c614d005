"""The OpenAI Responses shape: the ``input`` items of ``client.responses.create``.

- A system, developer or user message is ``{"type": "message", "role", "content": [...]}``: string
  content and ``text`` parts become ``input_text``, ``image_url`` becomes ``input_image``
  (``image_url`` and ``detail``, ``"auto"`` when unset), ``file`` becomes ``input_file``
  (``file_data``, ``file_id``, ``filename`` as stored) and ``input_audio`` stays ``input_audio``
  (the openai SDK defines that part as ``ResponseInputAudioParam``, though its message content type
  does not list it yet).
- An assistant message is an output message ``{"id": "msg_<seq>", "type": "message", "role":
  "assistant", "status": "completed", "content": [...]}`` of ``output_text`` parts (string content
  and ``text`` parts, with ``"annotations": []``) and ``refusal`` parts (its ``refusal`` field last),
  left out when it has neither; then one ``function_call`` item (``call_id``, ``name``,
  ``arguments``) or ``custom_tool_call`` item (``call_id``, ``name``, ``input``) per tool call, in order.
- A tool message is a ``function_call_output`` item, or a ``custom_tool_call_output`` item when it
  answers a custom tool call of the messages given, with its ``call_id`` and its text as ``output``
  (text parts joined as written).

Parts that have no Responses form (a provider's own blocks) are left out, and a message left with
no part at all is left out. A part's ``prompt_cache_breakpoint``, which both OpenAI APIs take, is
kept (audio parts take none); its other keys are Chat Completions' own and are not carried over.
Message ids come from ``seq``; a message without one (not stored yet) is numbered by its position
in the list.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from chathistory.shapes._fields import MessageLike, field, text_of

_KEPT_PART_KEYS = ("prompt_cache_breakpoint",)


def to_responses_input(messages: Iterable[MessageLike]) -> list[dict[str, Any]]:
    """Messages as Responses API input items, in the order given."""
    messages = list(messages)
    call_kinds = tool_call_kinds(messages)
    items: list[dict[str, Any]] = []
    for position, message in enumerate(messages, start=1):
        role = str(field(message, "role"))
        if role == "assistant":
            seq = field(message, "seq")
            items.extend(_assistant_items(message, seq if seq is not None else position))
        elif role == "tool":
            items.append(_tool_output(message, call_kinds))
        else:
            content = _input_content(field(message, "content"))
            if content:
                items.append({"type": "message", "role": role, "content": content})
    return items


def tool_call_kinds(messages: Iterable[MessageLike]) -> dict[str, str]:
    """``{call id: "function" | "custom"}`` for every tool call the assistant messages make."""
    kinds: dict[str, str] = {}
    for message in messages:
        for call in field(message, "tool_calls") or ():
            if isinstance(call, dict) and isinstance(call.get("id"), str):
                kinds[call["id"]] = call.get("type", "function")
    return kinds


def _input_content(content: Any) -> list[dict[str, Any]]:
    if content is None:
        return []
    if isinstance(content, str):
        return [{"type": "input_text", "text": content}]
    shaped = (_input_part(part) for part in content if isinstance(part, dict))
    return [part for part in shaped if part is not None]


def _input_part(part: dict[str, Any]) -> dict[str, Any] | None:
    kind = part.get("type")
    shaped: dict[str, Any]
    if kind == "text":
        shaped = {"type": "input_text", "text": part["text"]}
    elif kind == "image_url":
        image = part["image_url"]
        shaped = {
            "type": "input_image",
            "image_url": image["url"],
            "detail": image.get("detail", "auto"),
        }
    elif kind == "file":
        file = part["file"]
        shaped = {"type": "input_file"}
        shaped.update((key, file[key]) for key in ("file_data", "file_id", "filename") if key in file)
    elif kind == "input_audio":
        audio = part["input_audio"]
        shaped = {
            "type": "input_audio",
            "input_audio": {"data": audio["data"], "format": audio["format"]},
        }
    else:
        return None
    if shaped["type"] != "input_audio":
        shaped.update((key, part[key]) for key in _KEPT_PART_KEYS if key in part)
    return shaped


def _assistant_items(message: MessageLike, number: int) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    content = _output_content(field(message, "content"), field(message, "refusal"))
    if content:
        items.append(
            {
                "id": f"msg_{number}",
                "type": "message",
                "role": "assistant",
                "status": "completed",
                "content": content,
            }
        )
    for call in field(message, "tool_calls") or ():
        if call.get("type") == "custom":
            custom = call["custom"]
            items.append(
                {
                    "type": "custom_tool_call",
                    "call_id": call["id"],
                    "name": custom["name"],
                    "input": custom["input"],
                }
            )
        else:
            function = call["function"]
            items.append(
                {
                    "type": "function_call",
                    "call_id": call["id"],
                    "name": function["name"],
                    "arguments": function["arguments"],
                }
            )
    return items


def _output_content(content: Any, refusal: str | None) -> list[dict[str, Any]]:
    parts: list[dict[str, Any]] = []
    if isinstance(content, str):
        parts.append({"type": "output_text", "text": content, "annotations": []})
    elif isinstance(content, list):
        for part in content:
            kind = part.get("type") if isinstance(part, dict) else None
            if kind == "text":
                parts.append({"type": "output_text", "text": part["text"], "annotations": []})
            elif kind == "refusal":
                parts.append({"type": "refusal", "refusal": part["refusal"]})
    if refusal is not None:
        parts.append({"type": "refusal", "refusal": refusal})
    return parts


def _tool_output(message: MessageLike, call_kinds: dict[str, str]) -> dict[str, Any]:
    call_id = field(message, "tool_call_id")
    kind = "custom_tool_call_output" if call_kinds.get(call_id) == "custom" else "function_call_output"
    return {"type": kind, "call_id": call_id, "output": text_of(field(message, "content"))}
