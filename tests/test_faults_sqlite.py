"""SQLite with eight writer processes on one file: no "database is locked", seqs gapless everywhere."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
from contextlib import closing

import pytest

from chatsite.settings import BASE_DIR
from tests.support.site import manage, migrate, site_env

pytestmark = pytest.mark.faults

PROCESSES = 8
APPENDS = 40  # per process: half to the shared conversation, half to its own

_SETUP = """
import json
from django.contrib.auth import get_user_model
from chathistory import services
user = get_user_model().objects.create_user("writer")
ids = [str(services.get_or_create_conversation(user, title=str(n))[0].pk) for n in range({count})]
print(json.dumps(ids))
"""

_WRITER = """
import json, sys
import django
django.setup()
from chathistory import services
from chathistory.models import Conversation
index, shared, own = int(sys.argv[1]), sys.argv[2], sys.argv[3]
seqs = {shared: [], own: []}
for n in range(APPENDS):
    target = shared if n % 2 == 0 else own
    conversation = Conversation.objects.get(pk=target)
    seqs[target].append(services.add_message(conversation, role="user", content=f"{index}:{n}").seq)
print(json.dumps(seqs))
""".replace("APPENDS", str(APPENDS))


def test_eight_writer_processes_on_one_sqlite_file_never_lock_and_leave_no_gap(tmp_path):
    database = tmp_path / "writers.sqlite3"
    env = site_env(f"sqlite:///{database}")
    migrate(env)
    shared, *own = json.loads(manage(env, "shell", "-c", _SETUP.format(count=PROCESSES + 1)).strip().splitlines()[-1])
    writers = [
        subprocess.Popen(
            [sys.executable, "-c", _WRITER, str(index), shared, own[index]],
            cwd=BASE_DIR,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for index in range(PROCESSES)
    ]
    try:
        outcomes = [writer.communicate(timeout=50) for writer in writers]
    finally:
        for writer in writers:
            writer.kill()
            writer.wait()

    errors = [stderr for (_, stderr), writer in zip(outcomes, writers, strict=True) if writer.returncode != 0]
    assert errors == []
    assert not any("database is locked" in stderr for _, stderr in outcomes)
    per_process = [json.loads(stdout) for stdout, _ in outcomes]
    shared_seqs = sorted(seq for seqs in per_process for seq in seqs[shared])
    assert shared_seqs == list(range(1, PROCESSES * APPENDS // 2 + 1))
    with closing(sqlite3.connect(database)) as db:
        rows = db.execute(
            "SELECT c.id, c.message_count, COUNT(m.id), MIN(m.seq), MAX(m.seq), COUNT(DISTINCT m.seq) "
            "FROM chathistory_conversation c LEFT JOIN chathistory_message m ON m.conversation_id = c.id GROUP BY c.id"
        ).fetchall()
    expected_counts = sorted([PROCESSES * APPENDS // 2] + [APPENDS // 2] * PROCESSES)
    assert sorted(count for _, _, count, *_ in rows) == expected_counts
    for _, message_count, count, first, last, distinct in rows:
        assert (message_count, first, last, distinct) == (count, 1, count, count)
