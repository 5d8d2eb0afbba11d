"""The admin site: Django's, branded as the tracker, with the API's budget of password guesses on
its login form."""

from django.contrib import admin
from django.http import HttpRequest, HttpResponse

from summits.api.throttling import LoginRateThrottle


class TrackerAdminSite(admin.AdminSite):
    site_header = "Summit attendance tracker"
    site_title = "Summit attendance tracker"
    index_title = "Summits, attendances and their evidence"
    # The lists need the width: at 1280 px a sidebar beside the filters pushed columns off
    # screen. The home page and the breadcrumbs lead to every list.
    enable_nav_sidebar = False

    def login(self, request: HttpRequest, extra_context=None) -> HttpResponse:
        if request.method == "POST":
            throttle = LoginRateThrottle()
            if not throttle.allow_request(request, None):
                wait = max(1, round(throttle.wait() or 60))
                response = HttpResponse(
                    f"Too many login attempts for this name from this address; try again in "
                    f"{wait} seconds.",
                    status=429,
                    content_type="text/plain; charset=utf-8",
                )
                response["Retry-After"] = str(wait)
                return response
        return super().login(request, extra_context)
