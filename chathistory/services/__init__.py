"""The public Python API of chathistory: every write and every rule goes through here.

The REST API, the admin and the management commands call these functions; none of them
writes a model directly. Each write is one transaction on the database the project's routers
choose; appends lock only the conversation's row, so their cost does not depend on how long
the conversation is. Every function has an awaitable twin, named with an ``a`` in front
(``aadd_message``), for async views and consumers.
"""

from chathistory.services.appends import add_message, add_messages, add_messages_once, request_fingerprint
from chathistory.services.asynchronous import (
    aadd_anthropic_messages,
    aadd_message,
    aadd_messages,
    aadd_messages_once,
    aadd_model_response,
    acount_user_data,
    adelete_conversation,
    aget_anthropic_messages,
    aget_chat_history,
    aget_openai_messages,
    aget_or_create_conversation,
    aget_responses_input,
    ahistory_rows,
    ahistory_window,
    alist_conversations,
    apurge_expired_conversations,
    apurge_idempotency_keys,
    arebuild_search_index,
    arequest_fingerprint,
    aset_archived,
    ato_anthropic_messages,
    ato_openai_messages,
    ato_responses_input,
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
from chathistory.services.history import (
    get_chat_history,
    get_openai_messages,
    history_window,
    to_openai_messages,
)
from chathistory.services.providers import (
    add_anthropic_messages,
    add_model_response,
    get_anthropic_messages,
    get_responses_input,
    to_anthropic_messages,
    to_responses_input,
)
from chathistory.services.retention import (
    aerase_user_data,
    count_user_data,
    erase_user_data,
    purge_expired_conversations,
    purge_idempotency_keys,
)
from chathistory.services.rows import history_rows
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
    "ConversationConflict",
    "aadd_anthropic_messages",
    "aadd_message",
    "aadd_messages",
    "aadd_messages_once",
    "aadd_model_response",
    "aclear_conversation",
    "acount_user_data",
    "add_anthropic_messages",
    "add_message",
    "add_messages",
    "add_messages_once",
    "add_model_response",
    "adelete_conversation",
    "aerase_user_data",
    "aexport_conversation",
    "aget_anthropic_messages",
    "aget_chat_history",
    "aget_openai_messages",
    "aget_or_create_conversation",
    "aget_responses_input",
    "ahistory_rows",
    "ahistory_window",
    "aimport_conversation",
    "alist_conversations",
    "apurge_expired_conversations",
    "apurge_idempotency_keys",
    "arebuild_search_index",
    "arequest_fingerprint",
    "asearch_messages",
    "aset_archived",
    "ato_anthropic_messages",
    "ato_openai_messages",
    "ato_responses_input",
    "aupdate_conversation",
    "clear_conversation",
    "count_user_data",
    "delete_conversation",
    "erase_user_data",
    "export_conversation",
    "get_anthropic_messages",
    "get_chat_history",
    "get_openai_messages",
    "get_or_create_conversation",
    "get_responses_input",
    "history_rows",
    "history_window",
    "import_conversation",
    "iter_export",
    "list_conversations",
    "purge_expired_conversations",
    "purge_idempotency_keys",
    "rebuild_search_index",
    "request_fingerprint",
    "search_messages",
    "set_archived",
    "to_anthropic_messages",
    "to_openai_messages",
    "to_responses_input",
    "update_conversation",
]
