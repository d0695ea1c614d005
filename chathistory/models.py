"""Conversations, their append-only messages, and the tool calls those messages make."""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from chathistory.encoders import ExactNumberJSONEncoder
from chathistory.fields import ContentField

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser


class Role(models.TextChoices):
    SYSTEM = "system"
    DEVELOPER = "developer"
    USER = "user"
    ASSISTANT = "assistant"
    TOOL = "tool"


#: Roles that carry instructions, kept ahead of a truncated history window.
INSTRUCTION_ROLES = (Role.SYSTEM, Role.DEVELOPER)


class ConversationQuerySet(models.QuerySet["Conversation"]):
    def for_user(self, user: AbstractBaseUser) -> ConversationQuerySet:
        return self.filter(user_id=user.pk)

    def archived(self, archived: bool = True) -> ConversationQuerySet:
        return self.filter(archived=archived)

    def most_recent_first(self) -> ConversationQuerySet:
        """Most recently active first; ``id`` breaks ties so the order is total."""
        return self.order_by("-updated_at", "-id")


class Conversation(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="chat_conversations",
        db_index=False,  # chathistory_conv_user_recent starts with user
    )
    title = models.CharField(max_length=200, blank=True)
    metadata = models.JSONField(default=dict, blank=True, encoder=ExactNumberJSONEncoder)
    archived = models.BooleanField(default=False)
    # Also the source of the next seq: appends bump it under the row lock.
    message_count = models.PositiveIntegerField(default=0, editable=False)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(default=timezone.now, editable=False)

    objects = ConversationQuerySet.as_manager()

    class Meta:
        ordering = ["-updated_at", "-id"]
        indexes = [
            # A user's conversations, most recently active first (the sidebar, the API list).
            models.Index(
                "user",
                models.F("updated_at").desc(),
                models.F("id").desc(),
                name="chathistory_conv_user_recent",
            ),
            # The admin's list and its date filters over every user.
            models.Index(fields=["-updated_at"], name="chathistory_conv_updated"),
        ]

    def __str__(self) -> str:
        return self.title or f"Conversation {self.id}"


class MessageQuerySet(models.QuerySet["Message"]):
    def in_conversation(self, conversation: Conversation) -> MessageQuerySet:
        return self.filter(conversation=conversation).order_by("seq")

    def tail(self, n: int) -> MessageQuerySet:
        """The last ``n`` by seq, newest first: one backward scan of the (conversation, seq) index."""
        return self.order_by("-seq")[:n]

    def instructions(self) -> MessageQuerySet:
        """System and developer messages only."""
        return self.filter(role__in=INSTRUCTION_ROLES)


class Message(models.Model):
    # Indexed by the (conversation, seq) unique constraint, so no index of its own.
    conversation = models.ForeignKey(Conversation, on_delete=models.CASCADE, related_name="messages", db_index=False)
    seq = models.PositiveIntegerField(editable=False)
    role = models.CharField(max_length=16, choices=Role.choices)
    # A string, a list of content parts (stored as JSON text: see chathistory.fields), or null.
    # null and "" differ in every provider's shape (no content vs empty content), so these text
    # fields are nullable, against Django's convention.
    content = ContentField(null=True, blank=True)
    name = models.CharField(max_length=64, null=True, blank=True)  # noqa: DJ001
    # The text with which an assistant refused, as the OpenAI SDK returns it.
    refusal = models.TextField(null=True, blank=True)  # noqa: DJ001
    tool_calls = models.JSONField(null=True, blank=True, encoder=ExactNumberJSONEncoder)
    tool_call_id = models.CharField(max_length=255, null=True, blank=True)  # noqa: DJ001
    metadata = models.JSONField(default=dict, blank=True, encoder=ExactNumberJSONEncoder)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    objects = MessageQuerySet.as_manager()

    class Meta:
        # No default ordering: it would join conversations into every message query. Order by
        # seq within a conversation (``in_conversation``), by id across them.
        constraints = [
            # A conversation's messages in order, a page after a seq, and the last N.
            models.UniqueConstraint(fields=["conversation", "seq"], name="chathistory_msg_conv_seq"),
            # Each tool call is answered at most once (NULLs, for the other roles, never clash).
            models.UniqueConstraint(fields=["conversation", "tool_call_id"], name="chathistory_msg_one_answer"),
            models.CheckConstraint(condition=Q(seq__gte=1), name="chathistory_msg_seq_positive"),
            models.CheckConstraint(condition=Q(role__in=Role.values), name="chathistory_msg_role_valid"),
            models.CheckConstraint(
                condition=(
                    Q(role=Role.TOOL, tool_call_id__isnull=False) | (~Q(role=Role.TOOL) & Q(tool_call_id__isnull=True))
                ),
                name="chathistory_msg_tool_call_id_iff_tool",
            ),
            models.CheckConstraint(
                condition=Q(role=Role.ASSISTANT) | Q(tool_calls__isnull=True),
                name="chathistory_msg_tool_calls_assistant_only",
            ),
        ]
        indexes = [
            # System and developer messages before a history window; role filters on the list.
            models.Index(fields=["conversation", "role", "seq"], name="chathistory_msg_conv_role_seq"),
        ]

    def __str__(self) -> str:
        return f"#{self.seq} {self.role}"


class ToolCall(models.Model):
    """One entry of an assistant message's ``tool_calls``, so a tool result finds its call by index."""

    # The unique constraint below indexes conversation first, so no index of its own.
    conversation = models.ForeignKey(Conversation, on_delete=models.CASCADE, related_name="+", db_index=False)
    call_id = models.CharField(max_length=255)
    # The seq of the assistant message that made the call. Not a foreign key, so deleting a
    # conversation deletes its messages in one statement instead of collecting each one.
    message_seq = models.PositiveIntegerField()

    class Meta:
        constraints = [
            # A tool message's tool_call_id names exactly one earlier call.
            models.UniqueConstraint(fields=["conversation", "call_id"], name="chathistory_toolcall_conv_call"),
        ]

    def __str__(self) -> str:
        return self.call_id


class IdempotencyKey(models.Model):
    """An ``Idempotency-Key`` used on a conversation's append route, so a retry replays the first answer.

    The row is inserted at the end of the append's transaction and looked up under the
    conversation's row lock, so a racing retry waits for the first append and then finds it; the
    unique (conversation, key) constraint is a last line of defence. The messages are immutable,
    so their seq range is enough to answer again.
    """

    conversation = models.ForeignKey(Conversation, on_delete=models.CASCADE, related_name="+", db_index=False)
    key = models.CharField(max_length=255)
    # sha256 of the request body as canonical JSON: a retry must send an equal body.
    request_hash = models.CharField(max_length=64)
    first_seq = models.PositiveIntegerField()
    last_seq = models.PositiveIntegerField()
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["conversation", "key"], name="chathistory_idem_conv_key"),
        ]

    def __str__(self) -> str:
        return self.key
