"""A route of the host's own API, on the host's DRF defaults (kept apart from them: DRF reads them on import)."""

from __future__ import annotations

from typing import Any

from rest_framework.response import Response
from rest_framework.views import APIView


class PingView(APIView):
    def get(self, request: Any) -> Response:
        return Response({"host_view": True, "user_email": request.user.email})
