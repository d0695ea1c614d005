"""The two statements of an append, written out because they are the hot path.

``bulk_create`` spends about half of an append building its statement; these build it
directly, still preparing every value through the model's own fields, so what is stored is
exactly what the ORM would store. Only the append service calls them, inside its transaction,
on the database the routers chose.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from django.db import connections
from django.db.models import Field

from chathistory.models import Conversation, Message


def message_insert_fields() -> list[Field[Any, Any]]:
    """Every column an INSERT of a message writes: each concrete field but the generated primary key."""
    meta = Message._meta
    return [field for field in meta.concrete_fields if isinstance(field, Field) and field is not meta.pk]


def reserve_seqs(conversation: Conversation, count: int, now: datetime, *, using: str) -> int | None:
    """Take the next ``count`` seqs and return the last one (None if the conversation is gone).

    One ``UPDATE … RETURNING``: its row lock holds other writers of this conversation until
    the transaction commits, so seqs stay gapless and unique without ever counting messages.
    """
    connection = connections[using]
    quote = connection.ops.quote_name
    meta = Conversation._meta
    counter = quote(meta.get_field("message_count").column)
    updated_at = meta.get_field("updated_at")
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {quote(meta.db_table)} SET {counter} = {counter} + %s, {quote(updated_at.column)} = %s "
            f"WHERE {quote(meta.pk.column)} = %s RETURNING {counter}",
            [
                count,
                updated_at.get_db_prep_value(now, connection),
                meta.pk.get_db_prep_value(conversation.pk, connection),
            ],
        )
        row = cursor.fetchone()
    return None if row is None else int(row[0])


def insert_messages(messages: Sequence[Message], *, using: str) -> None:
    """INSERT unsaved messages, in as few statements as the backend's parameter limit allows, and set their ids."""
    connection = connections[using]
    quote = connection.ops.quote_name
    meta = Message._meta
    fields = message_insert_fields()
    columns = ", ".join(quote(field.column) for field in fields)
    row = "(" + ", ".join(["%s"] * len(fields)) + ")"
    seq_column = quote(meta.get_field("seq").column)
    batch_size = connection.ops.bulk_batch_size(fields, messages)
    by_seq = {message.seq: message for message in messages}
    with connection.cursor() as cursor:
        for start in range(0, len(messages), batch_size):
            batch = messages[start : start + batch_size]
            cursor.execute(
                f"INSERT INTO {quote(meta.db_table)} ({columns}) VALUES {', '.join([row] * len(batch))} "
                f"RETURNING {seq_column}, {quote(meta.pk.column)}",
                [
                    field.get_db_prep_save(getattr(message, field.attname), connection)
                    for message in batch
                    for field in fields
                ],
            )
            # Matched by seq: RETURNING does not promise to keep the VALUES order.
            for seq, pk in cursor.fetchall():
                by_seq[seq].pk = pk
    for message in messages:
        message._state.adding = False
        message._state.db = using


def can_append_in_one_statement(using: str) -> bool:
    """Whether the backend takes a data-modifying CTE: one statement both reserves seqs and inserts."""
    return connections[using].vendor == "postgresql"


def append_in_one_statement(
    conversation: Conversation, messages: Sequence[Message], now: datetime, *, using: str
) -> int | None:
    """Reserve the seqs and insert ``messages`` in one statement; the last seq, or None if the conversation is gone.

    ``WITH counter AS (UPDATE … RETURNING) INSERT … SELECT … FROM counter``: the UPDATE takes the
    row lock and the INSERT numbers the messages from what it returned, so in autocommit an append
    is one round trip and one implicit transaction. Only for messages whose rules need no reads
    under the lock (no tool calls, no tool results, no idempotency key). Sets each message's seq and id.
    """
    connection = connections[using]
    quote = connection.ops.quote_name
    conversations, table = Conversation._meta, Message._meta
    counter = quote(conversations.get_field("message_count").column)
    updated_at = conversations.get_field("updated_at")
    seq_field = table.get_field("seq")
    fields = [field for field in message_insert_fields() if field is not seq_field]
    names = [quote(field.column) for field in fields]
    # Typed placeholders: VALUES would otherwise read a NULL or a string as text, which jsonb refuses.
    casts = [field.cast_db_type(connection) for field in fields]  # type: ignore[attr-defined]  # not in the stubs
    row = "(" + ", ".join(f"%s::{cast}" for cast in casts) + ", %s::integer)"
    values = [
        value
        for offset, message in enumerate(messages, start=1)
        for value in (
            *(field.get_db_prep_save(getattr(message, field.attname), connection) for field in fields),
            offset,
        )
    ]
    sql = (
        f"WITH counter AS (UPDATE {quote(conversations.db_table)} "
        f"SET {counter} = {counter} + %s, {quote(updated_at.column)} = %s "
        f"WHERE {quote(conversations.pk.column)} = %s RETURNING {counter}) "
        f"INSERT INTO {quote(table.db_table)} ({', '.join(names)}, {quote(seq_field.column)}) "
        f"SELECT {', '.join(f'v.{name}' for name in names)}, counter.{counter} - %s + v.{quote('ord')} "
        f"FROM counter CROSS JOIN (VALUES {', '.join([row] * len(messages))}) "
        f"AS v ({', '.join(names)}, {quote('ord')}) "
        f"RETURNING {quote(seq_field.column)}, {quote(table.pk.column)}"
    )
    params = [
        len(messages),
        updated_at.get_db_prep_value(now, connection),
        conversations.pk.get_db_prep_value(conversation.pk, connection),
        len(messages),
        *values,
    ]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        returned = sorted(cursor.fetchall())
    if not returned:
        return None
    for message, (seq, pk) in zip(messages, returned, strict=True):
        message.seq, message.pk = seq, pk
        message._state.adding = False
        message._state.db = using
    last_seq: int = returned[-1][0]
    return last_seq
