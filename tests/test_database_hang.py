"""The database hangs (issue 13, finding 5).

A stopped server (SIGSTOP) keeps its sockets open and its kernel acknowledges every packet, so
neither TCP keepalives nor tcp_user_timeout notice, and its statement_timeout never runs. Behind a
real gunicorn on a throwaway cluster: while the cluster is stopped, reads, a write and /healthz
answer 503 JSON with Retry-After within 5 seconds, whether the worker's connection was open or
must be opened; once it runs again the first 200 comes within 5 seconds, and no write that was
acknowledged is lost. In process, on the suite's own database: a request's statement that
outlives its deadline is cut, while one that does not, and a management command's long
statement, run to the end.
"""

import json
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from string import ascii_uppercase

import psycopg
import pytest
from django.core.signals import request_finished, request_started
from django.db import OperationalError, connection, transaction
from django.urls import reverse

from tests.outage import (
    Cluster,
    Response,
    Server,
    django_env,
    gunicorn_path,
    manage,
    why_no_cluster,
)
from tests.test_database_outage import assert_database_unavailable, leaks
from tracker.database.base import RECENT_SECONDS, SERVER_CANCEL_GRACE, watchdog

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="database hang test: the suite's DATABASE_URL is not PostgreSQL",
    ),
]
_no_server = why_no_cluster() or (None if gunicorn_path() else "gunicorn is not installed")

DOWN_WITHIN = 5.0  # seconds for any answer while the database hangs
BACK_WITHIN = 5.0  # seconds from the database's resumption to the first 200
POLL_EVERY = 0.05

SUMMITS = "/api/summits/"
SUMMIT = "/api/summits/nato-2024-washington/"
HEALTH = "/healthz"
WRITE = "/api/countries/"
TOKEN = "0123456789abcdef0123456789abcdef01234567"
CREATE_EDITOR = (
    "from django.contrib.auth.models import User\n"
    "from rest_framework.authtoken.models import Token\n"
    f"Token.objects.create(user=User.objects.create_superuser('editor'), key='{TOKEN}')\n"
)


@pytest.fixture
def server(cluster):
    env = django_env(cluster.url)
    manage("migrate", "--noinput", env=env)
    manage("load_fixtures", "article", "context", env=env)
    manage("shell", "-c", CREATE_EDITOR, env=env)
    server = Server(env, cluster.base / "gunicorn.log")
    try:
        server.wait_until_healthy()
        yield server
    finally:
        server.close()


@dataclass
class Writer:
    """POSTs a new country (XA, XB, ...) with the editor's token; remembers each answer."""

    server: Server
    answers: dict[str, int | None] = field(default_factory=dict)

    def __call__(self) -> Response:
        code = f"X{ascii_uppercase[len(self.answers)]}"
        self.answers[code] = None
        response = self.server.request(
            "POST",
            WRITE,
            body=json.dumps({"code": code, "name": f"Test {code}"}).encode(),
            headers={"Content-Type": "application/json", "Authorization": f"Token {TOKEN}"},
            timeout=10,
        )
        self.answers[code] = response.status
        return response

    def codes(self, *, acknowledged: bool) -> set[str]:
        return {code for code, status in self.answers.items() if (status == 201) == acknowledged}


def in_parallel(server: Server, writer: Writer, *paths: str) -> list[tuple[str, Response]]:
    """A request for each path at once (a POST to WRITE, GET otherwise): while the database
    hangs, each holds a worker of its own."""

    def send(path: str) -> tuple[str, Response]:
        if path == WRITE:
            return f"POST {path}", writer()
        return f"GET {path}", server.request("GET", path, timeout=10)

    with ThreadPoolExecutor(len(paths)) as pool:
        return list(pool.map(send, paths))


def app_connections(cluster: Cluster) -> int:
    """How many connections the application holds open to the cluster."""
    with psycopg.connect(cluster.url, connect_timeout=2) as db:
        return db.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = 'tracker' "
            "AND state = 'idle' AND pid <> pg_backend_pid()"
        ).fetchone()[0]


def warm(server: Server, writer: Writer, cluster: Cluster) -> None:
    """Requests in pairs until each of the two workers holds an open connection."""
    deadline = time.monotonic() + 10
    while app_connections(cluster) < 2:
        assert time.monotonic() < deadline, "the two workers never both held a connection"
        for _, response in in_parallel(server, writer, SUMMITS, SUMMITS):
            assert response.status == 200, response.body[:500]


def seconds_to_first_200(server: Server) -> float:
    resumed = time.monotonic()
    statuses: list[int | str] = []
    while time.monotonic() - resumed < BACK_WITHIN:
        try:
            response = server.request("GET", SUMMITS, timeout=BACK_WITHIN)
            statuses.append(response.status)
            if response.status == 200:
                return time.monotonic() - resumed
        except OSError as error:
            statuses.append(type(error).__name__)
        time.sleep(POLL_EVERY)
    raise AssertionError(f"no 200 within {BACK_WITHIN} s of resuming: {statuses}\n{server.log()}")


@pytest.mark.skipif(_no_server is not None, reason=f"database hang test: {_no_server}")
def test_the_api_answers_503_within_seconds_while_the_database_hangs_and_loses_no_write(
    cluster, server, record_property, request
):
    report: list[str] = []
    writer = Writer(server)
    response = writer()
    assert response.status == 201, response.body[:500]

    # Each kind of request meets, in one round or the other, a worker whose connection is open
    # (its health check hangs) and a worker that must open one (its connect hangs).
    pairs = [(SUMMITS, WRITE), (SUMMIT, HEALTH)]
    for round_number, (on_open, on_opening) in enumerate([pairs, pairs[::-1]], start=1):
        warm(server, writer, cluster)
        cluster.pause()
        for connection_state, paths in (("open", on_open), ("opening", on_opening)):
            for name, response in in_parallel(server, writer, *paths):
                what = f"{name} (database hung, connection {connection_state})"
                report.append(f"{what:<60} {response.status} in {response.seconds:.3f} s")
                record_property(f"seconds {what}", round(response.seconds, 3))
                assert response.seconds < DOWN_WITHIN, f"{what}: {response.seconds:.3f} s"
                assert_database_unavailable(response, what)
                assert not leaks(response.body, cluster), f"{what}: {leaks(response.body, cluster)}"
        cluster.resume()
        back = seconds_to_first_200(server)
        report.append(f"first 200 after resuming (round {round_number}): {back:.3f} s")
        record_property(f"seconds_to_first_200 round {round_number}", round(back, 3))

        response = writer()
        assert response.status == 201, response.body[:500]
    assert server.process.poll() is None, "gunicorn kept running throughout"

    with psycopg.connect(cluster.url, connect_timeout=2) as db:
        stored = {code for (code,) in db.execute("SELECT code FROM summits_country")}
    acknowledged = writer.codes(acknowledged=True)
    assert acknowledged <= stored, f"acknowledged {sorted(acknowledged)}, stored {sorted(stored)}"
    refused = writer.codes(acknowledged=False)
    report.append(
        f"writes: {len(acknowledged)} acknowledged, all stored; {len(refused)} answered 503, "
        f"of which stored: {sorted(refused & stored) or 'none'}"
    )

    text = "\n".join(report)
    request.node.add_report_section("call", "database hang timings", text)


@pytest.fixture
def deadline(settings) -> float:
    """A request's calls may wait 1.5 s: below the server's own statement timeout."""
    settings.DATABASE_STATEMENT_TIMEOUT = 0.5
    return settings.DATABASE_STATEMENT_TIMEOUT + SERVER_CANCEL_GRACE


def sleeping(seconds: float):
    """An execute wrapper that runs `pg_sleep(seconds)` for whatever a request's code runs, with
    the server's statement timeout lifted."""

    def execute_wrapper(execute, sql, params, many, context):
        execute("SET statement_timeout = 0", None, False, context)
        return execute("SELECT pg_sleep(%s)", [seconds], False, context)

    return execute_wrapper


def test_a_requests_statement_that_outlives_its_deadline_is_cut_and_answered_503(
    anonymous_client, transactional_db, deadline
):
    try:
        started = time.monotonic()
        with connection.execute_wrapper(sleeping(deadline + 1)):
            response = anonymous_client.get(reverse("healthz"))
        seconds = time.monotonic() - started

        assert response.status_code == 503
        assert response.json()["errors"][0]["code"] == "database_unavailable"
        assert deadline <= seconds < deadline + 1, "cut before the statement would have ended"
        assert connection.connection.broken, "the watchdog cut the connection"
    finally:
        connection.close()


def test_a_requests_statement_within_its_deadline_runs_to_the_end(anonymous_client, db, deadline):
    connection.ensure_connection()
    before = connection.connection

    with connection.execute_wrapper(sleeping(deadline - 0.5)):
        slow = anonymous_client.get(reverse("healthz"))
    normal = anonymous_client.get(reverse("api:summit-list"))

    assert slow.status_code == 200
    assert normal.status_code == 200
    assert connection.connection is before
    assert not before.broken
    assert watchdog.watching() == 0


def test_a_long_statement_outside_a_request_is_never_cut(db, deadline):
    # A management command runs in a process of its own: here, in a thread of its own.
    outcome: dict[str, object] = {}

    def command() -> None:
        try:
            with transaction.atomic(), connection.cursor() as cursor:
                cursor.execute("SET LOCAL statement_timeout = 0")  # as devdata does
                started = time.monotonic()
                cursor.execute("SELECT pg_sleep(%s)", [deadline + 0.5])
                outcome["seconds"] = time.monotonic() - started
        except Exception as error:
            outcome["error"] = error
        finally:
            connection.close()

    thread = threading.Thread(target=command)
    thread.start()
    thread.join(timeout=30)

    assert "error" not in outcome, outcome
    assert outcome["seconds"] >= deadline + 0.5


def test_after_a_cut_the_request_opens_no_new_connection_to_that_database(
    transactional_db, deadline
):
    # The server did not answer within the deadline: a new connection would wait on it again.
    other = connection.copy(alias="another")
    request_started.send(sender=None)
    try:
        with connection.execute_wrapper(sleeping(deadline + 1)), pytest.raises(OperationalError):
            connection.cursor().execute("SELECT 1")
        connection.close()
        started = time.monotonic()
        with pytest.raises(OperationalError, match="deadline"):
            connection.ensure_connection()
        assert time.monotonic() - started < 0.1
        # Another database (the primary, after a replica hung) still answers.
        with other.cursor() as cursor:
            cursor.execute("SELECT 1")
            assert cursor.fetchone() == (1,)
    finally:
        request_finished.send(sender=None)
        connection.close()
        other.close()

    # The next request connects again.
    request_started.send(sender=None)
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            assert cursor.fetchone() == (1,)
    finally:
        request_finished.send(sender=None)


def test_the_health_check_asks_only_an_idle_connection_or_one_that_received_something(
    transactional_db,
):
    connection.ensure_connection()
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid(), 'the last statement'")
        pid, _ = cursor.fetchone()

    def last_statement() -> str:
        with psycopg.connect(connection_url(), autocommit=True) as other:
            return other.execute(
                "SELECT query FROM pg_stat_activity WHERE pid = %s", [pid]
            ).fetchone()[0]

    try:
        assert connection.is_usable()
        assert "the last statement" in last_statement(), "no round trip just after an answer"

        connection.answered_at -= RECENT_SECONDS
        assert connection.is_usable()
        assert last_statement() == "SELECT 1", "an idle connection is asked"

        with psycopg.connect(connection_url(), autocommit=True) as other:
            other.execute("SELECT pg_terminate_backend(%s)", [pid])
        deadline = time.monotonic() + 5
        while connection.is_usable():
            assert time.monotonic() < deadline, "the ended connection still passed"
            time.sleep(0.05)
    finally:
        connection.close()


def connection_url() -> str:
    """A psycopg conninfo for the suite's own database."""
    settings_dict = connection.settings_dict
    return psycopg.conninfo.make_conninfo(
        dbname=settings_dict["NAME"],
        user=settings_dict["USER"],
        host=settings_dict["HOST"],
        port=settings_dict["PORT"],
    )
