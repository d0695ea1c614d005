import asyncio
import json
from datetime import timedelta

import pytest
from asgiref.sync import sync_to_async
from django.core import signing
from django.core.exceptions import ImproperlyConfigured
from django.db import connections, transaction
from django.db.migrations.executor import MigrationExecutor
from django.db.models import TextField, Value
from django.test import override_settings
from django.urls import reverse

from chathistory import services
from chathistory.exceptions import ValidationError
from chathistory.fields import decode_content, encode_content
from chathistory.models import Message
from chathistory.services.search import (
    SNIPPET_LENGTH,
    InvalidCursor,
    make_snippet,
    parse_query,
    searchable_text,
)
from tests.conftest import CHAT_DATABASE, ON_POSTGRES
from tests.factories import make_conversation, make_message
from tests.support.inputs import HOSTILE_QUERIES


def titles(results):
    return [hit["conversation_title"] for hit in results]


def seqs(results):
    return [hit["seq"] for hit in results]


def set_created_at(message, moment):
    Message.objects.filter(pk=message.pk).update(created_at=moment)


def store_raw_content(conversation, content, role="user"):
    """A message whose content column holds exactly ``content`` (the text, not a value that the field encodes)."""
    message = make_message(conversation, role=role, content="placeholder")
    Message.objects.filter(pk=message.pk).update(content=Value(content, output_field=TextField()))
    return message


# Matching.


def test_words_match_whole_words_only(user, conversation):
    make_message(conversation, content="The cat sat on the mat")
    make_message(conversation, content="A category of concatenated cats")

    assert seqs(services.search_messages(user, "cat")) == [1]


def test_words_match_in_any_case(user, conversation):
    make_message(conversation, content="Flights to PARIS in May")

    assert seqs(services.search_messages(user, "paris")) == [1]
    assert seqs(services.search_messages(user, "pArIs")) == [1]


def test_every_word_must_match(user, conversation):
    make_message(conversation, content="red apple")
    make_message(conversation, content="green apple")
    make_message(conversation, content="red green apple")

    assert sorted(seqs(services.search_messages(user, "apple red"))) == [1, 3]
    assert seqs(services.search_messages(user, "red green")) == [3]
    assert seqs(services.search_messages(user, "red banana")) == []


def test_a_quoted_phrase_matches_those_words_in_order(user, conversation):
    make_message(conversation, content="a big cat")
    make_message(conversation, content="the cat is big")
    make_message(conversation, content="a big brown cat")

    assert seqs(services.search_messages(user, '"big cat"')) == [1]
    assert sorted(seqs(services.search_messages(user, "big cat"))) == [1, 2, 3]
    assert seqs(services.search_messages(user, '"BIG cat" a')) == [1]


def test_punctuation_inside_a_word_matches_as_the_text_was_written(user, conversation):
    make_message(conversation, content="My invoice INV-2041 is wrong, write to billing@example.com")

    assert seqs(services.search_messages(user, "inv-2041")) == [1]
    assert seqs(services.search_messages(user, "billing@example.com")) == [1]


@pytest.mark.skipif(ON_POSTGRES, reason="the simple configuration keeps accents; SQLite's tokenizer removes them")
def test_sqlite_matches_without_accents(user, conversation):
    make_message(conversation, content="Un café à Paris")

    assert seqs(services.search_messages(user, "cafe")) == [1]
    assert seqs(services.search_messages(user, "CAFÉ")) == [1]


def test_messages_of_every_role_are_searched(user, conversation):
    make_message(conversation, role="system", content="You answer about zebras")
    make_message(conversation, role="assistant", content="Zebras are striped")

    assert sorted(seqs(services.search_messages(user, "zebras"))) == [1, 2]


def test_an_assistant_message_without_content_is_never_a_match(user, conversation):
    from tests.factories import tool_call

    make_message(conversation, role="assistant", content=None, tool_calls=[tool_call(name="get_weather")])

    assert seqs(services.search_messages(user, "get_weather")) == []


# Ranking.


def test_the_better_match_comes_first(user):
    once = make_conversation(user=user, title="once")
    often = make_conversation(user=user, title="often")
    make_message(once, content="paris was nice and the food was good")
    make_message(often, content="paris paris paris")

    assert titles(services.search_messages(user, "paris")) == ["often", "once"]


def test_equal_matches_are_ordered_newest_first(user, conversation):
    messages = [make_message(conversation, content="meeting notes") for _ in range(3)]
    base = messages[0].created_at
    for message, days_ago in zip(messages, (3, 1, 2), strict=True):
        set_created_at(message, base - timedelta(days=days_ago))

    assert seqs(services.search_messages(user, "meeting")) == [2, 3, 1]


# Snippets.


def test_snippet_is_plain_text_around_the_first_match(user, conversation):
    text = "word " * 300 + "here is the <b>needle</b> & more " + "tail " * 300 + "needle again"
    make_message(conversation, content=text)

    [hit] = services.search_messages(user, "needle")

    assert len(hit["snippet"]) <= SNIPPET_LENGTH
    assert "the <b>needle</b> & more" in hit["snippet"]
    assert hit["snippet"].startswith("…") and hit["snippet"].endswith("…")


def test_snippet_of_a_short_message_is_the_whole_message_with_whitespace_collapsed(user, conversation):
    make_message(conversation, content="  Hello\n\n  needle\tworld  ")

    [hit] = services.search_messages(user, "needle")

    assert hit["snippet"] == "Hello needle world"


def test_snippet_never_exceeds_200_characters():
    terms = parse_query("needle")
    for text in [
        "x" * 5000,
        "needle" + "y" * 5000,
        "a " * 5000 + "needle",
        "needle",
        "",
        " " * 900 + "needle" + " " * 900,
    ]:
        assert len(make_snippet(text, terms)) <= SNIPPET_LENGTH


def test_snippet_shows_a_phrase_where_it_occurs_as_a_phrase():
    text = "big " + "filler " * 100 + "the big cat sleeps"
    assert "the big cat sleeps" in make_snippet(text, parse_query('"big cat"'))


def test_snippet_finds_a_match_that_differs_by_accents():
    text = "x " * 200 + "un café noir"
    assert "café noir" in make_snippet(text, parse_query("cafe"))


# Content parts.


def test_searchable_text_of_content_parts_is_the_text_of_their_text_parts():
    parts = [
        {"type": "text", "text": "look at this"},
        {"type": "image_url", "image_url": {"url": "https://example.com/secret.png"}},
        {"type": "text", "text": "and this"},
    ]

    assert searchable_text(parts) == "look at this\nand this"
    assert searchable_text(decode_content(json.dumps(parts))) == "look at this\nand this"
    assert searchable_text(None) == ""
    assert searchable_text("plain") == "plain"
    assert searchable_text(json.dumps(parts)) == json.dumps(parts)


@pytest.mark.parametrize("content", ["[citation needed]", "[1, 2]", '["a"]', "[]", '[{"text": "no type"}]', "[NaN]"])
def test_content_that_is_not_a_list_of_parts_is_its_own_text(content):
    assert searchable_text(content) == content
    # The same text stored by a raw write, read back as the field decodes it.
    assert searchable_text(decode_content(content)) == content


def test_a_string_that_looks_like_parts_is_found_and_shown_as_the_string_it_is(user, conversation):
    content = '[{"type": "text", "text": "needle"}]'
    make_message(conversation, content=content)

    [hit] = services.search_messages(user, "needle")
    assert hit["snippet"] == content
    assert seqs(services.search_messages(user, "type")) == [1]


def test_text_parts_are_searched_and_other_parts_are_not(user, conversation):
    parts = [
        {"type": "text", "text": "what is in this picture"},
        {"type": "image_url", "image_url": {"url": "https://example.com/secret.png"}},
    ]
    store_raw_content(conversation, json.dumps(parts))

    [hit] = services.search_messages(user, "picture")
    assert hit["snippet"] == "what is in this picture"
    assert seqs(services.search_messages(user, "secret")) == []
    assert seqs(services.search_messages(user, "image_url")) == []


@pytest.mark.parametrize("content", ["[citation needed] text", '["type", "text"] text', '[{"type": "text"] text'])
def test_content_that_only_looks_like_parts_is_indexed_as_written(user, conversation, content):
    store_raw_content(conversation, content)

    assert seqs(services.search_messages(user, "text")) == [1]


def test_the_database_and_python_agree_on_the_searchable_text(user, conversation):
    contents = [
        json.dumps([{"type": "text", "text": "alpha"}, {"type": "text", "text": "beta"}]),
        json.dumps([{"type": "image_url", "image_url": {"url": "gamma"}}]),
        json.dumps([{"type": "text", "text": 5}, {"type": "text", "text": "delta"}]),
        '[{"type": 1, "text": "epsilon"}]',
        # Strings as the field stores them: with the escape character in front.
        encode_content('[{"type": "text", "text": "zeta"}]'),
        encode_content("\x1btheta"),
    ]
    for content in contents:
        store_raw_content(conversation, content)

    for word, expected in (
        ("alpha", [1]),
        ("beta", [1]),
        ("gamma", []),
        ("delta", [3]),
        ("epsilon", [4]),
        ("zeta", [5]),
        ("theta", [6]),
    ):
        found = seqs(services.search_messages(user, word))
        assert found == expected, word
        texts = [searchable_text(decode_content(content)) for content in contents]
        assert [seq for seq, text in enumerate(texts, 1) if word in text] == expected


# Scope.


def test_another_users_messages_never_match_even_when_they_rank_higher(user, other_user, conversation):
    make_message(conversation, content="mine mentions treasure once among many other words here")
    theirs = make_conversation(user=other_user, title="theirs")
    for _ in range(30):
        make_message(theirs, content="treasure treasure treasure")

    results = services.search_messages(user, "treasure")
    page = results.page(size=1)

    assert titles(results) == ["Weather in Paris"]
    assert titles(page.results) == ["Weather in Paris"] and page.next_cursor is None


def test_conversation_narrows_the_search_and_another_users_conversation_gives_nothing(user, other_user, conversation):
    make_message(conversation, content="budget for march")
    elsewhere = make_conversation(user=user, title="elsewhere")
    make_message(elsewhere, content="budget for april")
    theirs = make_conversation(user=other_user)
    make_message(theirs, content="budget for may")

    assert titles(services.search_messages(user, "budget", conversation=conversation)) == ["Weather in Paris"]
    assert titles(services.search_messages(user, "budget", conversation=str(elsewhere.pk))) == ["elsewhere"]
    assert list(services.search_messages(user, "budget", conversation=theirs)) == []


def test_role_narrows_the_search(user, conversation):
    make_message(conversation, role="user", content="tell me about owls")
    make_message(conversation, role="assistant", content="owls are birds")
    make_message(conversation, role="system", content="you know owls")

    assert seqs(services.search_messages(user, "owls", role="assistant")) == [2]
    assert sorted(seqs(services.search_messages(user, "owls", role=["user", "system"]))) == [1, 3]


def test_invalid_arguments_name_their_field(user):
    with pytest.raises(ValidationError) as blank:
        services.search_messages(user, "   ")
    with pytest.raises(ValidationError) as role:
        services.search_messages(user, "x", role=["wizard"])
    with pytest.raises(ValidationError) as conversation:
        services.search_messages(user, "x", conversation="not-a-uuid")

    assert list(blank.value.errors) == ["query"]
    assert list(role.value.errors) == ["role"]
    assert list(conversation.value.errors) == ["conversation"]


@pytest.mark.parametrize("query", HOSTILE_QUERIES)
def test_hostile_queries_are_words_never_syntax(user, conversation, query):
    make_message(conversation, content="the needle in the haystack")

    results = services.search_messages(user, query)
    page = results.page(size=5)

    assert list(results) == page.results


@pytest.mark.parametrize(
    "query",
    [
        "needle*",
        "-needle",
        "(needle",
        "needle)",
        "^needle",
        "!needle",
        "~needle",
        "\\needle",
        "%needle%",
        "{needle}",
        "[needle]",
        "needle\x00",
        "needle\udfff",
        '"needle',
        'needle"',
        "\n\t needle",
        "needle & | ! <->",
        "\ufeffneedle",
        "''needle''",
        "needle:",
    ],
)
def test_operators_around_a_word_leave_the_word(user, conversation, query):
    make_message(conversation, content="the needle in the haystack")

    assert seqs(services.search_messages(user, query)) == [1]


def test_a_query_without_a_word_matches_nothing(user, conversation):
    make_message(conversation, content="* - ( ) NEAR")

    assert list(services.search_messages(user, "* - ()")) == []


def test_operator_words_are_plain_words(user, conversation):
    make_message(conversation, content="near the river")
    make_message(conversation, content="this or that")

    assert seqs(services.search_messages(user, "NEAR")) == [1]
    assert seqs(services.search_messages(user, "or")) == [2]


# Pages.


def test_pages_walk_every_match_once_in_order_and_back(user):
    conversation = make_conversation(user=user)
    services.add_messages(conversation, [{"role": "user", "content": "lamp " * (n % 4 + 1)} for n in range(25)])
    everything = seqs(services.search_messages(user, "lamp"))
    results = services.search_messages(user, "lamp")

    first = results.page(size=10)
    second = results.page(size=10, cursor=first.next_cursor)
    third = results.page(size=10, cursor=second.next_cursor)
    back = results.page(size=10, cursor=third.previous_cursor)

    assert len(everything) == 25
    assert seqs(first.results) + seqs(second.results) + seqs(third.results) == everything
    assert first.previous_cursor is None and third.next_cursor is None
    assert seqs(back.results) == seqs(second.results)
    assert seqs(results.page(size=10, cursor=back.previous_cursor).results) == seqs(first.results)


def test_pages_of_varying_sizes_walk_every_match_once_both_ways(user):
    conversation = make_conversation(user=user)
    services.add_messages(conversation, [{"role": "user", "content": "lamp " * (n % 5 + 1)} for n in range(23)])
    results = services.search_messages(user, "lamp")
    everything = seqs(results)

    walked, page, pages = [], results.page(size=4), []
    while True:
        pages.append(page)
        walked += seqs(page.results)
        if page.next_cursor is None:
            break
        page = results.page(size=4 + len(pages) % 3, cursor=page.next_cursor)
    assert walked == everything and len(everything) == 23

    back, page = [], pages[-1]
    while page.previous_cursor is not None:
        page = results.page(size=4, cursor=page.previous_cursor)
        back = seqs(page.results) + back
    assert back + seqs(pages[-1].results) == everything


@pytest.mark.skipif(ON_POSTGRES, reason="SQLite's bm25() reads the whole table; PostgreSQL's ts_rank one row")
def test_a_search_cursor_says_nothing_of_other_users_messages(user, other_user):
    mine = make_conversation(user=user)
    services.add_messages(mine, [{"role": "user", "content": f"lamp and {'oil ' * n}"} for n in range(12)])
    page = services.search_messages(user, "lamp").page(size=5)
    cursors = (page.next_cursor, page.previous_cursor)

    theirs = make_conversation(user=other_user)
    services.add_messages(theirs, [{"role": "user", "content": "lamp lamp lamp"} for _ in range(200)])
    again = services.search_messages(user, "lamp").page(size=5)

    assert (again.next_cursor, again.previous_cursor) == cursors
    payload = signing.Signer(salt="chathistory.search.cursor").unsign_object(again.next_cursor)
    assert payload == {"o": 5, "d": "n"}
    walked, page = seqs(again.results), again
    while page.next_cursor is not None:
        page = services.search_messages(user, "lamp").page(size=5, cursor=page.next_cursor)
        walked += seqs(page.results)
    assert sorted(walked) == list(range(1, 13))


@pytest.mark.parametrize(
    "payload",
    [{"o": -1, "d": "n"}, {"o": 1.5, "d": "n"}, {"o": True, "d": "n"}, {"o": 2**70, "d": "p"}, {"o": 1, "d": "x"}],
)
def test_a_forged_position_cursor_is_refused(user, payload):
    cursor = signing.Signer(salt="chathistory.search.cursor").sign_object(payload)
    with pytest.raises(InvalidCursor):
        services.search_messages(user, "x").page(cursor=cursor)


def test_page_size_is_capped_at_100(user, conversation):
    services.add_messages(conversation, [{"role": "user", "content": "tick"} for _ in range(101)])

    assert len(services.search_messages(user, "tick").page(size=500).results) == 100


@pytest.mark.parametrize(
    "cursor",
    [
        "",
        "garbage",
        "a" * 1000,
        "é",
        "\ud800",
        signing.Signer(salt="chathistory.search.cursor").sign_object({"s": 1.0}),
        signing.Signer(salt="chathistory.search.cursor").sign_object(
            {"s": "x", "t": "2024-01-01T00:00:00+00:00", "i": 1, "d": "n"}
        ),
        signing.Signer(salt="chathistory.search.cursor").sign_object({"s": 1.0, "t": "not a date", "i": 1, "d": "n"}),
        signing.Signer(salt="chathistory.search.cursor").sign_object(
            {"s": 1.0, "t": "2024-01-01T00:00:00+00:00", "i": 2**70, "d": "n"}
        ),
        signing.Signer(salt="another.salt").sign_object({"s": 1.0, "t": "2024-01-01T00:00:00+00:00", "i": 1, "d": "n"}),
    ],
)
def test_a_cursor_this_module_did_not_hand_out_is_refused(user, cursor):
    with pytest.raises(InvalidCursor):
        services.search_messages(user, "x").page(cursor=cursor)


def test_a_tampered_cursor_is_refused(user, conversation):
    for _ in range(3):
        make_message(conversation, content="lamp")
    cursor = services.search_messages(user, "lamp").page(size=1).next_cursor
    payload, signature = cursor.rsplit(":", 1)

    with pytest.raises(InvalidCursor):
        services.search_messages(user, "lamp").page(cursor=payload[:-2] + "AA:" + signature)


def test_one_page_is_one_query(user, django_assert_num_queries):
    for n in range(4):
        conversation = make_conversation(user=user, title=f"c{n}")
        services.add_messages(conversation, [{"role": "user", "content": f"orange {m}"} for m in range(5)])
    results = services.search_messages(user, "orange")

    with django_assert_num_queries(1):
        page = results.page(size=18)

    assert len(page.results) == 18
    assert {hit["conversation_title"] for hit in page.results} == {"c0", "c1", "c2", "c3"}
    assert page.next_cursor is not None


@pytest.mark.django_db(transaction=True)
def test_async_twin_returns_the_same_results(user, conversation):
    make_message(conversation, content="async search")

    async def search():
        try:
            return await services.asearch_messages(user, "async")
        finally:
            await sync_to_async(connections.close_all)()

    found = asyncio.run(search())
    assert found == list(services.search_messages(user, "async"))
    assert type(found) is list  # evaluated in the worker thread, not lazy


# The index.


def fts_rowids(word):
    with connections[CHAT_DATABASE].cursor() as cursor:
        cursor.execute(
            "SELECT rowid FROM chathistory_message_fts WHERE chathistory_message_fts MATCH %s", [f'"{word}"']
        )
        return sorted(row[0] for row in cursor.fetchall())


@pytest.mark.skipif(ON_POSTGRES, reason="SQLite's FTS5 table")
def test_triggers_keep_fts_in_step_on_insert_update_and_conversation_delete(user, conversation):
    kept = make_message(make_conversation(user=user), content="walrus elsewhere")
    message = make_message(conversation, content="walrus here")
    assert fts_rowids("walrus") == sorted([kept.pk, message.pk])

    Message.objects.filter(pk=message.pk).update(content="seal here")
    assert fts_rowids("walrus") == [kept.pk] and fts_rowids("seal") == [message.pk]

    services.delete_conversation(conversation)
    assert fts_rowids("seal") == [] and fts_rowids("here") == []
    assert fts_rowids("walrus") == [kept.pk]
    with connections[CHAT_DATABASE].cursor() as cursor:
        cursor.execute("SELECT count(*) FROM chathistory_message_fts_docsize")
        assert cursor.fetchone()[0] == Message.objects.count()


@pytest.mark.skipif(ON_POSTGRES, reason="SQLite's FTS5 table")
def test_sqlite_plan_reads_the_fts_index(user, conversation):
    make_message(conversation, content="plan")

    plan = services.search_messages(user, "plan").explain()

    assert "VIRTUAL TABLE INDEX" in plan and "chathistory_message_fts" in plan


@pytest.mark.postgres
def test_postgres_plan_reads_the_gin_index_for_a_rare_word(user, other_user):
    mine = make_conversation(user=user)
    services.add_messages(mine, [{"role": "user", "content": f"note {n}"} for n in range(300)])
    make_message(mine, content="the plan")
    for _ in range(2):
        services.add_messages(
            make_conversation(user=other_user), [{"role": "user", "content": f"note {n}"} for n in range(1000)]
        )
    with transaction.atomic(using=CHAT_DATABASE), connections[CHAT_DATABASE].cursor() as cursor:
        cursor.execute("ANALYZE chathistory_message, chathistory_conversation")
        cursor.execute("SET LOCAL enable_seqscan = off")
        plan = services.search_messages(user, "plan").explain()

    assert "chathistory_msg_search" in plan


@pytest.mark.postgres
def test_admin_search_reads_the_gin_index(conversation):
    sql, params = services.search.filter_matching(Message.objects.order_by(), "plan").query.sql_with_params()
    with transaction.atomic(using=CHAT_DATABASE), connections[CHAT_DATABASE].cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute(f"EXPLAIN {sql}", params)
        plan = "\n".join(row[0] for row in cursor.fetchall())

    assert "chathistory_msg_search" in plan


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_rebuilding_the_index_applies_a_changed_configuration(user, conversation):
    make_message(conversation, content="she runs every morning")
    assert seqs(services.search_messages(user, "running")) == []
    try:
        with override_settings(CHATHISTORY={"SEARCH_CONFIG": "english"}):
            services.rebuild_search_index()
            assert seqs(services.search_messages(user, "running")) == [1]
            with connections[CHAT_DATABASE].cursor() as cursor:
                cursor.execute("SELECT indexdef FROM pg_indexes WHERE indexname = 'chathistory_msg_search'")
                assert "'english'::regconfig" in cursor.fetchone()[0]
    finally:
        services.rebuild_search_index()


def test_an_invalid_configuration_name_is_an_error_that_says_so(user, conversation):
    make_message(conversation, content="x")
    with override_settings(CHATHISTORY={"SEARCH_CONFIG": "simple'; DROP TABLE x; --"}):
        if ON_POSTGRES:
            with pytest.raises(ImproperlyConfigured, match="SEARCH_CONFIG"):
                list(services.search_messages(user, "x"))
        else:  # SQLite has no configuration to read
            assert seqs(services.search_messages(user, "x")) == [1]


def search_index_exists():
    connection = connections[CHAT_DATABASE]
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT count(*) FROM pg_indexes WHERE indexname = 'chathistory_msg_search'")
        else:
            cursor.execute(
                "SELECT count(*) FROM sqlite_master "
                "WHERE name LIKE 'chathistory_message_fts%%' AND type IN ('table', 'trigger')"
            )
        return cursor.fetchone()[0] > 0


@pytest.mark.django_db(transaction=True)
def test_the_search_migration_is_reversible_and_indexes_existing_messages(user):
    connection = connections[CHAT_DATABASE]
    executor = MigrationExecutor(connection)
    assert search_index_exists()
    # Made before going back: the model has columns of later migrations too. Unapplying the
    # search migration drops its index, so finding the message afterwards means it was indexed again.
    make_message(make_conversation(user=user), content="indexed afterwards")
    try:
        executor.migrate([("chathistory", "0005_message_unordered_key_without_batch")])
        assert not search_index_exists()
    finally:
        MigrationExecutor(connection).migrate(executor.loader.graph.leaf_nodes("chathistory"))
    assert search_index_exists()
    assert seqs(services.search_messages(user, "afterwards")) == [1]


# The admin.


def test_admin_search_finds_whole_words_of_every_user(admin_client, user, other_user):
    mine = make_message(make_conversation(user=user), content="the cat sleeps")
    theirs = make_message(make_conversation(user=other_user), content="a cat again")
    make_message(make_conversation(user=other_user), content="category")

    results = admin_client.get(reverse("admin:chathistory_message_changelist"), {"q": "CAT"}).context["cl"].result_list

    assert sorted(message.pk for message in results) == sorted([mine.pk, theirs.pk])


def test_admin_search_without_a_word_finds_nothing(admin_client, conversation):
    make_message(conversation, content="* * *")

    results = admin_client.get(reverse("admin:chathistory_message_changelist"), {"q": "* *"}).context["cl"].result_list

    assert list(results) == []


def test_results_read_like_a_list(user, conversation):
    make_message(conversation, content="list like")

    results = services.search_messages(user, "list")

    assert len(results) == 1 and results[0]["seq"] == 1 and results[:1] == list(results)
    assert services.search_messages(user, "absent") == []


def test_parts_stored_through_the_service_are_searched_by_their_text(user, conversation):
    make_message(
        conversation,
        content=[
            {"type": "text", "text": "a tortoise"},
            {"type": "image_url", "image_url": {"url": "https://example.com/hare.png"}},
        ],
    )
    make_message(conversation, content='[{"type": "text", "text": "a string about a hare"}]')

    [hit] = services.search_messages(user, "tortoise")
    assert hit["snippet"] == "a tortoise"
    assert seqs(services.search_messages(user, "hare")) == [2]
