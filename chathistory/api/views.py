"""Viewsets thin over chathistory.services, scoped to the caller's own conversations."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, cast

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.db.models import QuerySet
from django.utils.functional import cached_property
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, PolymorphicProxySerializer
from rest_framework import exceptions as api_exceptions
from rest_framework import mixins, status, viewsets
from rest_framework.authentication import BaseAuthentication
from rest_framework.authtoken.serializers import AuthTokenSerializer
from rest_framework.authtoken.views import ObtainAuthToken
from rest_framework.decorators import action
from rest_framework.filters import BaseFilterBackend
from rest_framework.generics import get_object_or_404
from rest_framework.pagination import BasePagination
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.permissions import AllowAny
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response

from chathistory import services
from chathistory.api import schema
from chathistory.api.base import ChatHistoryAPIView
from chathistory.api.filters import MAX_SEQ, ConversationFilter, MessageFilter
from chathistory.api.openapi import extend_schema, extend_schema_view
from chathistory.api.pagination import ConversationPagination, MessagePagination
from chathistory.api.parsers import BoundedJSONParser, RequestTooLarge
from chathistory.api.serializers import (
    ConversationCreateSerializer,
    ConversationSerializer,
    ConversationUpdateSerializer,
    HistoryQuerySerializer,
    HistorySerializer,
    MessageCreateSerializer,
    MessageSerializer,
    TokenSerializer,
)
from chathistory.api.unavailable import as_unavailable
from chathistory.exceptions import ConversationIdTaken, IdempotencyKeyReused, ValidationError
from chathistory.models import Conversation, Message
from chathistory.validation import conversation_errors, text_problem

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser

IDEMPOTENCY_HEADER = "Idempotency-Key"
MAX_IDEMPOTENCY_KEY_LENGTH = 255
_CREATE_FIELDS = ("id", "title", "metadata")


class Conflict(api_exceptions.APIException):
    status_code = status.HTTP_409_CONFLICT
    default_code = "conflict"


class Unprocessable(api_exceptions.APIException):
    status_code = status.HTTP_422_UNPROCESSABLE_ENTITY
    default_code = "unprocessable"


def _as_api_exception(exc: Exception) -> Exception:
    """The service layer's errors as the HTTP answers the contract gives them."""
    if isinstance(exc, ValidationError):
        return api_exceptions.ValidationError(exc.errors)
    if isinstance(exc, ConversationIdTaken):
        return Conflict(str(exc))
    if isinstance(exc, IdempotencyKeyReused):
        return Unprocessable(str(exc))
    if isinstance(exc, RequestDataTooBig):
        return RequestTooLarge(settings.DATA_UPLOAD_MAX_MEMORY_SIZE)
    if isinstance(exc, Conversation.DoesNotExist):
        return api_exceptions.NotFound()
    return exc


class ChatHistoryViewSet(ChatHistoryAPIView, viewsets.GenericViewSet):
    """What every chathistory route shares: the caller's data only, JSON bodies, JSON errors.

    The DRF policies (authentication, renderers, throttles, …) come from ``ChatHistoryAPIView``,
    never from the project's ``REST_FRAMEWORK``; a route adds only its pagination and filters.
    """

    pagination_class: type[BasePagination] | None = None
    filter_backends: list[type[BaseFilterBackend]] = []

    http_method_names = ["get", "post", "patch", "delete", "head", "options"]

    def handle_exception(self, exc: Exception) -> Response:
        return super().handle_exception(as_unavailable(exc) or _as_api_exception(exc))

    def get_object(self) -> Any:
        # A detail route is one of the caller's conversations (a message's route has its own);
        # the filters are for lists: a detail route ignores them, as it does every other parameter.
        return self.own_conversation(self.kwargs["pk"])

    def own_conversation(self, conversation_id: Any) -> Conversation:
        """The caller's conversation with this id; 404 for any other, as for one that does not exist."""
        try:
            return services.get_conversation(self.caller, conversation_id)
        except Conversation.DoesNotExist:
            raise api_exceptions.NotFound() from None

    def json_body(self, request: Request, *, expect_object: bool = True) -> Any:
        """The parsed body; 415 for a body sent without a content type, which DRF would ignore."""
        if not request.content_type and int(request.META.get("CONTENT_LENGTH") or 0) > 0:
            raise api_exceptions.UnsupportedMediaType(
                "", detail='Send the body as JSON, with "Content-Type: application/json".'
            )
        body = request.data
        if expect_object and not isinstance(body, dict):
            raise api_exceptions.ValidationError({"non_field_errors": ["Expected a JSON object."]})
        return body

    @property
    def caller(self) -> AbstractBaseUser:
        """The authenticated user (IsAuthenticated has let no one else through)."""
        return cast("AbstractBaseUser", self.request.user)

    def get_conversations(self) -> QuerySet[Conversation]:
        if getattr(self, "swagger_fake_view", False):  # schema generation has no user
            return Conversation.objects.none()
        return services.list_conversations(self.caller)


_CONVERSATION_ID = OpenApiParameter("id", OpenApiTypes.UUID, OpenApiParameter.PATH)


@extend_schema_view(
    list=extend_schema(
        summary="Your conversations, most recently active first",
        responses={
            200: ConversationSerializer(many=True),
            **schema.errors(400, 404, bad_request=schema.BAD_QUERY, not_found=schema.INVALID_CURSOR),
        },
    ),
    retrieve=extend_schema(
        summary="One conversation",
        parameters=[_CONVERSATION_ID],
        responses={200: ConversationSerializer, **schema.errors(404)},
    ),
    destroy=extend_schema(
        summary="Delete a conversation and its messages",
        parameters=[_CONVERSATION_ID],
        responses={204: None, **schema.errors(404)},
    ),
)
class ConversationViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.DestroyModelMixin, ChatHistoryViewSet
):
    serializer_class = ConversationSerializer
    pagination_class = ConversationPagination
    filter_backends = [DjangoFilterBackend]
    filterset_class = ConversationFilter

    def get_queryset(self) -> QuerySet[Conversation]:
        return self.get_conversations()

    @extend_schema(
        summary="Create a conversation, or get yours back by its id",
        request=ConversationCreateSerializer,
        responses={
            201: OpenApiResponse(ConversationSerializer, description="Created."),
            200: OpenApiResponse(ConversationSerializer, description="The id is yours already: unchanged."),
            **schema.errors(400, 409, 413, 415),
        },
    )
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        body = self.json_body(request)
        # The service takes title and metadata as keywords: anything else is named in a 400 first.
        errors = conversation_errors(body, fields=_CREATE_FIELDS)
        if errors:
            raise ValidationError(errors)
        conversation, created = services.get_or_create_conversation(
            self.caller, body.get("id"), title=body.get("title", ""), metadata=body.get("metadata")
        )
        return Response(
            ConversationSerializer(conversation).data,
            status=status.HTTP_201_CREATED if created else status.HTTP_200_OK,
        )

    @extend_schema(
        summary="Change the title, metadata or archived flag",
        parameters=[_CONVERSATION_ID],
        request=ConversationUpdateSerializer,
        responses={200: ConversationSerializer, **schema.errors(400, 404, 413, 415)},
    )
    def partial_update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        conversation = self.get_object()
        changes = self.json_body(request)
        return Response(ConversationSerializer(services.update_conversation(conversation, **changes)).data)

    def perform_destroy(self, instance: Conversation) -> None:
        services.delete_conversation(instance)

    @extend_schema(
        summary="The conversation ready to send to a model: Chat Completions, Responses or Anthropic shape",
        description=(
            "The same window in every shape: all messages, or the last N, less tool results whose "
            "call fell outside it, with every earlier system and developer message kept ahead of it. "
            "shape=anthropic answers with a system list beside the messages."
        ),
        parameters=[_CONVERSATION_ID, HistoryQuerySerializer],
        responses={200: HistorySerializer, **schema.errors(400, 404, bad_request=schema.BAD_QUERY)},
    )
    @action(detail=True, methods=["get"], filter_backends=[], pagination_class=None)
    def history(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        conversation = self.get_object()
        assert isinstance(conversation, Conversation)
        query = HistoryQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        last, shape = query.validated_data.get("last"), query.validated_data["shape"]
        if shape == "anthropic":
            shaped = services.get_anthropic_messages(conversation, last=last)
            return Response({"conversation_id": conversation.pk, **shaped})
        read = services.get_responses_input if shape == "responses" else services.get_openai_messages
        return Response({"conversation_id": conversation.pk, "messages": read(conversation, last=last)})


_MESSAGE_ROUTE_PARAMETERS = [
    OpenApiParameter("conversation_pk", OpenApiTypes.UUID, OpenApiParameter.PATH, description="The conversation's id."),
]
_ONE_OR_MANY_IN = PolymorphicProxySerializer(
    component_name="MessageOrBatch",
    serializers=[MessageCreateSerializer, MessageCreateSerializer(many=True)],
    resource_type_field_name=None,
    many=False,
)
_ONE_OR_MANY_OUT = PolymorphicProxySerializer(
    component_name="AppendedMessageOrBatch",
    serializers=[MessageSerializer, MessageSerializer(many=True)],
    resource_type_field_name=None,
    many=False,
)


@extend_schema_view(
    list=extend_schema(
        summary="A conversation's messages in seq order",
        parameters=_MESSAGE_ROUTE_PARAMETERS,
        responses={200: MessageSerializer(many=True), **schema.errors(400, 404, bad_request=schema.BAD_QUERY)},
    ),
    retrieve=extend_schema(
        summary="One message, by its seq",
        parameters=[
            *_MESSAGE_ROUTE_PARAMETERS,
            OpenApiParameter("seq", OpenApiTypes.INT, OpenApiParameter.PATH, description="1, 2, 3 … in order."),
        ],
        responses={200: MessageSerializer, **schema.errors(404)},
    ),
)
class MessageViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ChatHistoryViewSet):
    serializer_class = MessageSerializer
    pagination_class = MessagePagination
    filter_backends = [DjangoFilterBackend]
    filterset_class = MessageFilter
    lookup_field = "seq"

    @cached_property
    def conversation(self) -> Conversation:
        return self.own_conversation(self.kwargs["conversation_pk"])

    def get_queryset(self) -> QuerySet[Message]:
        if getattr(self, "swagger_fake_view", False):
            return Message.objects.none()
        return Message.objects.in_conversation(self.conversation)

    def get_object(self) -> Message:
        seq = self.kwargs["seq"]
        if not (seq.isascii() and seq.isdigit()) or int(seq) > MAX_SEQ:
            raise api_exceptions.NotFound()
        return get_object_or_404(self.get_queryset(), seq=int(seq))

    @extend_schema(
        summary="Append one message (an object) or a batch (an array), all or nothing",
        description=(
            "The answer has the request's shape: the stored message for an object, the stored "
            "messages for an array. With an Idempotency-Key header, a retry with an equal body "
            "stores nothing and answers the first response again, with status 200 and "
            "Idempotent-Replayed: true."
        ),
        parameters=[
            *_MESSAGE_ROUTE_PARAMETERS,
            OpenApiParameter(
                IDEMPOTENCY_HEADER,
                OpenApiTypes.STR,
                OpenApiParameter.HEADER,
                description=f"Any string of 1 to {MAX_IDEMPOTENCY_KEY_LENGTH} characters, unique per append.",
            ),
        ],
        request=_ONE_OR_MANY_IN,
        responses={
            201: OpenApiResponse(_ONE_OR_MANY_OUT, description="Stored."),
            200: OpenApiResponse(
                _ONE_OR_MANY_OUT, description="A replay of an earlier request with this Idempotency-Key."
            ),
            **schema.errors(400, 404, 413, 415, 422, bad_request=schema.BAD_BATCH),
        },
    )
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        payload = self.json_body(request, expect_object=False)
        batch = isinstance(payload, list)
        messages = _messages_of(payload)
        key = self._idempotency_key(request)
        created = True
        try:
            if key is None:
                stored = services.add_messages(self.conversation, messages)
            else:
                stored, created = services.add_messages_once(
                    self.conversation, messages, key=key, request_hash=services.request_fingerprint(payload)
                )
        except ValidationError as error:
            if batch or not isinstance(error.errors, list):
                raise
            # One object in, one error object out (an array gets one per item).
            raise ValidationError(error.errors[0]) from None
        data = MessageSerializer(stored, many=True).data
        body = data if batch else data[0]
        if not created:
            return Response(body, headers={"Idempotent-Replayed": "true"})
        return Response(body, status=status.HTTP_201_CREATED)

    def _idempotency_key(self, request: Request) -> str | None:
        key = request.headers.get(IDEMPOTENCY_HEADER)
        if key is None:
            return None
        problem = text_problem(key)
        if not key or problem or len(key) > MAX_IDEMPOTENCY_KEY_LENGTH:
            raise api_exceptions.ValidationError(
                {IDEMPOTENCY_HEADER: [f"Must be 1 to {MAX_IDEMPOTENCY_KEY_LENGTH} characters of text."]}
            )
        return key


def _messages_of(payload: Any) -> list[Any]:
    """The append route's body as a list of messages: one object, or a non-empty array of them."""
    if isinstance(payload, dict):
        return [payload]
    if isinstance(payload, list):
        if not payload:
            raise ValidationError({"non_field_errors": ["Send at least one message."]})
        return payload
    raise ValidationError(
        {"non_field_errors": ["Expected a message (a JSON object) or a batch (a JSON array of messages)."]}
    )


class ObtainTokenView(ChatHistoryAPIView, ObtainAuthToken):
    """Trade a username and password for the key to send as ``Authorization: Token <key>``.

    ``username`` is the value of the user model's ``USERNAME_FIELD`` (an email, for a model that
    signs in by email). DRF leaves this view unthrottled; the mixin's throttles apply here, since
    password guessing is what throttles are for.
    """

    # JSON as everywhere in the API, and the form bodies DRF's own token view takes.
    parser_classes = [BoundedJSONParser, FormParser, MultiPartParser]
    renderer_classes = [JSONRenderer]
    permission_classes = [AllowAny]

    def get_authenticators(self) -> list[BaseAuthentication]:
        # Credentials are what this route hands out: a stale session or a bad token must not block it.
        return []

    @extend_schema(
        summary="Get your API token",
        request=AuthTokenSerializer,
        responses={200: TokenSerializer, **schema.errors(400, 413, 415)},
        auth=[],
    )
    def post(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().post(request, *args, **kwargs)

    def handle_exception(self, exc: Exception) -> Response:
        return super().handle_exception(as_unavailable(exc) or exc)
