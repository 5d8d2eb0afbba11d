"""Redis goes away (issue 13, finding 4).

In process: every throttle lets requests through while the cache is refused or hung, warns once
a minute, and counts again once the cache answers. Then a real gunicorn on production settings,
counting its budgets in a throwaway redis-server: while Redis is killed or hung (SIGSTOP) every
answer comes within DOWN_WITHIN seconds and none is a 500, /healthz answers 200 with the cache
"degraded", and once Redis is back the budgets run out again (429) without restarting gunicorn.
"""

import json
import socket
import time

import pytest
import redis
from django.contrib.auth.hashers import PBKDF2PasswordHasher, make_password
from django.test import override_settings
from django.urls import reverse
from rest_framework.parsers import JSONParser
from rest_framework.request import Request
from rest_framework.test import APIRequestFactory

from summits.api import throttling
from tests.outage import (
    LOOPBACK,
    RedisServer,
    Server,
    django_env,
    free_port,
    gunicorn_path,
    manage,
    redis_server_path,
)

SOCKET_TIMEOUT = 0.2  # seconds: CACHE_URL's socket_connect_timeout and socket_timeout
DOWN_WITHIN = 2.0  # seconds for any answer while Redis is away
BACK_WITHIN = 5.0  # seconds from Redis's return to budgets that run out again
POLL_EVERY = 0.05
ANON_BUDGET = 5
WARNING = "The cache is unavailable"
WORKERS = 2  # tests.outage.Server's


class Clock:
    """A monotonic clock that moves only when told."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock(monkeypatch) -> Clock:
    """This test's own record of cache outages, on a clock it moves by hand."""
    clock = Clock()
    monkeypatch.setattr(throttling, "cache_outage", throttling.CacheOutage(clock=clock))
    return clock


def redis_cache(port: int) -> dict:
    return {
        "default": {
            "BACKEND": "tracker.cache.RedisCache",
            "LOCATION": f"redis://{LOOPBACK}:{port}/0",
            "OPTIONS": {"socket_connect_timeout": SOCKET_TIMEOUT, "socket_timeout": SOCKET_TIMEOUT},
        }
    }


@pytest.fixture
def refused_cache(clock):
    """The cache on a port nothing listens on (override_settings, not the `settings` fixture:
    conftest's `fresh_cache` must clear the usual cache again when the test is over)."""
    with override_settings(CACHES=redis_cache(free_port())):
        yield


@pytest.fixture
def hung_cache(clock):
    """The cache on a port that accepts connections and never answers, as a stuck Redis."""
    with socket.socket() as listener:
        listener.bind((LOOPBACK, 0))
        listener.listen(64)
        with override_settings(CACHES=redis_cache(listener.getsockname()[1])):
            yield


@pytest.fixture
def low_anonymous_budget(monkeypatch):
    monkeypatch.setattr(throttling.AnonRateThrottle, "rate", "2/minute", raising=False)


@pytest.mark.parametrize(
    "throttle_class",
    [throttling.AnonRateThrottle, throttling.UserRateThrottle, throttling.LoginRateThrottle],
)
def test_every_throttle_lets_requests_through_while_the_cache_is_refused(
    throttle_class, refused_cache, monkeypatch
):
    monkeypatch.setattr(throttle_class, "rate", "1/minute", raising=False)
    wsgi_request = APIRequestFactory().post(
        "/api/auth/token/", {"username": "someone"}, format="json"
    )
    request = Request(wsgi_request, parsers=[JSONParser()])

    allowed = [throttle_class().allow_request(request, view=None) for _ in range(3)]

    assert allowed == [True, True, True]


def test_an_anonymous_client_over_its_budget_is_served_while_the_cache_is_refused(
    anonymous_client, world, low_anonymous_budget, refused_cache
):
    url = reverse("api:summit-list")

    statuses = [anonymous_client.get(url).status_code for _ in range(4)]

    assert statuses == [200, 200, 200, 200]


def test_a_hung_cache_costs_one_socket_timeout_not_one_per_request(
    anonymous_client, world, hung_cache
):
    url = reverse("api:summit-list")
    started = time.monotonic()

    statuses = [anonymous_client.get(url).status_code for _ in range(5)]

    # Two throttles a request, five requests: 2 s if every cache call waited for its timeout.
    assert statuses == [200] * 5
    assert time.monotonic() - started < 4 * SOCKET_TIMEOUT


def test_the_outage_is_logged_once_a_minute_not_per_request(
    anonymous_client, world, refused_cache, clock, caplog
):
    url = reverse("api:summit-list")

    for minute in range(3):
        clock.now = 1000.0 + 60 * minute
        for _ in range(5):
            anonymous_client.get(url)
            clock.now += throttling.RETRY_CACHE_AFTER_SECONDS  # each request tries the cache

    warnings = [
        r
        for r in caplog.records
        if r.name == throttling.__name__ and "without throttling" in r.getMessage()
    ]
    # 15 requests in three minutes, each trying the cache and failing: one warning a minute.
    assert [r.levelname for r in warnings] == ["WARNING"] * 3
    assert "ConnectionError" in warnings[0].getMessage()


def test_budgets_count_again_once_the_cache_answers(
    anonymous_client, world, low_anonymous_budget, clock
):
    url = reverse("api:summit-list")
    with override_settings(CACHES=redis_cache(free_port())):
        during = [anonymous_client.get(url).status_code for _ in range(3)]

    clock.now += throttling.RETRY_CACHE_AFTER_SECONDS
    after = [anonymous_client.get(url).status_code for _ in range(3)]

    assert during == [200, 200, 200]
    assert after == [200, 200, 429]


# -- A real gunicorn and a throwaway redis-server ---------------------------------------------

needs_servers = pytest.mark.skipif(
    not (redis_server_path() and gunicorn_path()), reason="needs redis-server and gunicorn"
)
EDITOR = {"username": "editor", "password": "outage-test-only-password"}


def editor_fixture() -> list[dict]:
    """A superuser, loaded with the article's data (one Django start, not two)."""
    # Production's hasher: the suite's own settings allow only a fast one.
    password = make_password(EDITOR["password"], hasher=PBKDF2PasswordHasher())
    fields = {"username": EDITOR["username"], "password": password, "is_superuser": True}
    return [{"model": "auth.user", "pk": 1, "fields": fields}]


@pytest.fixture
def redis_server():
    server = RedisServer()
    try:
        server.start()
        yield server
    finally:
        server.close()


@pytest.fixture
def app_server(redis_server, tmp_path):
    """gunicorn (two workers) on production settings, an SQLite file with the article's data and
    an editor, and its throttle budgets in `redis_server`."""
    env = django_env(f"sqlite:///{tmp_path / 'db.sqlite3'}")
    env["CACHE_URL"] = (
        f"redis://{LOOPBACK}:{redis_server.port}/0"
        f"?socket_connect_timeout={SOCKET_TIMEOUT}&socket_timeout={SOCKET_TIMEOUT}"
    )
    env["THROTTLE_ANON"] = f"{ANON_BUDGET}/minute"
    editor = tmp_path / "editor.json"
    editor.write_text(json.dumps(editor_fixture()))
    manage("migrate", "--noinput", env=env)
    manage("load_fixtures", "article", str(editor), env=env)
    server = Server(env, tmp_path / "gunicorn.log")
    try:
        server.wait_until_healthy()
        yield server
    finally:
        server.close()


def cache_health(server: Server) -> tuple[int, str, str]:
    response = server.request("GET", "/healthz", timeout=10)
    body = response.json()
    return response.status, body["status"], body["cache"]


def serve_a_burst(server: Server, token: str, country_codes: list[str]) -> dict[str, list]:
    """Reads, a conditional read and a write, once for each new country code (twice, so that
    both workers are likely to answer): {request: [(status, seconds), ...]}."""
    answers: dict[str, list] = {}

    def send(name, method, path, **kwargs):
        response = server.request(method, path, timeout=10, **kwargs)
        answers.setdefault(name, []).append((response.status, response.seconds))
        return response

    for code in country_codes:
        for path in (
            "/api/summits/",
            "/api/summits/nato-2024-washington/",
            "/api/leaders/fumio-kishida/record/",
            "/api/countries/",
        ):
            send(f"GET {path}", "GET", path)
        etag = send("GET /api/summits/ (for its ETag)", "GET", "/api/summits/").headers["etag"]
        send(
            "GET /api/summits/ If-None-Match",
            "GET",
            "/api/summits/",
            headers={"If-None-Match": etag},
        )
        send(
            "POST /api/countries/",
            "POST",
            "/api/countries/",
            body=json.dumps({"code": code, "name": f"Nowhere {code}"}).encode(),
            headers={"Content-Type": "application/json", "Authorization": f"Token {token}"},
        )
        send("GET /healthz", "GET", "/healthz")
    return answers


EXPECTED = {
    "GET /api/summits/ If-None-Match": 304,
    "POST /api/countries/": 201,
}


def assert_served(answers: dict[str, list], what: str) -> list[str]:
    report = []
    for name, results in answers.items():
        statuses = [status for status, _ in results]
        slowest = max(seconds for _, seconds in results)
        assert 500 not in statuses, f"{what}: {name} answered {statuses}"
        assert set(statuses) == {EXPECTED.get(name, 200)}, f"{what}: {name} answered {statuses}"
        assert slowest < DOWN_WITHIN, f"{what}: {name} took {slowest:.3f} s: {answers}"
        report.append(
            f"{what}: {name:<40} {statuses[0]} in "
            + ", ".join(f"{seconds:.3f}" for _, seconds in results)
        )
    return report


def wait_for_budgets_to_count(server: Server) -> tuple[float, list[int]]:
    """Anonymous reads until one answers 429: the seconds it took, and the statuses."""
    started = time.monotonic()
    statuses: list[int] = []
    while time.monotonic() - started < BACK_WITHIN:
        statuses.append(server.request("GET", "/api/countries/", timeout=5).status)
        assert statuses[-1] in (200, 429), statuses
        if statuses[-1] == 429 and cache_health(server) == (200, "ok", "ok"):
            return time.monotonic() - started, statuses
        time.sleep(POLL_EVERY)
    raise AssertionError(f"no 429 within {BACK_WITHIN} s of Redis's return: {statuses}")


@needs_servers
def test_the_api_serves_without_redis_and_throttles_again_once_it_is_back(
    redis_server, app_server, request
):
    report: list[str] = []

    # Up: the anonymous budget counts in Redis (the token's request too) and runs out;
    # /healthz's probe writes nothing.
    token = app_server.request(
        "POST",
        "/api/auth/token/",
        body=json.dumps(EDITOR).encode(),
        headers={"Content-Type": "application/json"},
    ).json()["token"]
    statuses = [app_server.request("GET", "/api/countries/").status for _ in range(ANON_BUDGET)]
    assert statuses == [200] * (ANON_BUDGET - 1) + [429]
    assert cache_health(app_server) == (200, "ok", "ok")
    keys = redis.Redis(host=LOOPBACK, port=redis_server.port).keys("*")
    assert keys
    # Throttle counters only: the responses are kept in each process's memory here.
    assert all(b":throttle_" in key for key in keys), keys

    # Refused: the exhausted budget no longer applies, nothing answers 500.
    redis_server.kill()
    first_outage = time.monotonic()
    report += assert_served(serve_a_burst(app_server, token, ["QA", "QB"]), "refused")
    assert cache_health(app_server) == (200, "degraded", "degraded")

    redis_server.start()
    seconds, statuses = wait_for_budgets_to_count(app_server)
    report.append(f"back after kill: 429 and cache ok {seconds:.3f} s after Redis answered PING")
    report.append(f"  statuses on the way: {statuses}")

    # Hung: the port accepts connections, nothing answers; every answer still comes fast.
    redis_server.pause()
    try:
        report += assert_served(serve_a_burst(app_server, token, ["QC", "QD"]), "hung")
        assert cache_health(app_server) == (200, "degraded", "degraded")
    finally:
        redis_server.resume()
    seconds, statuses = wait_for_budgets_to_count(app_server)
    report.append(f"back after SIGCONT: 429 and cache ok in {seconds:.3f} s")

    assert app_server.process.poll() is None, "gunicorn kept running throughout"
    log = app_server.logfile.read_text(errors="replace")
    assert "Internal Server Error" not in log, log
    minutes = 1 + int((time.monotonic() - first_outage) // 60)
    warnings = log.count(WARNING)
    assert 1 <= warnings <= WORKERS * minutes, log
    report.append(f"warnings in the gunicorn log: {warnings} ({WORKERS} workers)")

    text = "\n".join(report)
    request.node.add_report_section("call", "cache outage timings", text)
