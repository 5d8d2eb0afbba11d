"""Root URLs: the admin and the API."""

from django.contrib import admin
from django.urls import include, path
from django.views.generic import RedirectView

urlpatterns = [
    path("", RedirectView.as_view(url="/api/", permanent=False)),
    path("admin/", admin.site.urls),
    path("api/", include("summits.api.urls")),
]

handler400 = "summits.api.errors.bad_request"
handler403 = "summits.api.errors.permission_denied"
handler404 = "summits.api.errors.page_not_found"
handler500 = "summits.api.errors.server_error"
