"""Reads from a real hot standby: from the replica, but never stale for the writer, and never failing."""

from __future__ import annotations

import time
import uuid

import pytest
import requests

from tests.support import postgres
from tests.support.load import auth, create_conversation
from tests.support.processes import port_open, wait_until
from tests.support.site import Gunicorn, migrate, seed_tokens, session_cookies, site_env

PIN_SECONDS = 2
MAX_LAG_SECONDS = 4

pytestmark = [
    pytest.mark.faults,
    pytest.mark.skipif(not postgres.available(), reason="needs PostgreSQL's server binaries (PG_BIN)"),
]


@pytest.fixture
def shared_cache_env():
    """Redis for the pins when it is there, so that two workers share them; otherwise one worker."""
    if not port_open(6379):
        yield {}, 1
        return
    import redis

    prefix = f"chathistory-test-{uuid.uuid4().hex[:12]}"
    yield {"REDIS_URL": "redis://127.0.0.1:6379/9", "REDIS_KEY_PREFIX": prefix}, 2
    client = redis.Redis(host="127.0.0.1", port=6379, db=9)
    for key in client.scan_iter(match=f"{prefix}:*"):
        client.delete(key)
    client.close()


def test_reads_come_from_the_replica_the_writer_reads_its_writes_and_a_bad_replica_falls_back(
    shared_cache_env, tmp_path
):
    cache_env, workers = shared_cache_env
    with postgres.TemporaryClusters() as clusters:
        primary = clusters.new("primary").init()
        primary.start()
        primary.execute("CREATE DATABASE chathistory")
        env = site_env(primary.url("chathistory"))
        migrate(env)
        (token,) = seed_tokens(env, 1, staff=True)
        standby = clusters.new("standby").base_backup_of(primary)
        standby.start()
        env = site_env(
            primary.url("chathistory"),
            DATABASE_REPLICA_URLS=standby.url("chathistory"),
            CHATHISTORY_REPLICA_PIN_SECONDS=str(PIN_SECONDS),
            CHATHISTORY_REPLICA_MAX_LAG_SECONDS=str(MAX_LAG_SECONDS),
            **cache_env,
        )
        statuses = []

        def call(method: str, url: str, **kwargs) -> requests.Response:
            response = requests.request(method, url, timeout=15, **kwargs)
            statuses.append(response.status_code)
            return response

        def on_standby(sql: str) -> int:
            return standby.execute(sql, "chathistory")[0][0]

        with Gunicorn(env, tmp_path, workers=workers) as server:
            writer = {"headers": auth(token)}  # the same user's browser session is another client
            browser = {"cookies": session_cookies(server.url, "client0")}
            conversation = create_conversation(server.url, token)
            messages = f"{server.url}/api/conversations/{conversation}/messages/"
            history = f"{server.url}/api/conversations/{conversation}/history/"

            def history_of(client: dict) -> list[str]:
                return [message["content"] for message in call("GET", history, **client).json()["messages"]]

            call("POST", messages, json={"role": "user", "content": "one"}, **writer)
            wait_until(
                lambda: on_standby("SELECT count(*) FROM chathistory_message") == 1,
                timeout=10,
                what="the standby to replay the first message",
            )
            standby.execute("SELECT pg_wal_replay_pause()", "chathistory")

            call("POST", messages, json={"role": "user", "content": "two"}, **writer)
            writer_sees = history_of(writer)
            browser_sees = history_of(browser)
            browser_list = call("GET", f"{server.url}/api/conversations/", **browser).json()["results"]

            lag_started = time.monotonic()
            wait_until(
                lambda: history_of(browser) == ["one", "two"],
                timeout=MAX_LAG_SECONDS + 6,
                what="reads to leave the lagging replica",
            )
            left_lagging_replica_after = time.monotonic() - lag_started
            still_paused = on_standby("SELECT count(*) FROM chathistory_message")

            standby.execute("SELECT pg_wal_replay_resume()", "chathistory")
            standby.stop("fast")
            after_replica_down = history_of(browser)
            call("POST", messages, json={"role": "user", "content": "three"}, **writer)
            time.sleep(PIN_SECONDS + 0.5)  # no pin left: reads go where the router sends anyone
            unpinned_writer_sees = history_of(writer)
            listed = call("GET", f"{server.url}/api/conversations/", **browser)

    print(f"\nreplica: reads left the lagging replica after {left_lagging_replica_after:.1f} s")
    assert writer_sees == ["one", "two"]  # read-your-writes, whichever worker answers
    assert browser_sees == ["one"]  # another client reads the replica, which has not replayed "two"
    assert [row["message_count"] for row in browser_list] == [1]  # so does the list
    assert still_paused == 1  # "two" came from the primary, not from a replica that caught up
    assert left_lagging_replica_after < MAX_LAG_SECONDS + 3
    assert after_replica_down == ["one", "two"]
    assert unpinned_writer_sees == ["one", "two", "three"]
    assert listed.status_code == 200 and listed.json()["results"][0]["message_count"] == 3
    assert all(status < 500 for status in statuses), statuses
