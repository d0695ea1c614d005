"""Messages in the admin: searchable and read-only, because they are append-only."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any, TypedDict

from django.contrib import admin
from django.contrib.admin.views.main import ChangeList
from django.db.models import QuerySet, TextField
from django.db.models.functions import Substr
from django.http import Http404, HttpRequest, HttpResponse
from django.template.loader import render_to_string
from django.urls import URLPattern, path, reverse
from django.utils.html import format_html
from django.utils.http import content_disposition_header

from chathistory.admin.content import ContentView, excerpt_of, part_media, parts_view
from chathistory.admin.pagination import EstimatedCountPaginator
from chathistory.admin.transcript import page_of
from chathistory.models import Message
from chathistory.services.search import filter_matching

if TYPE_CHECKING:
    from django_stubs_ext import WithAnnotations

EXCERPT_LENGTH = 120
#: Stored characters read for an excerpt: parts spend some on their JSON keys.
EXCERPT_READ = 1_000


class Excerpt(TypedDict):
    excerpt_text: str | None


class MessageChangeList(ChangeList):
    def get_queryset(
        self, request: HttpRequest, exclude_parameters: list[str | None] | None = None
    ) -> QuerySet[Message]:
        messages: QuerySet[Message] = super().get_queryset(request, exclude_parameters)
        # A page shows excerpts: read the first characters, not contents of up to a million each.
        return messages.defer("content", "metadata").annotate(
            excerpt_text=Substr("content", 1, EXCERPT_READ, output_field=TextField())
        )


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
        "rich_content",
        "pretty_tool_calls",
        "tool_call_id",
        "pretty_metadata",
        "created_at",
    )
    readonly_fields = fields

    class Media:
        # The content's styles: line breaks kept, parts and refusals drawn as on the transcript.
        css = {"all": ["chathistory/admin/transcript.css"]}

    def get_changelist(self, request: HttpRequest, **kwargs: object) -> type[ChangeList]:
        return MessageChangeList

    def get_search_results(
        self, request: HttpRequest, queryset: QuerySet[Message], search_term: str
    ) -> tuple[QuerySet[Message], bool]:
        # Whole words through the full-text index that the API's search uses, not a scan of content.
        if not search_term.strip():
            return queryset, False
        return filter_matching(queryset, search_term), False

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

    def get_urls(self) -> list[URLPattern]:
        part = path(
            "<path:object_id>/part/<int:index>/",
            self.admin_site.admin_view(self.part_view),
            name="chathistory_message_part",
        )
        return [part, *super().get_urls()]

    def part_view(self, request: HttpRequest, object_id: str, index: int) -> HttpResponse:
        """The inline media of one content part (a raster image, audio, a file), for the admin's pages.

        Served with its own type, never sniffed, in a sandbox, so a part cannot run as a page.
        """
        message = self.get_object(request, object_id)
        if message is None or not self.has_view_permission(request, message):
            raise Http404
        content = message.content
        media = part_media(content[index]) if isinstance(content, list) and index < len(content) else None
        if media is None:
            raise Http404
        data, content_type, download_name = media
        response = HttpResponse(data, content_type=content_type)
        response["X-Content-Type-Options"] = "nosniff"
        response["Content-Security-Policy"] = "default-src 'none'; sandbox"
        response["Cache-Control"] = "private, max-age=3600"
        if download_name:
            response["Content-Disposition"] = _attachment(download_name)
        return response

    @admin.display(description="excerpt")
    def excerpt(self, message: WithAnnotations[Message, Excerpt]) -> str:
        text = excerpt_of(message.excerpt_text)
        if text is None:
            names = ", ".join(_call_name(call) for call in message.tool_calls or ())
            if names:
                return f"→ {names}"
            return "(refused)" if message.refusal is not None else ""
        text = " ".join(text.split())
        return text[:EXCERPT_LENGTH] + "…" if len(text) > EXCERPT_LENGTH else text

    @admin.display(description="tool calls")
    def pretty_tool_calls(self, message: Message) -> str:
        if not message.tool_calls:
            return "-"
        return format_html("<pre>{}</pre>", json.dumps(message.tool_calls, indent=2, ensure_ascii=False))

    @admin.display(description="content")
    def rich_content(self, message: Message) -> str:
        content = message.content
        view = parts_view(content) if isinstance(content, list) else ContentView(text=content)
        return render_to_string("chathistory/admin/content.html", {"view": view, "message": message})

    @admin.display(description="metadata")
    def pretty_metadata(self, message: Message) -> str:
        return format_html("<pre>{}</pre>", json.dumps(message.metadata, indent=2, ensure_ascii=False))


def _call_name(call: dict[str, Any]) -> str:
    payload = call.get("custom") if call.get("type") == "custom" else call.get("function")
    return str(payload.get("name", "")) if isinstance(payload, dict) else ""


def _attachment(name: str) -> str:
    return content_disposition_header(True, name) or "attachment"
