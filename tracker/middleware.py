"""Site-wide request and response rules: one JSON error shape for API clients, and no NUL
bytes past the front door."""

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from summits.api.errors import error_response

# Where clients are programs: every answer there is JSON, whatever its status.
JSON_PATHS = ("/api/", "/healthz")

# The code and detail of an error response that something other than a DRF view produced (the
# CSRF check, a view decorator, a renderer that could not be chosen).
_ERRORS = {
    400: ("bad_request", "Bad request."),
    401: ("not_authenticated", "Authentication credentials were not provided."),
    403: ("permission_denied", "You do not have permission to do this."),
    404: ("not_found", "Not found."),
    405: ("method_not_allowed", "This method is not allowed here."),
    406: ("not_acceptable", "No representation here matches the Accept header."),
    413: ("payload_too_large", "The request body is too large."),
    415: ("unsupported_media_type", "Send the request body as JSON."),
    429: ("throttled", "Too many requests; try again later."),
    500: ("error", "Server error."),
    503: ("unavailable", "The service is unavailable; try again shortly."),
}
_KEPT_HEADERS = ("Allow", "Retry-After", "WWW-Authenticate", "Vary")


def _error(status: int) -> tuple[str, str]:
    return _ERRORS.get(status, ("client_error" if status < 500 else "error", "Request failed."))


class JsonErrorMiddleware:
    """Turns an error answered under JSON_PATHS in another format into the JSON error shape.

    DRF's own errors are JSON already; this catches the rest (Django's CSRF page, a bare 405
    from a view decorator, a YAML 404 from the schema view). A browser that asked the browsable
    API for HTML keeps its HTML page.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if (
            response.status_code < 400
            or not request.path.startswith(JSON_PATHS)
            or response.get("Content-Type", "").startswith("application/json")
            or getattr(response, "accepted_media_type", "").startswith("text/html")
        ):
            return response
        code, detail = _error(response.status_code)
        shaped = error_response(response.status_code, code, detail)
        for header in _KEPT_HEADERS:
            if header in response:
                shaped[header] = response[header]
        return shaped


class RejectNulMiddleware:
    """A NUL byte in the path or a query parameter answers 400 before any view sees it: no text
    column stores one, and PostgreSQL refuses even to compare with it (a 500 in the admin's
    filters and autocomplete)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if "\x00" in request.path or any(
            "\x00" in key or any("\x00" in value for value in values)
            for key, values in request.GET.lists()
        ):
            return error_response(400, "null_characters_not_allowed", "NUL is not allowed.")
        return self.get_response(request)
