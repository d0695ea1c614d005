"""chatsite as an ASGI app under uvicorn: an async view appends, streams and reads through the async twins."""

import re
import uuid

import pytest
import requests

from tests.factories import PASSWORD
from tests.support.databases import served_database_url  # noqa: F401  (fixture)
from tests.support.site import manage, serve, site_env


@pytest.fixture
def asgi_server(served_database_url):
    env = site_env(served_database_url, DJANGO_SUPERUSER_PASSWORD=PASSWORD)
    manage(env, "createsuperuser", "--noinput", "--username", "asgi", "--email", "asgi@example.com")
    with serve("uvicorn", "chatsite.asgi:application", env) as base:
        yield base


def log_in(base):
    """A browser's session: the browsable API's login page, then its CSRF cookie for writes."""
    http = requests.Session()
    page = http.get(f"{base}/api/auth/login/")
    assert page.status_code == 200
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text).group(1)
    logged_in = http.post(
        f"{base}/api/auth/login/",
        data={"username": "asgi", "password": PASSWORD, "csrfmiddlewaretoken": token, "next": "/api/conversations/"},
        headers={"Referer": f"{base}/api/auth/login/"},
    )
    assert logged_in.status_code == 200 and logged_in.url.endswith("/api/conversations/")
    http.headers["X-CSRFToken"] = http.cookies["csrftoken"]
    return http


def test_an_async_view_under_uvicorn_stores_the_question_streams_the_answer_and_stores_it(asgi_server):
    http = log_in(asgi_server)
    conversation_id = uuid.uuid4()
    reply = f"{asgi_server}/chat/{conversation_id}/reply/"

    with http.post(reply, json={"content": "Weather in Paris? ☀️"}, stream=True) as streamed:
        assert streamed.status_code == 200
        chunks = [chunk for chunk in streamed.iter_content(chunk_size=None, decode_unicode=True) if chunk]
    second = http.post(reply, json={"content": "And tomorrow?"})

    assert "".join(chunks) == "You asked: Weather in Paris? ☀️ "
    assert second.status_code == 200
    history = http.get(f"{asgi_server}/api/conversations/{conversation_id}/history/")
    assert history.status_code == 200
    assert history.json()["messages"] == [
        {"role": "user", "content": "Weather in Paris? ☀️"},
        {"role": "assistant", "content": "You asked: Weather in Paris? ☀️ "},
        {"role": "user", "content": "And tomorrow?"},
        {"role": "assistant", "content": "You asked: And tomorrow? "},
    ]
    assert http.post(reply, json={"content": "\x00"}).status_code == 400
    assert requests.post(reply, json={"content": "hi"}).status_code in (401, 403)
