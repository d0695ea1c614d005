from django.contrib import admin
from django.urls import include, path
from django.views.generic import TemplateView

from chatsite import streaming, views

urlpatterns = [
    path("", TemplateView.as_view(template_name="index.html"), name="index"),
    path("admin/", admin.site.urls),
    path("api/", include("chathistory.urls")),
    path("healthz", views.healthz, name="healthz"),
    path("chat/<uuid:conversation_id>/reply/", streaming.reply, name="reply"),
]

handler400 = views.bad_request
handler404 = views.page_not_found
handler500 = views.server_error
