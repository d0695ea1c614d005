"""The rules of a message's body: ``content`` (a string or content parts), ``refusal`` and ``tool_calls``.

Each function returns ``{path: [messages]}``, empty when the input is fine. A path names the exact
value to fix, in the style of the JSON the client sent: ``content``, ``content[2].image_url.url``,
``tool_calls[1].custom.input``. Error messages never echo client text raw: ``quote`` escapes what a
JSON encoder could not encode (lone surrogates), so every error can be rendered.

Known content parts (API.md, "Content parts") are checked field by field and on the roles that take
them; a part of any other type is a provider's own block (Anthropic's ``thinking``, …) and is accepted
on user and assistant messages exactly as given. Keys a known part or tool call has beyond the ones
checked here are kept as given, so they are only checked for being storable JSON.
"""

from __future__ import annotations

import re
from typing import Any

from chathistory.exceptions import FieldErrors
from chathistory.models import Role
from chathistory.text import Errors, compact_json, json_problem, json_type, quoted, text_problem

# Plain strings, read once: a role sent as a JSON list or object must compare unequal, not fail to hash.
ROLE_NAMES = tuple(Role.values)

# Which roles take each known part type. Any other type is a provider block.
PART_ROLES: dict[str, frozenset[str]] = {
    "text": frozenset(ROLE_NAMES),
    "image_url": frozenset({Role.USER.value}),
    "input_audio": frozenset({Role.USER.value}),
    "file": frozenset({Role.USER.value}),
    "refusal": frozenset({Role.ASSISTANT.value}),
}
PROVIDER_BLOCK_ROLES = frozenset({Role.USER.value, Role.ASSISTANT.value})
IMAGE_DETAILS = ("auto", "low", "high")
AUDIO_FORMATS = ("wav", "mp3")
TOOL_CALL_TYPES = ("function", "custom")
# The payload key of each tool call type: {"type": "function", "function": {"name", "arguments"}}.
TOOL_CALL_FIELDS = {"function": "arguments", "custom": "input"}

_BASE64 = re.compile(r"(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?")
# data:<type>/<subtype>[;<name>=<value>]…;base64,<payload>. ASCII only: a "\w" that took any
# Unicode letter would pass on a media type that no provider or browser takes.
_DATA_URL = re.compile(r"data:([\w.+-]+/[\w.+-]+)(?:;[\w.+%-]+=[\w.+%-]+)*;base64,", re.ASCII)
_QUOTE_LIMIT = 60
MAX_TOOL_CALL_ID_LENGTH = 255


def quote(value: str) -> str:
    """Client text as a short JSON string literal, safe to put in an error message (``text.quoted``)."""
    return quoted(value, limit=_QUOTE_LIMIT)


def parse_data_url(value: object) -> tuple[str, str] | None:
    """``(media type, base64 payload)`` of a base64 ``data:`` URL, or None for any other value.

    The media type is lowercased; parameters before ``;base64`` (``;name=a.png``) are allowed and
    dropped. The payload is what follows the comma, unchecked, so the start of a value cut short
    parses too; whoever decodes it says whether it is base64.
    """
    if not isinstance(value, str):
        return None
    found = _DATA_URL.match(value)
    if found is None:
        return None
    return found.group(1).lower(), value[found.end() :]


def body_errors(*, role: Any, content: Any, refusal: Any, tool_calls: Any, max_length: int) -> FieldErrors:
    """Every rule of ``content``, ``refusal`` and ``tool_calls`` together, and which of them a role needs.

    ``role`` is expected to be checked elsewhere; an unknown role only skips the rules that depend on it.
    """
    errors = Errors()
    for found in (
        content_errors(role, content, max_length=max_length),
        refusal_errors(role, refusal, max_length=max_length),
        tool_calls_errors(role, tool_calls),
        presence_errors(role, content=content, refusal=refusal, tool_calls=tool_calls),
    ):
        for path, messages in found.items():
            for message in messages:
                errors.add(path, message)
    return dict(errors)


def presence_errors(role: Any, *, content: Any, refusal: Any, tool_calls: Any) -> FieldErrors:
    """Content is required, but for an assistant message that carries tool calls or a refusal."""
    if content is not None or role not in ROLE_NAMES:
        return {}
    if role != Role.ASSISTANT:
        return {"content": ["This field is required (an empty string is allowed)."]}
    if tool_calls is None and refusal is None:
        return {"content": ["An assistant message needs content, tool_calls or a refusal."]}
    return {}


def content_errors(role: Any, content: Any, *, max_length: int) -> FieldErrors:
    """A string, or a non-empty list of content parts that ``role`` takes; at most ``max_length`` long.

    The length of a list is the number of characters of its compact JSON, so that one limit bounds
    what is stored whichever form the content takes. ``None`` passes: see ``presence_errors``.
    """
    errors = Errors()
    if content is None:
        return {}
    if isinstance(content, str):
        _check_text(errors, "content", content)
        if len(content) > max_length:
            errors.add(
                "content",
                f"Must be at most {max_length:,} characters long (it has {len(content):,}).",
            )
        return dict(errors)
    if not isinstance(content, list):
        errors.add(
            "content",
            f"Must be a string, a list of content parts, or null, not {json_type(content)}.",
        )
        return dict(errors)
    if not content:
        errors.add("content", "A list of content parts must not be empty; send a string instead.")
        return dict(errors)
    for index, part in enumerate(content):
        _check_part(errors, f"content[{index}]", role, part)
    if not errors:
        size = len(compact_json(content))
        if size > max_length:
            errors.add(
                "content",
                f"Must be at most {max_length:,} characters long as compact JSON (it has {size:,}).",
            )
    return dict(errors)


def refusal_errors(role: Any, refusal: Any, *, max_length: int) -> FieldErrors:
    """Null, or the string with which an assistant refused (no other role refuses)."""
    errors = Errors()
    if refusal is None:
        return {}
    if role in ROLE_NAMES and role != Role.ASSISTANT:
        errors.add("refusal", "Only assistant messages can carry a refusal.")
        return dict(errors)
    if not isinstance(refusal, str):
        errors.add("refusal", f"Must be a string or null, not {json_type(refusal)}.")
        return dict(errors)
    _check_text(errors, "refusal", refusal)
    if len(refusal) > max_length:
        errors.add("refusal", f"Must be at most {max_length:,} characters long (it has {len(refusal):,}).")
    return dict(errors)


def tool_calls_errors(role: Any, tool_calls: Any) -> FieldErrors:
    """Null, or (assistant only) a non-empty list of function and custom tool calls with unique ids."""
    errors = Errors()
    if tool_calls is None:
        return {}
    if role in ROLE_NAMES and role != Role.ASSISTANT:
        errors.add("tool_calls", "Only assistant messages can make tool calls.")
        return dict(errors)
    if not isinstance(tool_calls, list) or not tool_calls:
        errors.add("tool_calls", "Must be a non-empty list of tool calls, or null.")
        return dict(errors)
    first_with_id: dict[str, int] = {}
    for index, call in enumerate(tool_calls):
        where = f"tool_calls[{index}]"
        if not isinstance(call, dict):
            errors.add(where, f"Must be an object, not {json_type(call)}.")
            continue
        call_id = call.get("id")
        if _check_required_string(errors, f"{where}.id", call_id, non_empty=True):
            assert isinstance(call_id, str)
            if len(call_id) > MAX_TOOL_CALL_ID_LENGTH:
                errors.add(
                    f"{where}.id",
                    f"Must be at most {MAX_TOOL_CALL_ID_LENGTH} characters long (it has {len(call_id):,}).",
                )
            elif call_id in first_with_id:
                errors.add(
                    f"{where}.id",
                    f"Repeats the id of tool_calls[{first_with_id[call_id]}]; "
                    "each tool call of a message needs its own id.",
                )
            else:
                first_with_id[call_id] = index
        call_type = call.get("type")
        if call_type not in TOOL_CALL_TYPES:
            shown = quote(call_type) if isinstance(call_type, str) else json_type(call_type)
            errors.add(f"{where}.type", f'Must be "function" or "custom", not {shown}.')
        else:
            _check_call_payload(errors, where, call, call_type)
        payload_key = call_type if isinstance(call_type, str) else "type"
        _check_other_keys(errors, where, call, known=("id", "type", payload_key))
    return dict(errors)


def _check_call_payload(errors: Errors, where: str, call: dict[str, Any], call_type: str) -> None:
    field = TOOL_CALL_FIELDS[call_type]
    payload = call.get(call_type)
    path = f"{where}.{call_type}"
    if not isinstance(payload, dict):
        errors.add(
            path,
            f'Must be an object with "name" and "{field}", not {json_type(payload)}.',
        )
        return
    _check_required_string(errors, f"{path}.name", payload.get("name"), non_empty=True)
    value = payload.get(field)
    if not isinstance(value, str):
        hint = "the JSON text the model wrote" if call_type == "function" else "the text the model wrote"
        errors.add(f"{path}.{field}", f"Must be a string ({hint}), not {json_type(value)}.")
    else:
        _check_text(errors, f"{path}.{field}", value)
    _check_other_keys(errors, path, payload, known=("name", field))


def _check_part(errors: Errors, where: str, role: Any, part: Any) -> None:
    if not isinstance(part, dict):
        errors.add(where, f"A content part must be an object, not {json_type(part)}.")
        return
    part_type = part.get("type")
    if not isinstance(part_type, str) or not part_type:
        given = "an empty string" if part_type == "" else json_type(part_type)
        errors.add(
            f"{where}.type",
            f'Every content part needs a non-empty string type, such as "text" or "image_url" (not {given}).',
        )
        _check_other_keys(errors, where, part, known=("type",))
        return
    problem = text_problem(part_type)
    if problem:
        errors.add(f"{where}.type", f"Text {problem}.")
        return
    if role in ROLE_NAMES:
        allowed = PART_ROLES.get(part_type, PROVIDER_BLOCK_ROLES)
        if role not in allowed:
            errors.add(f"{where}.type", _wrong_role_message(role, part_type))
    checker = _PART_CHECKERS.get(part_type)
    if checker is None:
        # A provider block: kept exactly as given, so it need only be storable.
        _check_other_keys(errors, where, part, known=("type",))
        return
    known = checker(errors, where, part)
    _check_other_keys(errors, where, part, known=("type", *known))


def _wrong_role_message(role: str, part_type: str) -> str:
    if role in (Role.SYSTEM, Role.DEVELOPER, Role.TOOL):
        return f"{role.capitalize()} messages take text parts only, not {quote(part_type)}."
    if part_type == "refusal":
        return "A refusal part belongs on an assistant message only."
    return f"A {quote(part_type)} part belongs on a user message only."


def _check_text_part(errors: Errors, where: str, part: dict[str, Any]) -> tuple[str, ...]:
    _check_required_string(errors, f"{where}.text", part.get("text"))
    return ("text",)


def _check_refusal_part(errors: Errors, where: str, part: dict[str, Any]) -> tuple[str, ...]:
    _check_required_string(errors, f"{where}.refusal", part.get("refusal"))
    return ("refusal",)


def _check_image_part(errors: Errors, where: str, part: dict[str, Any]) -> tuple[str, ...]:
    image = _nested_object(errors, f"{where}.image_url", part.get("image_url"), '"url"')
    if image is not None:
        path = f"{where}.image_url"
        _check_required_string(errors, f"{path}.url", image.get("url"), non_empty=True)
        if "detail" in image:
            _check_choice(errors, f"{path}.detail", image["detail"], IMAGE_DETAILS)
        _check_other_keys(errors, path, image, known=("url", "detail"))
    return ("image_url",)


def _check_audio_part(errors: Errors, where: str, part: dict[str, Any]) -> tuple[str, ...]:
    audio = _nested_object(errors, f"{where}.input_audio", part.get("input_audio"), '"data" and "format"')
    if audio is not None:
        path = f"{where}.input_audio"
        data = audio.get("data")
        if _check_required_string(errors, f"{path}.data", data, non_empty=True):
            assert isinstance(data, str)
            if _BASE64.fullmatch(data) is None:
                errors.add(
                    f"{path}.data",
                    "Must be the audio as base64 (A-Z, a-z, 0-9, + and /, padded with =), "
                    "without a data: prefix or line breaks.",
                )
        _check_choice(errors, f"{path}.format", audio.get("format"), AUDIO_FORMATS)
        _check_other_keys(errors, path, audio, known=("data", "format"))
    return ("input_audio",)


def _check_file_part(errors: Errors, where: str, part: dict[str, Any]) -> tuple[str, ...]:
    file = _nested_object(errors, f"{where}.file", part.get("file"), '"file_data" or "file_id"')
    if file is not None:
        path = f"{where}.file"
        for key in ("file_data", "file_id", "filename"):
            if key in file:
                _check_required_string(errors, f"{path}.{key}", file[key], non_empty=key != "filename")
        if "file_data" not in file and "file_id" not in file:
            errors.add(
                path,
                'Needs "file_data" (the file as a base64 data URL) or "file_id" '
                "(an uploaded file's id), as a non-empty string.",
            )
        _check_other_keys(errors, path, file, known=("file_data", "file_id", "filename"))
    return ("file",)


_PART_CHECKERS = {
    "text": _check_text_part,
    "image_url": _check_image_part,
    "input_audio": _check_audio_part,
    "file": _check_file_part,
    "refusal": _check_refusal_part,
}


def _nested_object(errors: Errors, path: str, value: Any, needs: str) -> dict[str, Any] | None:
    if isinstance(value, dict):
        return value
    errors.add(path, f"Must be an object with {needs}, not {json_type(value)}.")
    return None


def _check_required_string(errors: Errors, path: str, value: Any, *, non_empty: bool = False) -> bool:
    """Whether ``value`` is a storable string (non-empty if asked); adds the reason when it is not."""
    if not isinstance(value, str):
        errors.add(path, f"Must be a string, not {json_type(value)}.")
        return False
    if non_empty and not value:
        errors.add(path, "Must not be empty.")
        return False
    return _check_text(errors, path, value)


def _check_text(errors: Errors, path: str, value: str) -> bool:
    problem = text_problem(value)
    if problem:
        errors.add(path, f"Text {problem}.")
        return False
    return True


def _check_choice(errors: Errors, path: str, value: Any, choices: tuple[str, ...]) -> None:
    if isinstance(value, str) and value in choices:
        return
    shown = quote(value) if isinstance(value, str) else json_type(value)
    errors.add(path, f"Must be one of {', '.join(choices)}, not {shown}.")


def _check_other_keys(errors: Errors, where: str, value: dict[str, Any], *, known: tuple[str, ...]) -> None:
    """Keys kept as given need only be JSON that comes back from the database identical."""
    for key, child in value.items():
        if not isinstance(key, str):
            errors.add(where, f"Object keys must be strings, not {json_type(key)}.")
            continue
        problem = text_problem(key)
        if problem:
            # The key cannot name the path: it is the thing that cannot be encoded.
            errors.add(where, f"Keys {problem}: {quote(key)}.")
            continue
        if key in known:
            continue
        problem = json_problem(child)
        if problem:
            errors.add(f"{where}.{key}", f"Value {problem}.")
