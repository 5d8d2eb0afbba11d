"""The API's request budgets: per client address for anonymous clients, per user otherwise,
and a small one for the token endpoint, keyed on the address and the username tried.

The budgets are counted in the cache (Redis in production). While it cannot be reached they
fail open: requests are served uncounted instead of answering 500, and a warning is logged at
most once a minute per process. After a failure the cache is left alone for a few seconds, so a
hung server costs one socket timeout (CACHE_URL's `socket_timeout`), not one per request; then
it is tried again, and counts again as soon as it answers, without a restart. /healthz probes
the same cache through `cache_answers()`.
"""

import hashlib
import logging
import math
import threading
import time
import unicodedata
from collections.abc import Callable

from django.core.cache import cache
from redis.exceptions import RedisError
from rest_framework import exceptions, throttling

logger = logging.getLogger(__name__)

# What a cache client raises when its server refuses, drops or does not answer a connection.
CACHE_ERRORS = (RedisError, ConnectionError, TimeoutError)
RETRY_CACHE_AFTER_SECONDS = 2.0
WARN_AT_MOST_EVERY_SECONDS = 60.0
# A key nothing writes: reading it tells whether the cache answers, and leaves nothing behind.
PROBE_KEY = "healthz:probe"


class CacheOutage:
    """What this process knows of the cache being away: until when to leave it alone, and when
    it last warned about it."""

    def __init__(
        self,
        clock: Callable[[], float] = time.monotonic,
        *,
        what: str = "requests are served without throttling",
    ) -> None:
        self.clock = clock
        self.what = what
        self._lock = threading.Lock()
        self._retry_at = -math.inf
        self._warned_at = -math.inf

    def ongoing(self) -> bool:
        """Whether the cache failed too recently to be tried again."""
        return self.clock() < self._retry_at

    def reset(self) -> None:
        """Forget a failure: the next request tries the cache."""
        with self._lock:
            self._retry_at = -math.inf

    def record(self, error: Exception) -> None:
        now = self.clock()
        with self._lock:
            self._retry_at = now + RETRY_CACHE_AFTER_SECONDS
            warn = now - self._warned_at >= WARN_AT_MOST_EVERY_SECONDS
            if warn:
                self._warned_at = now
        if warn:
            logger.warning(
                "The cache is unavailable (%s: %s); %s until it answers again.",
                type(error).__name__,
                error,
                self.what,
            )


cache_outage = CacheOutage()


def cache_answers() -> bool:
    """Whether the cache answers a read now (for /healthz): a failure counts as an outage."""
    if cache_outage.ongoing():
        return False
    try:
        cache.get(PROBE_KEY)
    except CACHE_ERRORS as error:
        cache_outage.record(error)
        return False
    return True


class FailOpenThrottleMixin(throttling.BaseThrottle):
    """Serves the request, uncounted, while the cache that holds the budgets is away."""

    def allow_request(self, request, view) -> bool:
        if cache_outage.ongoing():
            return True
        try:
            return super().allow_request(request, view)
        except CACHE_ERRORS as error:
            cache_outage.record(error)
            return True


class AnonRateThrottle(FailOpenThrottleMixin, throttling.AnonRateThrottle):
    """Anonymous clients, counted by address (see REST_FRAMEWORK["NUM_PROXIES"])."""


class UserRateThrottle(FailOpenThrottleMixin, throttling.UserRateThrottle):
    """Signed-in clients, counted by user; anonymous ones by address."""


class LoginRateThrottle(FailOpenThrottleMixin, throttling.SimpleRateThrottle):
    """Password guesses: a budget per client address and username tried."""

    scope = "login"

    def get_cache_key(self, request, view):
        # The API's JSON body, or the admin login's form (a plain Django request).
        data = request.data if hasattr(request, "data") else request.POST
        username = data.get("username") if hasattr(data, "get") else None
        # As the login compares it: in Unicode's compatibility form (Django's login form makes
        # a fullwidth or a mathematical "e" a plain one before it checks the password), stripped of
        # white space, and each spelling of a letter's case counted as one.
        username = _login_form(username) if isinstance(username, str) else ""
        # Hashed: a username of any length or alphabet makes a key of one size.
        tried = hashlib.sha256(username.encode()).hexdigest()[:32]
        return self.cache_format % {
            "scope": self.scope,
            "ident": f"{self.get_ident(request)}:{tried}",
        }


class ExportRateThrottle(FailOpenThrottleMixin, throttling.SimpleRateThrottle):
    """Whole lists as CSV, which may hold a worker for a minute each: a budget of their own, per
    user, or per address for anonymous clients, on top of the client's request budget."""

    scope = "export"

    def get_cache_key(self, request, view):
        ident = request.user.pk if request.user.is_authenticated else self.get_ident(request)
        return self.cache_format % {"scope": self.scope, "ident": ident}


def spend_export_budget(request, view) -> None:
    """Counts a whole export against the client's budget, or refuses it (429): called once the
    request is known to be a good one, so that a refused or unchanged export costs nothing."""
    export = ExportRateThrottle()
    if not export.allow_request(request, view):
        raise exceptions.Throttled(export.wait())


def _login_form(username: str) -> str:
    folded = unicodedata.normalize("NFKC", username).strip().casefold()
    return unicodedata.normalize("NFKC", folded)
