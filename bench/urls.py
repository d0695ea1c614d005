"""chatsite's routes plus the bare baseline views under ``/bench/``, served by the same gunicorn."""

from __future__ import annotations

from django.urls import path

from bench import bare
from chatsite.urls import urlpatterns as chatsite_urlpatterns

urlpatterns = [
    path("bench/durability", bare.durability),
    path("bench/conversations/<uuid:conversation_id>/messages/", bare.append),
    path("bench/conversations/<uuid:conversation_id>/history/", bare.history),
    *chatsite_urlpatterns,
]
