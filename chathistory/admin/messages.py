"""Messages in the admin: searchable and read-only, because they are append-only."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, TypedDict

from django.contrib import admin
from django.contrib.admin.views.main import ChangeList
from django.db.models import QuerySet
from django.db.models.functions import Substr
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html

from chathistory.admin.pagination import EstimatedCountPaginator
from chathistory.admin.transcript import page_of
from chathistory.models import Message

if TYPE_CHECKING:
    from django_stubs_ext import WithAnnotations

EXCERPT_LENGTH = 120


class Excerpt(TypedDict):
    excerpt_text: str | None


class MessageChangeList(ChangeList):
    def get_queryset(
        self, request: HttpRequest, exclude_parameters: list[str | None] | None = None
    ) -> QuerySet[Message]:
        messages: QuerySet[Message] = super().get_queryset(request, exclude_parameters)
        # A page shows excerpts: read the first characters, not contents of up to a million each.
        return messages.defer("content", "metadata").annotate(excerpt_text=Substr("content", 1, EXCERPT_LENGTH + 1))


@admin.register(Message)
class MessageAdmin(admin.ModelAdmin):
    list_display = ["conversation_link", "seq", "role", "excerpt", "created_at"]
    list_display_links = ["seq"]
    list_filter = ["role"]
    search_fields = ["content"]
    list_select_related = ["conversation"]
    # Newest first, along the primary key: the model's order would sort by each conversation's
    # updated_at through a join, which a search over a million rows cannot stop early.
    ordering = ["-id"]
    list_per_page = 100
    show_full_result_count = False
    paginator = EstimatedCountPaginator
    fields = (
        "conversation_link",
        "seq",
        "role",
        "name",
        "content",
        "pretty_tool_calls",
        "tool_call_id",
        "pretty_metadata",
        "created_at",
    )
    readonly_fields = fields

    def get_changelist(self, request: HttpRequest, **kwargs: object) -> type[ChangeList]:
        return MessageChangeList

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Message | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Message | None = None) -> bool:
        return False

    @admin.display(description="conversation", ordering="conversation_id")
    def conversation_link(self, message: Message) -> str:
        url = reverse("admin:chathistory_conversation_change", args=[message.conversation_id])
        return format_html(
            '<a href="{}?page={}#m{}">{}</a>', url, page_of(message.seq), message.seq, message.conversation
        )

    @admin.display(description="excerpt")
    def excerpt(self, message: WithAnnotations[Message, Excerpt]) -> str:
        text = message.excerpt_text
        if text is None:
            names = ", ".join(call["function"]["name"] for call in message.tool_calls or ())
            return f"→ {names}" if names else ""
        text = " ".join(text.split())
        return text[:EXCERPT_LENGTH] + "…" if len(text) > EXCERPT_LENGTH else text

    @admin.display(description="tool calls")
    def pretty_tool_calls(self, message: Message) -> str:
        if not message.tool_calls:
            return "-"
        return format_html("<pre>{}</pre>", json.dumps(message.tool_calls, indent=2, ensure_ascii=False))

    @admin.display(description="metadata")
    def pretty_metadata(self, message: Message) -> str:
        return format_html("<pre>{}</pre>", json.dumps(message.metadata, indent=2, ensure_ascii=False))
