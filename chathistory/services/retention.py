"""Deleting what is no longer kept: idle conversations, one user's data, expired idempotency records.

Every deletion here runs in bounded batches, each its own short transaction on the database
the routers choose, so the API keeps answering while a million messages go: an append waits
at most for one batch, never for the whole purge. A conversation whose messages fit in a batch
goes whole, together with others of its kind; a longer one loses its messages from the end, a
batch at a time, its counter lowered with them, so that between batches it is always a
consistent (shorter) conversation and an append to it carries on without a gap.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from django.db import transaction
from django.db.models import Count, QuerySet, Sum
from django.db.models.functions import Coalesce
from django.utils import timezone

from chathistory.conf import app_settings
from chathistory.models import Conversation, IdempotencyKey, Message, ToolCall
from chathistory.services.base import logger, write_alias

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser

#: Most rows one transaction deletes (messages, or idempotency records).
BATCH_SIZE = 1000


@dataclass
class Deleted:
    """What a deletion removed (or, for a dry run, would remove), by kind."""

    conversations: int = 0
    messages: int = 0
    tool_calls: int = 0
    idempotency_keys: int = 0

    def add(self, counts: dict[str, int]) -> None:
        for label, count in counts.items():
            kind = _KINDS.get(label)
            if kind is not None:
                setattr(self, kind, getattr(self, kind) + count)

    def as_dict(self) -> dict[str, int]:
        return asdict(self)


_KINDS = {
    Conversation._meta.label: "conversations",
    Message._meta.label: "messages",
    ToolCall._meta.label: "tool_calls",
    IdempotencyKey._meta.label: "idempotency_keys",
}


def purge_idempotency_keys(*, older_than: timedelta | None = None, batch_size: int = BATCH_SIZE) -> int:
    """Delete keys older than ``older_than`` (default: the retention setting); returns how many."""
    if older_than is None:
        older_than = timedelta(hours=app_settings.IDEMPOTENCY_KEY_RETENTION_HOURS)
    alias = write_alias(IdempotencyKey)
    expired = IdempotencyKey.objects.using(alias).filter(created_at__lt=timezone.now() - older_than)
    deleted = 0
    while True:
        # By primary key in slices: a DELETE cannot take a LIMIT on every database.
        pks = list(expired.order_by("pk").values_list("pk", flat=True)[:batch_size])
        if not pks:
            break
        with transaction.atomic(using=alias):
            count, _ = IdempotencyKey.objects.using(alias).filter(pk__in=pks).delete()
        deleted += count
    logger.info("purged %d idempotency key(s)", deleted)
    return deleted


def purge_expired_conversations(
    *, days: int | None = None, dry_run: bool = False, batch_size: int = BATCH_SIZE
) -> dict[str, int]:
    """Delete the conversations not updated for ``days`` (default ``RETENTION_DAYS``) and expired idempotency keys.

    Returns the counts by kind (``conversations``, ``messages``, ``tool_calls``,
    ``idempotency_keys``); with ``dry_run``, what would be deleted, and nothing is. With no
    ``days`` and ``RETENTION_DAYS`` unset, no conversation is deleted.
    """
    if days is None:
        days = app_settings.RETENTION_DAYS
    if days is not None and (isinstance(days, bool) or not isinstance(days, int) or days < 1):
        raise ValueError(f"The retention must be a whole number of days, 1 or more, not {days!r}.")
    key_age = timedelta(hours=app_settings.IDEMPOTENCY_KEY_RETENTION_HOURS)
    cutoff = timezone.now() - timedelta(days=days) if days is not None else None

    def expired() -> QuerySet[Conversation]:
        if cutoff is None:
            return Conversation.objects.none()
        return Conversation.objects.filter(updated_at__lt=cutoff)

    if dry_run:
        deleted = _count(expired)
        # Those of the expired conversations are counted with them already.
        deleted.idempotency_keys += (
            IdempotencyKey.objects.filter(created_at__lt=timezone.now() - key_age)
            .exclude(conversation__in=expired())
            .count()
        )
    else:
        deleted = Deleted()
        if cutoff is not None:
            _delete_conversations(expired, deleted, batch_size=batch_size)
        deleted.idempotency_keys += purge_idempotency_keys(older_than=key_age, batch_size=batch_size)
    logger.info("purge%s: %s", " (dry run)" if dry_run else "", deleted.as_dict())
    return deleted.as_dict()


def erase_user_data(user: AbstractBaseUser, *, batch_size: int = BATCH_SIZE) -> dict[str, int]:
    """Delete every conversation, message, tool call and idempotency record of ``user``; returns the counts by kind.

    The user itself is left to the project, which may keep or delete the account.
    """
    deleted = Deleted()
    _delete_conversations(lambda: Conversation.objects.for_user(user), deleted, batch_size=batch_size)
    logger.info("erased the chat data of user %s: %s", user.pk, deleted.as_dict())
    return deleted.as_dict()


def count_user_data(user: AbstractBaseUser) -> dict[str, int]:
    """What ``erase_user_data`` would delete, by kind."""
    return _count(lambda: Conversation.objects.for_user(user)).as_dict()


def _count(matching: Callable[[], QuerySet[Conversation]]) -> Deleted:
    # message_count is exact (every append and deletion moves it under the row lock), so the
    # messages are counted from the conversation rows rather than by reading every message.
    totals = matching().aggregate(conversations=Count("pk"), messages=Coalesce(Sum("message_count"), 0))
    return Deleted(
        conversations=totals["conversations"],
        messages=totals["messages"],
        tool_calls=ToolCall.objects.filter(conversation__in=matching()).count(),
        idempotency_keys=IdempotencyKey.objects.filter(conversation__in=matching()).count(),
    )


def _delete_conversations(matching: Callable[[], QuerySet[Conversation]], deleted: Deleted, *, batch_size: int) -> None:
    """Delete every conversation ``matching()`` selects, re-checking the condition under each batch's row locks."""
    alias = write_alias(Conversation)
    while True:
        rows = list(matching().using(alias).order_by("pk").values_list("pk", "message_count")[:batch_size])
        if not rows:
            return
        group: list[Any] = []
        group_messages = 0
        for pk, message_count in rows:
            if message_count > batch_size:
                _delete_long(matching, pk, deleted, alias=alias, batch_size=batch_size)
                continue
            if group and group_messages + message_count > batch_size:
                _delete_whole(matching, group, deleted, alias=alias)
                group, group_messages = [], 0
            group.append(pk)
            group_messages += message_count
        if group:
            _delete_whole(matching, group, deleted, alias=alias)


def _delete_whole(
    matching: Callable[[], QuerySet[Conversation]], pks: list[Any], deleted: Deleted, *, alias: str
) -> None:
    """One transaction: the conversations of ``pks`` that still match, with everything of theirs."""
    with transaction.atomic(using=alias):
        # Locked, so an append racing with the purge either lands first (and, for a purge of
        # idle conversations, saves its conversation) or waits and finds it gone.
        locked = list(matching().using(alias).filter(pk__in=pks).select_for_update().values_list("pk", flat=True))
        if locked:
            _, counts = Conversation.objects.using(alias).filter(pk__in=locked).delete()
            deleted.add(counts)


def _delete_long(
    matching: Callable[[], QuerySet[Conversation]], pk: Any, deleted: Deleted, *, alias: str, batch_size: int
) -> None:
    """A conversation longer than a batch: its last ``batch_size`` messages per transaction, then the rest."""
    while True:
        with transaction.atomic(using=alias):
            count = (
                matching()
                .using(alias)
                .filter(pk=pk)
                .select_for_update()
                .values_list("message_count", flat=True)
                .first()
            )
            if count is None:
                return  # gone, or active again: what is left is a whole conversation
            if count <= batch_size:
                _, counts = Conversation.objects.using(alias).filter(pk=pk).delete()
                deleted.add(counts)
                return
            keep = count - batch_size
            # A suffix of the conversation: its tool results go with the calls they answer.
            for model, seq_field in ((Message, "seq"), (ToolCall, "message_seq"), (IdempotencyKey, "last_seq")):
                _, counts = model.objects.using(alias).filter(conversation_id=pk, **{f"{seq_field}__gt": keep}).delete()
                deleted.add(counts)
            Conversation.objects.using(alias).filter(pk=pk).update(message_count=keep)
