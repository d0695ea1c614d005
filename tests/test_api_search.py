import uuid
from datetime import datetime

import pytest
from rest_framework.test import APIClient

from chathistory import services
from tests.factories import make_conversation, make_message
from tests.support.inputs import HOSTILE_QUERIES

URL = "/api/search/"


def search(api, **params):
    return api.get(URL, params)


def test_search_needs_credentials(db):
    assert APIClient().get(URL, {"q": "x"}).status_code == 401


def test_results_have_the_documented_fields(api, conversation):
    make_message(conversation, role="assistant", content="Sunny in Paris today")

    response = search(api, q="paris")

    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"next", "previous", "results"}
    [hit] = body["results"]
    assert set(hit) == {"conversation_id", "conversation_title", "seq", "role", "snippet", "created_at"}
    assert hit["conversation_id"] == str(conversation.pk)
    assert (hit["conversation_title"], hit["seq"], hit["role"]) == ("Weather in Paris", 1, "assistant")
    assert hit["snippet"] == "Sunny in Paris today"
    assert datetime.fromisoformat(hit["created_at"]).utcoffset() is not None


@pytest.mark.parametrize("params", [{}, {"q": ""}, {"q": "   "}, {"q": "x" * 1001}])
def test_a_missing_blank_or_overlong_q_is_a_400_naming_q(api, params):
    response = search(api, **params)

    assert response.status_code == 400
    assert list(response.json()) == ["q"]


@pytest.mark.parametrize("params", [{"role": "wizard"}, {"conversation": "nope"}])
def test_an_invalid_filter_is_a_400_naming_it(api, params):
    response = search(api, q="x", **params)

    assert response.status_code == 400
    assert list(response.json()) == list(params)


def test_conversation_filter_narrows_to_one_of_yours(api, user, conversation):
    make_message(conversation, content="budget here")
    make_message(make_conversation(user=user), content="budget there")

    results = search(api, q="budget", conversation=str(conversation.pk)).json()["results"]

    assert [hit["snippet"] for hit in results] == ["budget here"]


def test_another_users_conversation_is_a_404_like_one_that_does_not_exist(api, other_user):
    theirs = make_conversation(user=other_user)
    make_message(theirs, content="budget secret")

    hidden = search(api, q="budget", conversation=str(theirs.pk))
    missing = search(api, q="budget", conversation=str(uuid.uuid4()))

    assert hidden.status_code == missing.status_code == 404
    assert hidden.json() == missing.json()


def test_role_is_repeatable(api, conversation):
    make_message(conversation, role="user", content="owls")
    make_message(conversation, role="assistant", content="owls indeed")
    make_message(conversation, role="system", content="owls always")

    response = api.get(f"{URL}?q=owls&role=user&role=system")

    assert sorted(hit["role"] for hit in response.json()["results"]) == ["system", "user"]


def test_another_users_messages_never_appear(api, other_user, conversation):
    theirs = make_conversation(user=other_user)
    services.add_messages(theirs, [{"role": "user", "content": "secret secret secret"} for _ in range(30)])
    make_message(conversation, content="a secret of mine")

    results = search(api, q="secret", page_size=100).json()["results"]

    assert [hit["conversation_id"] for hit in results] == [str(conversation.pk)]


def test_pages_follow_next_and_previous(api, conversation):
    services.add_messages(conversation, [{"role": "user", "content": "lamp " * (n % 3 + 1)} for n in range(45)])

    first = search(api, q="lamp").json()
    second = api.get(first["next"]).json()
    third = api.get(second["next"]).json()
    back = api.get(third["previous"]).json()

    assert [len(page["results"]) for page in (first, second, third)] == [20, 20, 5]
    assert first["previous"] is None and third["next"] is None
    seen = [(hit["seq"]) for page in (first, second, third) for hit in page["results"]]
    assert sorted(seen) == list(range(1, 46))
    assert back["results"] == second["results"]


def test_page_size_is_capped_at_100_and_an_invalid_one_is_the_default(api, conversation):
    services.add_messages(conversation, [{"role": "user", "content": "tick"} for _ in range(101)])

    assert len(search(api, q="tick", page_size=1000).json()["results"]) == 100
    assert len(search(api, q="tick", page_size="abc").json()["results"]) == 20
    assert len(search(api, q="tick", page_size=5).json()["results"]) == 5


def test_an_empty_cursor_is_the_first_page_as_on_every_list(api, conversation):
    make_message(conversation, content="lamp")

    assert search(api, q="lamp", cursor="").json() == search(api, q="lamp").json()


@pytest.mark.parametrize("cursor", ["garbage", "eyJzIjoxfQ:abc", "a" * 2000, "%00", "é"])
def test_a_forged_cursor_is_a_404(api, conversation, cursor):
    make_message(conversation, content="lamp")

    response = search(api, q="lamp", cursor=cursor)

    assert response.status_code == 404
    assert response.json() == {"detail": "Invalid cursor"}


def test_a_tampered_cursor_is_a_404(api, conversation):
    for _ in range(3):
        make_message(conversation, content="lamp")
    cursor = services.search_messages(conversation.user, "lamp").page(size=1).next_cursor

    assert search(api, q="lamp", cursor=cursor).status_code == 200
    assert search(api, q="lamp", cursor=cursor[:-1] + ("A" if cursor[-1] != "A" else "B")).status_code == 404


def encodable(text):
    try:
        text.encode()
    except UnicodeEncodeError:
        return False
    return True


@pytest.mark.parametrize("query", [query for query in HOSTILE_QUERIES if encodable(query)])
def test_hostile_queries_are_never_a_server_error(api, conversation, query):
    make_message(conversation, content="the needle in the haystack")

    response = search(api, q=query)

    assert response.status_code in (200, 400)
    if response.status_code == 400:
        assert list(response.json()) == ["q"]


@pytest.mark.parametrize("raw", ["%ED%A0%80needle", "%FFneedle", "needle%00", "%C0%AE", "needle%"])
def test_undecodable_bytes_in_q_are_never_a_server_error(api, conversation, raw):
    make_message(conversation, content="the needle in the haystack")

    assert api.get(f"{URL}?q={raw}").status_code in (200, 400)


def test_a_page_costs_the_same_queries_for_3_and_for_20_results(api, user, django_assert_num_queries):
    def fill(count):
        conversation = make_conversation(user=user)
        services.add_messages(conversation, [{"role": "user", "content": "orange"} for _ in range(count)])
        return conversation

    fill(3)
    with django_assert_num_queries(2):  # the token, the page
        assert len(search(api, q="orange").json()["results"]) == 3
    conversation = fill(30)
    with django_assert_num_queries(3):  # the token, the conversation, the page
        assert len(search(api, q="orange", conversation=str(conversation.pk)).json()["results"]) == 20


def test_the_schema_documents_the_route_and_its_parameters(db):
    schema = APIClient().get("/api/schema/", {"format": "json"}).json()
    operation = schema["paths"]["/api/search/"]["get"]

    assert {parameter["name"] for parameter in operation["parameters"]} == {
        "q",
        "conversation",
        "role",
        "cursor",
        "page_size",
    }
    assert {"200", "400", "401", "404"} <= set(operation["responses"])
