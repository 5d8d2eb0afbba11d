"""Read-your-writes: a client that has just written reads from a replica only once that replica
has replayed the write.

After a successful write by a signed-in client, the primary's WAL insert position (at or past
the end of the write's commit) is kept in the shared cache under a hash of the client's
credential (its Authorization header, else its session cookie), for as long as a replica that
serves may lag behind the primary. While the cache cannot be reached, a client with a
credential reads from the primary: it may have written.
"""

import hashlib
import math

from django.conf import settings
from django.core.cache import cache
from django.db import DEFAULT_DB_ALIAS, Error, connections
from django.http import HttpRequest

from summits.api.throttling import CACHE_ERRORS, cache_outage
from tracker.replicas.health import CHECK_EVERY_SECONDS, wal_position

# A position no replica reaches: the client reads from the primary.
EVERYTHING = 1 << 64
KEY_PREFIX = "replicas:written:"


def credential(request: HttpRequest) -> str | None:
    """What names a client from one request to the next: its Authorization header, else its
    session cookie (None for a client that sends neither, which cannot have written)."""
    return (
        request.headers.get("Authorization")
        or request.COOKIES.get(settings.SESSION_COOKIE_NAME)
        or None
    )


def remembered_seconds() -> int:
    """How long a write is remembered: after that, any replica that serves has replayed it
    (it lags REPLICA_MAX_LAG_SECONDS at most, as of a check at most CHECK_EVERY_SECONDS old)."""
    return math.ceil(settings.REPLICA_MAX_LAG_SECONDS + CHECK_EVERY_SECONDS) + 1


def remember_write(request: HttpRequest) -> None:
    """Called after a request wrote successfully: its client's reads must see the write."""
    user = getattr(request, "user", None)
    found = credential(request)
    if found is None or user is None or not user.is_authenticated or cache_outage.ongoing():
        return
    try:
        position = primary_inserted()
    except Error:
        position = EVERYTHING
    try:
        cache.set(_key(found), position, timeout=remembered_seconds())
    except CACHE_ERRORS as error:
        cache_outage.record(error)


def primary_inserted() -> int:
    """How far the primary's WAL is written into, now: at or past the end of every transaction
    committed before (its flushed position may not be, with synchronous_commit off)."""
    with connections[DEFAULT_DB_ALIAS].cursor() as cursor:
        cursor.execute("SELECT pg_current_wal_insert_lsn()::text")
        return wal_position(cursor.fetchone()[0]) or EVERYTHING


def must_see(found: str) -> int | None:
    """The WAL position the client of credential `found` must read, or None when it wrote
    nothing lately; EVERYTHING while the cache cannot say."""
    if cache_outage.ongoing():
        return EVERYTHING
    try:
        return cache.get(_key(found))
    except CACHE_ERRORS as error:
        cache_outage.record(error)
        return EVERYTHING


def _key(found: str) -> str:
    # Hashed: the cache never holds a credential, and every key has one size.
    return KEY_PREFIX + hashlib.sha256(found.encode()).hexdigest()
