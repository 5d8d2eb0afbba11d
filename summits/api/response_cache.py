"""A cache of the API's GET responses that every app server shares, keyed by the data version.

A response is stored under `response:<data version>:<variant key>` (summits.api.conditional): the
data version that a database trigger replaces on every write, by any app server or by SQL, and
the variant that hashes the URL, the headers that choose a representation and the release. A
write changes the version, and so every key: nothing stored is ever served for data it does not
show, and nothing needs to be deleted (entries expire after RESPONSE_CACHE_SECONDS).

A request the cache may answer reads the data version first, alone: a hit costs that one query
and one cache read. A miss runs its view in one snapshot of the data that reads the version again
(tracker.middleware.snapshot: REPEATABLE READ on PostgreSQL, primary or replica), and is stored
under that version with its ETag: a response shows exactly the data at the version it is stored
under.

Only what every client would be answered the same is shared: anonymous GETs (no Authorization
header, no session cookie), answered 200 with a body of one of `CACHED_TYPES` and no cookie,
at most RESPONSE_CACHE_MAX_BYTES; a HEAD is answered from its GET's, and its GET from what a
HEAD kept (the whole body, which the server leaves out). A cached answer still counts against
the client's request budget. While the cache is away (`outage`) requests are served uncached,
as if it were empty.
"""

import pickle
from typing import Any

from django.conf import settings
from django.core.cache import DEFAULT_CACHE_ALIAS, BaseCache, caches
from django.http import HttpRequest, HttpResponse

from summits.api.conditional import variant_key
from summits.api.throttling import CACHE_ERRORS, CacheOutage

# The cache alias the responses live in (RESPONSE_CACHE_URL; by default CACHE_URL's server), and
# what this process knows of it being away: apart from the throttles', so that a responses'
# Redis that is full or gone never lets a client's budget go uncounted.
CACHE_ALIAS = "responses"
outage = CacheOutage(what="responses are served uncached")

# Representations the same for every anonymous client; never the browsable API's HTML, which
# carries a CSRF token.
CACHED_TYPES = (
    "application/json",
    "application/ld+json",
    "application/geo+json",
    "text/calendar",
    "text/csv",
)


def _cache() -> BaseCache:
    """The responses' cache; the default one where settings name no other."""
    return caches[CACHE_ALIAS if CACHE_ALIAS in settings.CACHES else DEFAULT_CACHE_ALIAS]


def enabled() -> bool:
    return settings.RESPONSE_CACHE_SECONDS > 0


def shared(request: HttpRequest) -> bool:
    """Whether `request` is answered the same for every client that sends it (a HEAD as the GET
    it asks about)."""
    return (
        request.method in ("GET", "HEAD")
        and "Authorization" not in request.headers
        and settings.SESSION_COOKIE_NAME not in request.COOKIES
    )


def _key(version: str, request: HttpRequest) -> str:
    return f"response:{version}:{variant_key(request)}"


def cached_response(version: str, request: HttpRequest) -> HttpResponse | None:
    """The response stored for `request` at `version`, or None."""
    if outage.ongoing():
        return None
    try:
        stored = _cache().get(_key(version, request))
    except CACHE_ERRORS as error:
        outage.record(error)
        return None
    if stored is None:
        return None
    status, headers, content = pickle.loads(stored)  # written by store() only
    if not any(name.lower() == "etag" for name, _ in headers):
        return None  # kept by a release that stored none: the view answers (and keeps it anew)
    response = HttpResponse(content, status=status)
    for name, value in headers:
        response[name] = value
    return response


def storable(request: HttpRequest, response: HttpResponse) -> bool:
    """Whether to keep `response`: a GET's 200 (with its ETag), in one of CACHED_TYPES, or a
    HEAD's that holds the GET's whole body (the server leaves it out on the way to the client;
    a HEAD answered without its body is not kept)."""
    return (
        (request.method == "GET" or (request.method == "HEAD" and bool(response.content)))
        and response.status_code == 200
        and "ETag" in response
        and not response.streaming
        and not response.cookies
        and response.get("Content-Type", "").split(";")[0].strip() in CACHED_TYPES
        and len(response.content) <= settings.RESPONSE_CACHE_MAX_BYTES
    )


def store(version: str, request: HttpRequest, response: HttpResponse) -> None:
    """Keep `response` for `request` at `version` (a response the view made at that version)."""
    if outage.ongoing():
        return
    headers: list[tuple[str, Any]] = list(response.headers.items())
    stored = pickle.dumps((response.status_code, headers, response.content), protocol=5)
    try:
        _cache().set(_key(version, request), stored, timeout=settings.RESPONSE_CACHE_SECONDS)
    except CACHE_ERRORS as error:
        outage.record(error)
