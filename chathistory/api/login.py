"""Logging in to the browsable API: Django's login and logout, with the password attempts throttled.

DRF's ``rest_framework.urls`` mounts Django's ``LoginView`` as it is, so a client could guess
passwords there as fast as it likes while the token route, which checks the same passwords,
answers 429. Here a sign-in attempt counts against the same per-address limit as a token request.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth import views
from django.http import HttpRequest, HttpResponse
from django.urls import path

from chathistory.api.throttling import AnonThrottle

app_name = "rest_framework"  # what DRF's browsable API reverses its login and logout links in


class LoginView(views.LoginView):
    template_name = "rest_framework/login.html"

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        throttle = AnonThrottle()
        if not throttle.allow_request(request, self):  # reads the request's META and user only
            wait = throttle.wait()
            response = HttpResponse(
                "Too many sign-in attempts: try again later.", status=429, content_type="text/plain"
            )
            if wait is not None:
                response["Retry-After"] = str(max(1, round(wait)))
            return response
        return super().post(request, *args, **kwargs)


urlpatterns = [
    path("login/", LoginView.as_view(), name="login"),
    path("logout/", views.LogoutView.as_view(), name="logout"),
]
