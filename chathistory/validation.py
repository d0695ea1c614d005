"""The contract's input rules, in plain Python so that SQLite and PostgreSQL reject exactly the same things.

Each ``*_errors`` function returns ``{field: [messages]}``, empty when the input is fine. Only
the rules that need the database (does a ``tool_call_id`` name an earlier, unanswered call?)
live in services.py, next to the statements that enforce them.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from django.utils.dateparse import parse_datetime

from chathistory import content
from chathistory.conf import app_settings
from chathistory.content import MAX_TOOL_CALL_ID_LENGTH
from chathistory.exceptions import FieldErrors
from chathistory.models import Role
from chathistory.text import (  # noqa: F401  (re-exported: the rules' helpers, where callers look for them)
    MAX_JSON_DEPTH,
    Errors,
    compact_json_size,
    encodable,
    field_label,
    json_problem,
    json_type,
    quoted,
    text_problem,
)

MESSAGE_FIELDS = ("role", "content", "name", "refusal", "tool_calls", "tool_call_id", "metadata")
CONVERSATION_FIELDS = ("id", "title", "metadata", "archived")
SERVER_FIELDS = frozenset(
    {"seq", "message_count", "created_at", "updated_at", "user", "conversation", "conversation_id"}
)
MAX_TITLE_LENGTH = 200
MAX_NAME_LENGTH = 64
# Read once: Role.values builds a new list on every access, and each message checks it five times.
# A tuple, not a set: a role sent as a JSON list or object must compare unequal, not fail to hash.
ROLES = tuple(Role.values)


def _check_string(errors: Errors, field: str, value: Any, *, max_length: int) -> None:
    if not isinstance(value, str):
        errors.add(field, f"Must be a string, not {json_type(value)}.")
        return
    problem = text_problem(value)
    if problem:
        errors.add(field, f"Text {problem}.")
    if len(value) > max_length:
        errors.add(field, f"Must be at most {max_length:,} characters long (it has {len(value):,}).")


def _check_metadata(errors: Errors, field: str, value: Any) -> None:
    if not isinstance(value, dict):
        errors.add(field, f"Must be a JSON object, not {json_type(value)}.")
        return
    problem = json_problem(value)
    if problem:
        errors.add(field, f"Metadata {problem}.")
        return
    limit = app_settings.MAX_METADATA_BYTES
    size = compact_json_size(value)
    if size > limit:
        errors.add(field, f"Must be at most {limit:,} bytes as compact JSON (it is {size:,}).")


def _check_known_fields(errors: Errors, data: Mapping[str, Any], known: tuple[str, ...]) -> None:
    for field in data:
        if field in known:
            continue
        if field in SERVER_FIELDS or field == "id":
            errors.add(field, "Is assigned by the server and cannot be set.")
        else:
            # The key is the client's own text: named so that the response can always be encoded.
            errors.add(field_label(field), f"Unknown field. Expected one of: {', '.join(known)}.")


def _top_field(path: str) -> str:
    """The message field a path starts with: ``content`` for ``content[2].image_url.url``."""
    return re.split(r"[\[.]", path, maxsplit=1)[0]


def message_errors(data: Mapping[str, Any]) -> FieldErrors:
    """Every rule a message must meet on its own, before the database is asked anything."""
    errors = Errors()
    if not isinstance(data, Mapping):
        return {"non_field_errors": [f"A message must be an object, not {json_type(data)}."]}
    _check_known_fields(errors, data, MESSAGE_FIELDS)

    role = data.get("role")
    if role is None:
        errors.add("role", f"This field is required: one of {', '.join(ROLES)}.")
    elif role not in ROLES:
        errors.add("role", f"{quoted(role)} is not a valid role. Use one of: {', '.join(ROLES)}.")

    name = data.get("name")
    if name is not None:
        _check_string(errors, "name", name, max_length=MAX_NAME_LENGTH)
        if name == "":
            errors.add("name", "Must not be empty; leave it out or send null instead.")

    # Content (a string or parts), refusal and tool calls, and which of them the role needs.
    body = content.body_errors(
        role=role,
        content=data.get("content"),
        refusal=data.get("refusal"),
        tool_calls=data.get("tool_calls"),
        max_length=app_settings.MAX_CONTENT_LENGTH,
    )
    for path, problems in body.items():
        # Keyed by the message's field, as every other error is; a problem inside it starts
        # with the path of the exact value to fix: "content[2].image_url.url: Must not be empty."
        field = _top_field(path)
        for problem in problems:
            errors.add(field, problem if path == field else f"{path}: {problem}")

    tool_call_id = data.get("tool_call_id")
    if role == Role.TOOL:
        if tool_call_id is None:
            errors.add("tool_call_id", "Required for a tool message: the id of the call it answers.")
        else:
            _check_string(errors, "tool_call_id", tool_call_id, max_length=MAX_TOOL_CALL_ID_LENGTH)
    elif tool_call_id is not None and role in ROLES:
        errors.add("tool_call_id", "Only tool messages answer a tool call.")

    if "metadata" in data:
        _check_metadata(errors, "metadata", data["metadata"])
    return dict(errors)


def conversation_errors(data: Mapping[str, Any], *, fields: tuple[str, ...]) -> FieldErrors:
    """Rules for the conversation fields a caller may set (``fields``: those allowed here)."""
    errors = Errors()
    _check_known_fields(errors, data, fields)
    if "id" in data and data["id"] is not None:
        try:
            parse_uuid(data["id"])
        except ValueError:
            errors.add("id", "Must be a UUID, such as 5f0c3c1e-8a4b-4c55-9a0e-2d5d3f7a9b10.")
    if "title" in data:
        _check_string(errors, "title", data["title"], max_length=MAX_TITLE_LENGTH)
    if "metadata" in data:
        _check_metadata(errors, "metadata", data["metadata"])
    if "archived" in data and not isinstance(data["archived"], bool):
        errors.add("archived", f"Must be true or false, not {json_type(data['archived'])}.")
    return dict(errors)


def in_utc(moment: datetime) -> datetime | None:
    """An aware ``moment`` moved to UTC, or None when that leaves the years 1 to 9999.

    ``0001-01-01T00:30+01:00`` is a valid instant that Python cannot hold in UTC; every reader of
    client timestamps (filters, cursors, imports) compares in UTC, so each asks here.
    """
    try:
        return moment.astimezone(UTC)
    except OverflowError:
        return None


def parse_instant(value: Any) -> datetime | None:
    """An ISO 8601 date and time with a UTC offset (text or an aware datetime), in UTC; None otherwise."""
    if isinstance(value, str):
        try:
            value = parse_datetime(value)
        except ValueError:  # well formed, but no such date
            return None
    if not isinstance(value, datetime) or value.tzinfo is None:
        return None
    return in_utc(value)


def parse_uuid(value: Any) -> uuid.UUID:
    if isinstance(value, uuid.UUID):
        return value
    if not isinstance(value, str):
        raise ValueError(value)
    return uuid.UUID(value)


def last_errors(last: Any) -> FieldErrors:
    if last is None:
        return {}
    if isinstance(last, bool) or not isinstance(last, int) or last < 0:
        return {"last": ["Must be a whole number, 0 or more."]}
    return {}
