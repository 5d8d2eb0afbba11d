"""The Redis cache backend (tracker.cache): Django's, with one redis-py client per connection
pool, on a real Redis."""

import pytest
import redis

from tracker.cache import RedisCache

SERVERS = ",".join(f"redis://127.0.0.1:6379/{db}" for db in (13, 14, 15))


@pytest.fixture
def cache():
    try:
        redis.Redis.from_url("redis://127.0.0.1:6379/13", socket_connect_timeout=0.5).ping()
    except redis.ConnectionError:
        pytest.skip("no Redis on 127.0.0.1:6379")
    cache = RedisCache(SERVERS, {"KEY_PREFIX": "test-cache-backend"})
    yield cache
    for db in (13, 14, 15):
        redis.Redis.from_url(f"redis://127.0.0.1:6379/{db}").flushdb()


def test_writes_go_to_the_first_server_and_reads_to_the_others(cache):
    cache.set("key", "value")

    # Reads go to servers 1 and 2 (replicas of the first, in a real deployment): empty here.
    assert {cache.get("key") for _ in range(20)} == {None}
    assert redis.Redis.from_url("redis://127.0.0.1:6379/13").exists("test-cache-backend:1:key")


def test_each_client_talks_through_the_pool_it_was_chosen_for(cache):
    client = cache._cache
    for _ in range(50):
        for write in (False, True):
            chosen = client.get_client(write=write)
            assert chosen.connection_pool in client._pools.values()
            assert client.get_client(write=write) in client._clients.values()
    assert all(c.connection_pool is pool for pool, c in client._clients.items())
    assert len(client._clients) == 3
