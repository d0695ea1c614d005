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
from drf_spectacular.utils import PolymorphicProxySerializer, extend_schema_field
from rest_framework import ISO_8601, serializers

from chathistory.api.filters import MAX_SEQ
from chathistory.models import Conversation, Message, Role


class ToolCallFunctionSerializer(serializers.Serializer):
    name = serializers.CharField()
    arguments = serializers.CharField(
        allow_blank=True, trim_whitespace=False, help_text="The exact string the model wrote; need not be valid JSON."
    )


class ToolCallCustomSerializer(serializers.Serializer):
    name = serializers.CharField()
    input = serializers.CharField(allow_blank=True, trim_whitespace=False, help_text="The exact text the model wrote.")


class FunctionToolCallSerializer(serializers.Serializer):
    """A function tool call; any other keys are kept and returned as given."""

    id = serializers.CharField(max_length=255)
    type = serializers.ChoiceField(choices=["function"])
    function = ToolCallFunctionSerializer()


class CustomToolCallSerializer(serializers.Serializer):
    """A custom tool call (free-form input); any other keys are kept and returned as given."""

    id = serializers.CharField(max_length=255)
    type = serializers.ChoiceField(choices=["custom"])
    custom = ToolCallCustomSerializer()


def _part(part_type: str, properties: dict[str, Any], required: list[str]) -> dict[str, Any]:
    return {
        "type": "object",
        "properties": {"type": {"type": "string", "enum": [part_type]}, **properties},
        "required": ["type", *required],
        "additionalProperties": True,
    }


_STRING = {"type": "string"}
#: The content parts of API.md, and any other typed block (a provider's own, kept as given).
CONTENT_PART_SCHEMA: dict[str, Any] = {
    "anyOf": [
        _part("text", {"text": _STRING}, ["text"]),
        _part(
            "image_url",
            {
                "image_url": {
                    "type": "object",
                    "properties": {"url": _STRING, "detail": {"type": "string", "enum": ["auto", "low", "high"]}},
                    "required": ["url"],
                }
            },
            ["image_url"],
        ),
        _part(
            "input_audio",
            {
                "input_audio": {
                    "type": "object",
                    "properties": {
                        "data": {**_STRING, "format": "byte"},
                        "format": {"type": "string", "enum": ["wav", "mp3"]},
                    },
                    "required": ["data", "format"],
                }
            },
            ["input_audio"],
        ),
        _part(
            "file",
            {
                "file": {
                    "type": "object",
                    "properties": {"file_data": _STRING, "file_id": _STRING, "filename": _STRING},
                }
            },
            ["file"],
        ),
        _part("refusal", {"refusal": _STRING}, ["refusal"]),
        {
            "type": "object",
            "description": "Any other block (Anthropic's thinking, …), kept exactly as given.",
            "properties": {"type": _STRING},
            "required": ["type"],
            "additionalProperties": True,
        },
    ],
}
CONTENT_SCHEMA: dict[str, Any] = {
    "oneOf": [
        {"type": "string"},
        {"type": "array", "minItems": 1, "items": CONTENT_PART_SCHEMA},
    ],
    "nullable": True,
    "description": (
        "A string, or a list of content parts (text on every role; image_url, input_audio and "
        "file on user messages; refusal on assistant messages; other typed blocks on user and "
        "assistant messages, kept as given). Null only on an assistant message with tool_calls "
        "or a refusal."
    ),
}


@extend_schema_field(CONTENT_SCHEMA)
class ContentField(serializers.JSONField):
    """Content returned exactly as stored: a string, a list of parts, or null."""


@extend_schema_field(OpenApiTypes.OBJECT)
class JSONObjectField(serializers.JSONField):
    """A JSON object, returned exactly as stored."""


@extend_schema_field(
    PolymorphicProxySerializer(
        component_name="ToolCall",
        serializers={"function": FunctionToolCallSerializer, "custom": CustomToolCallSerializer},
        resource_type_field_name="type",
        many=True,
        allow_null=True,
    )
)
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
        "refusal": message.refusal,
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
    content = ContentField(read_only=True, allow_null=True)
    refusal = serializers.CharField(read_only=True, allow_null=True, trim_whitespace=False)
    tool_calls = ToolCallsField(read_only=True, allow_null=True)
    metadata = JSONObjectField(read_only=True)
    created_at = serializers.DateTimeField(format=ISO_8601, read_only=True)

    class Meta:
        model = Message
        fields = [
            "id",
            "seq",
            "role",
            "content",
            "name",
            "refusal",
            "tool_calls",
            "tool_call_id",
            "metadata",
            "created_at",
        ]
        read_only_fields = fields

    def to_representation(self, instance: Message) -> dict[str, Any]:
        return message_data(instance)


class ConversationCreateSerializer(serializers.Serializer):
    id = serializers.UUIDField(required=False, help_text="Choose the id to create idempotently; random when left out.")
    title = serializers.CharField(required=False, allow_blank=True, max_length=200)
    metadata = serializers.DictField(required=False)


class ConversationUpdateSerializer(serializers.Serializer):
    title = serializers.CharField(required=False, allow_blank=True, max_length=200)
    metadata = serializers.DictField(required=False)
    archived = serializers.BooleanField(required=False)


class MessageCreateSerializer(serializers.Serializer):
    role = serializers.ChoiceField(choices=Role.choices)
    content = ContentField(
        required=False,
        allow_null=True,
        help_text="Required except on an assistant message that makes tool calls or refuses.",
    )
    name = serializers.CharField(required=False, allow_null=True, max_length=64)
    refusal = serializers.CharField(
        required=False,
        allow_null=True,
        trim_whitespace=False,
        help_text="Assistant messages only: the text with which the model refused.",
    )
    tool_calls = ToolCallsField(required=False, allow_null=True, help_text="Assistant messages only.")
    tool_call_id = serializers.CharField(
        required=False,
        allow_null=True,
        max_length=255,
        help_text="Tool messages only: the id of the call this message answers.",
    )
    metadata = serializers.DictField(required=False, help_text="Say model, usage, finish_reason, latency_ms.")


HISTORY_SHAPES = ("openai", "responses", "anthropic")


class HistoryQuerySerializer(serializers.Serializer):
    last = serializers.IntegerField(
        required=False,
        min_value=0,
        max_value=MAX_SEQ,
        help_text="Keep the last N messages, plus every earlier system and developer message.",
    )
    shape = serializers.ChoiceField(
        choices=HISTORY_SHAPES,
        required=False,
        default="openai",
        help_text=(
            "openai: Chat Completions messages; responses: Responses API input items; "
            "anthropic: Anthropic Messages (with a system list)."
        ),
    )


_OBJECT = {"type": "object", "additionalProperties": True}
_BLOCK = {
    "type": "object",
    "properties": {"type": _STRING},
    "required": ["type"],
    "additionalProperties": True,
}
#: shape=openai: a Chat Completions message; keys appear only where they apply.
OPENAI_MESSAGE_SCHEMA: dict[str, Any] = {
    "type": "object",
    "title": "Chat Completions message",
    "properties": {
        "role": {"type": "string", "description": "system, developer, user, assistant or tool"},
        "content": CONTENT_SCHEMA,
        "name": _STRING,
        "refusal": _STRING,
        "tool_calls": {"type": "array", "items": _OBJECT, "description": "As stored: function and custom calls."},
        "tool_call_id": _STRING,
    },
    "required": ["role", "content"],
}
#: shape=responses: a Responses API input item.
RESPONSES_ITEM_SCHEMA: dict[str, Any] = {
    "type": "object",
    "title": "Responses input item",
    "description": (
        "message (input_text, input_image, input_file, input_audio parts; an assistant's "
        "output_text and refusal parts, with id and status), function_call, custom_tool_call, "
        "function_call_output or custom_tool_call_output."
    ),
    "properties": {"type": _STRING},
    "required": ["type"],
    "additionalProperties": True,
}
#: shape=anthropic: an Anthropic Messages message.
ANTHROPIC_MESSAGE_SCHEMA: dict[str, Any] = {
    "type": "object",
    "title": "Anthropic message",
    "properties": {
        "role": {"type": "string", "description": "user or assistant"},
        "content": {
            "type": "array",
            "items": _BLOCK,
            "description": "Blocks: text, image, document, tool_use, tool_result, thinking, …",
        },
    },
    "required": ["role", "content"],
}


@extend_schema_field(
    {
        "type": "array",
        "items": {"anyOf": [OPENAI_MESSAGE_SCHEMA, RESPONSES_ITEM_SCHEMA, ANTHROPIC_MESSAGE_SCHEMA]},
        "description": (
            "In the shape asked for: Chat Completions messages, Responses input items or Anthropic messages."
        ),
    }
)
class HistoryMessagesField(serializers.JSONField):
    pass


@extend_schema_field(
    {
        "type": "array",
        "items": {
            "type": "object",
            "properties": {"type": {"type": "string", "description": "text"}, "text": _STRING},
            "required": ["type", "text"],
            "additionalProperties": True,
        },
        "description": "shape=anthropic only: the system and developer messages of the window, as text blocks.",
    }
)
class SystemBlocksField(serializers.JSONField):
    pass


class HistorySerializer(serializers.Serializer):
    """The window, in the shape the ``shape`` parameter asks for."""

    conversation_id = serializers.UUIDField()
    messages = HistoryMessagesField()
    system = SystemBlocksField(required=False)


class TokenSerializer(serializers.Serializer):
    token = serializers.CharField()
