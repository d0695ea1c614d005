"""A conversation's messages as plain dicts: no model instance per row.

For callers that turn messages into dicts anyway (the model-ready history, JSON answers).
Each dict holds the model's field values exactly as a ``Message`` would (JSON decoded,
datetimes aware), keyed by field name, ``conversation`` as ``conversation_id``.

``history_rows`` is the read path of every history request, so, like the append's statements,
its SELECT is written out: compiling the equivalent ``values()`` query and running Django's
generic per-row converter loop cost three times the query itself. Each column is still
converted by the converters the ORM would apply (the backend's, then the field's), on the
database the routers choose for reading the conversation's messages.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from typing import Any

from django.db import connections, router

from chathistory.models import INSTRUCTION_ROLES, Conversation, Message
from chathistory.selects import Converters, column_converters
from chathistory.services.base import reject
from chathistory.validation import last_errors

#: Every field of a Message, as the keys of a row (a new field is a new key).
MESSAGE_ROW_FIELDS = tuple(field.attname for field in Message._meta.concrete_fields)
#: What every history shape reads of a message; ``seq`` places it in the window.
WINDOW_ROW_FIELDS = ("seq", "role", "content", "name", "refusal", "tool_calls", "tool_call_id")


def history_rows(
    conversation: Conversation, *, last: int | None = None, fields: Sequence[str] = MESSAGE_ROW_FIELDS
) -> list[dict[str, Any]]:
    """The messages in seq order as dicts of ``fields``; with ``last=N``, exactly the last N (one query)."""
    errors = last_errors(last)
    if errors:
        raise reject(errors, "last")
    if last == 0:
        _check_fields(fields)
        return []
    if last is None:
        return _select(conversation, fields, "", [], "ORDER BY {seq}")
    return _select(conversation, fields, "", [last], "ORDER BY {seq} DESC LIMIT %s")[::-1]


def instruction_rows(
    conversation: Conversation, *, before_seq: int | None = None, fields: Sequence[str] = MESSAGE_ROW_FIELDS
) -> list[dict[str, Any]]:
    """The system and developer messages in seq order (only those before ``before_seq``, if given).

    ``fields`` must name ``seq``, which puts them in order.
    """
    if "seq" not in fields:
        raise ValueError("The instruction rows are put in order by seq: name it in fields.")
    where = f" AND {{role}} IN ({', '.join(['%s'] * len(INSTRUCTION_ROLES))})"
    params: list[Any] = [str(role) for role in INSTRUCTION_ROLES]
    if before_seq is not None:
        where += " AND {seq} < %s"
        params.append(before_seq)
    # No ORDER BY in SQL: with one, SQLite's planner prefers the (conversation, seq) index and
    # walks the whole conversation; without, it seeks (conversation, role, seq) per role.
    return sorted(_select(conversation, fields, where, params, ""), key=_seq)


def _select(
    conversation: Conversation, fields: Sequence[str], where: str, params: Sequence[Any], tail: str
) -> list[dict[str, Any]]:
    """One SELECT of the conversation's messages as rows; ``where`` and ``tail`` name columns ``{seq}``, ``{role}``."""
    _check_fields(fields)
    # Where the related manager would read: the routers' choice for this conversation's messages.
    alias = router.db_for_read(Message, instance=conversation)
    connection = connections[alias]
    sql, converting = _statement(alias, tuple(fields), where, tail)
    conversation_id = _CONVERSATION.get_db_prep_value(conversation.pk, connection)
    with connection.cursor() as cursor:
        cursor.execute(sql, [conversation_id, *params])
        results = cursor.fetchall()
    return _as_dicts(results, converting, fields, conversation.pk, connection)


_CONVERSATION = Message._meta.get_field("conversation")


@functools.cache
def _statement(alias: str, fields: tuple[str, ...], where: str, tail: str) -> tuple[str, Converters]:
    """The SQL of ``_select`` and its columns' converters, built once per database and query: every request runs one."""
    connection = connections[alias]
    quote = connection.ops.quote_name
    meta = Message._meta
    by_name = {field.attname: field for field in meta.concrete_fields}
    columns = {"seq": quote(by_name["seq"].column), "role": quote(by_name["role"].column)}
    # The conversation is known: its id is not read back from every row.
    selected = [by_name[name] for name in fields if name != "conversation_id"]
    sql = (
        f"SELECT {', '.join(quote(field.column) for field in selected)} FROM {quote(meta.db_table)} "
        f"WHERE {quote(by_name['conversation_id'].column)} = %s{where} {tail}"
    ).format(**columns)
    return sql, column_converters(selected, connection)


def _as_dicts(
    results: list[tuple], converting: Converters, fields: Sequence[str], conversation_id: Any, connection: Any
) -> list[dict[str, Any]]:
    """Rows as dicts keyed by ``fields``, each column through the converters the ORM would apply.

    Column by column, one comprehension per converter: a loop per value costs more than the query.
    """
    if not results:
        return []
    columns = [list(values) for values in zip(*results, strict=True)]
    for position, column, converters in converting:
        for converter in converters:
            columns[position] = [converter(value, column, connection) for value in columns[position]]
    if "conversation_id" in fields:
        # Back where values() would put it, from the conversation itself.
        columns.insert(fields.index("conversation_id"), [conversation_id] * len(results))
    return [dict(zip(fields, values, strict=True)) for values in zip(*columns, strict=True)]


def _seq(row: dict[str, Any]) -> int:
    return int(row["seq"])


def _check_fields(fields: Sequence[str]) -> None:
    unknown = set(fields) - set(MESSAGE_ROW_FIELDS)
    if unknown:
        # A programming error, not input: name it plainly.
        raise ValueError(f"Not message fields: {', '.join(sorted(unknown))}.")
