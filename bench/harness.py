"""What every benchmark shares: Django set up without debug, a throwaway database, durable commits, medians.

Import it first: it puts the repo on ``sys.path`` and calls ``django.setup()``. The database is
the one ``DATABASE_URL`` selects (SQLite by default), but never that database itself: Django's
test-database machinery creates a dedicated one (a file in a temporary folder of the repo's disk
for SQLite, ``<name>_bench`` for PostgreSQL) and drops it at the end.
"""

from __future__ import annotations

import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "chatsite.settings")
os.environ.setdefault("DJANGO_SECRET_KEY", "bench-only-secret-key")
os.environ["DJANGO_DEBUG"] = "0"  # no query log in the timings
os.environ.setdefault("CHATHISTORY_LOG_LEVEL", "WARNING")  # no log line per append in the timings

import django  # noqa: E402

django.setup()

from django.db import connection  # noqa: E402


def median_ms(call: Callable[[int], object], repeat: int, warmup: int = 5) -> float:
    """The median wall time of ``call(i)`` over ``repeat`` runs, after ``warmup`` runs (``i`` counts from 0)."""
    for index in range(warmup):
        call(index)
    samples = []
    for index in range(warmup, warmup + repeat):
        start = time.perf_counter()
        call(index)
        samples.append(time.perf_counter() - start)
    return statistics.median(samples) * 1000


def durability() -> str:
    """How this connection commits; exits if a commit would not be durable, so no figure is flattered."""
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            journal = cursor.execute("PRAGMA journal_mode").fetchone()[0]
            synchronous = cursor.execute("PRAGMA synchronous").fetchone()[0]
            described = (
                f"SQLite {connection.Database.sqlite_version}: journal_mode={journal}, synchronous={synchronous}"
            )
            durable = journal == "wal" and synchronous == 2  # 2 is FULL
        else:
            cursor.execute("SHOW synchronous_commit")
            synchronous_commit = cursor.fetchone()[0]
            cursor.execute("SHOW fsync")
            fsync = cursor.fetchone()[0]
            cursor.execute("SHOW server_version")
            version = cursor.fetchone()[0]
            described = f"PostgreSQL {version}: synchronous_commit={synchronous_commit}, fsync={fsync}"
            durable = synchronous_commit == "on" and fsync == "on"
    if not durable:
        sys.exit(f"refusing to measure commits that are not durable: {described}")
    return described


@contextmanager
def throwaway_database(suffix: str = "bench") -> Iterator[dict]:
    """Create a dedicated database (migrated), point ``connection`` at it, and drop it afterwards."""
    settings_dict = connection.settings_dict
    # On the repo's disk, not a tmpfs /tmp, so SQLite's fsyncs cost what they cost in production.
    with tempfile.TemporaryDirectory(dir=ROOT / "bench") as directory:
        if connection.vendor == "sqlite":
            settings_dict["TEST"]["NAME"] = str(Path(directory) / f"{suffix}.sqlite3")
        else:
            settings_dict["TEST"]["NAME"] = f"{settings_dict['NAME']}_{suffix}"
        original_name = settings_dict["NAME"]
        connection.creation.create_test_db(verbosity=0, autoclobber=True, serialize=False)
        try:
            yield settings_dict
        finally:
            connection.close()
            connection.creation.destroy_test_db(original_name, verbosity=0)
