"""Appending messages: every rule checked, then written under the conversation's row lock.

An append is one transaction on the database the routers choose. Its first statement bumps the
conversation's counter (``UPDATE … RETURNING``); that row lock queues every other writer of the
conversation, so what is checked after it (a tool call id made once, a call answered once, an
idempotency key used once) cannot change before the commit. The unique constraints behind
those rules stay as a last line of defence; no path relies on them or reads their errors.
Nothing here counts or scans messages, so the cost does not grow with the conversation.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone

from chathistory import statements
from chathistory.conf import app_settings
from chathistory.exceptions import FieldErrors, IdempotencyKeyReused, ValidationError
from chathistory.models import Conversation, IdempotencyKey, Message, ToolCall
from chathistory.services.base import logger, reject, write_alias
from chathistory.validation import MESSAGE_FIELDS, message_errors


def add_message(
    conversation: Conversation,
    *,
    role: str,
    content: str | list[dict[str, Any]] | None = None,
    tool_calls: list[dict[str, Any]] | None = None,
    tool_call_id: str | None = None,
    name: str | None = None,
    refusal: str | None = None,
    metadata: dict[str, Any] | None = None,
) -> Message:
    """Append one message and return it with its ``seq``."""
    message: dict[str, Any] = {
        "role": role,
        "content": content,
        "tool_calls": tool_calls,
        "tool_call_id": tool_call_id,
        "name": name,
        "refusal": refusal,
    }
    if metadata is not None:
        message["metadata"] = metadata
    try:
        return _append(conversation, [message])[0][0]
    except ValidationError as error:
        if not isinstance(error.errors, list):
            raise
        # One message: its errors, not a batch of one.
        raise ValidationError(error.errors[0]) from None


def add_messages(conversation: Conversation, messages: Sequence[Mapping[str, Any]]) -> list[Message]:
    """Append several messages in order, all or nothing.

    A tool message may answer a call made earlier in the same batch. On failure the
    ``ValidationError`` holds a list with one error dict per message (``{}`` where fine).
    """
    _check_batch(messages)
    if not messages:
        return []
    return _append(conversation, messages)[0]


def add_messages_once(
    conversation: Conversation,
    messages: Sequence[Mapping[str, Any]],
    *,
    key: str,
    request_hash: str | None = None,
) -> tuple[list[Message], bool]:
    """``add_messages`` at most once per ``key`` on this conversation: returns ``(messages, created)``.

    A repeat of the key with an equal request stores nothing and returns the messages the first
    call stored, with ``created`` false; with a different request it raises ``IdempotencyKeyReused``.
    ``request_hash`` is what "equal" compares (by default ``request_fingerprint(messages)``); a
    caller that received the messages in another form (an HTTP body) passes the hash of that.
    A rejected append does not use up its key.
    """
    _check_batch(messages)
    if not messages:
        raise reject({"non_field_errors": ["Send at least one message."]}, "batch")
    key_hash = request_fingerprint(messages) if request_hash is None else request_hash
    return _append(conversation, messages, key=_Key(key, key_hash))


def request_fingerprint(payload: Any) -> str:
    """sha256 of ``payload`` as canonical JSON, so requests that parse equal match."""
    canonical = json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode("utf-8", "surrogatepass")).hexdigest()


@dataclass(frozen=True)
class _Key:
    key: str
    request_hash: str


def _check_batch(messages: Sequence[Mapping[str, Any]]) -> None:
    if isinstance(messages, (str, bytes, Mapping)) or not isinstance(messages, Sequence):
        raise reject({"non_field_errors": ["Expected a list of messages."]}, "batch")
    limit = app_settings.MAX_BATCH_SIZE
    if len(messages) > limit:
        raise reject(
            {"non_field_errors": [f"A batch holds at most {limit:,} messages ({len(messages):,} given)."]},
            "batch",
        )


def _append(
    conversation: Conversation,
    messages: Sequence[Mapping[str, Any]],
    *,
    key: _Key | None = None,
    created_at: Sequence[datetime | None] | None = None,
) -> tuple[list[Message], bool]:
    """Store ``messages``, or find what an earlier append under ``key`` stored: ``(messages, created)``.

    ``created_at`` gives each message its own timestamp (None: now), for an import that keeps
    the original ones; appends leave it out.
    """
    errors = [message_errors(message) for message in messages]
    _check_tool_calls_within_batch(messages, errors)
    if any(errors):
        raise reject(errors, "message")

    alias = write_alias(Message, conversation)
    now = timezone.now()
    stamps = created_at or [None] * len(messages)
    created = [
        Message(
            conversation=conversation,
            created_at=stamps[offset] or now,
            **{field: message[field] for field in MESSAGE_FIELDS if field in message},
        )
        for offset, message in enumerate(messages)
    ]
    if key is None and not _makes_or_answers_calls(messages) and statements.can_append_in_one_statement(alias):
        # Nothing to check under the lock: one statement, so one round trip in autocommit.
        with transaction.mark_for_rollback_on_error(using=alias):
            last_seq = statements.append_in_one_statement(conversation, created, now, using=alias)
        if last_seq is None:
            raise Conversation.DoesNotExist("The conversation no longer exists.")
    else:
        with transaction.atomic(using=alias):
            last_seq = statements.reserve_seqs(conversation, len(messages), now, using=alias)
            if last_seq is None:
                raise Conversation.DoesNotExist("The conversation no longer exists.")
            # From here on this transaction holds the conversation's row lock.
            if key is not None:
                stored = _stored_under_key(conversation, key, alias)
                if stored is not None:
                    transaction.set_rollback(True, using=alias)  # give the reserved seqs back
                    return stored, False
            _check_tool_calls_against_database(conversation, messages, errors, alias)
            if any(errors):
                raise reject(errors, "tool_calls")
            _write(conversation, created, last_seq, key, alias)

    conversation.message_count = last_seq
    conversation.updated_at = now
    logger.info("appended %d message(s) to conversation %s", len(created), conversation.pk)
    return created, True


def _makes_or_answers_calls(messages: Sequence[Mapping[str, Any]]) -> bool:
    return any(message.get("tool_calls") or message.get("tool_call_id") is not None for message in messages)


def _write(conversation: Conversation, created: list[Message], last_seq: int, key: _Key | None, alias: str) -> None:
    """The messages, their tool calls and the idempotency key, under the lock ``reserve_seqs`` took."""
    first_seq = last_seq - len(created) + 1
    for offset, message in enumerate(created):
        message.seq = first_seq + offset
    statements.insert_messages(created, using=alias)
    calls = [
        ToolCall(conversation=conversation, call_id=call["id"], message_seq=message.seq)
        for message in created
        for call in message.tool_calls or ()
    ]
    if calls:
        ToolCall.objects.using(alias).bulk_create(calls)
    if key is not None:
        IdempotencyKey.objects.using(alias).create(
            conversation=conversation,
            key=key.key,
            request_hash=key.request_hash,
            first_seq=first_seq,
            last_seq=last_seq,
        )


def _stored_under_key(conversation: Conversation, key: _Key, alias: str) -> list[Message] | None:
    record = (
        IdempotencyKey.objects.using(alias)
        .filter(conversation=conversation, key=key.key)
        .only("request_hash", "first_seq", "last_seq")
        .first()
    )
    if record is None:
        return None
    if record.request_hash != key.request_hash:
        raise IdempotencyKeyReused()
    stored = (
        Message.objects.using(alias)
        .in_conversation(conversation)
        .filter(seq__gte=record.first_seq, seq__lte=record.last_seq)
    )
    return list(stored)


def _check_tool_calls_within_batch(messages: Sequence[Mapping[str, Any]], errors: list[FieldErrors]) -> None:
    """A call id may be made once and answered once, also within one batch."""
    made: set[str] = set()
    answered: set[str] = set()
    for message, item_errors in zip(messages, errors, strict=True):
        if item_errors:
            continue
        for call in message.get("tool_calls") or ():
            if call["id"] in made:
                item_errors.setdefault("tool_calls", []).append(
                    f'The tool call id "{call["id"]}" is already used earlier in this batch.'
                )
            made.add(call["id"])
        answer = message.get("tool_call_id")
        if answer is not None:
            if answer in answered:
                item_errors.setdefault("tool_call_id", []).append(
                    f'The tool call "{answer}" is already answered earlier in this batch.'
                )
            answered.add(answer)


def _check_tool_calls_against_database(
    conversation: Conversation, messages: Sequence[Mapping[str, Any]], errors: list[FieldErrors], alias: str
) -> None:
    """Call ids the batch makes must be new; answers must name an earlier, unanswered call.

    One query, on the (conversation, call_id) and (conversation, tool_call_id) unique indexes,
    and only when the batch makes or answers a tool call.
    """
    made: dict[str, int] = {}  # call id -> index of the message that makes it
    answers: dict[str, int] = {}  # call id -> index of the tool message that answers a stored call
    for index, message in enumerate(messages):
        answer = message.get("tool_call_id")
        if answer is not None and answer not in made:
            answers[answer] = index
        for call in message.get("tool_calls") or ():
            made[call["id"]] = index
    if not made and not answers:
        return
    answered = Message.objects.filter(conversation=conversation, tool_call_id=OuterRef("call_id"))
    stored = dict(
        ToolCall.objects.using(alias)
        .filter(conversation=conversation, call_id__in=[*made, *answers])
        .values_list("call_id", Exists(answered))
    )
    for call_id, index in made.items():
        if call_id in stored:
            errors[index].setdefault("tool_calls", []).append(
                f'A tool call with id "{call_id}" was already made in this conversation.'
            )
    for call_id, index in answers.items():
        if call_id not in stored:
            errors[index].setdefault("tool_call_id", []).append(
                f'No earlier assistant message in this conversation made a tool call with id "{call_id}".'
            )
        elif stored[call_id]:
            errors[index].setdefault("tool_call_id", []).append(f'The tool call "{call_id}" has already been answered.')
