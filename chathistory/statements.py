"""The two statements of an append, written out because they are the hot path.

``bulk_create`` spends about half of an append building its statement; these build it
directly, still preparing every value through the model's own fields, so what is stored is
exactly what the ORM would store. Only services.py calls them, inside its transaction.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from django.db import connection

from chathistory.models import Conversation, Message

_MESSAGE_FIELDS = (
    "conversation", "seq", "role", "content", "name", "tool_calls", "tool_call_id", "metadata", "created_at",
)


def reserve_seqs(conversation: Conversation, count: int, now: datetime) -> int | None:
    """Take the next ``count`` seqs and return the last one (None if the conversation is gone).

    One ``UPDATE … RETURNING``: its row lock holds other writers of this conversation until
    the transaction commits, so seqs stay gapless and unique without ever counting messages.
    """
    meta = Conversation._meta
    table = connection.ops.quote_name(meta.db_table)
    pk = meta.pk.get_db_prep_value(conversation.pk, connection)
    updated_at = meta.get_field("updated_at").get_db_prep_value(now, connection)
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} SET message_count = message_count + %s, updated_at = %s "
            f"WHERE id = %s RETURNING message_count",
            [count, updated_at, pk],
        )
        row = cursor.fetchone()
    return None if row is None else row[0]


def insert_messages(messages: Sequence[Message]) -> None:
    """INSERT unsaved messages, in as few statements as the backend's parameter limit allows, and set their ids."""
    meta = Message._meta
    quote = connection.ops.quote_name
    fields = [meta.get_field(name) for name in _MESSAGE_FIELDS]
    columns = ", ".join(quote(field.column) for field in fields)
    row = "(" + ", ".join(["%s"] * len(fields)) + ")"
    batch_size = connection.ops.bulk_batch_size(fields, messages)
    by_seq = {message.seq: message for message in messages}
    with connection.cursor() as cursor:
        for start in range(0, len(messages), batch_size):
            batch = messages[start : start + batch_size]
            cursor.execute(
                f"INSERT INTO {quote(meta.db_table)} ({columns}) VALUES {', '.join([row] * len(batch))} "
                f"RETURNING {quote('seq')}, {quote(meta.pk.column)}",
                [field.get_db_prep_save(getattr(message, field.attname), connection)
                 for message in batch for field in fields],
            )
            # Matched by seq: RETURNING does not promise to keep the VALUES order.
            for seq, pk in cursor.fetchall():
                by_seq[seq].pk = pk
    for message in messages:
        message._state.adding = False
        message._state.db = connection.alias
