"""The database goes away (issue 4, item 5).

A real gunicorn on a real, throwaway PostgreSQL cluster (not the suite's own server): while the
cluster is stopped the API answers 503 JSON with Retry-After within 2 seconds, never a 500 or a
traceback, and /healthz says so; once the cluster is back, requests succeed within 5 seconds
without restarting gunicorn.
"""

import json
import re
import time

import pytest
from django.db import connection

from tests.outage import (
    Cluster,
    Server,
    django_env,
    gunicorn_path,
    manage,
    why_no_cluster,
)

_reason = (
    "the suite's DATABASE_URL is not PostgreSQL"
    if connection.vendor != "postgresql"
    else why_no_cluster() or (None if gunicorn_path() else "gunicorn is not installed")
)
pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(_reason is not None, reason=f"database outage test: {_reason}"),
]

DOWN_WITHIN = 2.0  # seconds for any answer while the database is away
BACK_WITHIN = 5.0  # seconds from the database's return to the first 200
POLL_EVERY = 0.1

READS = [
    "/api/summits/",
    "/api/summits/nato-2024-washington/",
    "/api/leaders/fumio-kishida/record/",
    "/healthz",
]
WRITE = "/api/countries/"


@pytest.fixture
def server(cluster):
    env = django_env(cluster.url)
    manage("migrate", "--noinput", env=env)
    manage("load_fixtures", "article", env=env)
    server = Server(env, cluster.base / "gunicorn.log")
    try:
        server.wait_until_healthy()
        yield server
    finally:
        server.close()


def leaks(body: str, cluster: Cluster) -> list[str]:
    """What of the server's insides `body` gives away."""
    found = [
        word
        for word in ("Traceback", "psycopg", "OperationalError", f"127.0.0.1:{cluster.port}")
        if word.lower() in body.lower()
    ]
    if re.search(r"(/[\w.-]+){2,}\.py|/(usr|work|tmp|home|opt|var|srv|root)/", body):
        found.append("a file path")
    if str(cluster.base) in body:
        found.append("the cluster's directory")
    return found


def assert_database_unavailable(response, what: str) -> None:
    assert response.status == 503, f"{what}: {response.status} {response.body[:500]}"
    assert response.headers.get("content-type", "").startswith("application/json"), what
    body = response.json()
    assert set(body) >= {"type", "errors"}, f"{what}: {body}"
    assert body["errors"], f"{what}: {body}"
    assert body["errors"][0]["code"] == "database_unavailable", f"{what}: {body}"
    retry_after = response.headers.get("retry-after")
    assert retry_after is not None, f"{what}: no Retry-After"
    assert retry_after.isdigit(), f"{what}: Retry-After {retry_after!r}"
    assert int(retry_after) > 0, what


def test_the_api_answers_503_while_the_database_is_away_and_recovers_without_a_restart(
    cluster, server, record_property, request
):
    report: list[str] = []
    up = server.request("GET", "/api/summits/")
    assert up.status == 200, up.body[:500]
    assert up.json()["results"], "the article's summits are loaded"

    cluster.stop("immediate")
    assert not cluster.running()

    # Twice each, so that both gunicorn workers are likely to have answered.
    down: dict[str, list[float]] = {}
    write_statuses: list[int] = []
    for attempt in range(2):
        for path in READS:
            response = server.request("GET", path, timeout=10)
            what = f"GET {path} (database down, attempt {attempt + 1})"
            down.setdefault(f"GET {path}", []).append(response.seconds)
            assert response.seconds < DOWN_WITHIN, f"{what}: {response.seconds:.3f} s"
            assert_database_unavailable(response, what)
            assert not leaks(response.body, cluster), f"{what}: {leaks(response.body, cluster)}"

        response = server.request(
            "POST",
            WRITE,
            body=json.dumps({"code": "ZZ", "name": "Nowhere"}).encode(),
            headers={
                "Content-Type": "application/json",
                "Authorization": "Token 0123456789abcdef0123456789abcdef01234567",
            },
            timeout=10,
        )
        what = f"POST {WRITE} with a bogus token (database down, attempt {attempt + 1})"
        write_statuses.append(response.status)
        down.setdefault(f"POST {WRITE}", []).append(response.seconds)
        assert response.seconds < DOWN_WITHIN, f"{what}: {response.seconds:.3f} s"
        assert response.status in (401, 503), f"{what}: {response.status} {response.body[:500]}"
        if response.status == 503:
            assert_database_unavailable(response, what)
        assert not leaks(response.body, cluster), f"{what}: {leaks(response.body, cluster)}"

    for name, seconds in down.items():
        status = "/".join(map(str, write_statuses)) if name.startswith("POST") else "503"
        report.append(f"down: {name:<45} {status} in " + ", ".join(f"{s:.3f}" for s in seconds))
        record_property(f"seconds_down {name}", max(seconds))

    started = time.monotonic()
    cluster.start()  # pg_ctl -w: returns once the cluster accepts connections
    ready = time.monotonic()
    statuses: list[int | str] = []
    back = None
    while time.monotonic() - ready < BACK_WITHIN:
        try:
            response = server.request("GET", "/api/summits/", timeout=2)
            statuses.append(response.status)
            if response.status == 200:
                back = time.monotonic()
                break
            assert response.status == 503, f"{response.status} {response.body[:500]}"
        except OSError as error:
            statuses.append(type(error).__name__)
        time.sleep(POLL_EVERY)
    assert back is not None, (
        f"no 200 within {BACK_WITHIN} s of the database's return: {statuses}\n{server.log()}"
    )
    since_ready, since_start = back - ready, back - started
    report.append(
        f"back: first 200 {since_ready:.3f} s after the cluster accepted connections "
        f"({since_start:.3f} s after pg_ctl start was run; {len(statuses)} polls)"
    )
    record_property("seconds_to_first_200_after_restart", round(since_ready, 3))
    record_property("seconds_to_first_200_after_start_command", round(since_start, 3))

    # Every worker is back, with every endpoint.
    for _ in range(2):
        for path in READS:
            response = server.request("GET", path, timeout=5)
            assert response.status == 200, f"GET {path} after recovery: {response.status}"
    assert server.process.poll() is None, "gunicorn kept running throughout"

    text = "\n".join(report)
    request.node.add_report_section("call", "database outage timings", text)
