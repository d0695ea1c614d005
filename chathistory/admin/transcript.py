"""One page of a conversation as the admin shows it: a seq range, so page 200 costs what page 1 does.

Seqs run gaplessly from 1 to ``message_count``, so page ``k`` is ``seq BETWEEN a AND b``: one
indexed range read, never a COUNT and never an OFFSET. Tool calls made or answered on another
page cost at most one more query each way, whatever the page holds.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypedDict, cast

from django.db.models import Subquery, TextField
from django.db.models.functions import Length, Substr

from chathistory.admin.content import ContentView, content_view, excerpted
from chathistory.models import Conversation, Message, ToolCall

if TYPE_CHECKING:
    from django_stubs_ext import WithAnnotations

PAGE_SIZE = 100
#: Characters of one message read for the page (for parts: of their JSON, to draw each part).
CONTENT_SHOWN = 20_000
#: A text up to this long is shown whole; a longer one as an excerpt of EXCERPT_LENGTH characters,
#: with a link to the message's own admin page, which shows all of it.
SHOWN_WHOLE_UP_TO = 4_000
EXCERPT_LENGTH = 1_000


class ContentHead(TypedDict):
    # Both None where content is: a message that only makes tool calls.
    content_head: str | None
    content_length: int | None


@dataclass
class Call:
    id: str
    name: str
    arguments: str
    seq: int
    answered_by: int | None = None

    @property
    def href(self) -> str:
        """The message that made this call, on whichever page holds it."""
        return seq_href(self.seq)

    @property
    def answer_href(self) -> str:
        return seq_href(self.answered_by)


@dataclass
class Entry:
    message: Message
    content: ContentView
    calls: list[Call] = field(default_factory=list)
    answers: Call | None = None
    metadata: str = ""

    @property
    def truncated(self) -> bool:
        return self.content.truncated


@dataclass
class TranscriptPage:
    number: int
    count: int
    entries: list[Entry]

    @property
    def has_previous(self) -> bool:
        return self.number > 1

    @property
    def has_next(self) -> bool:
        return self.number < self.count


def page_count(conversation: Conversation) -> int:
    return max(1, math.ceil(conversation.message_count / PAGE_SIZE))


def page_of(seq: int) -> int:
    return (seq - 1) // PAGE_SIZE + 1


def seq_href(seq: int | None) -> str:
    return f"?page={page_of(seq)}#m{seq}" if seq else ""


def parse_page(value: str | None, conversation: Conversation) -> int:
    """The page asked for, clamped into range; anything unreadable is page 1."""
    try:
        number = int(value or 1)
    except ValueError:
        number = 1
    return min(max(number, 1), page_count(conversation))


def transcript_page(conversation: Conversation, number: int) -> TranscriptPage:
    first = (number - 1) * PAGE_SIZE + 1
    # Cast, because the type checker takes the Substr and Length of a null column to be never None.
    messages = cast(
        "list[WithAnnotations[Message, ContentHead]]",
        list(
            Message.objects.filter(conversation=conversation, seq__range=(first, first + PAGE_SIZE - 1))
            .defer("content")
            # The stored text as text: for parts, the start of their JSON, read by content_view.
            .annotate(
                content_head=Substr("content", 1, CONTENT_SHOWN, output_field=TextField()),
                content_length=Length("content"),
            )
            .order_by("seq")
        ),
    )
    entries = [_entry(message) for message in messages]
    _link_calls_and_answers(conversation, entries)
    return TranscriptPage(number=number, count=page_count(conversation), entries=entries)


def pretty_json_text(text: str) -> str:
    """A JSON object or array indented for reading; anything else (not JSON, a scalar) exactly as given."""
    try:
        value = json.loads(text)
    except (TypeError, ValueError):
        return text
    if not isinstance(value, (dict, list)):
        return text
    return json.dumps(value, indent=2, ensure_ascii=False)


def call_of(call: dict[str, Any], seq: int) -> Call:
    """A function call with its arguments, or a custom call with its input."""
    if call.get("type") == "custom":
        return Call(id=call["id"], name=call["custom"]["name"], arguments=call["custom"]["input"], seq=seq)
    return Call(
        id=call["id"],
        name=call["function"]["name"],
        arguments=pretty_json_text(call["function"]["arguments"]),
        seq=seq,
    )


def _entry(message: WithAnnotations[Message, ContentHead]) -> Entry:
    calls = [call_of(call, message.seq) for call in message.tool_calls or ()]
    return Entry(
        message=message,
        content=excerpted(
            content_view(message.content_head, message.content_length),
            whole_up_to=SHOWN_WHOLE_UP_TO,
            length=EXCERPT_LENGTH,
        ),
        calls=calls,
        metadata=json.dumps(message.metadata, indent=2, ensure_ascii=False) if message.metadata else "",
    )


def _link_calls_and_answers(conversation: Conversation, entries: list[Entry]) -> None:
    """Pair each tool result with its call and each call with its result, on this page or another."""
    calls = {call.id: call for entry in entries for call in entry.calls}
    # Tool messages, and only they, carry the id of the call they answer.
    results = [(entry, entry.message.tool_call_id) for entry in entries if entry.message.tool_call_id is not None]
    for entry, call_id in results:
        call = calls.get(call_id)
        if call is not None:
            call.answered_by = entry.message.seq
            entry.answers = call

    unpaired = [(entry, call_id) for entry, call_id in results if entry.answers is None]
    if unpaired:
        earlier = _calls_made_elsewhere(conversation, {call_id for _, call_id in unpaired})
        for entry, call_id in unpaired:
            entry.answers = earlier.get(call_id)

    unanswered = [call for call in calls.values() if call.answered_by is None]
    if unanswered:
        answers = dict(
            Message.objects.filter(
                conversation=conversation, tool_call_id__in=[call.id for call in unanswered]
            ).values_list("tool_call_id", "seq")
        )
        for call in unanswered:
            call.answered_by = answers.get(call.id)


def _calls_made_elsewhere(conversation: Conversation, call_ids: set[str]) -> dict[str, Call]:
    """The calls with these ids, read from the assistant messages that made them (one query)."""
    seqs = ToolCall.objects.filter(conversation=conversation, call_id__in=call_ids).values("message_seq")
    makers = Message.objects.filter(conversation=conversation, seq__in=Subquery(seqs)).only("seq", "tool_calls")
    found: dict[str, Call] = {}
    for message in makers:
        for call in message.tool_calls or ():
            if call["id"] in call_ids:
                found[call["id"]] = call_of(call, message.seq)
    return found
