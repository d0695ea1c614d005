"""The public Python API of chathistory: every write and every rule goes through here.

The REST API, the admin and the management commands call these functions; none of them
writes a model directly. Each write is one transaction on the database the project's routers
choose; appends lock only the conversation's row, so their cost does not depend on how long
the conversation is. Every function has an awaitable twin, named with an ``a`` in front
(``aadd_message``), for async views and consumers.
"""

from chathistory.services.appends import add_message, add_messages, add_messages_once, request_fingerprint
from chathistory.services.asynchronous import (
    aadd_message,
    aadd_messages,
    aadd_messages_once,
    adelete_conversation,
    aget_chat_history,
    aget_openai_messages,
    aget_or_create_conversation,
    ahistory_rows,
    ainstruction_rows,
    alist_conversations,
    apurge_idempotency_keys,
    arequest_fingerprint,
    aset_archived,
    ato_openai_messages,
    aupdate_conversation,
)
from chathistory.services.conversations import (
    delete_conversation,
    get_or_create_conversation,
    list_conversations,
    set_archived,
    update_conversation,
)
from chathistory.services.history import get_chat_history, get_openai_messages, to_openai_messages
from chathistory.services.retention import purge_idempotency_keys
from chathistory.services.rows import history_rows, instruction_rows

__all__ = [
    "aadd_message",
    "aadd_messages",
    "aadd_messages_once",
    "add_message",
    "add_messages",
    "add_messages_once",
    "adelete_conversation",
    "aget_chat_history",
    "aget_openai_messages",
    "aget_or_create_conversation",
    "ahistory_rows",
    "ainstruction_rows",
    "alist_conversations",
    "apurge_idempotency_keys",
    "arequest_fingerprint",
    "aset_archived",
    "ato_openai_messages",
    "aupdate_conversation",
    "delete_conversation",
    "get_chat_history",
    "get_openai_messages",
    "get_or_create_conversation",
    "history_rows",
    "instruction_rows",
    "list_conversations",
    "purge_idempotency_keys",
    "request_fingerprint",
    "set_archived",
    "to_openai_messages",
    "update_conversation",
]
