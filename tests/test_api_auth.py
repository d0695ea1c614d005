import pytest
from django.core.management import call_command
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from chathistory.models import Conversation, Message
from tests.factories import PASSWORD, make_message
from tests.support import routes


def snapshot():
    return (
        list(Conversation.objects.order_by("pk").values()),
        list(Message.objects.order_by("pk").values()),
    )


@pytest.fixture
def owned(conversation):
    make_message(conversation)
    return conversation


@pytest.mark.parametrize("route", routes.each())
def test_every_route_is_401_without_credentials(owned, route):
    before = snapshot()

    response = routes.call(APIClient(), route, owned.id)

    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"].startswith("Token")
    assert "detail" in response.json()
    assert snapshot() == before


@pytest.mark.parametrize("route", routes.each())
def test_every_route_is_401_with_a_bad_token(owned, route):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Token not-a-real-token")
    before = snapshot()

    response = routes.call(client, route, owned.id)

    assert response.status_code == 401
    assert snapshot() == before


@pytest.mark.parametrize("route", routes.each(tuple(route for route in routes.ROUTES if route.owned)))
def test_another_users_conversation_is_404_on_every_route_and_nothing_changes(other_api, owned, route):
    before = snapshot()

    response = routes.call(other_api, route, owned.id)

    assert response.status_code == 404
    assert list(response.json()) == ["detail"]
    assert snapshot() == before


def test_another_users_conversation_answers_exactly_like_one_that_does_not_exist(other_api, owned):
    missing = "00000000-0000-4000-8000-000000000000"

    for route in routes.ROUTES:
        if route.owned and route.method == "get":
            theirs, nothing = routes.call(other_api, route, owned.id), routes.call(other_api, route, missing)
            assert (theirs.status_code, theirs.json()) == (nothing.status_code, nothing.json()), route.path


def test_another_users_conversations_are_not_listed(other_api, owned):
    assert other_api.get("/api/conversations/").json()["results"] == []


def test_token_route_trades_username_and_password_for_the_token(user):
    response = APIClient().post("/api/auth/token/", {"username": user.username, "password": PASSWORD}, format="json")

    assert response.status_code == 200
    assert response.json() == {"token": Token.objects.get(user=user).key}


def test_token_route_also_takes_a_form_body(user):
    response = APIClient().post(
        "/api/auth/token/", {"username": user.username, "password": PASSWORD}, format="multipart"
    )

    assert response.status_code == 200
    assert response.json() == {"token": Token.objects.get(user=user).key}


def test_the_token_authenticates_api_requests(user, conversation):
    token = (
        APIClient()
        .post("/api/auth/token/", {"username": user.username, "password": PASSWORD}, format="json")
        .json()["token"]
    )
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")

    assert client.get("/api/conversations/").json()["results"][0]["id"] == str(conversation.id)


@pytest.mark.parametrize("body", [{"username": "nobody", "password": "x"}, {"username": "u"}, {}])
def test_token_route_rejects_bad_credentials_with_a_400(user, body):
    response = APIClient().post("/api/auth/token/", body, format="json")

    assert response.status_code == 400
    assert response.json()
    assert not Token.objects.exists()


def test_drf_create_token_makes_a_working_token(user, conversation):
    call_command("drf_create_token", user.username, verbosity=0)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.get(user=user).key}")

    assert client.get(f"/api/conversations/{conversation.id}/").status_code == 200


def test_session_authentication_works_for_the_browsable_api(user, conversation):
    client = APIClient()
    client.force_login(user)

    assert client.get("/api/conversations/").status_code == 200
    assert client.get("/api/conversations/", HTTP_ACCEPT="text/html").status_code == 200


def test_session_authenticated_writes_need_the_csrf_token(user):
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(user)

    response = client.post("/api/conversations/", {"title": "x"}, format="json")

    assert response.status_code == 403
    assert not Conversation.objects.exists()


@pytest.mark.parametrize("path", ["/api/schema/", "/api/docs/", "/healthz"])
def test_schema_docs_and_health_need_no_credentials(db, path):
    assert APIClient().get(path).status_code == 200
