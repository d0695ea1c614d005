"""With REDIS_URL, throttle counts live in Redis: two servers together allow one limit, not one each."""

from __future__ import annotations

import uuid

import pytest
import requests

from tests.support.databases import served_database_url  # noqa: F401  (fixture)
from tests.support.load import auth
from tests.support.processes import port_open
from tests.support.site import Gunicorn, seed_tokens, site_env

REDIS_DB = 9
LIMIT = 10

pytestmark = [
    pytest.mark.faults,
    pytest.mark.skipif(not port_open(6379), reason="needs Redis on 127.0.0.1:6379"),
]


@pytest.fixture
def redis_prefix():
    import redis

    prefix = f"chathistory-test-{uuid.uuid4().hex[:12]}"
    yield prefix
    client = redis.Redis(host="127.0.0.1", port=6379, db=REDIS_DB)
    for key in client.scan_iter(match=f"{prefix}:*"):
        client.delete(key)
    client.close()


def test_two_gunicorn_servers_share_one_throttle_count_through_redis(served_database_url, redis_prefix, tmp_path):
    env = site_env(
        served_database_url,
        REDIS_URL=f"redis://127.0.0.1:6379/{REDIS_DB}",
        REDIS_KEY_PREFIX=redis_prefix,
        CHATHISTORY_THROTTLE_USER=f"{LIMIT}/minute",
    )
    (token,) = seed_tokens(env, 1)
    with Gunicorn(env, tmp_path, workers=1) as first, Gunicorn(env, tmp_path, workers=1) as second:
        statuses = [
            requests.get(f"{server.url}/api/conversations/", headers=auth(token), timeout=15).status_code
            for _ in range(LIMIT)
            for server in (first, second)
        ]

    assert statuses[:LIMIT] == [200] * LIMIT
    assert statuses[LIMIT:] == [429] * LIMIT
