"""The app's routes, so a project mounts it with ``path("api/", include("chathistory.urls"))``."""

from chathistory.api.urls import urlpatterns  # noqa: F401
