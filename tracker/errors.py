"""Error pages: the API's JSON error shape where clients are programs, Django's own pages
elsewhere (the admin, which editors read in a browser)."""

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.views import defaults

from summits.api import errors
from summits.api.errors import RETRY_AFTER_SECONDS

# Where clients are programs: every answer there is JSON, whatever its status.
JSON_PATHS = ("/api/", "/healthz")

Handler = Callable[..., HttpResponse]


def is_json_path(request: HttpRequest) -> bool:
    return request.path.startswith(JSON_PATHS)


def _by_path(json_handler: Handler, page_handler: Handler) -> Handler:
    def handler(request: HttpRequest, *args: object, **kwargs: object) -> HttpResponse:
        chosen = json_handler if is_json_path(request) else page_handler
        return chosen(request, *args, **kwargs)

    handler.__doc__ = f"{json_handler.__name__}: JSON under JSON_PATHS, Django's page elsewhere."
    return handler


bad_request = _by_path(errors.bad_request, defaults.bad_request)
permission_denied = _by_path(errors.permission_denied, defaults.permission_denied)
page_not_found = _by_path(errors.page_not_found, defaults.page_not_found)
server_error = _by_path(errors.server_error, defaults.server_error)


def plain_error_page(status: int, title: str, detail: str) -> HttpResponse:
    """A page in the style of Django's own error pages, for a status Django has none for."""
    body = defaults.ERROR_PAGE_TEMPLATE % {"title": title, "details": detail}
    return HttpResponse(body, status=status)


def database_unavailable_page() -> HttpResponse:
    response = plain_error_page(
        503, "Service Unavailable", "The database is not answering; try again shortly."
    )
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response
