"""The admin draws content parts: thumbnails and players from its own part view, links it never
follows by itself, folded refusals and provider blocks; and it reads only the start of each
message's content on its list pages."""

from __future__ import annotations

import base64
import json
import re

import pytest
from django.db import connections
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from chathistory import services
from chathistory.admin.content import content_view, excerpt_of, parse_prefix
from chathistory.fields import encode_content
from tests.conftest import CHAT_DATABASE
from tests.factories import make_message
from tests.shapes_corpus import THINKING

PNG = base64.b64encode(b"\x89PNG\r\n\x1a\n" + b"\x00" * 32).decode()
SVG = base64.b64encode(b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>').decode()
WAV = base64.b64encode(b"RIFF$\x00\x00\x00WAVE").decode()
PDF = base64.b64encode(b"%PDF-1.4\n" + b"x" * 2039).decode()  # 2,048 bytes


def change_page(client, obj, name):
    response = client.get(reverse(f"admin:chathistory_{name}_change", args=[obj.pk]))
    assert response.status_code == 200
    return response.content.decode()


def part_url(message, index):
    return reverse("admin:chathistory_message_part", args=[message.pk, index])


@pytest.fixture
def rich(conversation):
    return make_message(
        conversation,
        role="user",
        content=[
            {"type": "text", "text": "What is on these?"},
            {"type": "image_url", "image_url": {"url": f"data:image/png;base64,{PNG}"}},
            {"type": "image_url", "image_url": {"url": f"data:image/svg+xml;base64,{SVG}"}},
            {"type": "image_url", "image_url": {"url": "https://example.com/cat.jpg"}},
            {"type": "image_url", "image_url": {"url": "javascript:alert(1)"}},
            {"type": "input_audio", "input_audio": {"data": WAV, "format": "wav"}},
            {"type": "file", "file": {"file_data": f"data:application/pdf;base64,{PDF}", "filename": "report.pdf"}},
            {"type": "document", "source": {"type": "url", "url": "https://example.com/a.pdf"}},
        ],
    )


@pytest.mark.parametrize("page", ["transcript", "message"])
def test_parts_are_drawn_and_nothing_is_loaded_from_elsewhere(admin_client, conversation, rich, page):
    html = (
        change_page(admin_client, conversation, "conversation")
        if page == "transcript"
        else change_page(admin_client, rich, "message")
    )

    assert "What is on these?" in html
    # The one raster image is a thumbnail from the admin's own part view; every src is the admin's.
    assert re.findall(r'<img class="chm-thumbnail" src="([^"]+)"', html) == [part_url(rich, 1)]
    assert all(src.startswith("/") for src in re.findall(r'src="([^"]+)"', html))
    assert "image/svg+xml" in html and part_url(rich, 2) not in html
    assert 'href="https://example.com/cat.jpg" rel="noopener noreferrer nofollow"' in html
    assert 'href="javascript:' not in html
    assert f'<audio controls preload="none" src="{part_url(rich, 5)}">' in html
    assert "report.pdf" in html and "2.0\xa0KB" in html
    assert '<details class="chm-block"><summary>document block</summary>' in html


def test_the_part_view_serves_raster_images_audio_and_files_only(admin_client, rich):
    image = admin_client.get(part_url(rich, 1))
    assert image.status_code == 200
    assert image["Content-Type"] == "image/png" and image.content == base64.b64decode(PNG)
    assert image["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in image["Content-Security-Policy"]

    assert admin_client.get(part_url(rich, 5))["Content-Type"] == "audio/wav"
    download = admin_client.get(part_url(rich, 6))
    assert download["Content-Type"] == "application/octet-stream"
    assert download["Content-Disposition"].startswith("attachment")
    for index in (0, 2, 3, 4, 7, 99):  # text, SVG, remote and script URLs, a provider block, no such part
        assert admin_client.get(part_url(rich, index)).status_code == 404


def test_a_file_is_linked_only_when_the_part_view_can_serve_it(admin_client, conversation):
    message = make_message(
        conversation,
        role="user",
        content=[
            {"type": "file", "file": {"file_data": PDF, "filename": "bare.pdf"}},
            {
                "type": "file",
                "file": {"file_data": f"data:application/pdf;name=a.pdf;base64,{PDF}", "filename": "a.pdf"},
            },
        ],
    )

    html = change_page(admin_client, message, "message")

    assert f'<a href="{part_url(message, 0)}" download>' not in html and "<strong>bare.pdf</strong>" in html
    assert admin_client.get(part_url(message, 0)).status_code == 404
    assert f'<a href="{part_url(message, 1)}" download>a.pdf</a>' in html
    assert admin_client.get(part_url(message, 1)).content == base64.b64decode(PDF)


def test_the_part_view_needs_the_view_permission(client, rich, django_user_model):
    staff = django_user_model.objects.create_user("staff", password="pw", is_staff=True)
    client.force_login(staff)

    assert client.get(part_url(rich, 1)).status_code in (403, 404)


def test_refusals_and_provider_blocks_are_folded(admin_client, conversation):
    services.add_messages(
        conversation,
        [
            {"role": "user", "content": "Tell me a secret."},
            {"role": "assistant", "content": [THINKING, {"type": "text", "text": "Let me think."}]},
            {"role": "assistant", "content": None, "refusal": "I can't share that."},
        ],
    )

    html = change_page(admin_client, conversation, "conversation")

    assert '<details class="chm-block"><summary>thinking block</summary>' in html
    assert "c2lnbmF0dXJl" in html  # the signature, inside the fold
    assert '<details class="chm-refusal"><summary>Refusal</summary>' in html
    assert "I can&#x27;t share that." in html


def test_a_custom_tool_call_is_shown_with_its_input(admin_client, conversation):
    services.add_messages(
        conversation,
        [
            {
                "role": "assistant",
                "content": None,
                "tool_calls": [
                    {"id": "call_7", "type": "custom", "custom": {"name": "run_python", "input": "print(6 * 7)"}}
                ],
            },
            {"role": "tool", "tool_call_id": "call_7", "content": "42"},
        ],
    )

    html = change_page(admin_client, conversation, "conversation")

    assert "run_python" in html and "print(6 * 7)" in html
    assert "→ run_python" in admin_client.get(reverse("admin:chathistory_message_changelist")).content.decode()


def test_content_search_finds_text_inside_text_parts(admin_client, conversation):
    make_message(conversation, content=[{"type": "text", "text": 'He said "bonjour" to the tortoise'}])
    make_message(conversation, content="Nothing here.")
    changelist = reverse("admin:chathistory_message_changelist")

    for query in ("tortoise", "bonjour", '"bonjour"'):
        page = admin_client.get(changelist, {"q": query}).content.decode()
        assert "He said" in page and "Nothing here." not in page, query


def _selected_content(queries):
    """The queries that read the whole content column, not only an excerpt or the length of it."""
    whole = []
    for query in queries:
        selected = query["sql"].split(" FROM ", 1)[0]
        selected = re.sub(
            r'(SUBSTR(ING)?|LENGTH)\("chathistory_message"\."content"[^)]*\)', "", selected, flags=re.IGNORECASE
        )
        if '"chathistory_message"."content"' in selected:
            whole.append(query["sql"])
    return whole


@pytest.fixture
def large(conversation):
    image = {"type": "image_url", "image_url": {"url": "data:image/png;base64," + "A" * 999_000}}
    services.add_messages(conversation, [{"role": "user", "content": [{"type": "text", "text": "Look"}, image]}] * 3)
    return conversation


@pytest.mark.parametrize(
    "url",
    [
        lambda c: reverse("admin:chathistory_conversation_changelist"),
        lambda c: reverse("admin:chathistory_message_changelist"),
        lambda c: reverse("admin:chathistory_conversation_change", args=[c.pk]),
    ],
    ids=["conversation-list", "message-list", "transcript"],
)
def test_list_pages_read_only_an_excerpt_of_each_message(admin_client, large, url):
    with CaptureQueriesContext(connections[CHAT_DATABASE]) as queries:
        response = admin_client.get(url(large))

    assert response.status_code == 200
    assert _selected_content(queries.captured_queries) == []
    assert len(response.content) < 500_000  # three images of a million characters, none of them in the page


def test_the_transcript_shows_what_it_can_of_a_part_cut_short(admin_client, large):
    html = change_page(admin_client, large, "conversation")

    assert html.count('class="chm-thumbnail"') == 3
    assert "Look" in html and "(cut short here)" in html
    assert "Read the whole message" in html


# Reading parts from the start of their stored text ---------------------------------------------


def test_a_prefix_of_parts_keeps_the_whole_parts_and_marks_the_cut_one():
    parts = [
        {"type": "text", "text": 'a "b"\n'},
        {"type": "image_url", "image_url": {"url": "data:image/png;base64,AAAA"}},
    ]
    text = encode_content(parts)

    whole = parse_prefix(text)
    cut = parse_prefix(text[:-6])

    # Whether the text was whole is told by the marks on the values it ended inside of.
    complete = not any(part.cut for part in content_view(text, len(text)).parts)
    cut_complete = not any(part.cut for part in content_view(text[:-6], len(text)).parts)
    assert (whole, complete) == (parts, True)
    assert cut_complete is False
    assert cut[0] == parts[0]
    assert cut[1]["image_url"]["url"].startswith("data:image/png;base64,")
    assert [part.cut for part in content_view(text[:-6], len(text)).parts] == [False, True]


@pytest.mark.parametrize("length", range(1, 80, 3))
def test_any_prefix_of_stored_parts_can_be_drawn(length):
    text = encode_content([{"type": "text", "text": "ab\\u00e9"}, {"z": [1, 2.5e-3, True, None], "type": "x"}])

    view = content_view(text[:length], len(text))

    assert view.is_parts and view.truncated == (length < len(text))
    assert isinstance(excerpt_of(text[:length]), str)


def test_an_escaped_string_is_shown_without_its_escape():
    text = encode_content("[citation needed]")

    view = content_view(text, len(text))

    assert (view.text, view.length, view.shown, view.is_parts) == ("[citation needed]", 17, 17, False)
    assert json.loads(encode_content([{"type": "text", "text": "x"}])) == [{"type": "text", "text": "x"}]
