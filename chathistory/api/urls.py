"""The API's routes: conversations, their messages, history, export and import, token, schema and docs."""

from __future__ import annotations

from django.urls import path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView
from rest_framework.routers import SimpleRouter

from chathistory.api.search import SearchViewSet
from chathistory.api.transfer import ConversationExportViewSet, ConversationImportViewSet
from chathistory.api.views import ConversationViewSet, MessageViewSet, ObtainTokenView

router = SimpleRouter()
router.register("conversations", ConversationViewSet, basename="conversation")
router.register(
    r"conversations/(?P<conversation_pk>[^/.]+)/messages", MessageViewSet, basename="message"
)

urlpatterns = [
    path("auth/token/", ObtainTokenView.as_view(), name="auth-token"),
    path("search/", SearchViewSet.as_view({"get": "search"}), name="search"),
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    # The page is public and static: no credentials are read (a stale token would otherwise
    # fail inside the template's rendering), and GET only (its template cannot render the
    # OPTIONS metadata that DRF would answer).
    path(
        "docs/",
        SpectacularSwaggerView.as_view(
            url_name="schema", authentication_classes=[], http_method_names=["get", "head"]
        ),
        name="docs",
    ),
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
