"""An async view that streams a model's answer and stores it when the stream ends (the README's example).

chatsite has no model API key, so ``model_stream`` stands in for one: it streams back a short
answer about the last user message, chunk by chunk, as a streaming completion would.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator
from typing import Any

from django.http import HttpRequest, HttpResponse, JsonResponse, StreamingHttpResponse
from django.views.decorators.http import require_POST

from chathistory import services
from chathistory.exceptions import ConversationIdTaken, ValidationError


async def model_stream(messages: list[dict[str, Any]]) -> AsyncIterator[str]:
    """A stand-in for ``await client.chat.completions.create(..., stream=True)``."""
    question = next(m["content"] for m in reversed(messages) if m["role"] == "user")
    for word in f"You asked: {question}".split(" "):
        yield word + " "


@require_POST
async def reply(request: HttpRequest, conversation_id: uuid.UUID) -> HttpResponse:
    """``POST {"content": "..."}``: store the user's message, stream the answer, then store the answer."""
    user = await request.auser()
    if not user.is_authenticated:
        return JsonResponse({"detail": "Log in first."}, status=401)
    try:
        content = json.loads(request.body)["content"]
        conversation, _ = await services.aget_or_create_conversation(user, conversation_id)
        await services.aadd_message(conversation, role="user", content=content)
    except (ValueError, KeyError, TypeError):
        return JsonResponse({"content": ["Send a JSON object with a content string."]}, status=400)
    except ValidationError as error:
        return JsonResponse(error.errors, status=400, safe=False)
    except ConversationIdTaken:
        return JsonResponse({"detail": "Not found."}, status=404)
    history = await services.aget_openai_messages(conversation, last=20)

    async def stream() -> AsyncIterator[str]:
        chunks = []
        async for chunk in model_stream(history):
            chunks.append(chunk)
            yield chunk
        # The whole answer, once the model has finished: one append, after the last chunk is sent.
        await services.aadd_message(conversation, role="assistant", content="".join(chunks))

    return StreamingHttpResponse(stream(), content_type="text/plain; charset=utf-8")
