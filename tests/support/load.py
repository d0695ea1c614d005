"""Clients that append batches with an Idempotency-Key and retry until the server acknowledges them."""

from __future__ import annotations

import threading
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field

import requests

BATCH = 3
RETRYABLE = (requests.ConnectionError, requests.Timeout, requests.exceptions.ChunkedEncodingError)


@dataclass
class Tally:
    """What the clients saw, shared by all of them."""

    acknowledged: list[tuple[str, list[str]]] = field(default_factory=list)  # (conversation, contents)
    statuses: Counter = field(default_factory=Counter)
    connection_errors: int = 0
    unexpected: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def server_errors(self) -> int:
        return sum(count for status, count in self.statuses.items() if status >= 500)


def auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Token {token}"}


class Appender(threading.Thread):
    """Appends batches of BATCH messages to ``conversation`` until stopped; retries each until it is acknowledged."""

    def __init__(
        self,
        base_url: str,
        token: str,
        conversation: str,
        name: str,
        tally: Tally,
        *,
        retry_sleep: float = 0.05,
        give_up_after: float = 60,
    ) -> None:
        super().__init__(daemon=True)
        self.url = f"{base_url}/api/conversations/{conversation}/messages/"
        self.headers = auth(token)
        self.conversation = conversation
        self.label = name
        self.tally = tally
        self.retry_sleep = retry_sleep
        self.give_up_after = give_up_after
        self.stopping = threading.Event()
        self.in_flight = False

    def run(self) -> None:
        session = requests.Session()
        number = 0
        while not self.stopping.is_set():
            number += 1
            contents = [f"{self.label} batch {number} part {part}" for part in range(BATCH)]
            self.in_flight = True
            if self._append_until_acknowledged(session, contents):
                with self.tally.lock:
                    self.tally.acknowledged.append((self.conversation, contents))
            self.in_flight = False

    def _append_until_acknowledged(self, session: requests.Session, contents: list[str]) -> bool:
        key = str(uuid.uuid4())
        body = [{"role": "user", "content": content} for content in contents]
        deadline = time.monotonic() + self.give_up_after
        while time.monotonic() < deadline:
            try:
                response = session.post(
                    self.url, json=body, headers={**self.headers, "Idempotency-Key": key}, timeout=15
                )
            except RETRYABLE:
                with self.tally.lock:
                    self.tally.connection_errors += 1
                session = requests.Session()
                time.sleep(self.retry_sleep)
                continue
            with self.tally.lock:
                self.tally.statuses[response.status_code] += 1
            if response.status_code in (200, 201):
                if [message["content"] for message in response.json()] != contents:
                    self.tally.unexpected.append(f"answer does not match the batch: {response.text[:200]}")
                return True
            if response.status_code == 503:
                if "Retry-After" not in response.headers or "detail" not in response.json():
                    self.tally.unexpected.append(f"503 without Retry-After or detail: {response.text[:200]}")
                time.sleep(self.retry_sleep)
                continue
            self.tally.unexpected.append(f"{response.status_code}: {response.text[:300]}")
            time.sleep(self.retry_sleep)
        return False


def stop_all(appenders: list[Appender], *, timeout: float = 60) -> None:
    for appender in appenders:
        appender.stopping.set()
    for appender in appenders:
        appender.join(timeout)


def stored_messages(base_url: str, token: str, conversation: str) -> tuple[list[tuple[int, str]], int]:
    """Every stored (seq, content) of ``conversation`` read back through the API, and its message_count."""
    session = requests.Session()
    session.headers.update(auth(token))
    url = f"{base_url}/api/conversations/{conversation}/messages/?page_size=1000"
    rows: list[tuple[int, str]] = []
    while url:
        page = session.get(url, timeout=30)
        page.raise_for_status()
        rows += [(message["seq"], message["content"]) for message in page.json()["results"]]
        url = page.json()["next"]
    count = session.get(f"{base_url}/api/conversations/{conversation}/", timeout=30).json()["message_count"]
    return rows, count


@dataclass
class Audit:
    acknowledged: int
    stored: int
    lost: int
    duplicated: int
    partial_batches: int
    gapless: bool


def audit(base_url: str, tokens_by_conversation: dict[str, str], tally: Tally) -> Audit:
    """Acknowledged batches against what the server stored, message by message."""
    stored: Counter = Counter()
    gapless = True
    partial = 0
    for conversation, token in tokens_by_conversation.items():
        rows, count = stored_messages(base_url, token, conversation)
        seqs = [seq for seq, _ in rows]
        gapless &= seqs == list(range(1, len(rows) + 1)) and count == len(rows)
        stored.update(content for _, content in rows)
        # A batch is stored whole and in one run of seqs, or not at all.
        by_batch: dict[str, list[int]] = {}
        for seq, content in rows:
            by_batch.setdefault(content.rsplit(" part ", 1)[0], []).append(seq)
        for batch_seqs in by_batch.values():
            if len(batch_seqs) % BATCH or batch_seqs != list(range(batch_seqs[0], batch_seqs[0] + len(batch_seqs))):
                partial += 1
    acknowledged = [content for _, contents in tally.acknowledged for content in contents]
    return Audit(
        acknowledged=len(acknowledged),
        stored=sum(stored.values()),
        lost=sum(1 for content in acknowledged if stored[content] == 0),
        duplicated=sum(count - 1 for count in stored.values() if count > 1),
        partial_batches=partial,
        gapless=gapless,
    )


def create_conversation(base_url: str, token: str) -> str:
    response = requests.post(
        f"{base_url}/api/conversations/", json={"title": "fault test"}, headers=auth(token), timeout=15
    )
    response.raise_for_status()
    return response.json()["id"]
