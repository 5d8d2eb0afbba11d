"""With CACHE_URL on Redis, app servers share their throttle counters."""

import secrets
import socket

import pytest

from tests.outage import Server, django_env, gunicorn_path, manage

REDIS = ("127.0.0.1", 6379)


def redis_is_up() -> bool:
    try:
        with socket.create_connection(REDIS, timeout=1):
            return True
    except OSError:
        return False


pytestmark = pytest.mark.skipif(
    not (redis_is_up() and gunicorn_path()), reason="needs Redis on 127.0.0.1:6379 and gunicorn"
)


@pytest.fixture
def two_app_servers(tmp_path):
    """Two gunicorn servers (separate processes) on one SQLite file and one Redis cache."""
    env = django_env(f"sqlite:///{tmp_path / 'db.sqlite3'}")
    env["CACHE_URL"] = "redis://127.0.0.1:6379/0"
    # Counters of this run's own: other servers on the same Redis (a benchmark, another run)
    # spend budgets under other keys.
    env["CACHE_KEY_PREFIX"] = f"test-{secrets.token_hex(8)}"
    env["THROTTLE_ANON"] = "4/minute"
    manage("migrate", "--noinput", env=env)
    servers = []
    try:
        for name in ("first", "second"):
            (tmp_path / name).mkdir()
            servers.append(Server(env, tmp_path / name / "gunicorn.log"))
        for server in servers:
            server.wait_until_healthy()
        yield servers
    finally:
        for server in servers:
            server.close()


def test_two_app_servers_share_one_throttle_budget(two_app_servers):
    first, second = two_app_servers

    from_first = [first.request("GET", "/api/countries/").status for _ in range(3)]
    from_second = [second.request("GET", "/api/countries/").status for _ in range(3)]

    # 4 requests a minute in all: the second server knows of the first's three.
    assert from_first == [200, 200, 200]
    assert from_second == [200, 429, 429]
