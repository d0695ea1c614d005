"""The API's routes: conversations, messages, history, export and import, search, token, schema and docs.

Route names carry the app's name where a project is likely to have its own (``schema``, ``docs``).
"""

from __future__ import annotations

from django.urls import include, path, re_path
from rest_framework.routers import SimpleRouter

from chathistory.api.docs import SCHEMA_URL_NAME, DocsView, SchemaView
from chathistory.api.search import SearchViewSet
from chathistory.api.transfer import ConversationExportViewSet, ConversationImportViewSet
from chathistory.api.views import ConversationViewSet, MessageViewSet, ObtainTokenView

router = SimpleRouter()
router.register("conversations", ConversationViewSet, basename="conversation")
router.register(r"conversations/(?P<conversation_pk>[^/.]+)/messages", MessageViewSet, basename="message")

urlpatterns = [
    path("auth/token/", ObtainTokenView.as_view(), name="chathistory-token"),
    # Log in and out of the browsable API (DRF's page, namespace "rest_framework"), throttled.
    path("auth/", include("chathistory.api.login")),
    path("search/", SearchViewSet.as_view({"get": "search"}), name="search"),
    path("schema/", SchemaView.as_view(), name=SCHEMA_URL_NAME),
    path("docs/", DocsView.as_view(), name="chathistory-docs"),
    # Ahead of the router, whose detail route would read "import" as a conversation id.
    path(
        "conversations/import/",
        ConversationImportViewSet.as_view({"post": "create"}),
        name="conversation-import",
    ),
    re_path(
        r"^conversations/(?P<pk>[^/.]+)/export/$",
        ConversationExportViewSet.as_view({"get": "retrieve"}),
        name="conversation-export",
    ),
    *router.urls,
]
