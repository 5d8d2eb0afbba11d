"""The API's request budgets: per client address for anonymous clients, per user otherwise,
and a small one for the token endpoint, keyed on the address and the username tried."""

import hashlib

from rest_framework import throttling


class AnonRateThrottle(throttling.AnonRateThrottle):
    """Anonymous clients, counted by address (see REST_FRAMEWORK["NUM_PROXIES"])."""


class UserRateThrottle(throttling.UserRateThrottle):
    """Signed-in clients, counted by user; anonymous ones by address."""


class LoginRateThrottle(throttling.SimpleRateThrottle):
    """Password guesses: a budget per client address and username tried."""

    scope = "login"

    def get_cache_key(self, request, view):
        data = request.data if isinstance(request.data, dict) else {}
        username = data.get("username")
        username = username.casefold() if isinstance(username, str) else ""
        # Hashed: a username of any length or alphabet makes a key of one size.
        tried = hashlib.sha256(username.encode()).hexdigest()[:32]
        return self.cache_format % {
            "scope": self.scope,
            "ident": f"{self.get_ident(request)}:{tried}",
        }
