"""Root URLs: the admin and the API; under `/api/`, every route answers with or without its
trailing slash (summits.api.routing)."""

from csp.constants import NONCE, SELF, UNSAFE_INLINE
from csp.decorators import csp_replace
from django.contrib import admin
from django.urls import include, path
from django.views.generic import RedirectView
from drf_spectacular.views import (
    SpectacularAPIView,
    SpectacularRedocView,
    SpectacularSwaggerSplitView,
)

from summits.api.auth import browsable_api_login_urls
from summits.api.routing import slash_optional
from summits.api.urls import api_root
from tracker.health import healthz

# Redoc's page runs one inline script, with the response's nonce, and searches in a worker it
# starts from a blob: URL. Its bundle injects a stylesheet as it loads, before any option can
# hand it a nonce: inline styles are allowed on this page alone.
redoc = csp_replace(
    {
        "script-src": [SELF, NONCE],
        "style-src": [SELF, UNSAFE_INLINE],
        "worker-src": [SELF, "blob:"],
    }
)(SpectacularRedocView.as_view(url_name="schema"))

urlpatterns = [
    path("", RedirectView.as_view(url="/api/", permanent=False)),
    path("healthz", healthz, name="healthz"),
    path("admin/", admin.site.urls),
    *slash_optional(
        [
            path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
            # Swagger UI's init script is served at a URL of its own, not inline in the page.
            path(
                "api/docs/",
                SpectacularSwaggerSplitView.as_view(url_name="schema"),
                name="swagger-ui",
            ),
            path("api/redoc/", redoc, name="redoc"),
        ]
    ),
    # The browsable API's "Log in" and "Log out".
    path("api/auth/", include(browsable_api_login_urls)),
    path("api", api_root),
    path("api/", include("summits.api.urls")),
]

handler400 = "tracker.errors.bad_request"
handler403 = "tracker.errors.permission_denied"
handler404 = "tracker.errors.page_not_found"
handler500 = "tracker.errors.server_error"
