"""Reads from streaming replicas, writes to the primary, and every client reads its own writes.

Opt in with ``DATABASE_ROUTERS = ["chathistory.routers.ReplicaRouter", ...]`` (first, ahead of the
router that names the primary) and ``CHATHISTORY["READ_REPLICAS"]``, the aliases of the replicas.
Only chathistory's models are routed here; the router says nothing about any other model, so the
rest of the chain (or ``default``) stays the primary.

- A read goes to a replica that answers and is at most ``REPLICA_MAX_LAG_SECONDS`` behind; when
  none is, to the primary. Each process looks at each replica at most once a second.
- After a write, reads in the same context (the request, the thread) go to the primary for
  ``REPLICA_PIN_SECONDS``. ``chathistory.middleware.ReplicaPinMiddleware`` carries that pin to the
  same client's next requests, on any worker, through the cache.
- Objects remember where they were read: a conversation read from the primary has its messages read
  from the primary, and a write of an object read from a replica goes to the primary.
"""

from __future__ import annotations

import logging
import random
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

from django.db import DatabaseError, connections, router
from django.db.models import Model

from chathistory.conf import app_settings

logger = logging.getLogger("chathistory")

APP_LABEL = "chathistory"
_CHECK_EVERY_SECONDS = 1.0
# How far replay is behind what the replica has received; 0 when it has replayed everything.
_LAG_SQL = (
    "SELECT CASE WHEN pg_last_wal_receive_lsn() = pg_last_wal_replay_lsn() THEN 0 "
    "ELSE EXTRACT(EPOCH FROM now() - pg_last_xact_replay_timestamp()) END"
)


@dataclass
class PrimaryPin:
    """Until when this context reads from the primary, and whether it wrote."""

    until: float = 0.0
    wrote: bool = False

    @property
    def active(self) -> bool:
        return time.monotonic() < self.until


_pin: ContextVar[PrimaryPin] = ContextVar("chathistory_primary_pin")


def current_pin() -> PrimaryPin:
    try:
        return _pin.get()
    except LookupError:
        pin = PrimaryPin()
        _pin.set(pin)
        return pin


def pin_reads_to_primary(seconds: float | None = None) -> None:
    """Send this context's reads to the primary for ``seconds`` (default ``REPLICA_PIN_SECONDS``)."""
    pin = current_pin()
    pin.until = time.monotonic() + (app_settings.REPLICA_PIN_SECONDS if seconds is None else seconds)
    pin.wrote = True


@contextmanager
def pinned_scope(*, pinned: bool) -> Iterator[PrimaryPin]:
    """A fresh pin for one request: on the primary from the start if ``pinned``."""
    pin = PrimaryPin(until=time.monotonic() + app_settings.REPLICA_PIN_SECONDS if pinned else 0.0)
    token = _pin.set(pin)
    try:
        yield pin
    finally:
        _pin.reset(token)


@dataclass
class _ReplicaState:
    checked_at: float = -_CHECK_EVERY_SECONDS
    usable: bool = False


_states: dict[str, _ReplicaState] = {}
_states_lock = threading.Lock()


def replica_usable(alias: str) -> bool:
    """Whether ``alias`` answers and is not lagging; asked of the database at most once a second."""
    with _states_lock:
        state = _states.setdefault(alias, _ReplicaState())
    now = time.monotonic()
    if now - state.checked_at >= _CHECK_EVERY_SECONDS:
        state.checked_at = now
        state.usable = _probe(alias)
    elif state.usable and not _connected(alias):
        state.checked_at, state.usable = now, False
    return state.usable


def _connected(alias: str) -> bool:
    """This thread's connection to ``alias`` works: Django's once-a-request health check, moved ahead of the query."""
    connection = connections[alias]
    try:
        connection.close_if_health_check_failed()
        connection.ensure_connection()
    except DatabaseError as error:
        logger.warning("replica %s does not answer, reading from the primary: %s", alias, error)
        return False
    return True


def _probe(alias: str) -> bool:
    connection = connections[alias]
    try:
        with connection.cursor() as cursor:
            if connection.vendor != "postgresql":
                cursor.execute("SELECT 1")
                return True
            cursor.execute(_LAG_SQL)
            (lag,) = cursor.fetchone()
    except DatabaseError as error:
        logger.warning("replica %s does not answer, reading from the primary: %s", alias, error)
        connection.close()
        return False
    if lag is None or lag > app_settings.REPLICA_MAX_LAG_SECONDS:
        logger.warning("replica %s is %s s behind, reading from the primary", alias, lag)
        return False
    return True


def forget_replica_states() -> None:
    """Look at every replica again on the next read (for tests and after a failover)."""
    with _states_lock:
        _states.clear()


def _in_primary_transaction(replicas: tuple[str, ...]) -> bool:
    return any(conn.in_atomic_block for conn in connections.all(initialized_only=True) if conn.alias not in replicas)


class ReplicaRouter:
    def db_for_read(self, model: type[Model], **hints: Any) -> str | None:
        if model._meta.app_label != APP_LABEL:
            return None
        replicas = app_settings.READ_REPLICAS
        if not replicas:
            return None
        instance = hints.get("instance")
        if instance is not None and instance._state.db:
            return str(instance._state.db)
        if current_pin().active or _in_primary_transaction(replicas):
            return None
        usable = [alias for alias in replicas if replica_usable(alias)]
        return random.choice(usable) if usable else None

    def db_for_write(self, model: type[Model], **hints: Any) -> str | None:
        if model._meta.app_label != APP_LABEL:
            return None
        replicas = app_settings.READ_REPLICAS
        if not replicas:
            return None
        pin_reads_to_primary()
        instance = hints.get("instance")
        if instance is not None and instance._state.db in replicas:
            # Read from a replica, written to the primary: what the chain says without the hint.
            return router.db_for_write(model)
        return None

    def allow_relation(self, obj1: Model, obj2: Model, **hints: Any) -> bool | None:
        if {obj1._state.db, obj2._state.db} & set(app_settings.READ_REPLICAS):
            return True
        return None

    def allow_migrate(self, db: str, app_label: str, **hints: Any) -> bool | None:
        # A replica gets its schema from the primary's WAL.
        return False if db in app_settings.READ_REPLICAS else None
