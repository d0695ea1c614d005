"""The project's own endpoints: the health check, and JSON error pages for the API's paths."""

from __future__ import annotations

from django.db import DatabaseError, connections, router
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views import defaults
from django.views.decorators.http import require_safe

from chathistory.api.unavailable import RETRY_AFTER_SECONDS
from chathistory.models import Conversation


@require_safe
def healthz(request: HttpRequest) -> JsonResponse:
    """``{"status": "ok"}`` after a real round-trip to the database; 503 when it does not answer.

    The database asked is the one chathistory writes to, wherever the routers put it.
    """
    try:
        with connections[router.db_for_write(Conversation)].cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except DatabaseError:
        return JsonResponse(
            {"status": "unavailable", "detail": "The database does not answer."},
            status=503,
            headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
        )
    return JsonResponse({"status": "ok"})


def _is_api(request: HttpRequest) -> bool:
    return request.path.startswith("/api/")


def page_not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    if _is_api(request):
        return JsonResponse({"detail": "Not found."}, status=404)
    return defaults.page_not_found(request, exception)


def server_error(request: HttpRequest) -> HttpResponse:
    if _is_api(request):
        return JsonResponse({"detail": "Server error."}, status=500)
    return defaults.server_error(request)


def bad_request(request: HttpRequest, exception: Exception) -> HttpResponse:
    if _is_api(request):
        return JsonResponse({"detail": "Bad request."}, status=400)
    return defaults.bad_request(request, exception)
