import pytest
from django.core.management import call_command
from rest_framework.test import APIClient

ROUTES = {
    "/api/auth/token/": {"post"},
    "/api/conversations/": {"get", "post"},
    "/api/conversations/{id}/": {"get", "patch", "delete"},
    "/api/conversations/{id}/history/": {"get"},
    "/api/conversations/{id}/export/": {"get"},
    "/api/conversations/import/": {"post"},
    "/api/conversations/{conversation_pk}/messages/": {"get", "post"},
    "/api/conversations/{conversation_pk}/messages/{seq}/": {"get"},
    "/api/search/": {"get"},
}


@pytest.fixture
def schema(db):
    response = APIClient().get("/api/schema/", {"format": "json"})
    assert response.status_code == 200
    return response.json()


def test_spectacular_validates_the_schema_without_warnings(db, tmp_path):
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(tmp_path / "schema.yaml"))

    assert "openapi: 3" in (tmp_path / "schema.yaml").read_text()


def test_schema_describes_every_route_and_method(schema):
    documented = {path: set(methods) & {"get", "post", "patch", "delete"} for path, methods in schema["paths"].items()}

    assert documented == ROUTES


def test_append_route_takes_and_answers_one_object_or_an_array(schema):
    append = schema["paths"]["/api/conversations/{conversation_pk}/messages/"]["post"]
    request = append["requestBody"]["content"]["application/json"]["schema"]
    one_or_many = schema["components"]["schemas"][request["$ref"].rsplit("/", 1)[1]]["oneOf"]

    assert one_or_many[0] == {"$ref": "#/components/schemas/MessageCreateRequest"}
    assert one_or_many[1] == {"type": "array", "items": {"$ref": "#/components/schemas/MessageCreateRequest"}}
    assert {"200", "201", "400", "401", "404", "413", "415", "422", "429"} <= set(append["responses"])
    assert any(p["name"] == "Idempotency-Key" and p["in"] == "header" for p in append["parameters"])


def test_every_error_response_is_described_with_a_json_body(schema):
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            for status, response in operation["responses"].items():
                if status.startswith("4"):
                    assert "application/json" in response["content"], (method, path, status)


def test_list_filters_are_documented(schema):
    names = {p["name"] for p in schema["paths"]["/api/conversations/"]["get"]["parameters"]}
    message_names = {
        p["name"] for p in schema["paths"]["/api/conversations/{conversation_pk}/messages/"]["get"]["parameters"]
    }

    assert {
        "search",
        "archived",
        "created_after",
        "created_before",
        "updated_after",
        "updated_before",
        "cursor",
        "page_size",
    } <= names
    assert {"role", "after_seq", "before_seq", "cursor", "page_size"} <= message_names


def test_docs_page_is_served(db):
    response = APIClient().get("/api/docs/")

    assert response.status_code == 200
    assert b"swagger" in response.content.lower()
    # Swagger UI comes from the app's own static files, not from a CDN.
    assert b"/static/drf_spectacular_sidecar/swagger-ui-dist/" in response.content
    assert b"https://" not in response.content
