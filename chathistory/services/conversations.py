"""Creating, changing, listing and deleting conversations."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from django.db import IntegrityError, router, transaction
from django.utils import timezone

from chathistory import selects
from chathistory.exceptions import ConversationIdTaken
from chathistory.models import Conversation, IdempotencyKey, Message, ToolCall
from chathistory.services.base import logger, reject, write_alias
from chathistory.validation import CONVERSATION_FIELDS, conversation_errors, parse_uuid

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser
    from django.db.models import QuerySet

UPDATABLE_FIELDS = ("title", "metadata", "archived")


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
        raise reject(errors, "conversation")
    alias = write_alias(Conversation)
    if conversation_id is None:
        return _create(user, fields, alias), True

    fields["id"] = parse_uuid(conversation_id)
    return _get_or_insert(user, fields["id"], lambda: _create(user, fields, alias), alias=alias)


def _get_or_insert(
    user: AbstractBaseUser, conversation_id: uuid.UUID, insert: Callable[[], Conversation], *, alias: str
) -> tuple[Conversation, bool]:
    """``(conversation, created)``: the user's conversation of this id, or the one ``insert()`` stores under it.

    Callers racing on one new id get the same conversation. An id of another user's raises
    ``ConversationIdTaken``, which says nothing about that conversation.
    """
    # Read where the write goes: a replica may not have the conversation yet.
    existing = Conversation.objects.using(alias).filter(pk=conversation_id).first()
    if existing is None:
        try:
            return insert(), True
        except IntegrityError:
            # Another caller stored this id between our read and our insert.
            existing = Conversation.objects.using(alias).filter(pk=conversation_id).first()
            if existing is None:
                raise
    if existing.user_id != user.pk:
        raise ConversationIdTaken()
    return existing, False


def _create(user: AbstractBaseUser, fields: dict[str, Any], alias: str) -> Conversation:
    now = timezone.now()
    with transaction.atomic(using=alias):
        conversation = Conversation.objects.using(alias).create(
            user_id=user.pk, created_at=now, updated_at=now, **fields
        )
    logger.info("conversation %s created", conversation.pk)
    return conversation


def update_conversation(conversation: Conversation, **changes: Any) -> Conversation:
    """Change ``title``, ``metadata`` and/or ``archived``; ``updated_at`` moves."""
    errors = conversation_errors(changes, fields=UPDATABLE_FIELDS)
    if errors:
        raise reject(errors, "conversation")
    changes["updated_at"] = timezone.now()
    alias = write_alias(Conversation, conversation)
    with transaction.atomic(using=alias):
        Conversation.objects.using(alias).filter(pk=conversation.pk).update(**changes)
    for field, value in changes.items():
        setattr(conversation, field, value)
    return conversation


def set_archived(conversations: QuerySet[Conversation], archived: bool) -> int:
    """Archive or unarchive many conversations at once (the admin's actions); returns how many."""
    alias = write_alias(Conversation)
    with transaction.atomic(using=alias):
        return conversations.using(alias).update(archived=archived, updated_at=timezone.now())


def delete_conversation(conversation: Conversation) -> None:
    """Delete a conversation with all its messages."""
    conversation_id = conversation.pk
    alias = write_alias(Conversation, conversation)
    with transaction.atomic(using=alias):
        conversation.delete(using=alias)
    logger.info("conversation %s deleted", conversation_id)


def clear_conversation(conversation: Conversation) -> Conversation:
    """Delete every message of a conversation (with its tool calls and idempotency keys); the next seq is 1 again.

    One transaction, which first takes the conversation's row lock as an append does, so an
    append racing with it lands wholly before or wholly after.
    """
    alias = write_alias(Conversation, conversation)
    now = timezone.now()
    with transaction.atomic(using=alias):
        Conversation.objects.using(alias).filter(pk=conversation.pk).update(message_count=0, updated_at=now)
        for model in (Message, ToolCall, IdempotencyKey):
            model.objects.using(alias).filter(conversation=conversation).delete()
    conversation.message_count = 0
    conversation.updated_at = now
    logger.info("conversation %s cleared", conversation.pk)
    return conversation


def get_conversation(user: AbstractBaseUser, conversation_id: Any) -> Conversation:
    """The user's conversation with this id: ``Conversation.DoesNotExist`` for any other id, a malformed one too.

    Every request for a conversation starts here, so its one SELECT is written out (``selects``).
    """
    try:
        pk = parse_uuid(conversation_id)
    except ValueError:
        raise Conversation.DoesNotExist("No such conversation of this user's.") from None
    found = selects.get_one(Conversation, using=router.db_for_read(Conversation), pk=pk, user=user.pk)
    if found is None:
        raise Conversation.DoesNotExist("No such conversation of this user's.")
    Conversation.user.field.set_cached_value(found, user)  # it is theirs: no query to read it back
    return found


def list_conversations(user: AbstractBaseUser, *, archived: bool | None = None) -> QuerySet[Conversation]:
    """The user's conversations, most recently active first."""
    conversations = Conversation.objects.for_user(user)
    if archived is not None:
        conversations = conversations.archived(archived)
    return conversations.most_recent_first()
