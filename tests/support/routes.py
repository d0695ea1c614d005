"""Every route of the contract that needs credentials, for the tests that ask the same of each."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

import pytest


@dataclass(frozen=True)
class Route:
    method: str
    path: str  # "{id}" stands for the conversation's id
    body: Any = None
    #: Names one conversation: another user's is a 404 there, as one that does not exist.
    owned: bool = True

    def url(self, conversation_id: uuid.UUID | str) -> str:
        return self.path.format(id=conversation_id)


_ONE = "/api/conversations/{id}/"
ROUTES = (
    Route("get", "/api/conversations/", owned=False),
    Route("post", "/api/conversations/", {"title": "x"}, owned=False),
    Route("get", _ONE),
    Route("patch", _ONE, {"title": "Stolen"}),
    Route("delete", _ONE),
    Route("get", _ONE + "messages/"),
    Route("post", _ONE + "messages/", {"role": "user", "content": "injected"}),
    Route("get", _ONE + "messages/1/"),
    Route("get", _ONE + "history/"),
    Route("get", _ONE + "history/?shape=responses"),
    Route("get", _ONE + "history/?shape=anthropic"),
    Route("get", _ONE + "export/"),
    Route(
        "post",
        "/api/conversations/import/",
        {"format": "chathistory", "version": 1, "conversation": {"title": "x"}, "messages": []},
        owned=False,
    ),
    Route("get", "/api/search/?q=hello", owned=False),
    Route("get", "/api/search/?q=hello&conversation={id}"),
)


def each(routes: tuple[Route, ...] = ROUTES) -> list[Any]:
    """``routes`` as pytest parameters named by method and path."""
    return [pytest.param(route, id=f"{route.method.upper()} {route.path}") for route in routes]


def call(client: Any, route: Route, conversation_id: uuid.UUID | str) -> Any:
    """Send ``route`` for the conversation with the client (DRF's APIClient), its body as JSON."""
    send = getattr(client, route.method)
    url = route.url(conversation_id)
    return send(url, route.body, format="json") if route.body is not None else send(url)
