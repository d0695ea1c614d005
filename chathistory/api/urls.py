"""The API's routes: conversations, their messages, history, the token, the schema and its docs.

Route names carry the app's name where a project is likely to have its own (``schema``, ``docs``).
"""

from __future__ import annotations

from django.urls import include, path
from rest_framework.routers import SimpleRouter

from chathistory.api.docs import SCHEMA_URL_NAME, DocsView, SchemaView
from chathistory.api.views import ConversationViewSet, MessageViewSet, ObtainTokenView

router = SimpleRouter()
router.register("conversations", ConversationViewSet, basename="conversation")
router.register(r"conversations/(?P<conversation_pk>[^/.]+)/messages", MessageViewSet, basename="message")

urlpatterns = [
    path("auth/token/", ObtainTokenView.as_view(), name="chathistory-token"),
    # Log in and out of the browsable API (DRF's pages, namespace "rest_framework").
    path("auth/", include("rest_framework.urls")),
    path("schema/", SchemaView.as_view(), name=SCHEMA_URL_NAME),
    path("docs/", DocsView.as_view(), name="chathistory-docs"),
    *router.urls,
]
