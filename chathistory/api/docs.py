"""The OpenAPI schema of the app's routes and its Swagger UI page, both served with no CDN.

drf-spectacular's views take the project's DRF defaults and ``SPECTACULAR_SETTINGS``, and
describe every route of the project. These describe chathistory's routes only, with the
generator and settings of the app, whatever the project configures for its own API.
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.settings import SPECTACULAR_DEFAULTS, patched_settings
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView
from rest_framework.authentication import BaseAuthentication
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.reverse import reverse

from chathistory.api.base import ChatHistoryAPIView

SCHEMA_URL_NAME = "chathistory-schema"

#: Every setting of drf-spectacular, at its default unless set here: a project's
#: ``SPECTACULAR_SETTINGS`` (camelized names, its own hooks, a CDN) are for its own API.
SCHEMA_SETTINGS: dict[str, Any] = {
    **{
        name: value
        for name, value in SPECTACULAR_DEFAULTS.items()
        # drf-spectacular refuses these as patches; the views below set them as attributes.
        if not name.startswith("SERVE_") and name != "DEFAULT_GENERATOR_CLASS"
    },
    "TITLE": "chathistory",
    "DESCRIPTION": (
        "Conversations of an LLM chatbot: exact messages, tool calls, and the history in "
        "OpenAI Chat Completions shape. Authenticate with `Authorization: Token <key>` "
        "(POST to the auth/token/ route)."
    ),
    "VERSION": "1.0.0",
    "COMPONENT_SPLIT_REQUEST": True,
    "PREPROCESSING_HOOKS": ["chathistory.api.docs.only_chathistory_endpoints"],
    # Swagger UI from drf-spectacular-sidecar's static files: works offline and behind a CSP.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
}


def only_chathistory_endpoints(endpoints: list[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
    """The app's own routes, out of every route of the project."""
    return [
        endpoint
        for endpoint in endpoints
        if getattr(endpoint[3], "cls", None) is not None
        and endpoint[3].cls.__module__.startswith("chathistory.")
        and endpoint[3].cls.schema is not None
    ]


class SchemaView(ChatHistoryAPIView, SpectacularAPIView):
    """``GET schema/``: OpenAPI 3 of the app's routes (YAML, or JSON with ``?format=json``)."""

    renderer_classes = SpectacularAPIView.renderer_classes
    permission_classes = [AllowAny]
    generator_class = SchemaGenerator
    custom_settings = SCHEMA_SETTINGS
    serve_public = True
    urlconf = None
    schema = None  # type: ignore[assignment]  # not a route of the API it describes

    def get_authenticators(self) -> list[BaseAuthentication]:
        return []


class DocsView(ChatHistoryAPIView, SpectacularSwaggerView):
    """``GET docs/``: Swagger UI over the schema above."""

    renderer_classes = SpectacularSwaggerView.renderer_classes
    permission_classes = [AllowAny]
    # GET only: the page's template cannot render the OPTIONS metadata DRF would answer.
    http_method_names = ["get", "head"]
    title = SCHEMA_SETTINGS["TITLE"]
    schema = None  # type: ignore[assignment]

    def get_authenticators(self) -> list[BaseAuthentication]:
        return []

    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        with patched_settings(SCHEMA_SETTINGS):
            response: Response = super().get(request, *args, **kwargs)
        return response

    def _get_schema_url(self, request: Request) -> str:
        # The schema next to this page, under whatever namespace the project included the app.
        namespace = request.resolver_match.namespace if request.resolver_match else ""
        self.url = reverse(f"{namespace}:{SCHEMA_URL_NAME}" if namespace else SCHEMA_URL_NAME)
        url: str = super()._get_schema_url(request)
        return url
