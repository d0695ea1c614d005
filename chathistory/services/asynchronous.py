"""Async twins of the service functions, to await from async views and Channels consumers under ASGI.

Each twin runs its sync function through ``sync_to_async`` (thread-sensitive, as Django's ORM
needs), so one code path holds every rule: same results, same errors, same transactions.
A new service function gets its twin here with one line, ``aname = twin(name)``, and a name
in ``__all__`` of the package; the suite fails for a public function that has none.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine, Iterable
from typing import TYPE_CHECKING, Any, ParamSpec, TypeVar

from asgiref.sync import sync_to_async

from chathistory.services.appends import add_message, add_messages, add_messages_once, request_fingerprint
from chathistory.services.conversations import (
    clear_conversation,
    delete_conversation,
    get_conversation,
    get_or_create_conversation,
    list_conversations,
    set_archived,
    update_conversation,
)
from chathistory.services.history import get_chat_history, get_openai_messages, history_window, to_openai_messages
from chathistory.services.providers import (
    add_anthropic_messages,
    add_model_response,
    get_anthropic_messages,
    get_responses_input,
    to_anthropic_messages,
    to_responses_input,
)
from chathistory.services.retention import (
    count_user_data,
    erase_user_data,
    purge_expired_conversations,
    purge_idempotency_keys,
)
from chathistory.services.rows import history_rows
from chathistory.services.search import SearchHit, rebuild_search_index, search_messages
from chathistory.services.transfer import export_conversation, import_conversation

if TYPE_CHECKING:
    import uuid

    from django.contrib.auth.models import AbstractBaseUser

    from chathistory.models import Conversation

P = ParamSpec("P")
R = TypeVar("R")


def twin(function: Callable[P, R]) -> Callable[P, Coroutine[Any, Any, R]]:
    """The awaitable twin of a sync service function."""
    return sync_to_async(function, thread_sensitive=True)


def _listed_conversations(user: AbstractBaseUser, *, archived: bool | None = None) -> list[Conversation]:
    """``list_conversations`` evaluated: a lazy QuerySet would run its query in the event loop."""
    return list(list_conversations(user, archived=archived))


def _searched_messages(
    user: AbstractBaseUser,
    query: str,
    *,
    conversation: Conversation | uuid.UUID | str | None = None,
    role: str | Iterable[str] | None = None,
) -> list[SearchHit]:
    """``search_messages`` evaluated, every match: its lazy results would run their query in the event loop.

    So the twin returns a list, not the ``SearchResults`` of the sync function (no ``.page()``).
    """
    return list(search_messages(user, query, conversation=conversation, role=role))


aadd_message = twin(add_message)
aadd_messages = twin(add_messages)
aadd_messages_once = twin(add_messages_once)
arequest_fingerprint = twin(request_fingerprint)
aget_or_create_conversation = twin(get_or_create_conversation)
aget_conversation = twin(get_conversation)
aupdate_conversation = twin(update_conversation)
aset_archived = twin(set_archived)
adelete_conversation = twin(delete_conversation)
aclear_conversation = twin(clear_conversation)
alist_conversations = twin(_listed_conversations)
aget_chat_history = twin(get_chat_history)
aget_openai_messages = twin(get_openai_messages)
ato_openai_messages = twin(to_openai_messages)
ahistory_window = twin(history_window)
aadd_model_response = twin(add_model_response)
aadd_anthropic_messages = twin(add_anthropic_messages)
aget_responses_input = twin(get_responses_input)
aget_anthropic_messages = twin(get_anthropic_messages)
ato_responses_input = twin(to_responses_input)
ato_anthropic_messages = twin(to_anthropic_messages)
apurge_idempotency_keys = twin(purge_idempotency_keys)
apurge_expired_conversations = twin(purge_expired_conversations)
acount_user_data = twin(count_user_data)
aerase_user_data = twin(erase_user_data)
asearch_messages = twin(_searched_messages)
aexport_conversation = twin(export_conversation)
aimport_conversation = twin(import_conversation)
arebuild_search_index = twin(rebuild_search_index)
ahistory_rows = twin(history_rows)
