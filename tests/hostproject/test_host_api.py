"""chathistory in a host project that does things its own way: the contract holds all the same.

The host's user model signs in by email and has no username; its REST_FRAMEWORK defaults
camelize, authenticate with Basic only, allow admins only, paginate by page number, wrap errors,
throttle anonymous clients to one request a day and format dates their own way; chathistory
lives in a second database. None of that may show on chathistory's routes.
"""

import base64
import json
import re

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.db import connections
from django.test.utils import CaptureQueriesContext
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from chathistory import services
from chathistory.models import Conversation, Message
from tests.contract import CONVERSATION_JSON_KEYS, MESSAGE_JSON_KEYS
from tests.factories import PASSWORD, make_conversation, make_message, make_user, tool_call

ISO_WITH_OFFSET = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$")


def test_the_readme_settings_pass_every_system_check():
    call_command("check", "--fail-level", "WARNING", "--database", "default", "--database", "chat")


def test_no_credentials_is_a_401_asking_for_a_token(db):
    for _ in range(3):  # the host's one-a-day anonymous throttle does not apply either
        response = APIClient().get("/api/conversations/")
        assert response.status_code == 401
        assert response.headers["WWW-Authenticate"].startswith("Token")
        assert response.json() == {"detail": "Authentication credentials were not provided."}


def test_the_hosts_basic_auth_does_not_open_the_api(user):
    client = APIClient()
    credentials = base64.b64encode(f"{user.email}:{PASSWORD}".encode()).decode()
    client.credentials(HTTP_AUTHORIZATION=f"Basic {credentials}")

    assert client.get("/api/conversations/").status_code == 401
    # ... while the host's own DRF route still runs on the host's defaults.
    admin = make_user(is_staff=True)
    credentials = base64.b64encode(f"{admin.email}:{PASSWORD}".encode()).decode()
    client.credentials(HTTP_AUTHORIZATION=f"Basic {credentials}")
    assert client.get("/host/ping/").json() == {"hostView": True, "userEmail": admin.email}


def test_the_token_route_takes_the_email_as_username_and_the_token_works(user):
    response = APIClient().post("/api/auth/token/", {"username": user.email, "password": PASSWORD}, format="json")

    assert response.status_code == 200
    assert response.json() == {"token": Token.objects.get(user=user).key}
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {response.json()['token']}")
    assert client.get("/api/conversations/").status_code == 200


def test_bad_credentials_on_the_token_route_are_a_plain_400(user):
    response = APIClient().post("/api/auth/token/", {"username": user.email, "password": "wrong"}, format="json")

    assert response.status_code == 400
    assert "error" not in response.json()


def test_another_users_conversation_is_a_plain_404(api, other_user):
    theirs = make_conversation(user=other_user)

    response = api.get(f"/api/conversations/{theirs.id}/history/")
    missing = api.get("/api/conversations/00000000-0000-4000-8000-000000000000/history/")

    assert response.status_code == 404
    assert list(response.json()) == ["detail"]
    assert response.json() == missing.json()


def test_append_and_list_answer_the_contracts_json(api, conversation):
    turn = [
        {"role": "user", "content": "Weather?"},
        {"role": "assistant", "content": None, "tool_calls": [tool_call()]},
        {"role": "tool", "tool_call_id": "call_1", "content": "18C"},
    ]
    appended = api.post(f"/api/conversations/{conversation.id}/messages/", turn, format="json")

    assert appended.status_code == 201
    assert set(appended.json()[2]) == set(MESSAGE_JSON_KEYS)
    assert ISO_WITH_OFFSET.match(appended.json()[0]["created_at"])
    listed = api.get("/api/conversations/").json()
    assert set(listed) == {"next", "previous", "results"}
    assert set(listed["results"][0]) == set(CONVERSATION_JSON_KEYS)
    assert ISO_WITH_OFFSET.match(listed["results"][0]["updated_at"])


def test_search_export_and_import_answer_the_contracts_json(api, conversation):
    make_message(conversation, content="The lighthouse keeper waved.")

    found = api.get("/api/search/", {"q": "lighthouse"}).json()
    exported = api.get(f"/api/conversations/{conversation.id}/export/").json()
    again = api.post("/api/conversations/import/", exported, format="json")

    assert set(found) == {"next", "previous", "results"}
    assert set(found["results"][0]) == {"conversation_id", "conversation_title", "seq", "role", "snippet", "created_at"}
    assert ISO_WITH_OFFSET.match(found["results"][0]["created_at"])
    assert set(exported) == {"format", "version", "conversation", "messages"}
    assert ISO_WITH_OFFSET.match(exported["messages"][0]["created_at"])
    assert "toolCalls" not in exported["messages"][0] and "tool_calls" in exported["messages"][0]
    assert again.status_code == 200  # the same document again: nothing stored


def test_lists_are_cursor_paginated_with_the_apps_page_sizes(api, user, django_assert_num_queries):
    for index in range(3):
        make_conversation(user=user, title=f"c{index}")
    with django_assert_num_queries(2):  # the token's user, then the page
        page = api.get("/api/conversations/").json()
    assert len(page["results"]) == 3 and page["next"] is None


def test_history_is_what_a_model_accepts(api, conversation):
    services.add_messages(
        conversation,
        [
            {"role": "user", "content": "Weather?"},
            {"role": "assistant", "content": None, "tool_calls": [tool_call()]},
            {"role": "tool", "tool_call_id": "call_1", "content": "18C"},
        ],
    )

    response = api.get(f"/api/conversations/{conversation.id}/history/")

    assert response.json() == {
        "conversation_id": str(conversation.id),
        "messages": [
            {"role": "user", "content": "Weather?"},
            {"role": "assistant", "content": None, "tool_calls": [tool_call()]},
            {"role": "tool", "tool_call_id": "call_1", "content": "18C"},
        ],
    }


def test_validation_errors_name_the_field_without_the_hosts_wrapper(api, conversation):
    response = api.post(
        f"/api/conversations/{conversation.id}/messages/", {"role": "wizard", "content": "x"}, format="json"
    )

    assert response.status_code == 400
    assert list(response.json()) == ["role"]
    assert not Message.objects.exists()


def test_the_browsable_api_has_a_login(db):
    page = APIClient().get("/api/auth/login/")

    assert page.status_code == 200
    assert 'name="username"' in page.content.decode()


def test_a_session_from_the_browsable_apis_login_by_email_reads_and_writes_with_csrf(user):
    client = APIClient(enforce_csrf_checks=True)
    page = client.get("/api/auth/login/")
    csrf = client.cookies["csrftoken"].value

    logged_in = client.post(
        "/api/auth/login/",
        {"username": user.email, "password": PASSWORD, "csrfmiddlewaretoken": csrf, "next": "/api/conversations/"},
    )
    refused = client.post("/api/conversations/", {"title": "no token"}, format="json")
    rotated = client.cookies["csrftoken"].value  # Django gives a new CSRF secret at login
    created = client.post("/api/conversations/", {"title": "with one"}, format="json", HTTP_X_CSRFTOKEN=rotated)

    assert page.status_code == 200 and logged_in.status_code == 302
    assert client.get("/api/conversations/").status_code == 200
    assert refused.status_code == 403
    assert created.status_code == 201
    assert list(Conversation.objects.values_list("title", flat=True)) == ["with one"]


def test_the_schema_describes_the_apps_routes_only(db):
    response = APIClient().get("/api/schema/", {"format": "json"})

    assert response.status_code == 200
    schema = response.json()
    assert schema["info"]["title"] == "chathistory"
    assert "/api/conversations/{id}/history/" in schema["paths"]
    assert all(path.startswith("/api/") for path in schema["paths"])
    properties = schema["components"]["schemas"]["Message"]["properties"]
    assert "tool_call_id" in properties and "toolCallId" not in properties


def test_the_docs_page_is_served_from_the_sidecar(db):
    response = APIClient().get("/api/docs/")

    assert response.status_code == 200
    assert b"/static/drf_spectacular_sidecar/swagger-ui-dist/" in response.content
    assert b"https://" not in response.content
    assert b'"/api/schema/"' in response.content


def test_admin_lists_searches_by_email_and_shows_the_transcript(admin_client, django_assert_num_queries):
    grace = make_user(email="grace@navy.example")
    wanted = make_conversation(user=grace, title="Compilers")
    make_message(wanted, content="COBOL it is.")
    for index in range(3):
        make_conversation(title=f"Other {index}")
    changelist = "/admin/chathistory/conversation/"

    assert admin_client.get(changelist).status_code == 200
    found = admin_client.get(changelist, {"q": "navy"})
    assert list(found.context["cl"].result_list) == [wanted]
    transcript = admin_client.get(f"{changelist}{wanted.pk}/change/")
    assert transcript.status_code == 200
    assert "COBOL it is." in transcript.content.decode()
    add = admin_client.get(f"{changelist}add/").content.decode()
    assert "admin-autocomplete" not in add  # the host registers no admin for its user model


def test_nothing_of_chathistorys_reaches_the_default_database(api, conversation):
    make_message(conversation)
    api.get("/api/conversations/")

    assert Conversation.objects.using("chat").count() == 1
    default_tables = connections["default"].introspection.table_names()
    assert not any(table.startswith("chathistory_") for table in default_tables)
    assert get_user_model().objects.db_manager("chat").filter(pk=conversation.user_id).exists()


def test_the_admins_actions_and_message_search_send_nothing_of_chathistorys_to_default(admin_client):
    kept, archived, deleted = (make_conversation(title=f"Conversation {n}") for n in range(3))
    make_message(kept, content="The invoice INV-2041 is wrong")
    make_message(deleted, content="to be deleted")
    conversations = "/admin/chathistory/conversation/"

    def act(action, selection, **extra):
        return admin_client.post(
            conversations, {"action": action, "_selected_action": [str(c.pk) for c in selection], **extra}
        )

    with CaptureQueriesContext(connections["default"]) as on_default:
        assert act("archive", [archived]).status_code == 302
        download = act("download_openai_json", [kept, archived])
        exported = json.loads(b"".join(download.streaming_content))
        assert act("delete_selected", [deleted], post="yes").status_code == 302
        found = admin_client.get("/admin/chathistory/message/", {"q": "inv-2041"})

    exported_messages = {item["conversation_id"]: item["messages"] for item in exported}
    assert exported_messages == {
        str(kept.pk): [{"role": "user", "content": "The invoice INV-2041 is wrong"}],
        str(archived.pk): [],
    }
    assert Conversation.objects.get(pk=archived.pk).archived
    assert not Conversation.objects.filter(pk=deleted.pk).exists()
    assert [message.content for message in found.context["cl"].result_list] == ["The invoice INV-2041 is wrong"]
    # The session lives in default; nothing of chathistory's may be read or written there.
    assert on_default.captured_queries, "the capture saw the session's queries"
    assert [query["sql"] for query in on_default.captured_queries if "chathistory" in query["sql"]] == []


@pytest.mark.parametrize("path", ["/api/schema/", "/api/docs/"])
def test_schema_and_docs_need_no_credentials(db, path):
    assert APIClient().get(path).status_code == 200
