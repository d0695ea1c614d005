"""The API's routes: conversations, their messages, history, token, schema and docs."""

from __future__ import annotations

from django.urls import path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView
from rest_framework.routers import SimpleRouter

from chathistory.api.search import SearchViewSet
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
    path("docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="docs"),
    *router.urls,
]
