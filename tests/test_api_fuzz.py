"""A bounded schema-driven fuzz run: schemathesis against the app's own OpenAPI schema, authenticated."""

import uuid
from collections import Counter

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from schemathesis import GenerationMode, checks

from chathistory import services
from tests.conftest import api_client_for
from tests.factories import make_conversation, make_user, tool_call

schema = schemathesis.openapi.from_wsgi("/api/schema/?format=json", get_wsgi_application())
schema.config.generation.update(
    modes=[GenerationMode.POSITIVE, GenerationMode.NEGATIVE], max_examples=300, deterministic=True
)
CHECKS = [checks.not_a_server_error, checks.status_code_conformance, checks.response_schema_conformance]
sent = Counter()


@pytest.fixture(scope="module", autouse=True)
def report(request):
    yield
    plugins = request.config.pluginmanager
    reporter, capture = plugins.get_plugin("terminalreporter"), plugins.get_plugin("capturemanager")
    if reporter and capture and sent:
        with capture.global_and_fixture_disabled():
            reporter.write_line(f"\nfuzz: {sent['requests']} requests sent, {sent['5xx']} answered 5xx")


@pytest.fixture
def account(db):
    # As Django's test client does: the test's transaction must survive each request's end.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    user = make_user()
    yield user, api_client_for(user)._credentials["HTTP_AUTHORIZATION"]
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


def with_real_ids(case, user):
    """Point well-formed ids at a conversation of the caller's, so the fuzz gets past the 404."""
    params = case.path_parameters or {}
    for name in ("id", "conversation_pk"):
        try:
            uuid.UUID(str(params.get(name)))
        except ValueError:
            continue
        conversation = make_conversation(user=user, title="fuzzed")
        services.add_messages(
            conversation,
            [
                {"role": "system", "content": "Be brief."},
                {"role": "assistant", "content": None, "tool_calls": [tool_call()]},
            ],
        )
        params[name] = str(conversation.id)


@schema.parametrize()
# One user for every example of an operation is intended: each example makes its own conversation.
@settings(deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
def test_api_answers_every_generated_request_without_5xx_and_as_documented(case, account):
    user, authorization = account
    with_real_ids(case, user)

    response = case.call(headers={"Authorization": authorization})
    sent["requests"] += 1
    sent["5xx"] += response.status_code >= 500

    case.validate_response(response, checks=CHECKS)
