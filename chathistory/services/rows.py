"""A conversation's messages as plain dicts, read with ``values()``: no model instance per row.

For callers that turn messages into dicts anyway (the model-ready history, JSON answers):
building a ``Message`` per row costs more than the query itself on a long history. Each dict
holds the model's field values exactly as a ``Message`` would (JSON decoded, datetimes aware),
keyed by field name, ``conversation`` as ``conversation_id``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from chathistory.models import INSTRUCTION_ROLES, Conversation
from chathistory.services.base import reject
from chathistory.validation import last_errors

#: Every field of a Message, as the keys of a row.
MESSAGE_ROW_FIELDS = (
    "id", "conversation_id", "seq", "role", "content", "name", "tool_calls", "tool_call_id", "metadata", "created_at",
)
#: What the OpenAI Chat Completions shape needs, and ``seq`` to place a row in the window.
OPENAI_ROW_FIELDS = ("seq", "role", "content", "name", "tool_calls", "tool_call_id")


def history_rows(
    conversation: Conversation, *, last: int | None = None, fields: Sequence[str] = MESSAGE_ROW_FIELDS
) -> list[dict[str, Any]]:
    """The messages in seq order as dicts of ``fields``; with ``last=N``, exactly the last N (one query)."""
    errors = last_errors(last)
    if errors:
        raise reject(errors, "last")
    _check_fields(fields)
    # The related manager reads from the database the routers choose for this conversation.
    rows = conversation.messages.values(*fields)
    if last is None:
        return list(rows.order_by("seq"))
    if not last:
        return []
    newest_first = list(rows.order_by("-seq")[:last])
    newest_first.reverse()
    return newest_first


def instruction_rows(
    conversation: Conversation, *, before_seq: int | None = None, fields: Sequence[str] = MESSAGE_ROW_FIELDS
) -> list[dict[str, Any]]:
    """The system and developer messages in seq order (only those before ``before_seq``, if given)."""
    _check_fields(fields)
    # No ORDER BY in SQL: with one, SQLite's planner prefers the (conversation, seq) index and
    # walks the whole conversation; without, it seeks (conversation, role, seq) per role.
    rows = conversation.messages.filter(role__in=INSTRUCTION_ROLES).order_by()
    if before_seq is not None:
        rows = rows.filter(seq__lt=before_seq)
    return sorted(rows.values("seq", *(field for field in fields if field != "seq")), key=_seq)


def _seq(row: dict[str, Any]) -> int:
    return row["seq"]


def _check_fields(fields: Sequence[str]) -> None:
    unknown = set(fields) - set(MESSAGE_ROW_FIELDS)
    if unknown:
        # A programming error, not input: name it plainly.
        raise ValueError(f"Not message fields: {', '.join(sorted(unknown))}.")
