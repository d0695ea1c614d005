"""ASGI entry point: ``uvicorn chatsite.asgi:application`` (async views, streaming answers)."""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "chatsite.settings")

application = get_asgi_application()
