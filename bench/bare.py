"""The baseline: bare Django views doing the SQL chathistory's API does, with nothing around it.

Same requests, same answers in substance: the token looked up, the conversation checked to be
the caller's, then the append (raw SQL's fastest durable form: a transaction of UPDATE … RETURNING
and INSERT on SQLite, one statement with a data-modifying CTE on PostgreSQL) or the last N with
the earlier instructions (two SELECTs), answered as JSON. No DRF, no serializer, no throttle.
Only ``bench/urls.py`` mounts them, never chatsite.
"""

from __future__ import annotations

import json
import uuid
from datetime import UTC
from typing import Any

from django.db import connection, transaction
from django.http import HttpRequest, JsonResponse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST

ROLES = {"system", "developer", "user", "assistant", "tool"}


def _unauthorized() -> JsonResponse:
    return JsonResponse({"detail": "Invalid token."}, status=401)


def _key(value: Any) -> Any:
    return value.hex if connection.vendor == "sqlite" else value


def _owned_conversation(request: HttpRequest, conversation_id: uuid.UUID) -> bool | None:
    """True if the token's user owns the conversation, False if not, None without a valid token."""
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    if scheme != "Token" or not token:
        return None
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT u.id FROM authtoken_token t JOIN auth_user u ON u.id = t.user_id WHERE t.key = %s AND u.is_active",
            [token],
        )
        found = cursor.fetchone()
        if found is None:
            return None
        cursor.execute(
            "SELECT 1 FROM chathistory_conversation WHERE id = %s AND user_id = %s",
            [_key(conversation_id), found[0]],
        )
        return cursor.fetchone() is not None


@csrf_exempt
@require_POST
def append(request: HttpRequest, conversation_id: uuid.UUID) -> JsonResponse:
    owned = _owned_conversation(request, conversation_id)
    if owned is None:
        return _unauthorized()
    if not owned:
        return JsonResponse({"detail": "Not found."}, status=404)
    try:
        body = json.loads(request.body)
    except ValueError:
        return JsonResponse({"detail": "Malformed JSON."}, status=400)
    if not isinstance(body, dict) or body.get("role") not in ROLES or not isinstance(body.get("content"), str):
        return JsonResponse({"detail": "Expected a message."}, status=400)
    now = timezone.now()
    role, content = body["role"], body["content"]
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            stamp = now.replace(tzinfo=None).isoformat(" ")
            with transaction.atomic():
                cursor.execute(
                    "UPDATE chathistory_conversation SET message_count = message_count + 1, updated_at = %s "
                    "WHERE id = %s RETURNING message_count",
                    [stamp, conversation_id.hex],
                )
                (seq,) = cursor.fetchone()
                cursor.execute(
                    "INSERT INTO chathistory_message (conversation_id, seq, role, content, name, tool_calls, "
                    "tool_call_id, metadata, created_at) VALUES (%s, %s, %s, %s, NULL, NULL, NULL, '{}', %s) "
                    "RETURNING id",
                    [conversation_id.hex, seq, role, content, stamp],
                )
                (message_id,) = cursor.fetchone()
        else:
            cursor.execute(
                "WITH bumped AS (UPDATE chathistory_conversation SET message_count = message_count + 1, "
                "updated_at = %s WHERE id = %s RETURNING id, message_count) "
                "INSERT INTO chathistory_message (conversation_id, seq, role, content, name, tool_calls, "
                "tool_call_id, metadata, created_at) "
                "SELECT id, message_count, %s, %s, NULL, NULL, NULL, '{}', %s FROM bumped RETURNING id, seq",
                [now, conversation_id, role, content, now],
            )
            message_id, seq = cursor.fetchone()
    created = now.astimezone(UTC).isoformat().replace("+00:00", "Z")
    return JsonResponse(
        {
            "id": message_id,
            "seq": seq,
            "role": role,
            "content": content,
            "name": None,
            "refusal": None,
            "tool_calls": None,
            "tool_call_id": None,
            "metadata": {},
            "created_at": created,
        },
        status=201,
    )


@require_GET
def history(request: HttpRequest, conversation_id: uuid.UUID) -> JsonResponse:
    owned = _owned_conversation(request, conversation_id)
    if owned is None:
        return _unauthorized()
    if not owned:
        return JsonResponse({"detail": "Not found."}, status=404)
    last = int(request.GET.get("last", "50"))
    columns = "seq, role, content, name, tool_calls, tool_call_id"
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT {columns} FROM chathistory_message WHERE conversation_id = %s ORDER BY seq DESC LIMIT %s",
            [_key(conversation_id), last],
        )
        window = cursor.fetchall()[::-1]
        first = window[0][0] if window else 2**31
        cursor.execute(
            f"SELECT {columns} FROM chathistory_message WHERE conversation_id = %s "
            "AND role IN ('system', 'developer') AND seq < %s",
            [_key(conversation_id), first],
        )
        earlier = sorted(cursor.fetchall())
    messages = []
    for _seq, role, content, name, tool_calls, tool_call_id in [*earlier, *window]:
        message: dict[str, Any] = {"role": role}
        if tool_call_id is not None:
            message["tool_call_id"] = tool_call_id
        message["content"] = content
        if tool_calls is not None:
            message["tool_calls"] = json.loads(tool_calls)
        if name:
            message["name"] = name
        messages.append(message)
    return JsonResponse({"conversation_id": str(conversation_id), "messages": messages})


@require_GET
def durability(request: HttpRequest) -> JsonResponse:
    """How the server's own connection commits, so the bench can print it."""
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            journal = cursor.execute("PRAGMA journal_mode").fetchone()[0]
            synchronous = cursor.execute("PRAGMA synchronous").fetchone()[0]
            return JsonResponse({"vendor": "sqlite", "journal_mode": journal, "synchronous": synchronous})
        cursor.execute("SHOW synchronous_commit")
        return JsonResponse({"vendor": "postgresql", "synchronous_commit": cursor.fetchone()[0]})
