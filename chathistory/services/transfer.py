"""Moving conversations out and back in: the export document, streamed exports, and imports.

The export document of one conversation is ``{"format": "chathistory", "version": 1,
"conversation": <Conversation JSON>, "messages": [<Message JSON without id>, ...]}``. An import
stores such a document for a user as it was: the conversation's id, title, metadata, archived
flag and timestamps, and every message in seq order with its own ``created_at``. Its messages go
through the append path (``_append``), so they meet exactly the rules of an append, and the
whole conversation is stored in one transaction or not at all. Importing is idempotent by id:
the same document again stores nothing; a different one under a used id is refused.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from chathistory.exceptions import ConversationIdTaken, FieldErrors, ValidationError
from chathistory.models import Conversation, ConversationQuerySet, Message
from chathistory.services.appends import _append
from chathistory.services.base import logger, reject, write_alias
from chathistory.services.conversations import _get_or_insert
from chathistory.services.history import to_openai_messages
from chathistory.validation import (
    CONVERSATION_FIELDS,
    MESSAGE_FIELDS,
    SERVER_FIELDS,
    conversation_errors,
    field_label,
    parse_instant,
    parse_uuid,
)

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser

FORMAT = "chathistory"
VERSION = 1
#: The shapes ``iter_export`` writes: the export document, or OpenAI's fine-tuning lines.
EXPORT_FORMATS = ("chathistory", "openai-jsonl")
#: Rows read per query while exporting, so memory stays bounded by one conversation.
EXPORT_CHUNK = 1000
#: Messages stored per append while importing (all of a conversation in one transaction).
IMPORT_CHUNK = 1000

_DOCUMENT_FIELDS = ("format", "version", "conversation", "messages")
_CONVERSATION_JSON_FIELDS = ("id", "title", "metadata", "archived", "message_count", "created_at", "updated_at")
# Message JSON keys that the server assigns: read from a document, never passed to the append rules.
_MESSAGE_SERVER_KEYS = ("id", "seq", "created_at")
_MESSAGE_JSON_FIELDS = (*MESSAGE_FIELDS, *_MESSAGE_SERVER_KEYS)


class ConversationConflict(ConversationIdTaken):
    """An import under an id the caller already used for a different conversation; nothing was stored."""

    def __init__(self) -> None:
        Exception.__init__(
            self,
            "A different conversation with this id is already stored; nothing was imported. "
            "Delete it first, or import the document under another id.",
        )


# Exporting


def conversation_json(conversation: Conversation) -> dict[str, Any]:
    """The Conversation JSON of the contract, as the API shows it."""
    return {
        "id": str(conversation.pk),
        "title": conversation.title,
        "metadata": conversation.metadata,
        "archived": conversation.archived,
        "message_count": conversation.message_count,
        "created_at": _timestamp(conversation.created_at),
        "updated_at": _timestamp(conversation.updated_at),
    }


def message_json(message: Message) -> dict[str, Any]:
    """The Message JSON of the contract without ``id``: what an export carries for each message."""
    return {
        "seq": message.seq,
        **{name: getattr(message, name) for name in MESSAGE_FIELDS},
        "created_at": _timestamp(message.created_at),
    }


def export_conversation(conversation: Conversation) -> dict[str, Any]:
    """The export document of one conversation, every message included."""
    return _document(conversation, [message_json(message) for message in _messages_of(conversation)])


def iter_export(
    conversations: ConversationQuerySet | None = None,
    *,
    user: AbstractBaseUser | None = None,
    format: str = FORMAT,
) -> Iterator[dict[str, Any]]:
    """One document per conversation (all of them, or ``user``'s, or those of ``conversations``).

    Reads conversations in chunks of ``EXPORT_CHUNK`` rows by key, and the messages of several
    conversations at once, as many conversations as hold ``EXPORT_CHUNK`` messages between them
    (a longer conversation alone, in chunks by seq): memory stays bounded by about a chunk
    beyond the longest conversation, and no cursor stays open between chunks. ``format="openai-jsonl"``
    yields ``{"messages": [...]}`` in the Chat Completions shape (a fine-tuning file's lines)
    and skips conversations without messages, which that format cannot hold.
    """
    if format not in EXPORT_FORMATS:
        raise ValueError(f"Unknown export format {format!r}; use one of {', '.join(EXPORT_FORMATS)}.")
    if conversations is None:
        conversations = Conversation.objects.all()
    if user is not None:
        conversations = conversations.for_user(user)
    for conversation, messages in _with_messages(_in_chunks(conversations)):
        if format == FORMAT:
            yield _document(conversation, [message_json(message) for message in messages])
        elif messages:
            yield {"messages": to_openai_messages(messages)}


def _document(conversation: Conversation, messages: list[dict[str, Any]]) -> dict[str, Any]:
    return {"format": FORMAT, "version": VERSION, "conversation": conversation_json(conversation), "messages": messages}


def _in_chunks(conversations: QuerySet[Conversation]) -> Iterator[Conversation]:
    last_pk = None
    while True:
        chunk = conversations.order_by("pk")
        if last_pk is not None:
            chunk = chunk.filter(pk__gt=last_pk)
        rows = list(chunk[:EXPORT_CHUNK])
        yield from rows
        if len(rows) < EXPORT_CHUNK:
            return
        last_pk = rows[-1].pk


def _with_messages(conversations: Iterable[Conversation]) -> Iterator[tuple[Conversation, list[Message]]]:
    """Each conversation with its messages, those of short conversations read together."""
    group: list[Conversation] = []
    held = 0
    for conversation in conversations:
        if group and held + conversation.message_count > EXPORT_CHUNK:
            yield from _read_together(group)
            group, held = [], 0
        if conversation.message_count > EXPORT_CHUNK:
            yield conversation, list(_messages_of(conversation))
            continue
        group.append(conversation)
        held += conversation.message_count
    if group:
        yield from _read_together(group)


def _read_together(group: list[Conversation]) -> Iterator[tuple[Conversation, list[Message]]]:
    """The messages of conversations holding at most ``EXPORT_CHUNK`` between them, in one query as a rule.

    Each conversation's up to the count read with it. Messages appended since are skipped; if
    they fill a read, the next one goes on after its last row, so no read outgrows a chunk.
    """
    counts = {conversation.pk: conversation.message_count for conversation in group}
    found: dict[Any, list[Message]] = {pk: [] for pk in counts}
    longest = max(counts.values())
    if longest:
        messages = Message.objects.filter(
            conversation__in=[pk for pk, count in counts.items() if count], seq__lte=longest
        ).order_by("conversation_id", "seq")
        after = Q()
        while True:
            rows = list(messages.filter(after)[: EXPORT_CHUNK + 1])
            for row in rows:
                if row.seq <= counts[row.conversation_id]:
                    found[row.conversation_id].append(row)
            if len(rows) <= EXPORT_CHUNK:
                break
            last = rows[-1]
            after = Q(conversation_id__gt=last.conversation_id) | Q(
                conversation_id=last.conversation_id, seq__gt=last.seq
            )
    for conversation in group:
        yield conversation, found[conversation.pk]


def _messages_of(conversation: Conversation, *, using: str | None = None) -> Iterator[Message]:
    """The messages up to the count read with the conversation, so the document agrees with itself.

    In chunks by seq rather than through a server-side cursor, which a pooler in transaction
    mode cannot keep open.
    """
    messages = (
        conversation.messages.all() if using is None else Message.objects.using(using).filter(conversation=conversation)
    )
    last_seq = 0
    while last_seq < conversation.message_count:
        rows = list(
            messages.filter(seq__gt=last_seq, seq__lte=conversation.message_count).order_by("seq")[:EXPORT_CHUNK]
        )
        if not rows:
            return
        yield from rows
        last_seq = rows[-1].seq


def _timestamp(moment: datetime) -> str:
    # As DRF writes it: the current time zone, "Z" for UTC.
    text = timezone.localtime(moment).isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else text


# Importing


@dataclass
class _Parsed:
    """A document checked for shape, in the order its messages will be stored."""

    id: uuid.UUID | None
    fields: dict[str, Any]
    created_at: datetime | None
    updated_at: datetime | None
    message_count: int | None = None
    messages: list[dict[str, Any]] = field(default_factory=list)
    stamps: list[datetime | None] = field(default_factory=list)
    # Each stored message's index in the document, so an error names the line the user wrote.
    positions: list[int] = field(default_factory=list)


def import_conversation(user: AbstractBaseUser, document: Any) -> tuple[Conversation, bool]:
    """Store an export document as a conversation of ``user``: returns ``(conversation, created)``.

    All or nothing. Raises ``ValidationError`` (fields named ``conversation.title``,
    ``messages[3].content`` …) for a document that breaks a rule; with an id ``user`` already
    has, returns that conversation with ``created`` false when the document is identical to it
    and raises ``ConversationConflict`` when it is not; an id of another user's raises
    ``ConversationIdTaken``, which says nothing more. A document without a conversation id is
    stored under a new one.
    """
    parsed = _parse(document)
    alias = write_alias(Conversation)
    if parsed.id is None:
        return _store(user, parsed, alias), True
    conversation, created = _get_or_insert(user, parsed.id, lambda: _store(user, parsed, alias), alias=alias)
    if not created and not _is_identical(conversation, parsed, alias):
        raise ConversationConflict()
    return conversation, created


def _store(user: AbstractBaseUser, parsed: _Parsed, alias: str) -> Conversation:
    now = timezone.now()
    created_at = parsed.created_at or now
    updated_at = parsed.updated_at or now
    fields = dict(parsed.fields)
    if parsed.id is not None:
        fields["id"] = parsed.id
    with transaction.atomic(using=alias):
        conversation = Conversation.objects.using(alias).create(
            user_id=user.pk, created_at=created_at, updated_at=updated_at, **fields
        )
        if parsed.messages:
            # In chunks, so no statement outgrows the backend's limits; one transaction holds them
            # all, and each chunk's tool results may answer the calls of the chunks before it.
            for start in range(0, len(parsed.messages), IMPORT_CHUNK):
                end = start + IMPORT_CHUNK
                try:
                    _append(conversation, parsed.messages[start:end], created_at=parsed.stamps[start:end])
                except ValidationError as error:
                    raise reject(_named_by_position(error.errors, parsed.positions[start:end]), "import") from None
            # The append moved updated_at to now; the document's own value is the one to keep.
            Conversation.objects.using(alias).filter(pk=conversation.pk).update(updated_at=updated_at)
            conversation.updated_at = updated_at
    logger.info("conversation %s imported with %d message(s)", conversation.pk, len(parsed.messages))
    return conversation


def _named_by_position(errors: FieldErrors | list[FieldErrors], positions: list[int]) -> FieldErrors:
    if not isinstance(errors, list):
        return {f"messages.{name}": problems for name, problems in errors.items()}
    return {
        f"messages[{positions[index]}].{name}": problems
        for index, item in enumerate(errors)
        for name, problems in item.items()
    }


def _parse(document: Any) -> _Parsed:
    errors: FieldErrors = {}
    if not isinstance(document, Mapping):
        raise reject({"non_field_errors": ["An export document must be a JSON object."]}, "import")
    for name in document:
        if name not in _DOCUMENT_FIELDS:
            errors[name] = [f"Unknown field. Expected: {', '.join(_DOCUMENT_FIELDS)}."]
    if document.get("format") != FORMAT:
        errors["format"] = [f'Must be "{FORMAT}".']
    version = document.get("version")
    if isinstance(version, bool) or version != VERSION:
        errors["version"] = [f"Must be {VERSION}, the only version there is."]

    parsed = _parse_conversation(document.get("conversation"), errors)
    messages = document.get("messages")
    if not isinstance(messages, list):
        errors["messages"] = ["Required: a list of messages (it may be empty)."]
    else:
        _parse_messages(messages, parsed, errors)
        if parsed.message_count is not None and parsed.message_count != len(messages):
            errors["conversation.message_count"] = [
                f"Says {parsed.message_count} but the document has {len(messages)} message(s): is it complete?"
            ]
    if errors:
        raise reject(errors, "import")
    return parsed


def _parse_conversation(data: Any, errors: FieldErrors) -> _Parsed:
    parsed = _Parsed(id=None, fields={}, created_at=None, updated_at=None)
    if not isinstance(data, Mapping):
        errors["conversation"] = ["Required: the Conversation JSON object."]
        return parsed
    for name in data:
        if name not in _CONVERSATION_JSON_FIELDS:
            errors[f"conversation.{name}"] = [f"Unknown field. Expected: {', '.join(_CONVERSATION_JSON_FIELDS)}."]
    settable = {name: data[name] for name in CONVERSATION_FIELDS if name in data}
    if settable.get("id") is None:
        settable.pop("id", None)
    for name, problems in conversation_errors(settable, fields=CONVERSATION_FIELDS).items():
        errors[f"conversation.{name}"] = problems
    if "id" in settable and "conversation.id" not in errors:
        parsed.id = parse_uuid(settable.pop("id"))
    settable.pop("id", None)
    parsed.fields = settable
    count = data.get("message_count")
    if count is not None:
        if isinstance(count, bool) or not isinstance(count, int) or count < 0:
            errors["conversation.message_count"] = ["Must be a whole number, 0 or more."]
        else:
            parsed.message_count = count
    parsed.created_at = _moment(data.get("created_at"), "conversation.created_at", errors)
    parsed.updated_at = _moment(data.get("updated_at"), "conversation.updated_at", errors)
    return parsed


def _parse_messages(messages: list[Any], parsed: _Parsed, errors: FieldErrors) -> None:
    """Shape and order only; the append path checks every rule of the messages themselves."""
    rows: list[tuple[int, int, dict[str, Any], datetime | None]] = []
    with_seq = 0
    for index, message in enumerate(messages):
        where = f"messages[{index}]"
        if not isinstance(message, Mapping):
            errors[where] = ["A message must be a JSON object."]
            continue
        # Refused here, whether or not the id is stored already: comparing with a stored
        # conversation reads only the fields a message has.
        for name in message:
            if name in _MESSAGE_JSON_FIELDS:
                continue
            if name in SERVER_FIELDS:
                errors[f"{where}.{name}"] = ["Is assigned by the server and cannot be set."]
            else:
                errors[f"{where}.{field_label(name)}"] = [
                    f"Unknown field. Expected one of: {', '.join(_MESSAGE_JSON_FIELDS)}."
                ]
        seq = message.get("seq")
        if seq is not None:
            with_seq += 1
            if isinstance(seq, bool) or not isinstance(seq, int) or seq < 1:
                errors[f"{where}.seq"] = ["Must be a whole number, 1 or more."]
                continue
        stamp = _moment(message.get("created_at"), f"{where}.created_at", errors)
        fields = {name: message[name] for name in MESSAGE_FIELDS if name in message}
        rows.append((index if seq is None else seq, index, fields, stamp))
    if with_seq and with_seq != len(messages):
        errors["messages"] = ["Give every message a seq, or none (then the document's order is kept)."]
    orders = [order for order, *_ in rows]
    if with_seq and len(set(orders)) != len(orders):
        errors["messages"] = ["Two messages have the same seq."]
    rows.sort(key=lambda row: row[0])
    parsed.positions = [index for _, index, _, _ in rows]
    parsed.messages = [fields for _, _, fields, _ in rows]
    parsed.stamps = [stamp for *_, stamp in rows]


def _moment(value: Any, name: str, errors: FieldErrors) -> datetime | None:
    if value is None:
        return None
    moment = parse_instant(value)
    if moment is None:
        errors[name] = [
            "Must be an ISO 8601 date and time with a UTC offset, between the years 1 and 9999 in UTC, "
            "such as 2025-01-31T09:30:00Z."
        ]
    return moment


def _is_identical(conversation: Conversation, parsed: _Parsed, alias: str) -> bool:
    """Whether storing ``parsed`` would give exactly ``conversation`` (a field left out matches any value)."""
    if conversation.message_count != len(parsed.messages):
        return False
    wanted: dict[str, Any] = {"title": "", "metadata": {}, "archived": False, **parsed.fields}
    if parsed.created_at is not None:
        wanted["created_at"] = parsed.created_at
    if parsed.updated_at is not None:
        wanted["updated_at"] = parsed.updated_at
    if _canonical({name: getattr(conversation, name) for name in wanted}) != _canonical(wanted):
        return False
    stored = _messages_of(conversation, using=alias)  # where the write goes: a replica may lag
    for message, fields, stamp in zip(stored, parsed.messages, parsed.stamps, strict=False):
        wanted = {name: fields.get(name, {} if name == "metadata" else None) for name in MESSAGE_FIELDS}
        if stamp is not None:
            wanted["created_at"] = stamp
        if _canonical({name: getattr(message, name) for name in wanted}) != _canonical(wanted):
            return False
    return True


def _canonical(value: Any) -> str:
    # As JSON, so that 1, 1.0 and true differ as they do in the stored document.
    return json.dumps(value, sort_keys=True, ensure_ascii=False, default=_instant)


def _instant(value: Any) -> str:
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat()
    if isinstance(value, uuid.UUID):
        return str(value)
    raise TypeError(type(value).__name__)


def iter_documents(lines: Iterable[bytes]) -> Iterator[tuple[int, Any, str | None]]:
    """``(number, document, None)`` for each JSON line, or ``(number, None, reason)``; blank lines are skipped."""
    for number, raw in enumerate(lines, start=1):
        if not raw.strip():
            continue
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as error:
            yield number, None, f"not UTF-8 ({error.reason} at byte {error.start})"
            continue
        try:
            yield number, json.loads(text, parse_constant=_no_constant), None
        except RecursionError:
            yield number, None, "not valid JSON (nested too deeply)"
        except ValueError as error:
            yield number, None, f"not valid JSON ({error})"


def _no_constant(name: str) -> None:
    raise ValueError(f"{name} is not valid JSON")
