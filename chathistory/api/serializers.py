"""Output shapes, plus the request shapes the OpenAPI schema documents.

Input is validated by the service layer (chathistory.validation), never here, so the API,
the admin and Python callers reject exactly the same things. The request serializers below
only describe the bodies for the schema.

The two output serializers build their dicts by hand: DRF's field-by-field walk costs several
times more per row than the rest of a list request. Their declared fields still describe the
schema, and the values are formatted by the same DRF fields, so the JSON is what DRF would give.
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import ISO_8601, serializers

from chathistory.api.filters import MAX_SEQ
from chathistory.models import Conversation, Message, Role


class ToolCallFunctionSerializer(serializers.Serializer):
    name = serializers.CharField()
    arguments = serializers.CharField(allow_blank=True, trim_whitespace=False, help_text="The exact string the model wrote; need not be valid JSON.")


class ToolCallSerializer(serializers.Serializer):
    """OpenAI's tool call; any other keys are kept and returned as given."""

    id = serializers.CharField(max_length=255)
    type = serializers.ChoiceField(choices=["function"])
    function = ToolCallFunctionSerializer()


@extend_schema_field(OpenApiTypes.OBJECT)
class JSONObjectField(serializers.JSONField):
    """A JSON object, returned exactly as stored."""


@extend_schema_field(ToolCallSerializer(many=True, allow_null=True))
class ToolCallsField(serializers.JSONField):
    """Tool calls returned exactly as stored, unknown keys included."""


# Formats a datetime in the current time zone as ISO 8601 with its offset, whatever the
# project's REST_FRAMEWORK["DATETIME_FORMAT"] says.
_DATETIME = serializers.DateTimeField(format=ISO_8601, read_only=True)


def _datetime(value: Any) -> Any:
    return None if value is None else _DATETIME.to_representation(value)


def conversation_data(conversation: Conversation) -> dict[str, Any]:
    """A conversation as the API returns it."""
    return {
        "id": str(conversation.id),
        "title": conversation.title,
        "metadata": conversation.metadata,
        "archived": conversation.archived,
        "message_count": conversation.message_count,
        "created_at": _datetime(conversation.created_at),
        "updated_at": _datetime(conversation.updated_at),
    }


def message_data(message: Message) -> dict[str, Any]:
    """A message as the API returns it."""
    return {
        "id": message.id,
        "seq": message.seq,
        "role": message.role,
        "content": message.content,
        "name": message.name,
        "tool_calls": message.tool_calls,
        "tool_call_id": message.tool_call_id,
        "metadata": message.metadata,
        "created_at": _datetime(message.created_at),
    }


class ConversationSerializer(serializers.ModelSerializer):
    metadata = JSONObjectField(read_only=True)
    created_at = serializers.DateTimeField(format=ISO_8601, read_only=True)
    updated_at = serializers.DateTimeField(format=ISO_8601, read_only=True)

    class Meta:
        model = Conversation
        fields = ["id", "title", "metadata", "archived", "message_count", "created_at", "updated_at"]
        read_only_fields = fields

    def to_representation(self, instance: Conversation) -> dict[str, Any]:
        return conversation_data(instance)


class MessageSerializer(serializers.ModelSerializer):
    tool_calls = ToolCallsField(read_only=True, allow_null=True)
    metadata = JSONObjectField(read_only=True)
    created_at = serializers.DateTimeField(format=ISO_8601, read_only=True)

    class Meta:
        model = Message
        fields = [
            "id", "seq", "role", "content", "name", "tool_calls", "tool_call_id", "metadata", "created_at",
        ]
        read_only_fields = fields

    def to_representation(self, instance: Message) -> dict[str, Any]:
        return message_data(instance)


class ConversationCreateSerializer(serializers.Serializer):
    id = serializers.UUIDField(
        required=False, help_text="Choose the id to create idempotently; random when left out."
    )
    title = serializers.CharField(required=False, allow_blank=True, max_length=200)
    metadata = serializers.DictField(required=False)


class ConversationUpdateSerializer(serializers.Serializer):
    title = serializers.CharField(required=False, allow_blank=True, max_length=200)
    metadata = serializers.DictField(required=False)
    archived = serializers.BooleanField(required=False)


class MessageCreateSerializer(serializers.Serializer):
    role = serializers.ChoiceField(choices=Role.choices)
    content = serializers.CharField(
        required=False, allow_null=True, allow_blank=True, trim_whitespace=False,
        help_text="Required except on an assistant message that makes tool calls.",
    )
    name = serializers.CharField(required=False, allow_null=True, max_length=64)
    tool_calls = ToolCallSerializer(
        many=True, required=False, allow_null=True, help_text="Assistant messages only."
    )
    tool_call_id = serializers.CharField(
        required=False, allow_null=True, max_length=255,
        help_text="Tool messages only: the id of the call this message answers.",
    )
    metadata = serializers.DictField(required=False, help_text="Say model, usage, finish_reason, latency_ms.")


class HistoryQuerySerializer(serializers.Serializer):
    last = serializers.IntegerField(
        required=False, min_value=0, max_value=MAX_SEQ,
        help_text="Keep the last N messages, plus every earlier system and developer message.",
    )


class OpenAIMessageSerializer(serializers.Serializer):
    """A message in the OpenAI Chat Completions shape; keys appear only where they apply."""

    role = serializers.ChoiceField(choices=Role.choices)
    content = serializers.CharField(allow_null=True)
    name = serializers.CharField(required=False)
    tool_calls = ToolCallSerializer(many=True, required=False)
    tool_call_id = serializers.CharField(required=False)


class HistorySerializer(serializers.Serializer):
    conversation_id = serializers.UUIDField()
    messages = OpenAIMessageSerializer(many=True)


class TokenSerializer(serializers.Serializer):
    token = serializers.CharField()
