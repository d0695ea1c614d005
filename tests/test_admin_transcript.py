import re

from django.db import connections
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from chathistory import services
from chathistory.admin.transcript import EXCERPT_LENGTH, PAGE_SIZE, SHOWN_WHOLE_UP_TO
from tests.conftest import CHAT_DATABASE
from tests.factories import make_conversation, make_message, tool_call


def transcript(client, conversation, **params):
    response = client.get(reverse("admin:chathistory_conversation_change", args=[conversation.pk]), params)
    assert response.status_code == 200
    return response.content.decode()


def seqs_shown(page):
    return [int(seq) for seq in re.findall(r'data-seq="(\d+)"', page)]


def fill(conversation, count, make=lambda n: {"role": "user", "content": f"message {n}"}):
    for start in range(0, count, 1000):
        services.add_messages(conversation, [make(n) for n in range(start, min(start + 1000, count))])


def test_transcript_shows_messages_in_seq_order_with_roles_set_apart(admin_client, conversation):
    make_message(conversation, role="system", content="Be brief.")
    make_message(conversation, role="user", content="Weather in Paris?")
    make_message(conversation, role="assistant", content="Sunny.")
    page = transcript(admin_client, conversation)
    assert seqs_shown(page) == [1, 2, 3]
    assert page.index("Be brief.") < page.index("Weather in Paris?") < page.index("Sunny.")
    for role in ("system", "user", "assistant"):
        assert f"chm-role-{role}" in page


def test_transcript_shows_a_tool_call_with_pretty_arguments_and_its_result(admin_client, conversation):
    make_message(conversation, role="user", content="Weather in Paris?")
    make_message(
        conversation,
        role="assistant",
        content=None,
        tool_calls=[tool_call("call_42", "get_weather", '{"city":"Paris","unit":"C"}')],
    )
    make_message(conversation, role="tool", tool_call_id="call_42", content="18°C")
    page = transcript(admin_client, conversation)
    assert "get_weather" in page
    assert "{\n  &quot;city&quot;: &quot;Paris&quot;,\n  &quot;unit&quot;: &quot;C&quot;\n}" in page
    assert re.search(r"Result of <code[^>]*>get_weather</code>\s*<span[^>]*>call_42</span>", page)
    assert 'Answered in <a href="?page=1#m3">#3</a>' in page


def test_arguments_that_are_not_json_are_shown_as_given(admin_client, conversation):
    make_message(conversation, role="assistant", content=None, tool_calls=[tool_call(arguments='{"city": "Par')])
    assert "{&quot;city&quot;: &quot;Par</pre>" in transcript(admin_client, conversation)


def test_arguments_that_are_a_json_scalar_are_shown_as_given(admin_client, conversation):
    make_message(conversation, role="assistant", content=None, tool_calls=[tool_call(arguments="42")])
    assert '<pre class="chm-arguments">42</pre>' in transcript(admin_client, conversation)


def test_a_tool_result_on_a_later_page_shows_the_call_it_answers(admin_client, conversation):
    make_message(conversation, role="assistant", content=None, tool_calls=[tool_call("call_early", "lookup")])
    fill(conversation, PAGE_SIZE)
    make_message(conversation, role="tool", tool_call_id="call_early", content="found it")

    second = transcript(admin_client, conversation, page=2)
    assert seqs_shown(second) == [PAGE_SIZE + 1, PAGE_SIZE + 2]
    assert re.search(r"Result of <code[^>]*>lookup</code>", second)
    assert 'called in <a href="?page=1#m1">#1</a>' in second

    first = transcript(admin_client, conversation, page=1)
    assert f'Answered in <a href="?page=2#m{PAGE_SIZE + 2}">' in first


def test_metadata_is_folded_in_a_details_element(admin_client, conversation):
    make_message(
        conversation, role="assistant", content="Hi", metadata={"model": "gpt-4o", "usage": {"total_tokens": 9}}
    )
    page = transcript(admin_client, conversation)
    assert re.search(r"<details class=\"chm-metadata\"><summary>Metadata</summary><pre>\{\n  &quot;model&quot;", page)


def test_transcript_escapes_html_in_content(admin_client, conversation):
    make_message(conversation, role="user", content="<script>alert('x')</script><b>bold</b>")
    page = transcript(admin_client, conversation)
    assert "<script>alert" not in page
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;&lt;b&gt;bold&lt;/b&gt;" in page


def test_unicode_content_is_shown_exactly(admin_client, conversation):
    text = "مرحبا 👩‍👩‍👧 e\u0301\r\nline two"
    make_message(conversation, role="user", content=text)
    assert "مرحبا 👩‍👩‍👧 e\u0301\r\nline two" in transcript(admin_client, conversation)


def test_a_very_long_message_is_cut_with_a_link_to_all_of_it(admin_client, conversation):
    message = make_message(conversation, role="user", content="x" * 30_000)
    page = transcript(admin_client, conversation)
    assert "x" * EXCERPT_LENGTH in page and "x" * (EXCERPT_LENGTH + 1) not in page
    assert "The first 1,000 of 30,000 characters." in page
    assert reverse("admin:chathistory_message_change", args=[message.pk]) in page


def test_a_long_message_is_cut_at_a_space_and_a_shorter_one_shown_whole(admin_client, conversation):
    words = "lorem ipsum dolor sit amet " * 400  # 10,800 characters
    make_message(conversation, role="user", content=words)
    make_message(conversation, role="assistant", content="y" * SHOWN_WHOLE_UP_TO)
    make_message(conversation, role="assistant", content=[{"type": "text", "text": "z" * 5_000}])

    page = transcript(admin_client, conversation)

    excerpt = words[:EXCERPT_LENGTH].rsplit(" ", 1)[0]
    assert f"{excerpt}</div>" in page
    assert "y" * SHOWN_WHOLE_UP_TO in page
    assert "z" * EXCERPT_LENGTH in page and "z" * (EXCERPT_LENGTH + 1) not in page
    assert page.count("Read the whole message") == 2
    assert "Long parts are shown as their start." in page


def test_out_of_range_pages_are_clamped(admin_client, conversation):
    fill(conversation, 3)
    assert seqs_shown(transcript(admin_client, conversation, page=99)) == [1, 2, 3]
    assert seqs_shown(transcript(admin_client, conversation, page="nope")) == [1, 2, 3]


def test_a_conversation_of_20000_messages_renders_one_page_with_as_many_queries_as_20(admin_client, user):
    short = make_conversation(user=user, title="short")
    fill(short, 20)
    long = make_conversation(user=user, title="long")
    fill(long, 20_000)
    transcript(admin_client, short)

    with CaptureQueriesContext(connections[CHAT_DATABASE]) as short_queries:
        transcript(admin_client, short)
    with CaptureQueriesContext(connections[CHAT_DATABASE]) as long_queries:
        last_page = transcript(admin_client, long, page=200)

    assert seqs_shown(last_page) == list(range(19_901, 20_001))
    assert "Page 200 of 200" in last_page
    assert len(long_queries.captured_queries) == len(short_queries.captured_queries)


def test_a_result_on_a_later_page_is_paired_with_its_own_call_among_several(admin_client, conversation):
    calls = [tool_call("call_a", "first_tool"), tool_call("call_b", "second_tool")]
    make_message(conversation, role="assistant", content=None, tool_calls=calls)
    make_message(conversation, role="tool", tool_call_id="call_a", content="first answer")
    fill(conversation, PAGE_SIZE - 1)
    make_message(conversation, role="tool", tool_call_id="call_b", content="second answer")

    second = transcript(admin_client, conversation, page=2)
    assert re.search(r"Result of <code[^>]*>second_tool</code>", second)
    assert "first_tool" not in second
