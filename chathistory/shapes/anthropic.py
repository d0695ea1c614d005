"""The Anthropic Messages shape: ``system`` and ``messages`` of ``client.messages.create``, both ways.

Out (``to_anthropic_messages``), ``{"system": [text blocks], "messages": [...]}``:

- system and developer messages become the ``system`` text blocks, in order, wherever they stand;
- a user message's string content and ``text`` parts become ``text`` blocks; an ``image_url`` becomes an
  ``image`` block, with a ``base64`` source for a ``data:<media type>;base64,`` URL (parameters such
  as ``;name=a.png`` allowed, read by ``content.parse_data_url``) and a ``url`` source otherwise; a
  ``file`` whose ``file_data`` is a base64 PDF data URL becomes a ``document`` block (other files,
  and ``input_audio``, have no Anthropic form and are left out);
- an assistant message's content becomes blocks in place (``refusal`` parts, and then its ``refusal``
  field, as ``text`` blocks), followed by one ``tool_use`` block per tool call: ``input`` is the
  ``arguments`` parsed as JSON when they are a JSON object, otherwise ``{}``; a custom call's
  ``input`` string becomes ``{"input": <string>}``;
- each run of tool messages becomes one user message of ``tool_result`` blocks (``tool_use_id``, and
  ``content``: the string, or text blocks for text parts; left out when empty); a user message right
  after the run joins it, after its results, as Anthropic wants text that follows tool results;
- parts of other types (provider blocks such as ``thinking`` or ``document``) are kept as given, in place;
- empty text blocks are left out, and so is a message left with no block.

Of the other keys of a part or tool call, those the Messages API takes on the block are carried
over (``cache_control``, ``citations`` on text; ``cache_control``, ``transformations`` on images;
``cache_control``, ``caller``, ``toolset_name`` on tool use); OpenAI's own keys are not.

In (``from_anthropic_messages``), message dicts ready for ``add_messages``:

- ``text`` blocks become string content when they are a message's one block and have no other key,
  otherwise ``text`` parts with every key; ``image`` blocks with a ``base64`` or ``url`` source become
  ``image_url`` parts (a base64 source as a data URL), other keys kept on the part;
- ``tool_use`` becomes a function tool call whose ``arguments`` is the compact JSON of ``input``
  (other keys kept on the call); the text of an assistant message comes before its tool calls;
- each ``tool_result`` becomes a tool message with the result's string content, or its text blocks as
  parts (a tool message holds text only, so other blocks in a result are an error); ``is_error``
  and ``cache_control`` on a result have no place in a stored message and are not kept;
- ``system`` (a string or text blocks) becomes a system message ahead of the others, as does a message
  of role ``system``;
- every other block is kept as given. SDK block objects (``response.content``) are taken as their
  ``model_dump()``, without the keys the SDK fills with ``None``.

Round trip: for messages made of these blocks, ``to_anthropic_messages(from_anthropic_messages(m))``
gives back ``m`` (equal as JSON), but for text an assistant wrote after a tool use, which comes back
before it.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Any

from chathistory.content import parse_data_url, quote
from chathistory.exceptions import ValidationError
from chathistory.shapes._fields import MessageLike, field
from chathistory.text import Errors, json_type

TEXT_BLOCK_KEYS = ("cache_control", "citations")
IMAGE_BLOCK_KEYS = ("cache_control", "transformations")
DOCUMENT_BLOCK_KEYS = ("cache_control",)
TOOL_USE_BLOCK_KEYS = ("cache_control", "caller", "toolset_name")
ANTHROPIC_MESSAGE_KEYS = ("role", "content")


Block = dict[str, Any]


# Out: stored messages to the Messages API ------------------------------------------------------


def to_anthropic_messages(messages: Iterable[MessageLike]) -> dict[str, list[Block]]:
    """``{"system": [...], "messages": [...]}`` for the messages given, in order."""
    system: list[Block] = []
    turns: list[dict[str, Any]] = []
    last_turn_is_tool_results = False
    for message in messages:
        role = str(field(message, "role"))
        if role in ("system", "developer"):
            system.extend(_text_blocks(field(message, "content")))
            continue
        if role == "tool":
            result = _tool_result_block(message)
            if last_turn_is_tool_results:
                turns[-1]["content"].append(result)
            else:
                turns.append({"role": "user", "content": [result]})
                last_turn_is_tool_results = True
            continue
        blocks = _user_blocks(message) if role == "user" else _assistant_blocks(message)
        if not blocks:
            continue
        if role == "user" and last_turn_is_tool_results:
            turns[-1]["content"].extend(blocks)
        else:
            turns.append({"role": role, "content": blocks})
        last_turn_is_tool_results = False
    return {"system": system, "messages": turns}


def _text_blocks(content: Any) -> list[Block]:
    if isinstance(content, str):
        return [{"type": "text", "text": content}] if content else []
    blocks = (_text_block(part) for part in content or () if _is_part(part, "text"))
    return [block for block in blocks if block is not None]


def _text_block(part: Mapping[str, Any], text: str | None = None) -> Block | None:
    text = part["text"] if text is None else text
    if not text:
        return None
    return {"type": "text", "text": text, **_kept(part, TEXT_BLOCK_KEYS)}


def _user_blocks(message: MessageLike) -> list[Block]:
    content = field(message, "content")
    if not isinstance(content, list):
        return _text_blocks(content)
    blocks: list[Block | None] = []
    for part in content:
        kind = part.get("type") if isinstance(part, dict) else None
        if kind == "text":
            blocks.append(_text_block(part))
        elif kind == "image_url":
            blocks.append(_image_block(part))
        elif kind == "file":
            blocks.append(_document_block(part))
        elif kind in ("input_audio", "refusal"):
            continue
        elif kind is not None:
            blocks.append(part)
    return [block for block in blocks if block is not None]


def _image_block(part: Mapping[str, Any]) -> Block:
    url = part["image_url"]["url"]
    found = parse_data_url(url)
    source: dict[str, Any]
    if found:
        media_type, data = found
        source = {"type": "base64", "media_type": media_type, "data": data}
    else:
        source = {"type": "url", "url": url}
    return {"type": "image", "source": source, **_kept(part, IMAGE_BLOCK_KEYS)}


def _document_block(part: Mapping[str, Any]) -> Block | None:
    found = parse_data_url(part["file"].get("file_data"))
    if found is None or found[0] != "application/pdf":
        return None
    source = {"type": "base64", "media_type": "application/pdf", "data": found[1]}
    return {"type": "document", "source": source, **_kept(part, DOCUMENT_BLOCK_KEYS)}


def _assistant_blocks(message: MessageLike) -> list[Block]:
    content = field(message, "content")
    blocks: list[Block | None] = []
    if isinstance(content, list):
        for part in content:
            kind = part.get("type") if isinstance(part, dict) else None
            if kind == "text":
                blocks.append(_text_block(part))
            elif kind == "refusal":
                blocks.append(_text_block(part, part["refusal"]))
            elif kind in ("image_url", "input_audio", "file"):
                continue
            elif kind is not None:
                blocks.append(part)
    else:
        blocks.extend(_text_blocks(content))
    refusal = field(message, "refusal")
    if refusal:
        blocks.append({"type": "text", "text": refusal})
    blocks.extend(_tool_use_block(call) for call in field(message, "tool_calls") or ())
    return [block for block in blocks if block is not None]


def _tool_use_block(call: Mapping[str, Any]) -> Block:
    if call.get("type") == "custom":
        name, tool_input = call["custom"]["name"], {"input": call["custom"]["input"]}
    else:
        name, tool_input = call["function"]["name"], _json_object(call["function"]["arguments"])
    return {
        "type": "tool_use",
        "id": call["id"],
        "name": name,
        "input": tool_input,
        **_kept(call, TOOL_USE_BLOCK_KEYS),
    }


def _json_object(arguments: str) -> dict[str, Any]:
    """The arguments as a JSON object, or ``{}`` when the model wrote something else."""
    try:
        parsed = json.loads(arguments, parse_constant=_reject_constant)
    except ValueError:
        return {}
    return parsed if isinstance(parsed, dict) else {}


def _reject_constant(name: str) -> Any:
    # NaN and Infinity parse in Python but are not JSON: the API would refuse the request.
    raise ValueError(name)


def _tool_result_block(message: MessageLike) -> Block:
    block: Block = {"type": "tool_result", "tool_use_id": field(message, "tool_call_id")}
    content = field(message, "content")
    result: Any = content if isinstance(content, str) else _text_blocks(content)
    if result:
        block["content"] = result
    return block


def _kept(part: Mapping[str, Any], keys: tuple[str, ...]) -> dict[str, Any]:
    return {key: part[key] for key in keys if key in part}


def _is_part(part: Any, kind: str) -> bool:
    return isinstance(part, dict) and part.get("type") == kind


# In: Messages API messages to stored messages ---------------------------------------------------


def from_anthropic_messages(messages: Any, system: Any = None) -> list[dict[str, Any]]:
    """Anthropic ``messages`` (and the top-level ``system``) as message dicts to store, in order.

    Each dict has the keys ``role``, ``content``, ``tool_calls``, ``tool_call_id``, ``name`` and
    ``refusal``. Raises ``ValidationError`` naming the path of every malformed block
    (``messages[1].content[0].tool_use_id``); the rules of stored messages are the caller's to check.
    """
    return [message for _, message in _stored_with_origins(messages, system)]


def _stored_with_origins(messages: Any, system: Any) -> list[tuple[str, dict[str, Any]]]:
    """``from_anthropic_messages``, each message dict with the path it came from: ``system`` or
    ``messages[i]`` (one Anthropic message may become several, a tool message per result).

    Also for whoever stores them, to name a rule a stored message breaks by what the caller sent.
    """
    errors = Errors()
    stored: list[tuple[str, dict[str, Any]]] = []
    if system is not None:
        stored.extend(("system", message) for message in _system_message(errors, "system", system))
    if isinstance(messages, (str, bytes, Mapping)) or not isinstance(messages, Iterable):
        errors.add("messages", f"Must be a list of messages, not {json_type(messages)}.")
        raise ValidationError(dict(errors))
    for index, message in enumerate(messages):
        path = f"messages[{index}]"
        stored.extend((path, found) for found in _from_message(errors, path, message))
    if errors:
        raise ValidationError(dict(errors))
    return stored


def _stored(role: str, content: Any, **fields: Any) -> dict[str, Any]:
    message = {
        "role": role,
        "content": content,
        "tool_calls": None,
        "tool_call_id": None,
        "name": None,
        "refusal": None,
    }
    message.update(fields)
    return message


def _from_message(errors: Errors, path: str, message: Any) -> list[dict[str, Any]]:
    message = _plain(message)
    if not isinstance(message, dict):
        errors.add(path, f"A message must be an object, not {json_type(message)}.")
        return []
    for key in message:
        if key not in ANTHROPIC_MESSAGE_KEYS:
            shown = quote(key) if isinstance(key, str) else json_type(key)
            errors.add(path, f"Unknown field {shown}: an Anthropic message has role and content.")
    role = message.get("role")
    if role == "system":
        return _system_message(errors, f"{path}.content", message.get("content"))
    if role not in ("user", "assistant"):
        shown = quote(role) if isinstance(role, str) else json_type(role)
        errors.add(f"{path}.role", f'Must be "user" or "assistant", not {shown}.')
        return []
    blocks = _blocks(errors, f"{path}.content", message.get("content"))
    if blocks is None:
        return []
    if role == "assistant":
        return [_from_assistant(errors, path, blocks)]
    return _from_user(errors, path, blocks)


def _blocks(errors: Errors, path: str, content: Any) -> list[tuple[int, Block]] | None:
    """The content as ``(index, block)`` pairs, a string being one text block; ``None`` if malformed."""
    if isinstance(content, str):
        return [(0, {"type": "text", "text": content})]
    if isinstance(content, (bytes, Mapping)) or not isinstance(content, Iterable):
        errors.add(path, f"Must be a string or a list of content blocks, not {json_type(content)}.")
        return None
    blocks = []
    for index, block in enumerate(content):
        block = _plain(block)
        where = f"{path}[{index}]"
        if not isinstance(block, dict):
            errors.add(where, f"A content block must be an object, not {json_type(block)}.")
            continue
        kind = block.get("type")
        if not isinstance(kind, str) or not kind:
            errors.add(f"{where}.type", f"Must be a non-empty string, not {json_type(kind)}.")
            continue
        if kind == "text" and not isinstance(block.get("text"), str):
            errors.add(f"{where}.text", f"Must be a string, not {json_type(block.get('text'))}.")
            continue
        blocks.append((index, block))
    return blocks


def _system_message(errors: Errors, path: str, system: Any) -> list[dict[str, Any]]:
    blocks = _blocks(errors, path, system)
    if blocks is None:
        return []
    for index, block in blocks:
        if block["type"] != "text":
            errors.add(
                f"{path}[{index}].type",
                f"System prompts take text blocks only, not {quote(block['type'])}.",
            )
    parts = [block for _, block in blocks if block["type"] == "text"]
    if not parts or parts == [{"type": "text", "text": ""}]:
        return []
    return [_stored("system", _content(parts))]


def _from_assistant(errors: Errors, path: str, blocks: list[tuple[int, Block]]) -> dict[str, Any]:
    parts: list[Block] = []
    tool_calls: list[dict[str, Any]] = []
    for index, block in blocks:
        where = f"{path}.content[{index}]"
        if block["type"] == "tool_use":
            call = _tool_call(errors, where, block)
            if call is not None:
                tool_calls.append(call)
        elif block["type"] == "tool_result":
            errors.add(f"{where}.type", "Tool results belong in a user message.")
        else:
            parts.append(block)
    if parts:
        content: Any = _content(parts)
    else:
        content = None if tool_calls else ""
    return _stored("assistant", content, tool_calls=tool_calls or None)


def _tool_call(errors: Errors, where: str, block: Block) -> dict[str, Any] | None:
    valid = True
    for key in ("id", "name"):
        value = block.get(key)
        if not isinstance(value, str) or not value:
            errors.add(f"{where}.{key}", f"Must be a non-empty string, not {json_type(value)}.")
            valid = False
    tool_input = block.get("input")
    if not isinstance(tool_input, dict):
        errors.add(f"{where}.input", f"Must be an object, not {json_type(tool_input)}.")
        return None
    try:
        arguments = json.dumps(tool_input, separators=(",", ":"), ensure_ascii=False, allow_nan=False)
    except (TypeError, ValueError):
        errors.add(f"{where}.input", "Must hold only JSON values (no NaN, Infinity or other objects).")
        return None
    if not valid:
        return None
    others = {key: value for key, value in block.items() if key not in ("type", "id", "name", "input")}
    return {
        "id": block["id"],
        "type": "function",
        "function": {"name": block["name"], "arguments": arguments},
        **others,
    }


def _from_user(errors: Errors, path: str, blocks: list[tuple[int, Block]]) -> list[dict[str, Any]]:
    stored: list[dict[str, Any]] = []
    pending: list[Block] = []

    def flush() -> None:
        if pending:
            stored.append(_stored("user", _content(list(pending))))
            pending.clear()

    for index, block in blocks:
        where = f"{path}.content[{index}]"
        if block["type"] == "tool_result":
            flush()
            result = _tool_message(errors, where, block)
            if result is not None:
                stored.append(result)
        elif block["type"] == "tool_use":
            errors.add(f"{where}.type", "Tool use belongs in an assistant message.")
        else:
            pending.append(_user_part(block))
    flush()
    if not blocks:
        stored.append(_stored("user", ""))
    return stored


def _user_part(block: Block) -> Block:
    if block["type"] != "image":
        return block
    source = block.get("source")
    others = {key: value for key, value in block.items() if key not in ("type", "source")}
    if not isinstance(source, dict):
        return block
    if source.get("type") == "base64" and _all_strings(source, "media_type", "data"):
        url = f"data:{source['media_type']};base64,{source['data']}"
    elif source.get("type") == "url" and _all_strings(source, "url"):
        url = source["url"]
    else:
        # A source with no URL form (an uploaded file's id): kept as the block it is.
        return block
    return {"type": "image_url", "image_url": {"url": url}, **others}


def _all_strings(mapping: Mapping[str, Any], *keys: str) -> bool:
    return all(isinstance(mapping.get(key), str) for key in keys)


def _tool_message(errors: Errors, where: str, block: Block) -> dict[str, Any] | None:
    tool_use_id = block.get("tool_use_id")
    if not isinstance(tool_use_id, str) or not tool_use_id:
        errors.add(f"{where}.tool_use_id", f"Must be a non-empty string, not {json_type(tool_use_id)}.")
        return None
    content = block.get("content")
    if content is None:
        return _stored("tool", "", tool_call_id=tool_use_id)
    inner = _blocks(errors, f"{where}.content", content)
    if inner is None:
        return None
    if isinstance(content, str):
        return _stored("tool", content, tool_call_id=tool_use_id)
    for index, part in inner:
        if part["type"] != "text":
            errors.add(
                f"{where}.content[{index}].type",
                f"A tool result is stored as a tool message, which holds text only, not {quote(part['type'])} blocks.",
            )
    parts = [part for _, part in inner if part["type"] == "text"]
    return _stored("tool", parts or "", tool_call_id=tool_use_id)


def _content(parts: list[Block]) -> str | list[Block]:
    """One text block with no other key is string content; anything else stays a list of parts."""
    if len(parts) == 1 and parts[0].keys() == {"type", "text"} and parts[0]["type"] == "text":
        text: str = parts[0]["text"]
        return text
    return parts


def _plain(value: Any) -> Any:
    """An SDK object as its JSON dump, without the keys that it fills with ``None``."""
    dump = getattr(value, "model_dump", None)
    if not callable(dump):
        return value
    dumped = dump(mode="json")
    if isinstance(dumped, dict):
        return {key: item for key, item in dumped.items() if item is not None}
    return dumped
