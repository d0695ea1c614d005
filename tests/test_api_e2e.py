"""The main flow over real HTTP, against ``gunicorn chatsite.wsgi`` in a subprocess."""

import pytest
import requests

from tests.factories import PASSWORD
from tests.support.databases import served_database_url  # noqa: F401  (fixture)
from tests.support.site import manage, serve, site_env


@pytest.fixture
def server(served_database_url):
    env = site_env(served_database_url, DJANGO_SUPERUSER_PASSWORD=PASSWORD)
    manage(env, "createsuperuser", "--noinput", "--username", "e2e", "--email", "e2e@example.com")
    with serve("gunicorn", "chatsite.wsgi", env) as base:
        yield base


def test_token_create_append_a_tool_calling_turn_and_read_history_over_http(server):
    from openai.types.chat import ChatCompletionMessageParam
    from pydantic import TypeAdapter

    token = requests.post(f"{server}/api/auth/token/", json={"username": "e2e", "password": PASSWORD}).json()["token"]
    http = requests.Session()
    http.headers["Authorization"] = f"Token {token}"

    created = http.post(f"{server}/api/conversations/", json={"title": "Weather"})
    assert created.status_code == 201
    messages = f"{server}/api/conversations/{created.json()['id']}/messages/"

    call = {"id": "call_1", "type": "function", "function": {"name": "get_weather", "arguments": '{"city":"Paris"}'}}
    turn = [
        {"role": "system", "content": "Be brief."},
        {"role": "user", "content": "Weather in Paris? ☀️"},
        {"role": "assistant", "content": None, "tool_calls": [call], "metadata": {"model": "m-1"}},
    ]
    appended = http.post(messages, json=turn, headers={"Idempotency-Key": "turn-1"})
    retried = http.post(messages, json=turn, headers={"Idempotency-Key": "turn-1"})
    result = http.post(messages, json={"role": "tool", "tool_call_id": "call_1", "content": "18C"})
    answer = http.post(messages, json={"role": "assistant", "content": "18C, sunny."})

    assert [appended.status_code, retried.status_code, result.status_code, answer.status_code] == [201, 200, 201, 201]
    assert retried.headers["Idempotent-Replayed"] == "true"
    assert [m["seq"] for m in appended.json()] == [1, 2, 3] and answer.json()["seq"] == 5

    history = http.get(f"{messages.removesuffix('messages/')}history/")
    assert history.status_code == 200
    body = history.json()["messages"]
    assert body == [
        {"role": "system", "content": "Be brief."},
        {"role": "user", "content": "Weather in Paris? ☀️"},
        {"role": "assistant", "content": None, "tool_calls": [call]},
        {"role": "tool", "tool_call_id": "call_1", "content": "18C"},
        {"role": "assistant", "content": "18C, sunny."},
    ]
    assert len(TypeAdapter(list[ChatCompletionMessageParam]).validate_python(body)) == 5

    assert requests.get(f"{server}/api/conversations/").status_code == 401
    assert http.post(messages, data="{oops", headers={"Content-Type": "application/json"}).status_code == 400
