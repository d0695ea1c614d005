"""Fill the database with realistic conversations and print a staff login for the admin.

``manage.py chathistory_demo`` (the README's run command) adds a dozen conversations the
first time and only resets the login after that. ``--conversations 1000 --messages 50``
always adds that many, in bulk, for benchmarks.
"""

from __future__ import annotations

import json
import logging
import random
import secrets
import time
from collections.abc import Iterator
from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser

from chathistory import services
from chathistory.conf import app_settings
from chathistory.models import Conversation

ADMIN_USERNAME = "demo-admin"
USER_NAMES = ["ada", "grace", "alan", "katherine", "linus", "margaret", "edsger", "barbara"]
DEFAULT_CONVERSATIONS = 12

SYSTEM_PROMPTS = [
    "You are a helpful travel assistant. Answer briefly and use the tools for live data.",
    "You are the support assistant of an online bookshop. Be polite; never promise refunds without checking the order.",
    "You are a coding assistant. Prefer short, correct answers with code blocks.",
]

CITIES = ["Paris", "東京", "São Paulo", "القاهرة", "Zürich", "Reykjavík", "मुंबई", "Kraków"]

QUESTIONS = [
    (
        "Can you summarise this for me in three bullet points?",
        "Sure:\n\n- The release moves to Thursday.\n- QA needs two more days.\n- Nobody is blocked.",
    ),
    (
        "Traduis « bonne nuit » en japonais, s'il te plaît.",
        "« Bonne nuit » se dit おやすみなさい (oyasuminasai), ou おやすみ entre amis. 🌙",
    ),
    ("ما هي عاصمة المغرب؟", "عاصمة المغرب هي الرباط. 🇲🇦"),
    (
        "Why does my regex ^\\d+$ not match '٣٤٥'?",
        "In Python 3, `\\d` matches any Unicode digit, so it *does* match '٣٤٥' unless you pass `re.ASCII`.",
    ),
    (
        "Write a haiku about databases 🐘",
        "Rows wait in silence,\nan index points the way home —\nvacuum hums at night.",
    ),
    (
        "Is 'naïve' spelt with a diaeresis?",
        "Both “naïve” and “naive” are correct; the diaeresis (ï) is the older spelling. "
        "Family: 👨‍👩‍👧‍👦, flags: 🇯🇵🇧🇷, combining: e\u0301.",
    ),
    ("请用一句话解释什么是事务。", "事务是一组要么全部成功、要么全部失败的数据库操作。"),
    (
        "How do I reverse a list in Python?",
        "Use slicing or `reversed()`:\n\n"
        "```python\nitems = [1, 2, 3]\nprint(items[::-1])\nprint(list(reversed(items)))\n```",
    ),
]

TOOLS = [
    (
        "get_weather",
        lambda rng, city: {"city": city, "unit": rng.choice(["C", "F"])},
        lambda rng, args: {
            "city": args["city"],
            "temperature": rng.randint(-5, 35),
            "conditions": rng.choice(["sunny ☀️", "rain 🌧️", "snow ❄️", "cloudy"]),
        },
    ),
    (
        "search_orders",
        lambda rng, city: {"customer_email": "reader@example.com", "status": "shipped", "limit": 3},
        lambda rng, args: {
            "orders": [{"id": f"BK-{rng.randint(1000, 9999)}", "title": "Gödel, Escher, Bach", "status": "shipped"}]
        },
    ),
    (
        "convert_currency",
        lambda rng, city: {"amount": round(rng.uniform(5, 500), 2), "from": "EUR", "to": "JPY"},
        lambda rng, args: {"amount": round(args["amount"] * 161.2, 0), "currency": "JPY", "rate_date": "2025-11-20"},
    ),
]

LOG_LINE = (
    "2025-11-20T09:{minute:02d}:{second:02d}Z worker-{worker} ERROR psycopg.errors.DeadlockDetected: "
    "deadlock detected — retry {n}/5 (Prozess {pid} wartet auf ShareLock)\n"
)


class Command(BaseCommand):
    help = (
        "Create demo conversations (several users, tool calls, long and unicode-heavy messages) "
        "and print a staff login."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--users", type=int, default=4, help="Demo chat users to spread conversations over (default 4)."
        )
        parser.add_argument(
            "--conversations",
            type=int,
            default=None,
            help=f"Conversations to add. Default: {DEFAULT_CONVERSATIONS}, only when no demo conversation exists yet.",
        )
        parser.add_argument(
            "--messages", type=int, default=None, help="Messages per conversation (default: 4 to 40, varied)."
        )
        parser.add_argument("--seed", type=int, default=None, help="Seed for repeatable data.")

    def handle(
        self, *args: Any, users: int, conversations: int | None, messages: int | None, seed: int | None, **options: Any
    ) -> None:
        for name, value, least in (
            ("--users", users, 1),
            ("--conversations", conversations, 0),
            ("--messages", messages, 1),
        ):
            if value is not None and value < least:
                raise CommandError(f"{name} must be at least {least}.")
        rng = random.Random(seed)
        owners = [
            self._chat_user(USER_NAMES[n] if n < len(USER_NAMES) else f"user{n + 1}") for n in range(max(users, 1))
        ]
        if conversations is None:
            if Conversation.objects.filter(user__in=owners).exists():
                self.stdout.write("Demo conversations already exist; pass --conversations N to add more.")
                conversations = 0
            else:
                conversations = DEFAULT_CONVERSATIONS
        if conversations:
            # One log line per append would drown the progress lines.
            logger = logging.getLogger("chathistory")
            level = logger.level
            logger.setLevel(max(level, logging.WARNING))
            try:
                self._create(rng, owners, conversations, messages)
            finally:
                logger.setLevel(level)
        self._print_login()

    def _chat_user(self, name: str) -> Any:
        User = get_user_model()
        username = f"demo-{name}"
        user = User._default_manager.filter(**{User.USERNAME_FIELD: username}).first()
        # Chat users only appear in the data; they cannot log in.
        return user or User._default_manager.create_user(**{User.USERNAME_FIELD: username}, password=None)

    def _create(self, rng: random.Random, owners: list[Any], total: int, per_conversation: int | None) -> None:
        started = time.monotonic()
        stored = 0
        step = max(1, total // 20)
        self.stdout.write(f"Creating {total:,} conversations …")
        for number in range(1, total + 1):
            length = per_conversation if per_conversation is not None else rng.randint(4, 40)
            stored += self._conversation(rng, rng.choice(owners), length)
            if number % step == 0 or number == total:
                elapsed = max(time.monotonic() - started, 1e-6)
                self.stdout.write(
                    f"  {number:,}/{total:,} conversations, {stored:,} messages ({stored / elapsed:,.0f} messages/s)"
                )
        self.stdout.write(self.style.SUCCESS(f"Created {total:,} conversations with {stored:,} messages."))

    def _conversation(self, rng: random.Random, owner: Any, length: int) -> int:
        city = rng.choice(CITIES)
        conversation, _ = services.get_or_create_conversation(
            owner,
            title=rng.choice(
                [
                    f"Weather in {city}",
                    "Order never arrived 📦",
                    "Regex help",
                    "Translate for me",
                    "Deadlock in the worker",
                ]
            ),
            metadata={"source": "chathistory_demo", "client": rng.choice(["web", "ios", "android"])},
        )
        items = list(_messages(rng, city, length))
        batch = app_settings.MAX_BATCH_SIZE
        for start in range(0, len(items), batch):
            services.add_messages(conversation, items[start : start + batch])
        return len(items)

    def _print_login(self) -> None:
        User = get_user_model()
        password = secrets.token_urlsafe(12)
        admin = User._default_manager.filter(**{User.USERNAME_FIELD: ADMIN_USERNAME}).first()
        if admin is None:
            admin = User._default_manager.create_superuser(**{User.USERNAME_FIELD: ADMIN_USERNAME}, password=password)
        else:
            # A second run resets the password: it is printed once and never stored in clear.
            admin.set_password(password)
            admin.is_staff = admin.is_superuser = admin.is_active = True
            admin.save()
        self.stdout.write(
            "\nDemo login for http://127.0.0.1:8000/admin/ (printed once; run this command again for a new one)\n"
            f"  username: {ADMIN_USERNAME}\n"
            f"  password: {password}\n"
            f"API token: python manage.py drf_create_token {ADMIN_USERNAME}\n"
        )


def _messages(rng: random.Random, city: str, length: int) -> Iterator[dict[str, Any]]:
    """A system prompt, then turns (questions, tool calls and their results, long pastes) up to ``length``."""
    produced = 0
    calls = 0
    turns = [_question_turn, _tool_turn, _tool_turn, _long_turn]
    pending: list[dict[str, Any]] = [{"role": "system", "content": rng.choice(SYSTEM_PROMPTS)}]
    while produced < length:
        if not pending:
            turn = rng.choice(turns)
            pending, calls = turn(rng, city, calls)
        yield pending.pop(0)
        produced += 1


def _assistant_metadata(rng: random.Random, finish_reason: str) -> dict[str, Any]:
    prompt, completion = rng.randint(40, 4000), rng.randint(5, 600)
    return {
        "model": rng.choice(["gpt-4o-mini", "gpt-4.1", "o4-mini"]),
        "usage": {"prompt_tokens": prompt, "completion_tokens": completion, "total_tokens": prompt + completion},
        "finish_reason": finish_reason,
        "latency_ms": rng.randint(180, 9000),
    }


def _question_turn(rng: random.Random, city: str, calls: int) -> tuple[list[dict[str, Any]], int]:
    question, answer = rng.choice(QUESTIONS)
    return [
        {"role": "user", "content": question},
        {"role": "assistant", "content": answer, "metadata": _assistant_metadata(rng, "stop")},
    ], calls


def _tool_turn(rng: random.Random, city: str, calls: int) -> tuple[list[dict[str, Any]], int]:
    chosen = rng.sample(TOOLS, k=rng.choice([1, 1, 2]))
    made = []
    for name, arguments, _ in chosen:
        calls += 1
        made.append((f"call_{calls:05d}_{rng.getrandbits(32):08x}", name, arguments(rng, city)))
    turn: list[dict[str, Any]] = [
        {
            "role": "user",
            "content": f"What's the weather in {city} — and can you check my order and convert 120 € to yen? 🙏",
        },
        {
            "role": "assistant",
            "content": None,
            "tool_calls": [
                {
                    "id": call_id,
                    "type": "function",
                    "function": {"name": name, "arguments": json.dumps(args, ensure_ascii=False)},
                }
                for call_id, name, args in made
            ],
            "metadata": _assistant_metadata(rng, "tool_calls"),
        },
    ]
    results = {name: result for name, _, result in chosen}
    for call_id, name, args in made:
        turn.append(
            {
                "role": "tool",
                "tool_call_id": call_id,
                "content": json.dumps(results[name](rng, args), ensure_ascii=False),
            }
        )
    turn.append(
        {
            "role": "assistant",
            "content": f"Here is what I found for {city}: "
            + "; ".join(name.replace("_", " ") for _, name, _ in made)
            + " — all done. ✅",
            "metadata": _assistant_metadata(rng, "stop"),
        }
    )
    return turn, calls


def _long_turn(rng: random.Random, city: str, calls: int) -> tuple[list[dict[str, Any]], int]:
    lines = rng.randint(30, 150)
    log = "".join(
        LOG_LINE.format(
            minute=n // 60 % 60, second=n % 60, worker=rng.randint(1, 8), n=n % 5 + 1, pid=rng.randint(1000, 99999)
        )
        for n in range(lines)
    )
    return [
        {"role": "user", "content": f"Our worker keeps failing, here is the log ({lines} lines):\n\n```\n{log}```"},
        {
            "role": "assistant",
            "content": (
                "Two transactions lock the same rows in opposite orders.\n\n"
                "1. Lock rows in a fixed order (e.g. `ORDER BY id FOR UPDATE`).\n"
                "2. Keep transactions short; retry on `DeadlockDetected` with backoff.\n\n"
                "Die Meldung „wartet auf ShareLock“ bestätigt das. 🔒"
            ),
            "metadata": _assistant_metadata(rng, "stop"),
        },
    ], calls
