import threading
import time
from datetime import timedelta

import pytest
from django.db import connections
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from chathistory import services
from chathistory.models import Conversation, IdempotencyKey, Message, ToolCall
from chathistory.services import retention
from tests.conftest import CHAT_DATABASE
from tests.factories import make_conversation, make_message, make_user, tool_call


def _with_tool_calls(conversation, answered=True):
    messages = [
        {"role": "user", "content": "weather?"},
        {"role": "assistant", "content": None, "tool_calls": [tool_call("a"), tool_call("b")]},
    ]
    if answered:
        messages += [
            {"role": "tool", "tool_call_id": "a", "content": "sun"},
            {"role": "tool", "tool_call_id": "b", "content": "rain"},
        ]
    services.add_messages(conversation, messages)
    services.add_messages_once(conversation, [{"role": "assistant", "content": "Sunny."}], key="k1")
    return conversation


def _idle_for(conversation, days):
    Conversation.objects.filter(pk=conversation.pk).update(updated_at=timezone.now() - timedelta(days=days))


def _contents(conversation):
    return list(Message.objects.filter(conversation=conversation).order_by("seq").values_list("seq", "content"))


def test_purge_deletes_idle_conversations_only_and_counts_by_kind(user):
    idle = _with_tool_calls(make_conversation(user=user))
    _idle_for(idle, 31)
    recent = _with_tool_calls(make_conversation(user=user))
    _idle_for(recent, 29)
    recent_contents = _contents(recent)

    counts = services.purge_expired_conversations(days=30)

    assert counts == {"conversations": 1, "messages": 5, "tool_calls": 2, "idempotency_keys": 1}
    assert list(Conversation.objects.values_list("pk", flat=True)) == [recent.pk]
    assert _contents(recent) == recent_contents
    assert ToolCall.objects.filter(conversation=recent).count() == 2


def test_purge_reads_retention_days_from_the_setting(user, settings):
    idle = make_conversation(user=user)
    _idle_for(idle, 8)
    settings.CHATHISTORY = {"RETENTION_DAYS": 7}
    assert services.purge_expired_conversations()["conversations"] == 1
    assert not Conversation.objects.exists()


def test_without_retention_days_every_conversation_is_kept_but_expired_keys_go(user):
    idle = _with_tool_calls(make_conversation(user=user))
    _idle_for(idle, 10_000)
    IdempotencyKey.objects.update(created_at=timezone.now() - timedelta(hours=25))
    counts = services.purge_expired_conversations()
    assert counts == {"conversations": 0, "messages": 0, "tool_calls": 0, "idempotency_keys": 1}
    assert Message.objects.filter(conversation=idle).count() == 5


def test_a_key_younger_than_the_retention_hours_survives_the_purge_and_still_replays(user):
    conversation = make_conversation(user=user)
    message = [{"role": "user", "content": "once"}]
    services.add_messages_once(conversation, message, key="young")
    services.add_messages_once(conversation, message, key="old")
    IdempotencyKey.objects.filter(key="young").update(created_at=timezone.now() - timedelta(hours=23))
    IdempotencyKey.objects.filter(key="old").update(created_at=timezone.now() - timedelta(hours=25))

    counts = services.purge_expired_conversations()

    assert counts["idempotency_keys"] == 1
    assert list(IdempotencyKey.objects.values_list("key", flat=True)) == ["young"]
    _, created = services.add_messages_once(conversation, message, key="young")
    assert not created and Message.objects.filter(conversation=conversation).count() == 2


def test_a_dry_run_counts_what_the_real_run_then_deletes(user):
    for days in (40, 50, 1):
        _idle_for(_with_tool_calls(make_conversation(user=user)), days)
    fresh = _with_tool_calls(make_conversation(user=user))
    IdempotencyKey.objects.filter(conversation=fresh).update(created_at=timezone.now() - timedelta(days=2))

    dry = services.purge_expired_conversations(days=30, dry_run=True)
    assert Conversation.objects.count() == 4
    real = services.purge_expired_conversations(days=30)
    assert dry == real == {"conversations": 2, "messages": 10, "tool_calls": 4, "idempotency_keys": 3}


def test_counting_reads_message_counts_from_the_conversations_not_the_messages(user, django_assert_num_queries):
    for _ in range(3):
        _with_tool_calls(make_conversation(user=user))
    make_conversation(user=user)
    with CaptureQueriesContext(connections[CHAT_DATABASE]) as queries:
        counts = services.count_user_data(user)
    assert counts == {"conversations": 4, "messages": 15, "tool_calls": 6, "idempotency_keys": 3}
    # One aggregate of the conversations, then the tool calls and the idempotency records.
    assert len(queries) == 3
    assert not any('"chathistory_message"' in query["sql"] for query in queries)
    with django_assert_num_queries(4):
        services.purge_expired_conversations(days=30, dry_run=True)
    assert services.count_user_data(make_user()) == {
        "conversations": 0,
        "messages": 0,
        "tool_calls": 0,
        "idempotency_keys": 0,
    }


@pytest.mark.parametrize("days", [0, -1, "7", True])
def test_a_retention_that_is_not_a_positive_number_of_days_is_refused(db, days):
    with pytest.raises(ValueError):
        services.purge_expired_conversations(days=days)


def test_purge_deletes_in_batches_of_the_given_size(user, django_assert_max_num_queries, monkeypatch):
    long = make_conversation(user=user)
    services.add_messages(long, [{"role": "user", "content": str(n)} for n in range(10)])
    shorts = [make_conversation(user=user) for _ in range(4)]
    for short in shorts:
        make_message(short)
    for conversation in (long, *shorts):
        _idle_for(conversation, 100)
    largest = []
    original = retention._delete_whole

    def spy(matching, pks, deleted, *, alias):
        before = deleted.messages
        original(matching, pks, deleted, alias=alias)
        largest.append(deleted.messages - before)

    monkeypatch.setattr(retention, "_delete_whole", spy)
    counts = services.purge_expired_conversations(days=30, batch_size=3)
    assert counts["conversations"] == 5 and counts["messages"] == 14
    assert max(largest) <= 3
    assert not Message.objects.exists()


def test_a_long_conversation_loses_its_end_a_batch_at_a_time_and_stays_whole(user):
    conversation = make_conversation(user=user)
    services.add_messages(conversation, [{"role": "user", "content": str(n)} for n in range(3)])
    _with_tool_calls(conversation)  # seqs 4-8, the idempotency key covers 8
    calls = iter([True])

    def matching():
        # Matches for the first batch only, as if the conversation became active again after it.
        return Conversation.objects.filter(pk=conversation.pk) if next(calls, False) else Conversation.objects.none()

    deleted = retention.Deleted()
    retention._delete_long(
        matching, conversation.pk, deleted, alias="default" if not _routed() else "chat", batch_size=4
    )

    conversation.refresh_from_db()
    assert conversation.message_count == 4
    assert [seq for seq, _ in _contents(conversation)] == [1, 2, 3, 4]
    # The calls made by seq 5 went with their answers; the key of seq 8 went with it.
    assert deleted.as_dict() == {"conversations": 0, "messages": 4, "tool_calls": 2, "idempotency_keys": 1}
    assert services.add_message(conversation, role="user", content="back").seq == 5


def _routed():
    from tests.conftest import ROUTED

    return ROUTED


def test_erase_user_data_deletes_everything_of_that_user_and_nothing_else(user, other_user):
    for _ in range(3):
        _with_tool_calls(make_conversation(user=user))
    theirs = _with_tool_calls(make_conversation(user=other_user))
    their_contents = _contents(theirs)

    counts = services.erase_user_data(user, batch_size=4)

    assert counts == {"conversations": 3, "messages": 15, "tool_calls": 6, "idempotency_keys": 3}
    assert not Conversation.objects.filter(user=user).exists()
    assert _contents(theirs) == their_contents
    assert IdempotencyKey.objects.filter(conversation=theirs).count() == 1
    user.refresh_from_db()  # the account itself stays


def test_count_user_data_matches_what_erase_deletes(user):
    _with_tool_calls(make_conversation(user=user))
    assert services.count_user_data(user) == services.erase_user_data(user)


def test_clear_conversation_deletes_messages_calls_and_keys_and_restarts_at_seq_1(user, other_user):
    conversation = _with_tool_calls(make_conversation(user=user))
    other = _with_tool_calls(make_conversation(user=other_user))
    before = conversation.updated_at

    services.clear_conversation(conversation)

    assert not Message.objects.filter(conversation=conversation).exists()
    assert not ToolCall.objects.filter(conversation=conversation).exists()
    assert not IdempotencyKey.objects.filter(conversation=conversation).exists()
    conversation.refresh_from_db()
    assert conversation.message_count == 0 and conversation.updated_at > before
    assert services.add_message(conversation, role="user", content="again").seq == 1
    # A call id and an idempotency key are free to use again.
    services.add_messages(conversation, [{"role": "assistant", "content": None, "tool_calls": [tool_call("a")]}])
    _, created = services.add_messages_once(conversation, [{"role": "user", "content": "x"}], key="k1")
    assert created
    assert Message.objects.filter(conversation=other).count() == 5


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_purge_of_many_messages_lets_another_user_append_meanwhile():
    idle_user, active_user = make_user(), make_user()
    idle = make_conversation(user=idle_user)
    for start in range(0, 20_000, 1000):
        services.add_messages(idle, [{"role": "user", "content": f"old {n}"} for n in range(start, start + 1000)])
    for n in range(20):
        make_message(make_conversation(user=idle_user), content=f"short {n}")
    Conversation.objects.filter(user=idle_user).update(updated_at=timezone.now() - timedelta(days=400))
    active = make_conversation(user=active_user)
    make_message(active, content="before the purge")
    # Idle too, but appended to during the purge: the purge must leave it alone.
    revived = make_conversation(user=active_user)
    make_message(revived, content="revived")
    _idle_for(revived, 400)

    purge_done = threading.Event()
    appended_during_purge = []
    errors = []
    revived_first = []

    def purge():
        try:
            purge.result = services.purge_expired_conversations(days=30, batch_size=500)
        except Exception as error:
            errors.append(error)
        finally:
            purge_done.set()
            connections.close_all()

    def append():
        try:
            try:
                services.add_message(revived, role="user", content="I am back")
                revived_first.append(True)
            except Conversation.DoesNotExist:
                pass  # the purge reached it first: then it was idle, and goes whole
            for n in range(1000):
                services.add_message(active, role="user", content=f"during {n}")
                if purge_done.is_set():
                    break
                appended_during_purge.append(n)
                time.sleep(0.001)
        except Exception as error:
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=append), threading.Thread(target=purge)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(thread.is_alive() for thread in threads)
    assert errors == []
    expected = (21, 20_020) if revived_first else (22, 20_021)
    assert (purge.result["conversations"], purge.result["messages"]) == expected
    assert appended_during_purge, "no append finished while the purge ran"
    assert not Conversation.objects.filter(user=idle_user).exists()
    contents = [content for _, content in _contents(active)]
    assert contents[0] == "before the purge" and len(contents) == len(set(contents)) >= 2
    assert [seq for seq, _ in _contents(active)] == list(range(1, len(contents) + 1))
    if revived_first:
        assert [content for _, content in _contents(revived)] == ["revived", "I am back"]
    else:
        assert not Conversation.objects.filter(pk=revived.pk).exists()


@pytest.mark.parametrize(
    ("value", "problems"), [(None, []), (30, []), (0, ["chathistory.E003"]), ("30", ["chathistory.E003"])]
)
def test_retention_days_may_be_none_or_a_positive_number_of_days(settings, value, problems):
    from chathistory.checks import check_settings

    settings.CHATHISTORY = {"RETENTION_DAYS": value}
    assert [error.id for error in check_settings()] == problems
