"""Export and import routes: a conversation as one JSON document, and such a document stored again."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, cast

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response

from chathistory import services
from chathistory.api import schema
from chathistory.api.openapi import extend_schema
from chathistory.api.serializers import (
    ConversationSerializer,
    JSONObjectField,
    MessageCreateSerializer,
    MessageSerializer,
)
from chathistory.api.views import ChatHistoryViewSet
from chathistory.models import Conversation
from chathistory.services.transfer import FORMAT, VERSION

if TYPE_CHECKING:
    pass


class ExportedMessageSerializer(MessageSerializer):
    """A message as exported: its JSON without ``id``, which an import assigns anew."""

    class Meta(MessageSerializer.Meta):
        fields = [name for name in MessageSerializer.Meta.fields if name != "id"]
        read_only_fields = fields


class ExportDocumentSerializer(serializers.Serializer):
    """A conversation and all its messages, as the export route answers it and the import route takes it."""

    format = serializers.ChoiceField(choices=[FORMAT])
    version = serializers.ChoiceField(choices=[VERSION])
    conversation = ConversationSerializer()
    messages = ExportedMessageSerializer(many=True, help_text="Every message, in seq order.")


class ImportedConversationSerializer(serializers.Serializer):
    id = serializers.UUIDField(required=False, help_text="Kept; an import is idempotent by it. New when left out.")
    title = serializers.CharField(required=False, allow_blank=True, max_length=200)
    metadata = JSONObjectField(required=False)
    archived = serializers.BooleanField(required=False)
    message_count = serializers.IntegerField(
        required=False, min_value=0, help_text="When given, must equal the number of messages."
    )
    created_at = serializers.DateTimeField(required=False, help_text="Kept; now when left out.")
    updated_at = serializers.DateTimeField(required=False, help_text="Kept; now when left out.")


class ImportedMessageSerializer(MessageCreateSerializer):
    seq = serializers.IntegerField(
        required=False,
        min_value=1,
        help_text="The order to store in (all messages or none); stored seqs are 1, 2, 3 … in that order.",
    )
    created_at = serializers.DateTimeField(required=False, help_text="Kept; now when left out.")


class ImportDocumentSerializer(serializers.Serializer):
    format = serializers.ChoiceField(choices=[FORMAT])
    version = serializers.ChoiceField(choices=[VERSION])
    conversation = ImportedConversationSerializer()
    messages = ImportedMessageSerializer(many=True)


class ConversationExportViewSet(ChatHistoryViewSet):
    serializer_class = ExportDocumentSerializer

    @extend_schema(
        summary="The conversation and all its messages as one JSON document, for import elsewhere",
        parameters=[OpenApiParameter("id", OpenApiTypes.UUID, OpenApiParameter.PATH)],
        responses={200: ExportDocumentSerializer, **schema.errors(404)},
    )
    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        conversation = cast(Conversation, self.get_object())
        return Response(services.export_conversation(conversation))


class ConversationImportViewSet(ChatHistoryViewSet):
    serializer_class = ImportDocumentSerializer

    @extend_schema(
        summary="Store an export document as a conversation of yours, all or nothing",
        description=(
            "Keeps the conversation's id, title, metadata, archived flag and timestamps, and every "
            "message's order, content, tool calls, metadata and created_at. Every message meets the "
            "rules of an append. Idempotent by id: the same document again stores nothing and "
            "answers 200; a different one under an id already used is a 409."
        ),
        request=ImportDocumentSerializer,
        responses={
            201: OpenApiResponse(ConversationSerializer, description="Imported."),
            200: OpenApiResponse(
                ConversationSerializer, description="Imported before from an identical document: nothing stored."
            ),
            **schema.errors(400, 409, 413, 415),
        },
    )
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        conversation, created = services.import_conversation(self.caller, self.json_body(request))
        return Response(
            ConversationSerializer(conversation).data,
            status=status.HTTP_201_CREATED if created else status.HTTP_200_OK,
        )
