"""Conditional requests: ETags that answer a repeated GET without computing it again.

An API response's ETag is `"<data version>.<variant>.<body hash>"`:

- the data version is a token that a database trigger replaces, in the writing transaction, on
  every insert, update, delete or truncate of a summits table (migration 0004), whoever writes:
  the API, the admin, `loaddata`, the bulk import or raw SQL;
- the variant is a hash of what else the bytes depend on: the absolute URL (links carry the
  scheme and host), the headers that choose or authorize a representation, the release that
  renders it (the RELEASE setting), and the day (`?upcoming=` compares with today's date, which
  no write changes: a tag of yesterday's is checked by its body instead);
- the body hash is the MD5 of the bytes, as Django's ConditionalGetMiddleware computes it.

A GET whose If-None-Match carries the current data version and its own variant is answered 304
after one query, without running the view: nothing the body depends on has changed. Otherwise
the view runs, and a matching body hash still answers 304 (the data changed elsewhere). The
version is read before the view reads anything, so a body is never older than the version in
its tag. `If-Match` on writes compares body hashes only: a write elsewhere does not make a read
stale, a change to what the client read does.

The price: every writing transaction updates the one version row, so writers take turns from
their first write to their commit. Editors curate by hand and imports run in bulk; neither
writes concurrently enough to notice.
"""

import datetime as dt
import hashlib
import math
import re
import secrets
from collections.abc import Iterable
from importlib import metadata
from typing import cast

from django.conf import settings
from django.db import connections, router
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.http import parse_etags, quote_etag
from rest_framework import exceptions, status
from rest_framework.authentication import BaseAuthentication
from rest_framework.renderers import BaseRenderer
from rest_framework.request import Request
from rest_framework.settings import api_settings
from rest_framework.throttling import BaseThrottle
from rest_framework.views import APIView

from summits.api.errors import error_response
from summits.models import Summit

VERSION_TABLE = "summits_dataversion"
# Request headers that can change a representation's bytes or who may see it.
VARIANT_HEADERS = ("Accept", "Accept-Language", "Authorization", "Cookie")


class PreconditionFailed(exceptions.APIException):
    status_code = status.HTTP_412_PRECONDITION_FAILED
    default_detail = "The object changed since you read it (If-Match does not match its ETag)."
    default_code = "precondition_failed"


def _release_fingerprint() -> str:
    """The release and the libraries that render its bytes: a deployment that may render other
    bytes for the same data makes other ETags. Without a RELEASE (only with DEBUG on), each
    server start counts as a release of its own: a development server reloading its code."""
    release = settings.RELEASE or secrets.token_hex(16)
    versions = (metadata.version(name) for name in _RENDERING_DISTRIBUTIONS)
    return "\0".join((release, *versions))


# Countries' names in other languages come from pycountry, a calendar's bytes from icalendar.
_RENDERING_DISTRIBUTIONS = (
    "django",
    "djangorestframework",
    "orjson",
    "drf-orjson-renderer",
    "pycountry",
    "icalendar",
)
_RELEASE = _release_fingerprint()


def data_version(using: str | None = None) -> str | None:
    """The current data version token (None where the table is missing), read from the database
    `using`: by default the one this request reads summit data from (the routers' choice: a read
    replica during an API GET that one serves), so that a tag's version and the rows it names
    come from one server."""
    with connections[using or router.db_for_read(Summit)].cursor() as cursor:
        cursor.execute(f"SELECT token FROM {VERSION_TABLE} WHERE id = 1")
        row = cursor.fetchone()
    return row[0] if row else None


def request_day(request: HttpRequest | Request) -> dt.date:
    """Today's date as one request sees it from its first read to its last: a request that
    runs over midnight filters, is tagged and is kept under one day, never two."""
    http = cast("HttpRequest", getattr(request, "_request", request))
    day = http.__dict__.get("_tracker_day")
    if day is None:
        day = http.__dict__["_tracker_day"] = timezone.localdate()
    return day


def variant(request: HttpRequest, headers: Iterable[str] = VARIANT_HEADERS) -> str:
    digest = hashlib.md5(_RELEASE.encode(), usedforsecurity=False)
    # The day: `?upcoming=` reads today's date, which no write changes.
    digest.update(request_day(request).isoformat().encode())
    digest.update(request.build_absolute_uri().encode())
    for header in headers:
        digest.update(b"\0" + request.headers.get(header, "").encode())
    return digest.hexdigest()[:16]


def variant_key(request: HttpRequest, headers: Iterable[str] = VARIANT_HEADERS) -> str:
    """What `variant` hashes, as a key that two requests share only if they are the same
    variant: a whole SHA-256 over length-prefixed fields (a key that a client could make
    collide with another's would serve it another response from the shared cache)."""
    digest = hashlib.sha256()
    fields = [
        _RELEASE,
        request_day(request).isoformat(),
        request.build_absolute_uri(),
        *(request.headers.get(header, "") for header in headers),
    ]
    for field in fields:
        encoded = field.encode()
        digest.update(len(encoded).to_bytes(8, "big") + encoded)
    return digest.hexdigest()


def body_hash(content: bytes) -> str:
    return hashlib.md5(content, usedforsecurity=False).hexdigest()


def make_etag(version: str | None, request: HttpRequest, content: bytes) -> str:
    return quote_etag(f"{version or '-'}.{variant(request)}.{body_hash(content)}")


def etag_parts(tag: str, *, weak: bool = True) -> tuple[str, str, str] | None:
    """A quoted tag's version, variant and body hash; None for another kind of tag (and for a
    weak one where only strong comparison is allowed, as in If-Match)."""
    if tag.startswith("W/"):
        if not weak:
            return None
        tag = tag[2:]
    found = _TAG_PARTS.match(tag.strip('"'))
    return (found["version"], found["key"], found["digest"]) if found else None


# What make_etag writes: the data version (or "-" before there is one), the variant, the hash.
_TAG_PARTS = re.compile(
    r"^(?P<version>[0-9a-f]{32}|-)\.(?P<key>[0-9a-f]{16})\.(?P<digest>[0-9a-f]{32})$"
)

# The request headers a representation varies on, as caches are told (`Vary`).
RESPONSE_VARY = ("Accept", "Accept-Language", "Cookie")


def streamed_etag(request: HttpRequest, *, headers: Iterable[str] = VARIANT_HEADERS) -> str:
    """The strong ETag of a streamed body (a calendar, a CSV file), whose bytes depend on the
    data version and the request's variant only: the two name it, without hashing a body that
    is not built yet. `headers` are the request headers its bytes depend on (a body that is the
    same for every client names none, and answers its 304s itself)."""
    version, key = data_version() or "-", variant(request, headers)
    return quote_etag(f"{version}.{key}.{body_hash(f'{version}.{key}'.encode())}")


def _render(data) -> bytes:
    """The bytes a GET answers with for `data`: the API's JSON renderer, as the views use it."""
    renderer = cast("type[BaseRenderer]", api_settings.DEFAULT_RENDERER_CLASSES[0])
    rendered = renderer().render(data)
    return rendered.encode() if isinstance(rendered, str) else rendered


def representation_etag(request: HttpRequest, data) -> str:
    """The ETag a GET of this request's URL answers with, for the representation `data`."""
    return make_etag(data_version(), request, _render(data))


def if_match_holds(header: str, data) -> bool:
    """Whether an If-Match header names the current representation `data` (or `*`)."""
    tags = parse_etags(header)
    if "*" in tags:
        return True
    current = body_hash(_render(data))
    return any(
        (parts := etag_parts(tag, weak=False)) is not None and parts[2] == current for tag in tags
    )


# The throttles' view argument: no view has run (none of the API's throttles reads it).
_NO_VIEW = APIView()


def throttled(request: HttpRequest) -> HttpResponse | None:
    """The 429 the API's throttles answer this request with, or None while it is within its
    budget. Raises AuthenticationFailed for credentials that fail (a revoked token), which
    only the view answers (401 with its WWW-Authenticate)."""
    authenticators = cast(
        "list[type[BaseAuthentication]]", api_settings.DEFAULT_AUTHENTICATION_CLASSES
    )
    throttles = cast("list[type[BaseThrottle]]", api_settings.DEFAULT_THROTTLE_CLASSES)
    drf_request = Request(request, authenticators=[cls() for cls in authenticators])
    waits = [
        throttle.wait()
        for throttle in (cls() for cls in throttles)
        if not throttle.allow_request(drf_request, _NO_VIEW)
    ]
    if not waits:
        return None
    wait = max((wait for wait in waits if wait is not None), default=None)
    throttled = exceptions.Throttled(wait)
    response = error_response(throttled.status_code, "throttled", str(throttled.detail))
    if wait is not None:
        response["Retry-After"] = str(math.ceil(wait))  # as DRF's own 429 says it
    return response
