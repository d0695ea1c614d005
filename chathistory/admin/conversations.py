"""Conversations in the admin: a list that stays cheap at scale, and a change page that is a transcript."""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from datetime import datetime
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.auth import get_user_model
from django.db import router, transaction
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.text import Truncator, capfirst

from chathistory import services
from chathistory.admin.pagination import EstimatedCountPaginator
from chathistory.admin.transcript import PAGE_SIZE, parse_page, transcript_page
from chathistory.models import Conversation, Message
from chathistory.validation import conversation_errors

EDITABLE_FIELDS = ("title", "metadata", "archived")
#: Characters of a title and of a user in the list; the whole text is the tooltip.
TITLE_SHOWN = 80
OWNER_SHOWN = 40


class ConversationForm(forms.ModelForm):
    class Meta:
        model = Conversation
        fields = ["user", *EDITABLE_FIELDS]

    def clean(self) -> dict[str, Any]:
        """The service layer's rules (no NUL in a title, metadata an object of bounded size)."""
        super().clean()
        cleaned = self.cleaned_data
        given = {name: cleaned[name] for name in EDITABLE_FIELDS if name in cleaned}
        for name, problems in conversation_errors(given, fields=EDITABLE_FIELDS).items():
            for problem in problems:
                self.add_error(name, problem)
        return cleaned


@admin.register(Conversation)
class ConversationAdmin(admin.ModelAdmin):
    form = ConversationForm
    # Narrow enough for a 1280-pixel window beside the navigation and the filters (a browser test holds
    # it); when a conversation began is on its own page and in the filters.
    list_display = ["display_title", "owner", "length", "updated", "archived"]
    list_filter = ["archived", "created_at", "updated_at"]
    date_hierarchy = "updated_at"
    # Autocomplete where the user model's admin can serve it (get_autocomplete_fields), raw ids otherwise.
    raw_id_fields = ["user"]
    list_select_related = ["user"]
    list_per_page = 100
    show_full_result_count = False
    paginator = EstimatedCountPaginator
    actions = ["archive", "unarchive", "download_openai_json"]
    change_form_template = "chathistory/admin/conversation_change_form.html"

    class Media:
        css = {"all": ["chathistory/admin/conversations.css"]}

    def get_search_fields(self, request: HttpRequest) -> list[str]:
        """Titles, and the user by whatever the user model signs in with (and its email, if it has one)."""
        return ["title", *(f"user__{name}" for name in user_lookup_fields())]

    def get_autocomplete_fields(self, request: HttpRequest) -> list[str]:
        user_admin = self.admin_site._registry.get(get_user_model())
        can_serve = (
            user_admin is not None
            and bool(user_admin.get_search_fields(request))
            and user_admin.has_view_permission(request)
        )
        return ["user"] if can_serve else []

    @admin.display(description="title", ordering="title")
    def display_title(self, conversation: Conversation) -> str:
        return shortened(conversation.title or f"(untitled) {conversation.pk}", TITLE_SHOWN)

    @admin.display(description="user", ordering="user")
    def owner(self, conversation: Conversation) -> str:
        return shortened(str(conversation.user), OWNER_SHOWN)

    @admin.display(description="messages", ordering="message_count")
    def length(self, conversation: Conversation) -> int:
        return conversation.message_count

    @admin.display(description="updated at", ordering="updated_at")
    def updated(self, conversation: Conversation) -> str:
        return compact_time(conversation.updated_at)

    def get_fields(self, request: HttpRequest, obj: Conversation | None = None) -> tuple[str, ...]:
        if obj is None:
            return ("user", *EDITABLE_FIELDS)
        return ("id", "user", *EDITABLE_FIELDS, "message_count", "created_at", "updated_at")

    def get_readonly_fields(self, request: HttpRequest, obj: Conversation | None = None) -> list[str]:
        # A conversation never changes hands: the user is chosen once, when it is added.
        if obj is None:
            return []
        return ["id", "user", "message_count", "created_at", "updated_at"]

    # Writes go through the service layer ------------------------------------------------------

    def save_model(self, request: HttpRequest, obj: Conversation, form: forms.ModelForm, change: bool) -> None:
        if change:
            changes = {name: form.cleaned_data[name] for name in EDITABLE_FIELDS if name in form.changed_data}
            if changes:
                services.update_conversation(obj, **changes)
            return
        created, _ = services.get_or_create_conversation(obj.user, obj.pk, title=obj.title, metadata=obj.metadata)
        if obj.archived:
            services.update_conversation(created, archived=True)
        obj._state.adding = False
        obj.refresh_from_db()

    def delete_model(self, request: HttpRequest, obj: Conversation) -> None:
        services.delete_conversation(obj)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Conversation]) -> None:
        with transaction.atomic(using=router.db_for_write(Conversation)):
            for conversation in queryset.select_related(None).only("pk"):
                services.delete_conversation(conversation)

    def get_deleted_objects(
        self, objs: Iterable[Conversation], request: HttpRequest
    ) -> tuple[list[Any], dict[str, int], set[str], list[Any]]:
        """What a delete removes, as totals: listing every message would render thousands of rows.

        Messages are deleted with their conversation only, so deleting needs no permission on them.
        """
        conversations = list(objs)
        message_total = sum(conversation.message_count for conversation in conversations)
        names = Conversation._meta.verbose_name, Message._meta.verbose_name_plural
        listed = [
            format_html(
                '{}: <a href="{}">{}</a> ({} messages)',
                capfirst(names[0]),
                reverse("admin:chathistory_conversation_change", args=[conversation.pk]),
                conversation,
                conversation.message_count,
            )
            for conversation in conversations
        ]
        counts = {str(Conversation._meta.verbose_name_plural): len(conversations), str(names[1]): message_total}
        return listed, counts, set(), []

    # Actions ------------------------------------------------------------------------------------

    @admin.action(description="Archive the selected conversations", permissions=["change"])
    def archive(self, request: HttpRequest, queryset: QuerySet[Conversation]) -> None:
        count = services.set_archived(queryset, True)
        self.message_user(request, f"Archived {count} conversation(s).", messages.SUCCESS)

    @admin.action(description="Unarchive the selected conversations", permissions=["change"])
    def unarchive(self, request: HttpRequest, queryset: QuerySet[Conversation]) -> None:
        count = services.set_archived(queryset, False)
        self.message_user(request, f"Unarchived {count} conversation(s).", messages.SUCCESS)

    @admin.action(description="Download the selected conversations as JSON (OpenAI shape)", permissions=["view"])
    def download_openai_json(self, request: HttpRequest, queryset: QuerySet[Conversation]) -> StreamingHttpResponse:
        response = StreamingHttpResponse(openai_json_export(queryset), content_type="application/json; charset=utf-8")
        response["Content-Disposition"] = 'attachment; filename="conversations.json"'
        return response

    # The transcript -------------------------------------------------------------------------------

    def render_change_form(
        self,
        request: HttpRequest,
        context: dict[str, Any],
        add: bool = False,
        change: bool = False,
        form_url: str = "",
        obj: Conversation | None = None,
    ) -> HttpResponse:
        if obj is not None:
            page = transcript_page(obj, parse_page(request.GET.get("page"), obj))
            context["transcript"] = page
            context["transcript_page_size"] = PAGE_SIZE
            context["message_search_url"] = (
                reverse("admin:chathistory_message_changelist") + f"?conversation__id__exact={obj.pk}"
            )
        return super().render_change_form(request, context, add, change, form_url, obj)


def shortened(text: str, length: int) -> str:
    return format_html('<span title="{}">{}</span>', text, Truncator(text).chars(length))


def compact_time(instant: datetime) -> str:
    """An instant in the operator's time zone to the minute, the exact one as its tooltip: narrow enough for a list."""
    local = timezone.localtime(instant)
    shown = local.strftime("%Y-%m-%d %H:%M")
    return format_html('<time datetime="{}" title="{}">{}</time>', local.isoformat(), local, shown)


def user_lookup_fields() -> list[str]:
    """The user model's ``USERNAME_FIELD``, then its email field where it has a distinct one."""
    user_model = get_user_model()
    names = [user_model.USERNAME_FIELD]
    email = user_model.get_email_field_name()
    if email not in names and any(field.name == email for field in user_model._meta.get_fields()):
        names.append(email)
    return names


def openai_json_export(conversations: QuerySet[Conversation]) -> Iterator[str]:
    """``[{"conversation_id", "title", "messages"}, ...]``, streamed: two queries for any selection.

    Conversations and their messages are both read in conversation id order, so one pass
    over the messages hands each conversation its own, without holding them all in memory.
    """
    selected = list(conversations.order_by("pk").values_list("pk", "title"))
    rows = (
        Message.objects.filter(conversation__in=conversations.values("pk"))
        .order_by("conversation_id", "seq")
        .only("conversation_id", "role", "content", "name", "refusal", "tool_calls", "tool_call_id")
        .iterator(chunk_size=1000)
    )
    pending = next(rows, None)
    yield "["
    for index, (pk, title) in enumerate(selected):
        own: list[Message] = []
        while pending is not None and pending.conversation_id == pk:
            own.append(pending)
            pending = next(rows, None)
        item = {"conversation_id": str(pk), "title": title, "messages": services.to_openai_messages(own)}
        yield ("," if index else "") + json.dumps(item, ensure_ascii=False)
    yield "]"
