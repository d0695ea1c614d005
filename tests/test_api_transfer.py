import uuid

from chathistory import services
from chathistory.models import Conversation, Message
from tests.factories import make_conversation, make_message, tool_call


def _export(api, conversation):
    response = api.get(f"/api/conversations/{conversation.pk}/export/")
    assert response.status_code == 200, response.content
    return response.json()


def test_export_route_answers_the_document_with_the_apis_conversation_json(api, conversation):
    services.add_messages(
        conversation,
        [
            {"role": "user", "content": "weather? 🌧"},
            {"role": "assistant", "content": None, "tool_calls": [tool_call()]},
            {"role": "tool", "tool_call_id": "call_1", "content": "rain"},
        ],
    )
    document = _export(api, conversation)
    assert document["format"] == "chathistory" and document["version"] == 1
    assert document["conversation"] == api.get(f"/api/conversations/{conversation.pk}/").json()
    listed = api.get(f"/api/conversations/{conversation.pk}/messages/").json()["results"]
    assert document["messages"] == [{k: v for k, v in m.items() if k != "id"} for m in listed]


def test_export_of_another_users_or_a_missing_conversation_is_a_404(api, other_user):
    theirs = make_conversation(user=other_user)
    assert api.get(f"/api/conversations/{theirs.pk}/export/").status_code == 404
    assert api.get(f"/api/conversations/{uuid.uuid4()}/export/").status_code == 404
    response = api.get("/api/conversations/not-a-uuid/export/")
    assert response.status_code == 404 and "detail" in response.json()


def test_export_and_import_need_credentials(client, conversation):
    assert client.get(f"/api/conversations/{conversation.pk}/export/").status_code == 401
    assert client.post("/api/conversations/import/", {}, content_type="application/json").status_code == 401


def test_import_route_stores_the_document_then_replays_it_with_200(api, conversation):
    make_message(conversation, content="kept exactly\r\n")
    document = _export(api, conversation)
    conversation.delete()

    response = api.post("/api/conversations/import/", document, format="json")
    assert response.status_code == 201, response.content
    assert response.json() == document["conversation"]
    assert _export(api, Conversation.objects.get()) == document

    again = api.post("/api/conversations/import/", document, format="json")
    assert again.status_code == 200
    assert again.json() == document["conversation"]
    assert Message.objects.count() == 1


def test_a_different_document_under_a_used_id_is_a_409(api, conversation):
    make_message(conversation)
    document = _export(api, conversation)
    document["conversation"]["title"] = "changed"
    response = api.post("/api/conversations/import/", document, format="json")
    assert response.status_code == 409
    assert "different conversation" in response.json()["detail"]


def test_another_users_id_is_a_409_that_says_nothing_more(api, other_api, conversation):
    make_message(conversation, content="private words")
    document = _export(api, conversation)
    response = other_api.post("/api/conversations/import/", document, format="json")
    assert response.status_code == 409
    assert response.json() == {"detail": "This conversation id is already taken."}


def test_a_bad_document_is_a_400_naming_the_field(api, nothing_stored):
    document = {
        "format": "chathistory",
        "version": 1,
        "conversation": {"title": "t"},
        "messages": [{"role": "user", "content": "ok"}, {"role": "tool", "content": "no call id"}],
    }
    response = api.post("/api/conversations/import/", document, format="json")
    assert response.status_code == 400
    assert "messages[1].tool_call_id" in response.json()
    assert not Conversation.objects.exists()


def test_reimporting_a_stored_id_with_an_unknown_message_key_is_a_400_naming_it(api, conversation):
    make_message(conversation, content="original")
    document = _export(api, conversation)
    document["messages"][0]["contnet"] = "typo"
    response = api.post("/api/conversations/import/", document, format="json")
    assert response.status_code == 400, response.content
    assert list(response.json()) == ["messages[0].contnet"]
    assert services.get_chat_history(conversation)[0].content == "original"


def test_import_takes_json_objects_only(api):
    assert api.post("/api/conversations/import/", [1], format="json").status_code == 400
    response = api.post("/api/conversations/import/", "{", content_type="application/json")
    assert response.status_code == 400
    assert api.get("/api/conversations/import/").status_code == 405


def test_import_is_not_read_as_a_conversation_id(api, conversation):
    assert api.get(f"/api/conversations/{conversation.pk}/").status_code == 200
    assert api.delete("/api/conversations/import/").status_code == 405


def test_schema_documents_both_routes(client):
    schema = client.get("/api/schema/?format=json").json()
    assert "get" in schema["paths"]["/api/conversations/{id}/export/"]
    operation = schema["paths"]["/api/conversations/import/"]["post"]
    assert {"200", "201", "400", "409"} <= set(operation["responses"])
