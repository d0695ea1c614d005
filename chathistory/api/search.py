"""``GET /api/search/``: full-text search over the caller's messages, one cursor page at a time."""

from __future__ import annotations

from typing import Any

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse
from rest_framework import ISO_8601, serializers
from rest_framework import exceptions as api_exceptions
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.utils.urls import replace_query_param

from chathistory import services
from chathistory.api import schema
from chathistory.api.openapi import extend_schema
from chathistory.api.views import ChatHistoryViewSet
from chathistory.models import Role
from chathistory.services.search import DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE, MAX_QUERY_LENGTH, InvalidCursor

CURSOR_PARAMETER = "cursor"
PAGE_SIZE_PARAMETER = "page_size"


class SearchQuerySerializer(serializers.Serializer):
    q = serializers.CharField(
        max_length=MAX_QUERY_LENGTH,
        help_text=(
            'Words to find, all of them, as whole words and in any case; "a quoted phrase" matches '
            "those words in that order."
        ),
    )
    conversation = serializers.UUIDField(
        required=False, help_text="Only this conversation of yours (another id is a 404)."
    )
    role = serializers.MultipleChoiceField(
        choices=Role.choices, required=False, help_text="Only these roles; repeat the parameter for several."
    )


class SearchResultSerializer(serializers.Serializer):
    conversation_id = serializers.UUIDField()
    conversation_title = serializers.CharField()
    seq = serializers.IntegerField()
    role = serializers.ChoiceField(choices=Role.choices)
    snippet = serializers.CharField(
        help_text="Plain text of at most 200 characters around the first match; … marks a cut."
    )
    created_at = serializers.DateTimeField(format=ISO_8601)


class SearchPageSerializer(serializers.Serializer):
    next = serializers.URLField(allow_null=True)
    previous = serializers.URLField(allow_null=True)
    results = SearchResultSerializer(many=True)


_NOT_FOUND = OpenApiResponse(
    response=schema.DETAIL, description="No such conversation of yours, or a cursor this API did not hand out."
)


class SearchViewSet(ChatHistoryViewSet):
    """Best match first, then newest first; only the caller's messages are ever candidates.

    Routed as ``as_view({"get": "search"})``: one page object, not a list of results.
    """

    pagination_class = None
    filter_backends: list[Any] = []

    @extend_schema(
        summary="Search your messages",
        description=(
            "Full-text search over the text of your messages (string content and text parts, every role). "
            "Results are ordered best match first, then newest first, and paginated by cursor: follow next "
            "and previous. Another user's conversation in conversation is a 404, as if it did not exist."
        ),
        parameters=[
            SearchQuerySerializer,
            OpenApiParameter(
                CURSOR_PARAMETER, OpenApiTypes.STR, description="The position of a page, from next or previous."
            ),
            OpenApiParameter(
                PAGE_SIZE_PARAMETER,
                OpenApiTypes.INT,
                description=f"Results per page: default {DEFAULT_PAGE_SIZE}, at most {MAX_PAGE_SIZE} (more is capped).",
            ),
        ],
        responses={
            200: SearchPageSerializer,
            **schema.errors(400, 404, bad_request=schema.BAD_QUERY, not_found=_NOT_FOUND),
        },
    )
    def search(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        query = SearchQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        conversation = None
        if "conversation" in query.validated_data:
            conversation = self.own_conversation(query.validated_data["conversation"])
        # The query serializer has checked q as the service would (trimmed, not blank, not too long).
        results = services.search_messages(
            self.caller,
            query.validated_data["q"],
            conversation=conversation,
            role=query.validated_data.get("role", ()),
        )
        # Empty is absent, as on every list: "cursor=" asks for the first page.
        cursor = request.query_params.get(CURSOR_PARAMETER) or None
        try:
            page = results.page(size=_page_size(request), cursor=cursor)
        except InvalidCursor:
            raise api_exceptions.NotFound("Invalid cursor") from None
        url = request.build_absolute_uri()
        return Response(
            {
                "next": page.next_cursor and replace_query_param(url, CURSOR_PARAMETER, page.next_cursor),
                "previous": page.previous_cursor and replace_query_param(url, CURSOR_PARAMETER, page.previous_cursor),
                "results": SearchResultSerializer(page.results, many=True).data,
            }
        )


def _page_size(request: Request) -> int:
    """As DRF's own pagination reads it: a positive integer, capped at the maximum; anything else is the default."""
    value = request.query_params.get(PAGE_SIZE_PARAMETER, "")
    if not (value.isascii() and value.isdigit()) or int(value) == 0:
        return DEFAULT_PAGE_SIZE
    return min(int(value), MAX_PAGE_SIZE)
