"""The public Python API of chathistory: every write and every rule goes through here.

The REST API, the admin and the management commands call these functions; none of them
writes a model directly. Writes are one transaction each; appends lock only the
conversation's row, so their cost does not depend on how long the conversation is.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import timedelta
from operator import attrgetter
from typing import TYPE_CHECKING, Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from chathistory import statements
from chathistory.conf import app_settings
from chathistory.exceptions import (
    ConversationIdTaken,
    FieldErrors,
    IdempotencyKeyReused,
    ValidationError,
)
from chathistory.models import (
    INSTRUCTION_ROLES,
    Conversation,
    IdempotencyKey,
    Message,
    Role,
    ToolCall,
)
from chathistory.validation import (
    CONVERSATION_FIELDS,
    conversation_errors,
    last_errors,
    message_errors,
    parse_uuid,
)

if TYPE_CHECKING:
    import uuid

    from django.contrib.auth.models import AbstractBaseUser
    from django.db.models import QuerySet

logger = logging.getLogger("chathistory")

_UPDATABLE_FIELDS = ("title", "metadata", "archived")


def _reject(errors: FieldErrors | list[FieldErrors], rule: str) -> ValidationError:
    error = ValidationError(errors)
    # Field names only: message content never reaches the logs.
    logger.info("rejected input (%s): fields %s", rule, ", ".join(error.fields))
    return error


# Conversations -----------------------------------------------------------------------------


def get_or_create_conversation(
    user: AbstractBaseUser,
    conversation_id: uuid.UUID | str | None = None,
    *,
    title: str = "",
    metadata: dict[str, Any] | None = None,
) -> tuple[Conversation, bool]:
    """Return ``(conversation, created)``.

    With no id, creates a new conversation. With an id the user owns, returns it unchanged
    (title and metadata are not applied). With a new id, creates it under that id; callers
    racing on one new id get the same conversation. An id owned by another user raises
    ``ConversationIdTaken``, which says nothing about that conversation.
    """
    fields: dict[str, Any] = {"title": title, "metadata": {} if metadata is None else metadata}
    if conversation_id is not None:
        fields["id"] = conversation_id
    errors = conversation_errors(fields, fields=CONVERSATION_FIELDS)
    if errors:
        raise _reject(errors, "conversation")
    if conversation_id is None:
        return _create_conversation(user, fields), True

    fields["id"] = parse_uuid(conversation_id)
    existing = Conversation.objects.filter(pk=fields["id"]).first()
    if existing is None:
        try:
            return _create_conversation(user, fields), True
        except IntegrityError:
            # Another caller created this id between our read and our insert.
            existing = Conversation.objects.get(pk=fields["id"])
    if existing.user_id != user.pk:
        raise ConversationIdTaken()
    return existing, False


def _create_conversation(user: AbstractBaseUser, fields: dict[str, Any]) -> Conversation:
    now = timezone.now()
    with transaction.atomic():
        conversation = Conversation.objects.create(
            user=user, created_at=now, updated_at=now, **fields
        )
    logger.info("conversation %s created", conversation.pk)
    return conversation


def update_conversation(conversation: Conversation, **changes: Any) -> Conversation:
    """Change ``title``, ``metadata`` and/or ``archived``; ``updated_at`` moves."""
    errors = conversation_errors(changes, fields=_UPDATABLE_FIELDS)
    if errors:
        raise _reject(errors, "conversation")
    changes["updated_at"] = timezone.now()
    with transaction.atomic():
        Conversation.objects.filter(pk=conversation.pk).update(**changes)
    for field, value in changes.items():
        setattr(conversation, field, value)
    return conversation


def set_archived(conversations: QuerySet[Conversation], archived: bool) -> int:
    """Archive or unarchive many conversations at once (the admin's actions); returns how many."""
    with transaction.atomic():
        return conversations.update(archived=archived, updated_at=timezone.now())


def delete_conversation(conversation: Conversation) -> None:
    """Delete a conversation with all its messages."""
    conversation_id = conversation.pk
    with transaction.atomic():
        conversation.delete()
    logger.info("conversation %s deleted", conversation_id)


def list_conversations(
    user: AbstractBaseUser, *, archived: bool | None = None
) -> QuerySet[Conversation]:
    """The user's conversations, most recently active first."""
    conversations = Conversation.objects.for_user(user)
    if archived is not None:
        conversations = conversations.archived(archived)
    return conversations.most_recent_first()


# Messages ----------------------------------------------------------------------------------


def add_message(
    conversation: Conversation,
    *,
    role: str,
    content: str | None = None,
    tool_calls: list[dict[str, Any]] | None = None,
    tool_call_id: str | None = None,
    name: str | None = None,
    metadata: dict[str, Any] | None = None,
) -> Message:
    """Append one message and return it with its ``seq``."""
    message = {"role": role, "content": content, "tool_calls": tool_calls,
               "tool_call_id": tool_call_id, "name": name}
    if metadata is not None:
        message["metadata"] = metadata
    return _append_one(conversation, message)


def _append_one(conversation: Conversation, message: Mapping[str, Any]) -> Message:
    try:
        return _append(conversation, [message])[0]
    except ValidationError as error:
        # One message: its errors, not a batch of one.
        raise ValidationError(error.errors[0]) from None


def add_messages(
    conversation: Conversation, messages: Sequence[Mapping[str, Any]]
) -> list[Message]:
    """Append several messages in order, all or nothing.

    A tool message may answer a call made earlier in the same batch. On failure the
    ``ValidationError`` holds a list with one error dict per message (``{}`` where fine).
    """
    if isinstance(messages, (str, bytes, Mapping)) or not isinstance(messages, Sequence):
        raise _reject({"non_field_errors": ["Expected a list of messages."]}, "batch")
    limit = app_settings.MAX_BATCH_SIZE
    if len(messages) > limit:
        raise _reject(
            {"non_field_errors": [f"A batch holds at most {limit:,} messages ({len(messages):,} given)."]},
            "batch",
        )
    if not messages:
        return []
    return _append(conversation, messages)


def _append(conversation: Conversation, messages: Sequence[Mapping[str, Any]]) -> list[Message]:
    errors = [message_errors(message) for message in messages]
    _check_tool_calls_within_batch(messages, errors)
    if any(errors):
        raise _reject(errors, "message")

    now = timezone.now()
    try:
        with transaction.atomic():
            last_seq = statements.reserve_seqs(conversation, len(messages), now)
            if last_seq is None:
                raise Conversation.DoesNotExist("The conversation no longer exists.")
            _check_tool_answers_against_database(conversation, messages, errors)
            if any(errors):
                raise _reject(errors, "tool_call_id")
            first_seq = last_seq - len(messages) + 1
            created = [
                Message(
                    conversation=conversation,
                    seq=first_seq + offset,
                    role=message["role"],
                    content=message.get("content"),
                    name=message.get("name"),
                    tool_calls=message.get("tool_calls"),
                    tool_call_id=message.get("tool_call_id"),
                    metadata=message.get("metadata", {}),
                    created_at=now,
                )
                for offset, message in enumerate(messages)
            ]
            statements.insert_messages(created)
            calls = [
                ToolCall(conversation=conversation, call_id=call["id"], message_seq=message.seq)
                for message in created
                for call in message.tool_calls or ()
            ]
            if calls:
                ToolCall.objects.bulk_create(calls)
    except IntegrityError as error:
        raise _integrity_error_to_validation(error, messages) from None

    conversation.message_count = last_seq
    conversation.updated_at = now
    logger.info("appended %d message(s) to conversation %s", len(created), conversation.pk)
    return created


def _check_tool_calls_within_batch(
    messages: Sequence[Mapping[str, Any]], errors: list[FieldErrors]
) -> None:
    """A call id may be made once and answered once, also within one batch."""
    made: set[str] = set()
    answered: set[str] = set()
    for message, item_errors in zip(messages, errors):
        if item_errors or not isinstance(message, Mapping):
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


def _check_tool_answers_against_database(
    conversation: Conversation, messages: Sequence[Mapping[str, Any]], errors: list[FieldErrors]
) -> None:
    """Every tool message must answer a call made earlier: in the batch, or stored (one indexed query)."""
    made_in_batch: set[str] = set()
    wanted: dict[str, int] = {}
    for index, message in enumerate(messages):
        answer = message.get("tool_call_id")
        if answer is not None and answer not in made_in_batch:
            wanted[answer] = index
        made_in_batch.update(call["id"] for call in message.get("tool_calls") or ())
    if not wanted:
        return
    known = set(
        ToolCall.objects.filter(conversation=conversation, call_id__in=wanted).values_list(
            "call_id", flat=True
        )
    )
    for answer, index in wanted.items():
        if answer not in known:
            errors[index].setdefault("tool_call_id", []).append(
                f'No earlier assistant message in this conversation made a tool call with id "{answer}".'
            )


def _integrity_error_to_validation(
    error: IntegrityError, messages: Sequence[Mapping[str, Any]]
) -> ValidationError:
    """The unique constraints that guard tool calls, raced or reused, as the contract's 400."""
    # The first line names the constraint (PostgreSQL) or its columns (SQLite); later lines
    # quote the key's values, which are the client's own text and could match anything.
    text = str(error).splitlines()[0] if str(error) else ""
    if "chathistory_msg_one_answer" in text or "chathistory_message.tool_call_id" in text:
        field, message = "tool_call_id", "This tool call has already been answered."
    elif "chathistory_toolcall_conv_call" in text or "chathistory_toolcall.call_id" in text:
        field, message = "tool_calls", "A tool call with this id was already made in this conversation."
    else:
        raise error
    rows: list[FieldErrors] = [{} for _ in messages]
    for index, item in enumerate(messages):
        if (field == "tool_call_id" and item.get("tool_call_id")) or (
            field == "tool_calls" and item.get("tool_calls")
        ):
            rows[index] = {field: [message]}
    return _reject(rows, field)


def get_chat_history(conversation: Conversation, *, last: int | None = None) -> list[Message]:
    """The conversation's messages in order; with ``last=N``, exactly the last N (one query)."""
    errors = last_errors(last)
    if errors:
        raise _reject(errors, "last")
    messages = Message.objects.filter(conversation=conversation)
    if last is None:
        return list(messages.order_by("seq"))
    return list(reversed(messages.tail(last))) if last else []


def get_openai_messages(conversation: Conversation, *, last: int | None = None) -> list[dict[str, Any]]:
    """The model-ready window: what ``/history/`` returns.

    With ``last=N``: the last N messages, less tool results whose call fell outside the
    window, with every earlier system and developer message kept ahead of them, in order.
    """
    window = get_chat_history(conversation, last=last)
    if last is None:
        return to_openai_messages(window)
    # No ORDER BY in SQL: with one, SQLite's planner prefers the (conversation, seq) index and
    # walks the whole conversation; without, it seeks (conversation, role, seq) per role.
    instructions = Message.objects.filter(
        conversation=conversation, role__in=INSTRUCTION_ROLES
    ).order_by()
    if window:
        instructions = instructions.filter(seq__lt=window[0].seq)
    earlier_instructions = sorted(instructions, key=attrgetter("seq"))
    calls_in_window = {call["id"] for message in window for call in message.tool_calls or ()}
    answerable = [
        message
        for message in window
        if message.role != Role.TOOL or message.tool_call_id in calls_in_window
    ]
    return to_openai_messages([*earlier_instructions, *answerable])


def to_openai_messages(messages: Iterable[Message]) -> list[dict[str, Any]]:
    """Messages in the OpenAI Chat Completions shape: no seq, ids or metadata."""
    return [_to_openai(message) for message in messages]


def _to_openai(message: Message) -> dict[str, Any]:
    shaped: dict[str, Any] = {"role": message.role}
    if message.role == Role.TOOL:
        shaped["tool_call_id"] = message.tool_call_id
    shaped["content"] = message.content
    if message.tool_calls:
        shaped["tool_calls"] = message.tool_calls
    if message.name:
        shaped["name"] = message.name
    return shaped


# Appends from the API: one object or an array, optionally under an Idempotency-Key -----------


@dataclass(frozen=True)
class Appended:
    """What an append stored (or, for a replayed key, had stored the first time)."""

    messages: list[Message]
    batch: bool  # the request was an array, so the answer is one too
    replayed: bool = False


def append(conversation: Conversation, payload: Any) -> Appended:
    """Append one message (a JSON object) or a batch (a JSON array), as the append route takes them.

    Errors are shaped like the request: ``{field: [...]}`` for one message, one dict per item for a batch.
    """
    if isinstance(payload, Mapping):
        return Appended([_append_one(conversation, payload)], batch=False)
    if isinstance(payload, list):
        if not payload:
            raise _reject({"non_field_errors": ["Send at least one message."]}, "batch")
        return Appended(add_messages(conversation, payload), batch=True)
    raise _reject(
        {"non_field_errors": ["Expected a message (a JSON object) or a batch (a JSON array of messages)."]},
        "batch",
    )


def append_idempotently(conversation: Conversation, payload: Any, *, key: str) -> Appended:
    """``append`` once per ``key``: a retry with an equal body replays the first result.

    The key's row is inserted in the append's transaction: racing requests queue on the
    conversation's row lock, and each one after the first finds the key taken at its insert,
    rolls its append back and replays. A rejected append never stores its key.
    Raises ``IdempotencyKeyReused`` when the key came with a different body.
    """
    fingerprint = request_fingerprint(payload)
    replay = _replay(conversation, key, fingerprint)
    if replay is not None:
        return replay
    try:
        with transaction.atomic():
            appended = append(conversation, payload)
            IdempotencyKey.objects.create(
                conversation=conversation, key=key, request_hash=fingerprint, batch=appended.batch,
                first_seq=appended.messages[0].seq, last_seq=appended.messages[-1].seq,
            )
    except IntegrityError:
        # A racing request with this key committed first.
        replay = _replay(conversation, key, fingerprint)
        if replay is None:
            raise
        return replay
    return appended


def request_fingerprint(payload: Any) -> str:
    """sha256 of the payload as canonical JSON, so bodies that parse equal match."""
    canonical = json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode("utf-8", "surrogatepass")).hexdigest()


def _replay(conversation: Conversation, key: str, fingerprint: str) -> Appended | None:
    record = IdempotencyKey.objects.filter(conversation=conversation, key=key).first()
    if record is None:
        return None
    if record.request_hash != fingerprint:
        raise IdempotencyKeyReused()
    messages = Message.objects.in_conversation(conversation).filter(
        seq__gte=record.first_seq, seq__lte=record.last_seq
    )
    return Appended(list(messages), batch=record.batch, replayed=True)


def purge_idempotency_keys(*, older_than: timedelta | None = None) -> int:
    """Delete keys older than ``older_than`` (default: the retention setting); returns how many."""
    if older_than is None:
        older_than = timedelta(hours=app_settings.IDEMPOTENCY_KEY_RETENTION_HOURS)
    with transaction.atomic():
        deleted, _ = IdempotencyKey.objects.filter(created_at__lt=timezone.now() - older_than).delete()
    logger.info("purged %d idempotency key(s)", deleted)
    return deleted
