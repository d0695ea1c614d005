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
    acount_user_data,
    adelete_conversation,
    aget_chat_history,
    aget_openai_messages,
    aget_or_create_conversation,
    ahistory_rows,
    ainstruction_rows,
    alist_conversations,
    apurge_expired_conversations,
    apurge_idempotency_keys,
    arebuild_search_index,
    arequest_fingerprint,
    aset_archived,
    ato_openai_messages,
    aupdate_conversation,
)
from chathistory.services.conversations import (
    aclear_conversation,
    clear_conversation,
    delete_conversation,
    get_or_create_conversation,
    list_conversations,
    set_archived,
    update_conversation,
)
from chathistory.services.history import get_chat_history, get_openai_messages, to_openai_messages
from chathistory.services.retention import (
    aerase_user_data,
    count_user_data,
    erase_user_data,
    purge_expired_conversations,
    purge_idempotency_keys,
)
from chathistory.services.rows import history_rows, instruction_rows
from chathistory.services.search import asearch_messages, rebuild_search_index, search_messages
from chathistory.services.transfer import (
    ConversationConflict,
    aexport_conversation,
    aimport_conversation,
    export_conversation,
    import_conversation,
    iter_export,
)

__all__ = [
    "aadd_message",
    "aadd_messages",
    "aadd_messages_once",
    "aclear_conversation",
    "acount_user_data",
    "add_message",
    "add_messages",
    "add_messages_once",
    "adelete_conversation",
    "aerase_user_data",
    "aexport_conversation",
    "aget_chat_history",
    "aget_openai_messages",
    "aget_or_create_conversation",
    "ahistory_rows",
    "aimport_conversation",
    "ainstruction_rows",
    "alist_conversations",
    "apurge_expired_conversations",
    "apurge_idempotency_keys",
    "arebuild_search_index",
    "arequest_fingerprint",
    "asearch_messages",
    "aset_archived",
    "ato_openai_messages",
    "aupdate_conversation",
    "clear_conversation",
    "ConversationConflict",
    "count_user_data",
    "delete_conversation",
    "erase_user_data",
    "export_conversation",
    "get_chat_history",
    "get_openai_messages",
    "get_or_create_conversation",
    "history_rows",
    "import_conversation",
    "instruction_rows",
    "iter_export",
    "list_conversations",
    "purge_expired_conversations",
    "purge_idempotency_keys",
    "rebuild_search_index",
    "request_fingerprint",
    "search_messages",
    "set_archived",
    "to_openai_messages",
    "update_conversation",
]
