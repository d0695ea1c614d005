"""Workers and the master killed with ``kill -9`` mid-append: what was acknowledged is stored exactly once."""

from __future__ import annotations

import random
import threading
import time

import pytest

from tests.support.databases import served_database_url  # noqa: F401  (fixture)
from tests.support.load import Appender, Tally, audit, create_conversation, stop_all
from tests.support.site import Gunicorn, seed_tokens, site_env

pytestmark = pytest.mark.faults

CHAOS_SECONDS = 12
CLIENTS_PER_CONVERSATION = 2
CONVERSATIONS = 3


def _chaos(server: Gunicorn, until: float, kills: dict[str, int]) -> None:
    """Kill a worker about every 0.6 s, and every fourth time the master, started again at once."""
    round_number = 0
    while time.monotonic() < until:
        time.sleep(random.uniform(0.4, 0.8))
        round_number += 1
        if round_number % 4 == 0:
            server.kill_master()
            kills["master"] += 1
            server.start()
        elif server.kill_worker():
            kills["worker"] += 1


def test_kill_minus_nine_of_workers_and_master_loses_and_duplicates_nothing(served_database_url, tmp_path):
    env = site_env(served_database_url)
    tokens = seed_tokens(env, CONVERSATIONS)
    tally = Tally()
    kills = {"worker": 0, "master": 0}
    with Gunicorn(env, tmp_path, workers=3) as server:
        conversations = {create_conversation(server.url, token): token for token in tokens}
        appenders = [
            Appender(server.url, token, conversation, f"c{index}-{client}", tally)
            for index, (conversation, token) in enumerate(conversations.items())
            for client in range(CLIENTS_PER_CONVERSATION)
        ]
        for appender in appenders:
            appender.start()
        chaos = threading.Thread(target=_chaos, args=(server, time.monotonic() + CHAOS_SECONDS, kills))
        chaos.start()
        chaos.join()
        stop_all(appenders)
        result = audit(server.url, conversations, tally)

    print(
        f"\nkill -9: {kills['worker']} workers, {kills['master']} masters; acknowledged {result.acknowledged}, "
        f"stored {result.stored}, lost {result.lost}, duplicated {result.duplicated}, "
        f"partial batches {result.partial_batches}, 5xx seen {tally.server_errors}, "
        f"connection errors retried {tally.connection_errors}, statuses {dict(tally.statuses)}"
    )
    assert not any(appender.is_alive() for appender in appenders)
    assert kills["worker"] >= 5 and kills["master"] >= 2
    assert result.acknowledged > 0
    assert tally.unexpected == []
    assert (result.lost, result.duplicated, result.partial_batches) == (0, 0, 0)
    assert result.gapless
    # Everything stored was acknowledged: each batch was retried with its key until it was.
    assert result.stored == result.acknowledged
    assert tally.server_errors == 0
