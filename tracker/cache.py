"""The Redis cache backend that CACHE_URL and RESPONSE_CACHE_URL's `redis://` URLs choose: Django's,
with one redis-py client per connection pool instead of one per operation."""

import redis
from django.core.cache.backends import redis as django_redis


class RedisCacheClient(django_redis.RedisCacheClient):
    """Django's client builds a new `redis.Redis`, with its table of some 170 reply callbacks,
    for every get or set: about a sixth of the CPU of an API response served from the shared
    cache, and a part of every throttled request's. Here each connection pool keeps one client,
    as thread-safe as the pool it draws its connections from."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._clients: dict[object, redis.Redis] = {}

    def get_client(self, key=None, *, write=False):
        pool = self._get_connection_pool(write)  # type: ignore[attr-defined]  # not in the stubs
        client = self._clients.get(pool)
        if client is None:
            client = self._clients.setdefault(pool, redis.Redis(connection_pool=pool))
        return client


class RedisCache(django_redis.RedisCache):
    def __init__(self, server, params) -> None:
        super().__init__(server, params)
        self._class = RedisCacheClient
