"""chatsite's settings with the bench's URLconf: the bare baseline views mounted next to chatsite's routes."""

from __future__ import annotations

from chatsite.settings import *  # noqa: F403

ROOT_URLCONF = "bench.urls"
