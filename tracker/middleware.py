"""Site-wide request and response rules: one JSON error shape for API clients, 503 rather than
500 while the database is away, ETags and early 304s for the API's reads, and no NUL bytes past
the front door."""

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, cast

from django.conf import settings
from django.db import InterfaceError, OperationalError, connections, transaction
from django.http import HttpRequest, HttpResponse, HttpResponseNotModified
from django.utils.cache import patch_vary_headers
from django.utils.http import parse_etags, quote_etag
from psycopg import IsolationLevel
from rest_framework.exceptions import APIException

from summits.api import response_cache
from summits.api.conditional import (
    RESPONSE_VARY,
    data_version,
    etag_parts,
    make_etag,
    throttled,
    variant,
)
from summits.api.errors import COLLIDED, database_unavailable, error_response, transaction_collided
from tracker.errors import database_unavailable_page, is_json_path, plain_error_page
from tracker.replicas.routing import reading_alias

GetResponse = Callable[[HttpRequest], HttpResponse]

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

    def __init__(self, get_response: GetResponse) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if (
            response.status_code < 400
            or not is_json_path(request)
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

    def __init__(self, get_response: GetResponse) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if "\x00" in request.path or any(
            "\x00" in key or any("\x00" in value for value in values)
            for key, values in request.GET.lists()
        ):
            if is_json_path(request):
                return error_response(400, "null_characters_not_allowed", "NUL is not allowed.")
            return plain_error_page(400, "Bad Request", "NUL is not allowed in an address.")
        return self.get_response(request)


class DatabaseUnavailableMiddleware:
    """Answers 503 with Retry-After when the database fails outside a DRF view's own handling
    (opening the request's transaction, say), and 409 for a write that collided with another,
    instead of a 500: JSON under JSON_PATHS, a plain page elsewhere (the admin)."""

    def __init__(self, get_response: GetResponse) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        api = is_json_path(request)
        if transaction_collided(exception):
            if api:
                return error_response(409, "write_collided", COLLIDED)
            return plain_error_page(409, "Conflict", COLLIDED)
        if isinstance(exception, OperationalError | InterfaceError):
            return database_unavailable() if api else database_unavailable_page()
        return None


# What SharedResponseMiddleware leaves on a request for RepresentationETagMiddleware below it.
_CHECKED = "_tracker_checked"


@dataclass
class _Checked:
    """A request SharedResponseMiddleware checked early and did not answer: it keeps the
    response (when the shared cache may) and answers the tags itself, after the view."""

    # The version the view's snapshot read, set below: the one its response is kept under.
    version: str | None = None


class SharedResponseMiddleware:
    """Answers an API GET or HEAD from the cache that app servers share
    (summits.api.response_cache), or with a 304 for a tag of the current data version, before
    the sessions, CSRF, authentication, messages and clickjacking middleware below it run: a
    query of the data version (outside any transaction), a cache read, and the client's budget
    (a token's owner looked up, for a request that sends one).

    A request that sends a session cookie is left to RepresentationETagMiddleware: who it names
    is known only below (sessions, authentication), and a 304 counts against that budget. On a
    miss, the view's response is kept as it comes back through the middleware below (their
    headers with it) under the version its snapshot read, then answered as the tags allow.
    """

    paths: tuple[str, ...] = ("/api/",)

    def __init__(self, get_response: GetResponse) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if (
            request.method not in ("GET", "HEAD")
            or not request.path.startswith(self.paths)
            or settings.SESSION_COOKIE_NAME in request.COOKIES
        ):
            return self.get_response(request)
        offered = offered_tags(request)
        cacheable = self.cacheable(request)
        if not (offered or cacheable):
            return self.get_response(request)
        try:
            early = without_view(request, data_version(), offered, cacheable)
        except (OperationalError, InterfaceError):
            return database_unavailable()
        if early is not None:
            return early
        checked = request.__dict__[_CHECKED] = _Checked()
        response = self.get_response(request)
        if cacheable and checked.version is not None and response_cache.storable(request, response):
            # Made in the snapshot the version names: exactly the data at that version.
            response_cache.store(checked.version, request, response)
        return unless_offered(response, offered)

    def cacheable(self, request: HttpRequest) -> bool:
        """Whether `request`'s response may come from, and go to, the shared cache."""
        return response_cache.enabled() and response_cache.shared(request)


class RepresentationETagMiddleware:
    """ETags for the API's GET and HEAD responses (summits.api.conditional), and 304s as early
    as the data allows: before the view, when a tag names the current data version.

    The view runs in a snapshot (`snapshot`) whose first query reads the data version: the
    version its response is tagged with (and kept under, by SharedResponseMiddleware above),
    which a write since an earlier read may have moved on. A request that offers tags and that
    the middleware above did not check reads the version once before, alone (a session's).
    """

    paths: tuple[str, ...] = ("/api/",)

    def __init__(self, get_response: GetResponse) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.method not in ("GET", "HEAD") or not request.path.startswith(self.paths):
            return self.get_response(request)
        try:
            return self._answer(request)
        except (OperationalError, InterfaceError):
            return database_unavailable()

    def _answer(self, request: HttpRequest) -> HttpResponse:
        offered = offered_tags(request)
        checked: _Checked | None = request.__dict__.get(_CHECKED)
        if offered and checked is None:
            early = without_view(request, data_version(), offered, cached=False)
            if early is not None:
                return early
        with snapshot(reading_alias()):
            version = data_version()
            early = without_view(request, version, offered, cached=False)
            if early is not None:
                return early
            response = self.get_response(request)
            if response.status_code != 200 or response.streaming:
                return response
            response["ETag"] = make_etag(version, request, response.content)
        if checked is not None:
            checked.version = version
            return response  # kept, and answered as its tags allow, above
        return unless_offered(response, offered)


def offered_tags(request: HttpRequest) -> list[tuple[str, str, str]]:
    """The (version, variant, body hash) of each of this API's tags in If-None-Match."""
    return [
        parts
        for tag in parse_etags(request.headers.get("If-None-Match", ""))
        if (parts := etag_parts(tag)) is not None
    ]


def without_view(
    request: HttpRequest,
    version: str | None,
    offered: list[tuple[str, str, str]],
    cached: bool,
) -> HttpResponse | None:
    """The answer at `version` that needs no view: a 304 for a tag of this version, or the
    response the shared cache holds (when `cached`); None for the view to answer (also when
    the request's credentials fail, which the view answers 401)."""
    if version is None:
        return None
    try:
        if offered:
            key = variant(request)
            for tag_version, tag_key, digest in offered:
                if (tag_version, tag_key) == (version, key):
                    # A 304 that skips the view still counts against the client's budget.
                    return throttled(request) or _not_modified(
                        quote_etag(f"{version}.{key}.{digest}")
                    )
        if cached:
            response = response_cache.cached_response(version, request)
            if response is not None:
                # Served without the view, but within the client's budget all the same.
                return throttled(request) or unless_offered(response, offered)
    except APIException:
        return None
    return None


def unless_offered(response: HttpResponse, offered: list[tuple[str, str, str]]) -> HttpResponse:
    """`response`, or a 304 when the client holds a body the same as its own."""
    if not offered or response.status_code != 200 or response.streaming:
        return response  # a streamed body answers its own tags (summits.api.streaming)
    current = etag_parts(response.get("ETag", ""))
    if current is not None and any(digest == current[2] for _, _, digest in offered):
        return _not_modified(response["ETag"], response)
    return response


@contextmanager
def snapshot(alias: str) -> Iterator[None]:
    """One transaction on `alias` that sees one state of the data: REPEATABLE READ on
    PostgreSQL (begun in the same round trip as its first query), and on SQLite a read
    transaction, which sees one state of the file. The data version read first in it names
    exactly the data every later read in it sees: an ETag's version, and the key a response is
    kept under in the shared cache. A streamed body is read after it, in a transaction of its
    own (summits.api.streaming). Inside a transaction already open (a test's), a savepoint."""
    connection = connections[alias]
    if connection.in_atomic_block or connection.vendor != "postgresql":
        with transaction.atomic(using=alias):
            yield
        return
    connection.ensure_connection()
    driver = connection.connection
    driver.isolation_level = IsolationLevel.REPEATABLE_READ
    try:
        with transaction.atomic(using=alias):
            yield
    finally:
        if not driver.closed:
            # The backend's own level, from OPTIONS (READ COMMITTED unless set).
            driver.isolation_level = cast("Any", connection).isolation_level


def _not_modified(etag: str, response: HttpResponse | None = None) -> HttpResponse:
    not_modified = HttpResponseNotModified()
    not_modified["ETag"] = etag
    if response is None:
        # Before the view: what its 200 would vary on, so that a cache updating its stored
        # headers from this 304 never serves one language's body for another.
        patch_vary_headers(not_modified, RESPONSE_VARY)
        return not_modified
    for header in ("Cache-Control", "Content-Location", "Expires", "Vary"):
        if header in response:
            not_modified[header] = response[header]
    # As the 200 would have set them: a session's new key, a dead session's cookie deleted.
    not_modified.cookies = response.cookies
    return not_modified
