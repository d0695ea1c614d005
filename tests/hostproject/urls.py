from django.contrib import admin
from django.urls import include, path

from tests.hostproject.views import PingView

urlpatterns = [
    path("admin/", admin.site.urls),
    path("host/ping/", PingView.as_view()),
    path("api/", include("chathistory.urls")),
]
