import uuid
from datetime import timedelta

import pytest
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from chathistory.models import Conversation, Message
from tests.contract import CONVERSATION_JSON_KEYS
from tests.factories import make_conversation, make_message

URL = "/api/conversations/"


def detail(conversation_id):
    return f"{URL}{conversation_id}/"


def ids(response):
    return [item["id"] for item in response.json()["results"]]


def test_list_returns_only_the_callers_conversations_most_recently_active_first(api, user, other_user):
    older = make_conversation(user=user, title="older")
    newer = make_conversation(user=user, title="newer")
    make_conversation(user=other_user)
    make_message(older)

    response = api.get(URL)

    assert response.status_code == 200
    assert response.json()["next"] is None and response.json()["previous"] is None
    assert ids(response) == [str(older.id), str(newer.id)]


def test_conversation_json_has_the_documented_fields(api, conversation):
    body = api.get(detail(conversation.id)).json()

    assert set(body) == set(CONVERSATION_JSON_KEYS)
    assert body["title"] == "Weather in Paris"
    assert parse_datetime(body["created_at"]).utcoffset() is not None


def test_list_breaks_updated_at_ties_by_id(api, user):
    conversations = [make_conversation(user=user) for _ in range(5)]
    same_time = timezone.now()
    Conversation.objects.filter(user=user).update(updated_at=same_time)

    first = api.get(URL, {"page_size": 2})
    rest = api.get(first.json()["next"])
    last = api.get(rest.json()["next"])

    expected = sorted((str(c.id) for c in conversations), reverse=True)
    assert ids(first) + ids(rest) + ids(last) == expected


def test_list_pages_by_20_by_default_and_caps_page_size_at_100(api, user):
    for _ in range(101):
        Conversation.objects.create(user=user)

    assert len(ids(api.get(URL))) == 20
    assert len(ids(api.get(URL, {"page_size": 5}))) == 5
    capped = api.get(URL, {"page_size": 1000})
    assert capped.status_code == 200
    assert len(ids(capped)) == 100


def test_pages_follow_next_and_previous_without_gaps(api, user):
    made = [make_conversation(user=user) for _ in range(7)]

    pages, url = [], f"{URL}?page_size=3"
    while url:
        body = api.get(url).json()
        pages.append([item["id"] for item in body["results"]])
        url = body["next"]
    back = api.get(api.get(api.get(f"{URL}?page_size=3").json()["next"]).json()["previous"])

    assert [id_ for page in pages for id_ in page] == [str(c.id) for c in reversed(made)]
    assert ids(back) == pages[0]


def test_a_conversation_that_becomes_active_moves_to_the_front(api, user):
    first, second = make_conversation(user=user), make_conversation(user=user)
    make_message(first)

    assert ids(api.get(URL))[0] == str(first.id)
    make_message(second)
    assert ids(api.get(URL))[0] == str(second.id)


def test_search_matches_a_title_substring_case_insensitively(api, user):
    match = make_conversation(user=user, title="Trip to PARIS in May")
    make_conversation(user=user, title="Groceries")

    assert ids(api.get(URL, {"search": "paris"})) == [str(match.id)]


@pytest.mark.parametrize("value, expected", [("true", ["archived"]), ("false", ["active"])])
def test_archived_filter(api, user, value, expected):
    archived = make_conversation(user=user, title="archived")
    Conversation.objects.filter(pk=archived.pk).update(archived=True)
    make_conversation(user=user, title="active")

    titles = [item["title"] for item in api.get(URL, {"archived": value}).json()["results"]]

    assert titles == expected


def test_date_filters_after_is_inclusive_and_before_exclusive(api, user):
    early, late = make_conversation(user=user), make_conversation(user=user)
    moment = timezone.now() - timedelta(days=1)
    Conversation.objects.filter(pk=early.pk).update(created_at=moment - timedelta(hours=1), updated_at=moment)
    Conversation.objects.filter(pk=late.pk).update(created_at=moment, updated_at=moment + timedelta(hours=1))
    at = moment.isoformat()

    assert ids(api.get(URL, {"created_after": at})) == [str(late.id)]
    assert ids(api.get(URL, {"created_before": at})) == [str(early.id)]
    assert ids(api.get(URL, {"updated_after": at})) == [str(late.id), str(early.id)]
    assert ids(api.get(URL, {"updated_before": at})) == []


def test_date_filter_accepts_an_offset_whose_plus_sign_was_not_url_encoded(api, user):
    make_conversation(user=user)

    response = api.get(f"{URL}?created_after=2000-01-01T00:00:00+00:00")

    assert response.status_code == 200
    assert len(ids(response)) == 1


@pytest.mark.parametrize(
    "param, value",
    [
        ("archived", "maybe"),
        ("created_after", "yesterday"),
        ("created_before", "2024-13-01"),
        ("updated_after", "nope"),
        ("updated_before", "12:00"),
    ],
)
def test_an_invalid_filter_value_is_a_400_naming_the_parameter(api, param, value):
    response = api.get(URL, {param: value})

    assert response.status_code == 400
    assert list(response.json()) == [param]


def test_undocumented_query_parameters_are_ignored(api, conversation):
    assert ids(api.get(URL, {"colour": "blue", "ordering": "title"})) == [str(conversation.id)]


def test_create_returns_201_with_a_random_id(api, user):
    response = api.post(URL, {"title": "Hello", "metadata": {"client": "web"}}, format="json")

    assert response.status_code == 201
    body = response.json()
    assert body["title"] == "Hello" and body["metadata"] == {"client": "web"}
    assert body["message_count"] == 0 and body["archived"] is False
    assert Conversation.objects.get(pk=body["id"]).user == user


def test_create_with_an_empty_body_creates_an_untitled_conversation(api):
    response = api.post(URL)

    assert response.status_code == 201
    assert response.json()["title"] == ""


def test_create_with_a_new_id_uses_it(api):
    chosen = uuid.uuid4()

    response = api.post(URL, {"id": str(chosen)}, format="json")

    assert response.status_code == 201
    assert response.json()["id"] == str(chosen)


def test_create_with_an_id_the_caller_owns_returns_it_unchanged_with_200(api, conversation):
    response = api.post(URL, {"id": str(conversation.id), "title": "Other"}, format="json")

    assert response.status_code == 200
    assert response.json()["title"] == "Weather in Paris"
    assert Conversation.objects.get(pk=conversation.pk).title == "Weather in Paris"


def test_create_with_an_id_another_user_owns_is_409_revealing_nothing(other_api, conversation):
    response = other_api.post(URL, {"id": str(conversation.id), "title": "Mine"}, format="json")

    assert response.status_code == 409
    assert list(response.json()) == ["detail"]
    assert "Weather" not in response.content.decode()
    assert Conversation.objects.get(pk=conversation.pk).title == "Weather in Paris"


@pytest.mark.parametrize(
    "body, field",
    [
        ({"archived": True}, "archived"),
        ({"titel": "x"}, "titel"),
        ({"id": "not-a-uuid"}, "id"),
        ({"title": "x" * 201}, "title"),
        ({"metadata": [1]}, "metadata"),
        ({"title": "a\x00b"}, "title"),
    ],
)
def test_create_rejects_bad_fields_with_a_400_naming_them(api, body, field):
    response = api.post(URL, body, format="json")

    assert response.status_code == 400
    assert field in response.json()
    assert not Conversation.objects.exists()


@pytest.mark.parametrize("body", ["[]", '"title"', "3", "null"])
def test_create_with_a_body_that_is_not_an_object_is_400(api, body):
    response = api.post(URL, body, content_type="application/json")

    assert response.status_code == 400
    assert "non_field_errors" in response.json()


def test_retrieve_returns_the_conversation(api, conversation):
    make_message(conversation)

    response = api.get(detail(conversation.id))

    assert response.status_code == 200
    assert response.json()["id"] == str(conversation.id)
    assert response.json()["message_count"] == 1


@pytest.mark.parametrize("bad_id", ["not-a-uuid", "123", str(uuid.uuid4())])
def test_retrieve_of_an_unknown_or_malformed_id_is_404(api, bad_id):
    response = api.get(detail(bad_id))

    assert response.status_code == 404
    assert "detail" in response.json()


def test_retrieve_ignores_list_filters(api, conversation):
    assert api.get(detail(conversation.id), {"archived": "maybe"}).status_code == 200


def test_patch_changes_title_metadata_and_archived_and_moves_updated_at(api, conversation):
    before = conversation.updated_at

    response = api.patch(
        detail(conversation.id), {"title": "New", "metadata": {"k": 1}, "archived": True}, format="json"
    )

    assert response.status_code == 200
    body = response.json()
    assert (body["title"], body["metadata"], body["archived"]) == ("New", {"k": 1}, True)
    conversation.refresh_from_db()
    assert conversation.title == "New" and conversation.archived
    assert conversation.updated_at > before


@pytest.mark.parametrize(
    "body, field",
    [
        ({"archived": "yes"}, "archived"),
        ({"message_count": 9}, "message_count"),
        ({"id": str(uuid.uuid4())}, "id"),
        ({"colour": "red"}, "colour"),
        ({"metadata": None}, "metadata"),
    ],
)
def test_patch_rejects_bad_fields_and_changes_nothing(api, conversation, body, field):
    response = api.patch(detail(conversation.id), body, format="json")

    assert response.status_code == 400
    assert field in response.json()
    assert Conversation.objects.get(pk=conversation.pk).message_count == 0


def test_put_is_not_allowed(api, conversation):
    response = api.put(detail(conversation.id), {"title": "x"}, format="json")

    assert response.status_code == 405
    assert "detail" in response.json()


def test_delete_removes_the_conversation_and_its_messages(api, conversation):
    make_message(conversation)

    response = api.delete(detail(conversation.id))

    assert response.status_code == 204
    assert not Conversation.objects.filter(pk=conversation.pk).exists()
    assert not Message.objects.exists()
    assert api.get(detail(conversation.id)).status_code == 404


@pytest.mark.parametrize("rows", [3, 30])
def test_list_runs_a_fixed_number_of_queries_whatever_the_page_size(api, user, rows, django_assert_num_queries):
    for _ in range(rows):
        make_message(make_conversation(user=user))

    # The token with its user, then the page.
    with django_assert_num_queries(2):
        response = api.get(URL, {"page_size": 100})

    assert len(ids(response)) == rows


@pytest.mark.parametrize("value", ["0471-07-19T16:03:19+18:45", "2024-05-01T10:00:00-20:13"])
def test_a_date_filter_with_an_offset_beyond_what_postgresql_stores_still_works(api, conversation, value):
    assert api.get(URL, {"updated_after": value}).status_code == 200


@pytest.mark.parametrize("value", ["0001-01-01T00:00:00+01:00", "9999-12-31T23:59:59-01:00"])
def test_a_date_filter_outside_the_representable_range_is_400(api, value):
    response = api.get(URL, {"created_after": value})

    assert response.status_code == 400
    assert list(response.json()) == ["created_after"]
