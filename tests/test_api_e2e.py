"""The main flow over real HTTP, against ``gunicorn chatsite.wsgi`` in a subprocess."""

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests
from django.db import connection

ROOT = Path(__file__).resolve().parent.parent
PASSWORD = "a long e2e password"


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def database_url(tmp_path):
    """The test database on PostgreSQL (rows are flushed after the test); an SQLite file otherwise."""
    if connection.vendor == "postgresql":
        s = connection.settings_dict
        return f"postgres://{s['USER']}:{s['PASSWORD']}@{s['HOST']}:{s['PORT']}/{s['NAME']}"
    return f"sqlite:///{tmp_path / 'e2e.sqlite3'}"


@pytest.fixture
def server(transactional_db, tmp_path):
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "chatsite.settings",
        "DJANGO_SECRET_KEY": "e2e-secret-key",
        "DJANGO_DEBUG": "0",
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1",
        "DATABASE_URL": database_url(tmp_path),
        "DJANGO_SUPERUSER_PASSWORD": PASSWORD,
    }
    manage = [sys.executable, str(ROOT / "manage.py")]
    subprocess.run([*manage, "migrate", "--noinput", "-v", "0"], env=env, check=True, cwd=ROOT)
    subprocess.run(
        [*manage, "createsuperuser", "--noinput", "--username", "e2e", "--email", "e2e@example.com"],
        env=env,
        check=True,
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{free_port()}"
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "chatsite.wsgi",
            "--bind",
            base.removeprefix("http://"),
            "--workers",
            "2",
            "--log-level",
            "warning",
        ],
        env=env,
        cwd=ROOT,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if requests.get(f"{base}/healthz", timeout=5).status_code == 200:
                    break
            except requests.RequestException:
                pass  # not listening yet, or still starting its workers
            if process.poll() is not None or time.monotonic() > deadline:
                pytest.fail("gunicorn did not start")
            time.sleep(0.2)
        yield base
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


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
