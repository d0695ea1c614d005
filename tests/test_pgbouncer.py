"""chatsite behind PgBouncer in transaction mode: many clients over a few server connections, nothing lost."""

from __future__ import annotations

import time

import pytest
import requests

from tests.conftest import ON_POSTGRES
from tests.support import pgbouncer
from tests.support.databases import served_database_url  # noqa: F401  (fixture)
from tests.support.load import Appender, Tally, audit, auth, create_conversation, stop_all
from tests.support.site import Gunicorn, seed_tokens, site_env

pytestmark = [
    pytest.mark.faults,
    pytest.mark.skipif(not ON_POSTGRES, reason="needs PostgreSQL: set DATABASE_URL=postgres://…"),
    pytest.mark.skipif(not pgbouncer.available(), reason="needs Debian's pgbouncer"),
]


def test_appends_and_history_through_pgbouncer_in_transaction_mode(served_database_url, settings, tmp_path):
    database = settings.DATABASES["default"]
    with pgbouncer.PgBouncer(
        database["USER"],
        database["PASSWORD"],
        host=database["HOST"] or "127.0.0.1",
        port=int(database["PORT"] or 5432),
        pool_size=2,
    ) as bouncer:
        env = site_env(bouncer.url(database["NAME"]), DATABASE_TRANSACTION_POOLING="1")
        tokens = seed_tokens(env, 4)
        tally = Tally()
        # Two workers of eight threads each share two server connections.
        with Gunicorn(env, tmp_path, workers=2) as server:
            conversations = {create_conversation(server.url, token): token for token in tokens}
            appenders = [
                Appender(server.url, token, conversation, f"c{index}-{client}", tally)
                for index, (conversation, token) in enumerate(conversations.items())
                for client in range(2)
            ]
            for appender in appenders:
                appender.start()
            time.sleep(3)
            stop_all(appenders)
            result = audit(server.url, conversations, tally)
            conversation, token = next(iter(conversations.items()))
            history = requests.get(
                f"{server.url}/api/conversations/{conversation}/history/?last=4", headers=auth(token), timeout=15
            )

    print(f"\npgbouncer: {result.acknowledged} messages acknowledged in 3 s by 8 clients over 2 server connections")
    assert tally.unexpected == [] and tally.server_errors == 0
    assert result.acknowledged > 0
    assert (result.lost, result.duplicated, result.partial_batches, result.gapless) == (0, 0, 0, True)
    assert history.status_code == 200 and len(history.json()["messages"]) == 4
