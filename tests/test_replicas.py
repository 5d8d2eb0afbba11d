"""Read replicas (DATABASE_REPLICA_URLS): the API's GETs read from a streaming replica, writes and
everything else from the primary; a client that has just written reads its write; a replica
that lags or is down is skipped.

First without any replica: the settings, the router's and the middleware's choices against a
replica whose health the test decides. Then, on PostgreSQL, a throwaway primary and a streaming
replica of it (initdb, pg_basebackup -R) behind two real gunicorn servers, one that lets the
replica lag an hour and one a second, sharing a throwaway Redis.
"""

import contextlib
import hashlib
import json
import os
import subprocess
import sys
import time
import uuid
from pathlib import Path
from types import SimpleNamespace

import psycopg
import pytest
from django.contrib.auth.models import User
from django.core.cache import cache
from django.core.signals import request_finished
from django.db import (
    DEFAULT_DB_ALIAS,
    OperationalError,
    close_old_connections,
    connection,
    router,
    transaction,
)
from django.http import HttpResponse
from redis.exceptions import ConnectionError as RedisConnectionError

from summits.api.throttling import CacheOutage
from summits.models import Summit
from tests.outage import (
    LOOPBACK,
    PG_USER,
    Cluster,
    RedisServer,
    Server,
    django_env,
    gunicorn_path,
    manage,
    postgres_bindir,
    redis_server_path,
    why_no_cluster,
)
from tracker import checks
from tracker.replicas import routing, written
from tracker.replicas.health import (
    CHECK_EVERY_SECONDS,
    DOWN_FOR_SECONDS,
    Position,
    ReplicaHealth,
    wal_position,
)
from tracker.replicas.routing import ReadReplicaMiddleware, ReadReplicaRouter, reading_alias

ROOT = Path(__file__).resolve().parent.parent
REPLICA = "replica1"
LIMIT = 5  # REPLICA_MAX_LAG_SECONDS in the tests without a cluster


# Settings ------------------------------------------------------------------------------------


def settings_of(env: dict[str, str]) -> subprocess.CompletedProcess:
    """Read tracker/settings.py in a fresh process with `env`, printing what replicas make."""
    script = (
        "import json\n"
        "from tracker import settings as s\n"
        "print(json.dumps({'replicas': s.DATABASE_REPLICAS, 'databases': s.DATABASES,\n"
        "    'routers': s.DATABASE_ROUTERS, 'middleware': s.MIDDLEWARE,\n"
        "    'max_lag': s.REPLICA_MAX_LAG_SECONDS}, default=str))\n"
    )
    base = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(("DATABASE_", "REPLICA_"))
    }
    return subprocess.run(
        [sys.executable, "-c", script],
        cwd=ROOT,
        env={**base, "DEBUG": "1", **env},
        capture_output=True,
        text=True,
        timeout=60,
    )


PRIMARY_URL = "postgres://root@127.0.0.1:5432/tracker"


def test_each_replica_url_is_a_database_connected_as_the_primary_outside_its_transaction():
    result = settings_of(
        {
            "DATABASE_URL": PRIMARY_URL,
            "DATABASE_REPLICA_URLS": " postgres://reader@10.0.0.2:5433/tracker?sslmode=require ,"
            "postgres://reader@10.0.0.3/tracker",
        }
    )

    assert result.returncode == 0, result.stderr
    read = json.loads(result.stdout)
    assert read["replicas"] == ["replica1", "replica2"]
    primary, first, second = (read["databases"][alias] for alias in ("default", *read["replicas"]))
    assert (first["HOST"], first["PORT"], first["USER"]) == ("10.0.0.2", 5433, "reader")
    assert second["HOST"] == "10.0.0.3"
    for replica, alias in ((first, "replica1"), (second, "replica2")):
        assert replica["ENGINE"] == primary["ENGINE"] == "tracker.database"
        assert replica["CONN_MAX_AGE"] == primary["CONN_MAX_AGE"]
        assert replica["CONN_HEALTH_CHECKS"] is primary["CONN_HEALTH_CHECKS"] is True
        assert replica["ATOMIC_REQUESTS"] is False
        assert primary["ATOMIC_REQUESTS"] is True
        assert replica["TEST"] == {"MIRROR": "default"}
        assert replica["OPTIONS"] == {
            **primary["OPTIONS"],
            "application_name": f"tracker {alias}",
            **({"sslmode": "require"} if alias == "replica1" else {}),
        }
    assert read["routers"] == [
        "summits.models.changes.ChangeLogRouter",
        "tracker.replicas.routing.ReadReplicaRouter",
    ]
    middleware = read["middleware"]
    # Chosen before anything reads the data version: a hit's, or a view's snapshot.
    chooses = middleware.index("tracker.replicas.routing.ReadReplicaMiddleware")
    assert chooses < middleware.index("tracker.middleware.SharedResponseMiddleware")
    assert chooses < middleware.index("tracker.middleware.RepresentationETagMiddleware")
    assert read["max_lag"] == 5


def test_without_replica_urls_there_is_no_replica():
    result = settings_of({"DATABASE_URL": PRIMARY_URL, "DATABASE_REPLICA_URLS": " , "})

    assert result.returncode == 0, result.stderr
    read = json.loads(result.stdout)
    assert read["replicas"] == []
    assert list(read["databases"]) == ["default"]


@pytest.mark.parametrize(
    ("env", "message"),
    [
        (
            {"DATABASE_REPLICA_URLS": "postgres://10.0.0.2/tracker"},
            "DATABASE_REPLICA_URLS needs a PostgreSQL DATABASE_URL",
        ),
        (
            {"DATABASE_URL": PRIMARY_URL, "DATABASE_REPLICA_URLS": "mysql://reader@10.0.0.2/t"},
            "DATABASE_REPLICA_URLS must list postgres:// URLs with a database name, as "
            "DATABASE_URL is (postgres://user@host:5432/tracker); its URL number 1 is not one.",
        ),
        (
            {
                "DATABASE_URL": PRIMARY_URL,
                "DATABASE_REPLICA_URLS": "postgres://10.0.0.2/tracker,postgres://:secret@h:x/t",
            },
            "its URL number 2 is not one.",
        ),
        (
            {"DATABASE_URL": PRIMARY_URL, "DATABASE_REPLICA_URLS": "postgres://10.0.0.2"},
            "its URL number 1 is not one.",
        ),
        (
            {"REPLICA_MAX_LAG_SECONDS": "1.5"},
            "REPLICA_MAX_LAG_SECONDS must be a whole number from 0 to 3600, not '1.5'.",
        ),
    ],
)
def test_a_replica_setting_that_cannot_be_read_stops_start_up_and_names_it(env, message):
    result = settings_of(env)

    assert result.returncode != 0
    assert message in result.stderr.strip().splitlines()[-1]
    assert "secret" not in result.stderr.strip().splitlines()[-1], "a URL's password is not shown"


def test_manage_py_says_a_bad_replica_url_in_one_line():
    result = subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=ROOT,
        env={
            **os.environ,
            "DEBUG": "1",
            "DATABASE_URL": PRIMARY_URL,
            "DATABASE_REPLICA_URLS": "sqlite:///replica.sqlite3",
        },
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert result.returncode != 0
    assert result.stderr.startswith("manage.py: DATABASE_REPLICA_URLS must list postgres://")
    assert result.stderr.count("\n") == 1, "one line, no traceback"


# Choices, against a replica whose health the test decides -----------------------------------


def finish_request() -> None:
    """What the server signals once a response is closed (without closing the test's
    connection, as the test client does)."""
    request_finished.disconnect(close_old_connections)
    try:
        request_finished.send(sender=None)
    finally:
        request_finished.connect(close_old_connections)


@pytest.fixture
def replica(settings, monkeypatch):
    """One replica, REPLICA, in the settings: its WAL position, lag, answers and connections are
    the test's to set, and the clock is the test's to move."""
    settings.DATABASE_REPLICAS = [REPLICA]
    settings.REPLICA_MAX_LAG_SECONDS = LIMIT
    state = SimpleNamespace(
        flushed=1_000, replayed=1_000, age=60.0, answers=True, connects=True, now=0.0, probes=0
    )

    def position(alias: str) -> Position:
        assert alias == REPLICA
        state.probes += 1
        if not state.answers:
            raise OperationalError("connection refused")
        return Position(state.replayed, state.age)

    def connect(alias: str):
        return None if state.connects else OperationalError("connection refused")

    health = ReplicaHealth(primary=lambda: state.flushed, replica=position, clock=lambda: state.now)
    monkeypatch.setattr(routing, "health", health)
    monkeypatch.setattr(routing, "_connect", connect)
    monkeypatch.setattr(written, "primary_inserted", lambda: state.flushed)
    # This test's cache outages are its own: other tests' throttles never see them.
    monkeypatch.setattr(written, "cache_outage", CacheOutage(clock=lambda: state.now))
    state.health = health
    yield state
    finish_request()


def seen_by_a_view(request, seen: list, status: int = 200):
    """Where a view reads (its summit data, its users) and writes, noted in `seen`."""
    seen.append(
        SimpleNamespace(
            reads=router.db_for_read(Summit),
            alias=reading_alias(),
            users=router.db_for_read(User),
            writes=router.db_for_write(Summit),
        )
    )
    return HttpResponse(status=status)


def serve(rf, method: str, path: str, *, status: int = 200, user=None, **headers):
    """Serve one request through the middleware; where its view read."""
    seen: list = []
    request = rf.generic(method, path, **headers)
    if user is not None:
        request.user = user
    response = ReadReplicaMiddleware(lambda request: seen_by_a_view(request, seen, status))(request)
    return response, seen[0]


def test_an_api_get_reads_summit_data_from_the_replica_and_users_from_the_primary(replica, rf):
    response, seen = serve(rf, "GET", "/api/summits/")

    assert response.status_code == 200
    assert (seen.reads, seen.alias) == (REPLICA, REPLICA)
    assert seen.users == DEFAULT_DB_ALIAS, "who a client is is read from the primary"
    assert seen.writes == DEFAULT_DB_ALIAS


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("POST", "/api/summits/"),
        ("PATCH", "/api/summits/nato-2024-washington/"),
        ("DELETE", "/api/summits/nato-2024-washington/"),
        ("OPTIONS", "/api/summits/"),
        ("GET", "/admin/summits/summit/"),
        ("GET", "/healthz"),
    ],
)
def test_anything_but_an_api_get_reads_from_the_primary(replica, rf, method, path):
    _, seen = serve(rf, method, path)

    assert (seen.reads, seen.alias, seen.writes) == (DEFAULT_DB_ALIAS,) * 3


def test_a_head_reads_from_the_replica_as_its_get(replica, rf):
    assert serve(rf, "HEAD", "/api/summits/")[1].reads == REPLICA


def test_outside_a_request_everything_reads_from_the_primary(replica):
    assert router.db_for_read(Summit) == reading_alias() == DEFAULT_DB_ALIAS
    assert router.db_for_write(Summit) == DEFAULT_DB_ALIAS


def test_without_replicas_the_router_leaves_every_choice_to_django(rf):
    router_ = ReadReplicaRouter()

    assert router_.db_for_read(Summit) is None
    assert router_.db_for_write(Summit) is None
    assert router_.allow_migrate(DEFAULT_DB_ALIAS, "summits") is None
    _, seen = serve(rf, "GET", "/api/summits/")
    assert seen.reads == DEFAULT_DB_ALIAS


def test_nothing_migrates_on_a_replica_and_its_objects_relate_to_the_primarys(replica):
    router_ = ReadReplicaRouter()
    summit, on_replica = Summit(), Summit()
    on_replica._state.db = REPLICA
    summit._state.db = DEFAULT_DB_ALIAS

    assert router_.allow_migrate(REPLICA, "summits", "summit") is False
    assert router_.allow_migrate(DEFAULT_DB_ALIAS, "summits", "summit") is None
    assert router_.allow_relation(summit, on_replica) is True
    on_replica._state.db = "elsewhere"
    assert router_.allow_relation(summit, on_replica) is None


@pytest.mark.django_db
def test_a_transaction_the_request_opens_on_the_primary_reads_from_the_primary(replica, rf):
    seen: list[str] = []
    middleware = ReadReplicaMiddleware(lambda request: view(request))

    def view(request):
        # As Django calls a view: the middleware's process_view, then ATOMIC_REQUESTS's block.
        middleware.process_view(request, view, (), {})
        with transaction.atomic():
            seen.append(reading_alias())
            with transaction.atomic():
                seen.append(reading_alias())
            seen.append(reading_alias())
        return HttpResponse()

    middleware(rf.get("/api/summits/"))

    assert seen == [REPLICA, DEFAULT_DB_ALIAS, REPLICA]


def test_the_choice_holds_until_the_response_is_closed(replica, rf):
    serve(rf, "GET", "/api/summits/")
    assert reading_alias() == REPLICA, "a streamed body read after the middleware returned"

    finish_request()
    assert reading_alias() == DEFAULT_DB_ALIAS


def test_a_replica_lagging_past_the_limit_is_skipped_until_it_catches_up(replica, rf):
    replica.replayed, replica.age = 900, LIMIT + 1

    assert serve(rf, "GET", "/api/summits/")[1].reads == DEFAULT_DB_ALIAS

    replica.now += CHECK_EVERY_SECONDS
    replica.age = LIMIT
    assert serve(rf, "GET", "/api/summits/")[1].reads == REPLICA


def test_a_caught_up_replica_serves_however_old_its_last_replayed_transaction(replica, rf):
    replica.flushed = replica.replayed = 1_000
    replica.age = 86_400.0  # an idle primary: nothing written for a day

    assert serve(rf, "GET", "/api/summits/")[1].reads == REPLICA


@pytest.mark.parametrize(
    ("replayed", "age"),
    [
        (None, None),  # no longer a replica (promoted): its writes are not the primary's
        (900, None),  # behind, and has replayed no transaction since it started: lag unknown
    ],
)
def test_a_replica_whose_lag_cannot_be_told_is_skipped(replica, rf, replayed, age):
    replica.replayed, replica.age = replayed, age

    assert serve(rf, "GET", "/api/summits/")[1].reads == DEFAULT_DB_ALIAS


def test_each_process_checks_its_replicas_at_most_once_a_check_interval(replica, rf):
    for _ in range(5):
        serve(rf, "GET", "/api/summits/")
    assert replica.probes == 1

    replica.now += CHECK_EVERY_SECONDS
    serve(rf, "GET", "/api/summits/")
    assert replica.probes == 2


def test_a_replica_that_does_not_answer_is_left_alone_for_a_while(replica, rf):
    replica.answers = False

    assert serve(rf, "GET", "/api/summits/")[1].reads == DEFAULT_DB_ALIAS
    probes = replica.probes
    replica.answers = True
    replica.now += DOWN_FOR_SECONDS / 2
    assert serve(rf, "GET", "/api/summits/")[1].reads == DEFAULT_DB_ALIAS
    assert replica.probes == probes, "not asked again while it is down"

    replica.now += DOWN_FOR_SECONDS / 2
    assert serve(rf, "GET", "/api/summits/")[1].reads == REPLICA


def test_a_replica_that_cannot_be_connected_to_is_skipped_and_left_alone(replica, rf):
    replica.connects = False

    assert serve(rf, "GET", "/api/summits/")[1].reads == DEFAULT_DB_ALIAS
    replica.connects = True
    assert serve(rf, "GET", "/api/summits/")[1].reads == DEFAULT_DB_ALIAS

    replica.now += DOWN_FOR_SECONDS
    assert serve(rf, "GET", "/api/summits/")[1].reads == REPLICA


def failing_query(sqlstate: str | None):
    """A query on the replica that fails as psycopg reports `sqlstate` (None: no answer)."""

    class Cause(Exception):
        pass

    def execute(sql, params, many, context):
        cause = Cause("failed")
        cause.sqlstate = sqlstate
        raise OperationalError("failed") from cause

    with contextlib.suppress(OperationalError):
        routing._note_failure(
            execute, "SELECT 1", None, False, {"connection": SimpleNamespace(alias=REPLICA)}
        )


@pytest.mark.parametrize(
    ("sqlstate", "down"),
    [
        (None, True),  # the connection was cut or refused
        ("57P01", True),  # the server shut down
        ("08006", True),  # connection failure
        ("40001", False),  # cancelled for conflicting with replay: the replica is fine
    ],
)
def test_a_request_the_replica_fails_is_answered_from_the_primary(replica, rf, sqlstate, down):
    answered: list[str] = []

    def view(request):
        answered.append(reading_alias())
        if len(answered) == 1:
            failing_query(sqlstate)
            return HttpResponse(status=503)
        return HttpResponse(status=200)

    response = ReadReplicaMiddleware(view)(rf.get("/api/summits/"))

    assert response.status_code == 200
    assert answered == [REPLICA, DEFAULT_DB_ALIAS]
    expected = DEFAULT_DB_ALIAS if down else REPLICA
    assert serve(rf, "GET", "/api/summits/")[1].reads == expected


def test_a_statement_timeout_on_the_replica_is_not_run_again_on_the_primary(replica, rf):
    answered: list[str] = []

    def view(request):
        answered.append(reading_alias())
        failing_query("57014")
        return HttpResponse(status=503)

    assert ReadReplicaMiddleware(view)(rf.get("/api/summits/")).status_code == 503
    assert answered == [REPLICA]


def test_a_client_that_wrote_reads_from_the_primary_until_the_replica_has_replayed_it(
    replica, rf, django_user_model
):
    editor = django_user_model(username="editor")
    token = {"HTTP_AUTHORIZATION": "Token 0123456789abcdef0123456789abcdef01234567"}
    replica.flushed = 1_200  # the write: the primary's WAL goes on past the replica's 1,000

    _, seen = serve(rf, "POST", "/api/countries/", status=201, user=editor, **token)
    assert seen.reads == DEFAULT_DB_ALIAS

    replica.age = 0.5  # lagging half a second: fine for anyone else
    assert serve(rf, "GET", "/api/countries/XA/", **token)[1].reads == DEFAULT_DB_ALIAS
    other = {"HTTP_AUTHORIZATION": "Token " + "f" * 40}
    assert serve(rf, "GET", "/api/countries/XA/", **other)[1].reads == REPLICA
    assert serve(rf, "GET", "/api/countries/XA/")[1].reads == REPLICA

    replica.replayed = 1_200  # asked again at once, not at the next check
    assert serve(rf, "GET", "/api/countries/XA/", **token)[1].reads == REPLICA


def test_a_session_that_wrote_reads_its_write_as_a_token_does(replica, rf, django_user_model):
    editor = django_user_model(username="editor")
    cookie = {"HTTP_COOKIE": "sessionid=abc123"}
    replica.flushed = 1_200

    serve(rf, "POST", "/admin/summits/country/add/", status=302, user=editor, **cookie)

    assert serve(rf, "GET", "/api/countries/", **cookie)[1].reads == DEFAULT_DB_ALIAS


@pytest.mark.parametrize("status", [400, 403, 409, 503])
def test_a_write_that_failed_is_not_remembered(replica, rf, django_user_model, status):
    token = {"HTTP_AUTHORIZATION": "Token " + "a" * 40}
    replica.flushed = 1_200

    serve(rf, "POST", "/api/countries/", status=status, user=django_user_model(), **token)

    replica.age = 0.5
    assert serve(rf, "GET", "/api/countries/", **token)[1].reads == REPLICA


def test_a_write_is_remembered_as_long_as_a_serving_replica_may_lag(replica, settings):
    settings.REPLICA_MAX_LAG_SECONDS = 5

    assert written.remembered_seconds() >= 5 + CHECK_EVERY_SECONDS


def test_while_the_cache_is_down_a_client_with_a_credential_reads_from_the_primary(
    replica, rf, monkeypatch
):
    class DownCache:
        def get(self, *args, **kwargs):
            raise RedisConnectionError("refused")

        set = get

    monkeypatch.setattr(written, "cache", DownCache())
    token = {"HTTP_AUTHORIZATION": "Token " + "b" * 40}

    assert serve(rf, "GET", "/api/summits/", **token)[1].reads == DEFAULT_DB_ALIAS
    assert serve(rf, "GET", "/api/summits/", HTTP_COOKIE="sessionid=x")[1].reads == (
        DEFAULT_DB_ALIAS
    )
    assert serve(rf, "GET", "/api/summits/")[1].reads == REPLICA, "anonymous: never wrote"


def test_a_credential_is_kept_in_the_cache_only_as_a_hash(replica, rf, django_user_model):
    secret = "Token " + "c" * 40
    replica.flushed = 1_234

    serve(rf, "PUT", "/api/countries/XA/", user=django_user_model(), HTTP_AUTHORIZATION=secret)

    assert cache.get("replicas:written:" + hashlib.sha256(secret.encode()).hexdigest()) == 1_234


def test_wal_positions_compare_as_postgresql_orders_them():
    assert wal_position("0/16B3748") == 0x16B3748
    assert wal_position("1/0") > wal_position("0/FFFFFFFF")
    assert wal_position(None) is None


@pytest.mark.django_db
def test_the_data_version_is_read_where_the_request_reads(replica, rf, monkeypatch):
    from summits.api import conditional

    asked: list[str] = []

    class Recorder:
        def __init__(self, alias):
            self.alias = alias

        def cursor(self):
            asked.append(self.alias)
            return connection.cursor()

    monkeypatch.setattr(conditional, "connections", {REPLICA: Recorder(REPLICA)})

    def view(request):
        conditional.data_version()
        return HttpResponse()

    ReadReplicaMiddleware(view)(rf.get("/api/summits/"))

    assert asked == [REPLICA]


# A primary, a streaming replica and two gunicorn servers -------------------------------------


_reason = (
    "the suite's DATABASE_URL is not PostgreSQL"
    if connection.vendor != "postgresql"
    else why_no_cluster()
    or (None if gunicorn_path() else "gunicorn is not installed")
    or (None if redis_server_path() else "redis-server is not installed")
    or (
        None
        if (postgres_bindir() or Path("/nonexistent")).joinpath("pg_basebackup").exists()
        else "pg_basebackup not found"
    )
)
needs_cluster = pytest.mark.skipif(_reason is not None, reason=f"read replica test: {_reason}")

EDITOR_TOKEN = "0123456789abcdef0123456789abcdef01234567"
OTHER_TOKEN = "76543210fedcba9876543210fedcba9876543210"
CREATE_EDITORS = (
    "from django.contrib.auth.models import Permission, User\n"
    "from rest_framework.authtoken.models import Token\n"
    "edits = Permission.objects.filter(content_type__app_label='summits')"
    ".exclude(codename__startswith='view_')\n"
    f"for name, key in (('editor', '{EDITOR_TOKEN}'), ('other', '{OTHER_TOKEN}')):\n"
    "    user = User.objects.create_user(name)\n"
    "    user.user_permissions.set(edits)\n"
    "    Token.objects.create(user=user, key=key)\n"
)
TOLERANT_LAG = 3600  # seconds: the replica may lag all through a test
STRICT_LAG = 1
ASKS = 6  # requests of each kind, so that both workers of a server answer some
WAIT = 20.0  # seconds for the replica to catch up, or a server to notice


class Replica(Cluster):
    """A streaming replica of another throwaway cluster, made by pg_basebackup -R."""

    def clone(self, primary: Cluster) -> None:
        self._run(
            "pg_basebackup",
            "-h",
            LOOPBACK,
            "-p",
            str(primary.port),
            "-U",
            PG_USER,
            "-D",
            str(self.datadir),
            "-R",  # standby.signal, and primary_conninfo naming the primary
            "-X",
            "stream",
            "-c",
            "fast",
            "--no-sync",
            timeout=60,
        )


def leader_scans(cluster: Cluster) -> int:
    """How many times queries on `cluster` have read the leaders' table (as its statistics say,
    within a second or so)."""
    [(count,)] = sql(
        cluster,
        "SELECT coalesce(seq_scan, 0) + coalesce(idx_scan, 0) FROM pg_stat_user_tables"
        " WHERE relname = 'summits_leader'",
    )
    return count


def sql(cluster: Cluster, query: str) -> list[tuple]:
    with psycopg.connect(
        host=LOOPBACK,
        port=cluster.port,
        user=PG_USER,
        dbname="tracker",
        autocommit=True,
        connect_timeout=5,
    ) as conn:
        cursor = conn.execute(query)
        return cursor.fetchall() if cursor.description else []


def wait_until_caught_up(primary: Cluster, replica: Cluster) -> None:
    flushed = wal_position(sql(primary, "SELECT pg_current_wal_flush_lsn()::text")[0][0])
    deadline = time.monotonic() + WAIT
    while time.monotonic() < deadline:
        replayed = wal_position(sql(replica, "SELECT pg_last_wal_replay_lsn()::text")[0][0])
        if replayed is not None and flushed is not None and replayed >= flushed:
            return
        time.sleep(0.05)
    raise AssertionError(f"the replica did not catch up in {WAIT} s:\n{replica.log_tail()}")


def has_country(cluster: Cluster, code: str) -> bool:
    return bool(sql(cluster, f"SELECT 1 FROM summits_country WHERE code = '{code}'"))


@pytest.fixture(scope="module")
def deployment(tmp_path_factory):
    bindir = postgres_bindir()
    primary, replica, redis = Cluster(bindir), Replica(bindir), RedisServer()
    servers: list[Server] = []
    logs = tmp_path_factory.mktemp("replicas")
    try:
        primary.init()
        primary.start()
        primary.create_database("tracker")
        env = django_env(primary.url)
        manage("migrate", "--noinput", env=env)
        manage("load_fixtures", "article", env=env)
        manage("shell", "-c", CREATE_EDITORS, env=env)
        replica.clone(primary)
        replica.start()
        # A transaction for the replica to replay: it then knows how old its data is.
        sql(primary, "SELECT txid_current()")
        wait_until_caught_up(primary, replica)
        redis.start()
        for lag in (TOLERANT_LAG, STRICT_LAG):
            server_env = {
                **env,
                "DATABASE_REPLICA_URLS": replica.url,
                "REPLICA_MAX_LAG_SECONDS": str(lag),
                "CACHE_URL": f"redis://{LOOPBACK}:{redis.port}/0",
            }
            (logs / str(lag)).mkdir()
            servers.append(Server(server_env, logs / str(lag) / "gunicorn.log"))
        for server in servers:
            server.wait_until_healthy()
        yield SimpleNamespace(
            primary=primary, replica=replica, redis=redis, tolerant=servers[0], strict=servers[1]
        )
    finally:
        for server in servers:
            server.close()
        redis.close()
        replica.close()
        primary.close()


@contextlib.contextmanager
def replay_paused(deployment):
    """The replica receives the primary's WAL but replays none of it: it lags for certain."""
    sql(deployment.replica, "SELECT pg_wal_replay_pause()")
    try:
        yield
    finally:
        sql(deployment.replica, "SELECT pg_wal_replay_resume()")
        wait_until_caught_up(deployment.primary, deployment.replica)


def get(server: Server, path: str, token: str | None = None):
    headers = {"Authorization": f"Token {token}"} if token else {}
    return server.request("GET", path, headers=headers, timeout=10)


def create_country(server: Server, code: str, token: str = EDITOR_TOKEN):
    response = server.request(
        "POST",
        "/api/countries/",
        body=json.dumps({"code": code, "name": f"Country {code}"}).encode(),
        headers={"Content-Type": "application/json", "Authorization": f"Token {token}"},
        timeout=10,
    )
    assert response.status == 201, f"{response.status} {response.body[:500]}"
    return response


def statuses(server: Server, path: str, token: str | None = None) -> list[int]:
    """The statuses of ASKS GETs of `path`; a server error fails with the server's log."""
    found = [get(server, path, token).status for _ in range(ASKS)]
    assert all(status < 500 for status in found), f"{path}: {found}\n{server.log()}"
    return found


@pytest.mark.postgres
@needs_cluster
def once_every_answer_is(status: int, server: Server, path: str, token: str | None = None):
    """Waits until a round of GETs of `path` answers `status` from both workers: a replica left
    alone after an earlier failure serves again once each worker has checked it again."""
    deadline = time.monotonic() + WAIT
    while (found := statuses(server, path, token)) != [status] * ASKS:
        assert time.monotonic() < deadline, f"{path}: {found}"


def test_reads_are_answered_by_the_replica_and_writes_by_the_primary(deployment):
    with replay_paused(deployment):
        create_country(deployment.tolerant, "XA")

        assert has_country(deployment.primary, "XA")
        assert not has_country(deployment.replica, "XA")
        # The replica, a write behind, answers everyone else's reads: not found yet.
        once_every_answer_is(404, deployment.tolerant, "/api/countries/XA/")
        assert statuses(deployment.tolerant, "/api/countries/XA/", OTHER_TOKEN) == [404] * ASKS
        listed = get(deployment.tolerant, "/api/countries/?page_size=500").json()["results"]
        assert "XA" not in {country["code"] for country in listed}

    # Replaying again, the replica shows the write: a commit replayed is visible to the next
    # snapshot a moment after its WAL position is reported replayed.
    once_every_answer_is(200, deployment.tolerant, "/api/countries/XA/")


@pytest.mark.postgres
@needs_cluster
def test_a_client_that_wrote_reads_its_write_while_the_replica_lags(deployment):
    with replay_paused(deployment):
        create_country(deployment.tolerant, "XB")

        for server in (deployment.tolerant, deployment.strict):
            assert statuses(server, "/api/countries/XB/", EDITOR_TOKEN) == [200] * ASKS
        once_every_answer_is(404, deployment.tolerant, "/api/countries/XB/", OTHER_TOKEN)
        assert statuses(deployment.tolerant, "/api/countries/XB/", EDITOR_TOKEN) == [200] * ASKS
        assert not has_country(deployment.replica, "XB")
        # Each tag names the data version of the server that answered.
        for token, server in ((EDITOR_TOKEN, deployment.primary), (None, deployment.replica)):
            tag = get(deployment.tolerant, "/api/countries/", token).headers["etag"]
            version = sql(server, "SELECT token FROM summits_dataversion WHERE id = 1")[0][0]
            assert tag.strip('"').split(".")[0] == version


@pytest.mark.postgres
@needs_cluster
def test_a_replica_lagging_past_the_limit_is_skipped_for_every_client(deployment):
    marker = uuid.uuid4().hex
    attempt = 0
    scanned = leader_scans(deployment.replica)
    # Caught up, the replica answers the strict server's reads too: its statistics count the
    # searches' scans of the leaders (the last statement of its connections is their COMMIT).
    deadline = time.monotonic() + WAIT
    while leader_scans(deployment.replica) == scanned:
        assert time.monotonic() < deadline, "the strict server never read from the replica"
        # A new search each time: a repeated one would be answered from the shared cache.
        attempt += 1
        assert get(deployment.strict, f"/api/leaders/?search={marker}{attempt}").status == 200
        time.sleep(0.1)

    with replay_paused(deployment):
        create_country(deployment.tolerant, "XC")
        # Past the lag limit (1 s) and a check's interval (1 s), every worker checks its
        # replica again at its next request, finds the lag, and sends every read to the
        # primary. (Polling until one round answered 200 let a worker that had not checked yet
        # answer the next round from the replica.)
        time.sleep(2.5)
        for _ in range(3):
            assert statuses(deployment.strict, "/api/countries/XC/") == [200] * ASKS
        assert not has_country(deployment.replica, "XC"), "the primary answered"


@pytest.mark.postgres
@needs_cluster
def test_a_stopped_replica_costs_no_error(deployment):
    deployment.replica.stop("immediate")
    try:
        for server in (deployment.tolerant, deployment.strict):
            for path in ("/api/summits/", "/api/summits/nato-2024-washington/", "/api/countries/"):
                assert statuses(server, path) == [200] * ASKS, path
            assert statuses(server, "/api/countries/", EDITOR_TOKEN) == [200] * ASKS
        create_country(deployment.tolerant, "XD")
        assert statuses(deployment.tolerant, "/api/countries/XD/") == [200] * ASKS
    finally:
        deployment.replica.start()
        wait_until_caught_up(deployment.primary, deployment.replica)


@pytest.mark.postgres
@needs_cluster
def test_while_the_cache_is_down_a_client_that_wrote_reads_from_the_primary(deployment):
    with replay_paused(deployment):
        deployment.redis.kill()
        try:
            create_country(deployment.tolerant, "XE")
            # Anonymous clients never wrote: the replica answers them, a write behind.
            once_every_answer_is(404, deployment.tolerant, "/api/countries/XE/")
            assert statuses(deployment.tolerant, "/api/countries/XE/", EDITOR_TOKEN) == [200] * ASKS
        finally:
            deployment.redis.start()


@pytest.mark.postgres
@needs_cluster
def test_a_hung_replica_costs_no_error(deployment, record_property):
    deployment.replica.pause()  # its sockets open, answering nothing
    try:
        seconds = []
        for server in (deployment.tolerant, deployment.strict):
            for token in (None, EDITOR_TOKEN):
                answers = [get(server, "/api/summits/", token) for _ in range(ASKS)]
                assert [answer.status for answer in answers] == [200] * ASKS, server.log()
                seconds += [answer.seconds for answer in answers]
        # How long the worst answers waited (reported, not asserted): a worker that finds the
        # replica hung waits out a health check and a connection attempt, then leaves it alone.
        record_property("slowest answers (s)", sorted(seconds)[-4:])
    finally:
        deployment.replica.resume()
        wait_until_caught_up(deployment.primary, deployment.replica)


def test_replicas_with_each_process_s_own_cache_are_a_deployment_warning(settings):
    settings.DATABASE_REPLICAS = ["replica1"]
    settings.CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
        "responses": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
    }
    assert [warning.id for warning in checks.replicas_need_a_shared_cache()] == ["tracker.W001"]

    settings.CACHES = {
        **settings.CACHES,
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:6379/0",
        },
    }
    assert checks.replicas_need_a_shared_cache() == []
