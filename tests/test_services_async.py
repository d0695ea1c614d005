"""The async twins: awaited from an event loop, with the same results and errors as the sync functions."""

import inspect

import pytest
from asgiref.sync import async_to_sync, iscoroutinefunction

from chathistory import services
from chathistory.exceptions import ConversationIdTaken, ValidationError
from chathistory.models import Message
from tests.factories import make_conversation, make_message, tool_call

TWINS = {name for name in services.__all__ if name.startswith("a") and name[1:] in services.__all__}
# Functions only: classes (ConversationConflict) are not called, and a generator (iter_export)
# streams from a sync caller; its async callers use aexport_conversation.
ORIGINALS = sorted(
    name
    for name in set(services.__all__) - TWINS
    if inspect.isfunction(getattr(services, name)) and not inspect.isgeneratorfunction(getattr(services, name))
)


@pytest.mark.parametrize("name", ORIGINALS)
def test_every_public_service_function_has_an_awaitable_twin(name):
    assert f"a{name}" in services.__all__, f"services.{name} has no twin a{name} in services/asynchronous.py"
    assert iscoroutinefunction(getattr(services, f"a{name}"))


def run(twin, *args, **kwargs):
    """Await ``twin`` in an event loop, as an async view does (its sync work runs on this thread)."""
    return async_to_sync(twin)(*args, **kwargs)


def test_aadd_message_and_aget_openai_messages_give_what_the_sync_functions_give(conversation):
    stored = run(services.aadd_message, conversation, role="assistant", content=None, tool_calls=[tool_call()])
    run(services.aadd_messages, conversation, [{"role": "tool", "tool_call_id": "call_1", "content": "18"}])

    assert isinstance(stored, Message) and stored.seq == 1
    assert run(services.aget_openai_messages, conversation) == services.get_openai_messages(conversation)
    assert [m.seq for m in run(services.aget_chat_history, conversation, last=1)] == [2]


def test_a_twin_raises_the_same_validation_error_and_stores_nothing(conversation, nothing_stored):
    with nothing_stored() as rejection:
        run(services.aadd_message, conversation, role="wizard", content="hi")
    assert "role" in rejection.value.errors


def test_aget_or_create_conversation_refuses_another_users_id(user, other_user):
    theirs = make_conversation(user=other_user)
    with pytest.raises(ConversationIdTaken):
        run(services.aget_or_create_conversation, user, theirs.id)
    mine, created = run(services.aget_or_create_conversation, user, title="Mine")
    assert created and mine.user_id == user.pk


def test_alist_conversations_is_a_list_evaluated_off_the_event_loop(user, conversation, django_assert_num_queries):
    make_conversation(user=user, title="Second")
    with django_assert_num_queries(1):
        listed = run(services.alist_conversations, user)
    assert isinstance(listed, list)
    assert [c.pk for c in listed] == [c.pk for c in services.list_conversations(user)]


def test_aupdate_and_adelete_conversation(conversation):
    make_message(conversation)
    run(services.aupdate_conversation, conversation, title="Renamed")
    conversation.refresh_from_db()
    assert conversation.title == "Renamed"
    with pytest.raises(ValidationError):
        run(services.aupdate_conversation, conversation, title="\x00")
    run(services.adelete_conversation, conversation)
    assert not Message.objects.exists()


def test_aadd_messages_once_replays(conversation):
    messages = [{"role": "user", "content": "hi"}]
    key = {"key": "k1", "request_hash": services.request_fingerprint(messages)}
    first, created = run(services.aadd_messages_once, conversation, messages, **key)
    again, replayed_created = run(services.aadd_messages_once, conversation, messages, **key)
    assert (created, replayed_created) == (True, False)
    assert [m.pk for m in again] == [m.pk for m in first]
