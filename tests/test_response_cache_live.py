"""No stale read from the shared response cache: two app servers (gunicorn, two workers each)
share one Redis and one database while a writer changes an attendance ten times a second, by
the API through either server and by raw SQL; every read is checked against what the database
held at the data version its ETag names."""

import json
import random
import secrets
import sqlite3
import threading
import time

import psycopg
import pytest
import redis
from django.db import connection

from tests.outage import (
    LOOPBACK,
    RedisServer,
    Server,
    django_env,
    gunicorn_path,
    manage,
    redis_server_path,
)
from tests.test_cache_outage import EDITOR, editor_fixture

pytestmark = pytest.mark.skipif(
    not (redis_server_path() and gunicorn_path()), reason="needs redis-server and gunicorn"
)

WRITES = 40
WRITES_PER_SECOND = 10
READERS = 4
ATTENDANCE_READS = ("/api/attendances/{id}/", "/api/attendances/?summit=nato-2024-washington")


class Database:
    """A throwaway database beside the suite's: on its PostgreSQL server, or an SQLite file."""

    def __init__(self, tmp_path) -> None:
        if connection.vendor == "postgresql":
            settings = connection.settings_dict
            self.name = f"tracker_live_{secrets.token_hex(4)}"
            self.admin = psycopg.conninfo.make_conninfo(
                host=settings["HOST"] or LOOPBACK,
                port=settings["PORT"] or 5432,
                user=settings["USER"],
                dbname="postgres",
            )
            with psycopg.connect(self.admin, autocommit=True) as admin:
                admin.execute(f"CREATE DATABASE {self.name}")
            self.url = (
                f"postgres://{settings['USER']}@{settings['HOST'] or LOOPBACK}:"
                f"{settings['PORT'] or 5432}/{self.name}"
            )
        else:
            self.name = None
            self.path = tmp_path / "db.sqlite3"
            self.url = f"sqlite:///{self.path}"

    def connect(self):
        if self.name is None:
            return sqlite3.connect(
                self.path, timeout=10, isolation_level=None, check_same_thread=False
            )
        return psycopg.connect(
            self.admin.replace("dbname=postgres", f"dbname={self.name}"), autocommit=True
        )

    def drop(self) -> None:
        if self.name is not None:
            with psycopg.connect(self.admin, autocommit=True) as admin:
                admin.execute(f"DROP DATABASE IF EXISTS {self.name} WITH (FORCE)")


@pytest.fixture
def live(tmp_path):
    database = Database(tmp_path)
    redis_server = RedisServer()
    servers: list[Server] = []
    try:
        redis_server.start()
        env = django_env(database.url)
        env["CACHE_URL"] = f"redis://{LOOPBACK}:{redis_server.port}/0"
        env["RESPONSE_CACHE_URL"] = f"redis://{LOOPBACK}:{redis_server.port}/1"
        env["RESPONSE_CACHE_SECONDS"] = "300"
        env["THROTTLE_ANON"] = "1000000/minute"
        env["THROTTLE_USER"] = "1000000/minute"
        editor = tmp_path / "editor.json"
        editor.write_text(json.dumps(editor_fixture()))
        manage("migrate", "--noinput", env=env)
        manage("load_fixtures", "article", str(editor), env=env)
        for index in range(2):
            log = tmp_path / f"server-{index}" / "gunicorn.log"
            log.parent.mkdir()
            servers.append(Server(env, log))
        for server in servers:
            server.wait_until_healthy()
        yield database, redis_server, servers
    finally:
        for server in servers:
            server.close()
        redis_server.close()
        database.drop()


def version_of(etag: str) -> str:
    return etag.removeprefix("W/").strip('"').split(".")[0]


class Writer:
    """Changes the attendance's note, alternately through the API (either server) and as raw
    SQL, and keeps what the note was at each data version."""

    def __init__(self, database: Database, servers: list[Server], attendance: int, token: str):
        self.database, self.servers, self.attendance, self.token = (
            database,
            servers,
            attendance,
            token,
        )
        self.db = database.connect()
        self.notes: dict[str, str] = {}
        self.failures: list[str] = []
        self.done = threading.Event()

    def version(self) -> str:
        return self.db.execute("SELECT token FROM summits_dataversion WHERE id = 1").fetchone()[0]

    def write(self, number: int) -> None:
        note = f"Write {number}."
        if number % 2:
            response = self.servers[number % 4 // 2].request(
                "PATCH",
                f"/api/attendances/{self.attendance}/",
                body=json.dumps({"note": note}).encode(),
                headers={
                    "Content-Type": "application/json",
                    "Authorization": f"Token {self.token}",
                },
            )
            assert response.status == 200, response.body
            # The only writer: the version now is this write's.
            self.notes[self.version()] = note
            return
        # As raw SQL, reading the version its own transaction made.
        if self.database.name is None:
            self.db.execute("BEGIN IMMEDIATE")
            self.db.execute(
                "UPDATE summits_attendance SET note = ? WHERE id = ?", (note, self.attendance)
            )
            version = self.version()
            self.db.execute("COMMIT")
        else:
            with self.db.transaction():
                self.db.execute(
                    "UPDATE summits_attendance SET note = %s WHERE id = %s", (note, self.attendance)
                )
                version = self.version()
        self.notes[version] = note

    def run(self) -> None:
        try:
            for number in range(1, WRITES + 1):
                started = time.monotonic()
                self.write(number)
                time.sleep(max(0.0, 1 / WRITES_PER_SECOND - (time.monotonic() - started)))
        except BaseException as error:
            self.failures.append(f"writer: {error!r}")
        finally:
            self.done.set()


def read_until(
    done: threading.Event,
    servers: list[Server],
    reads: list[str],
    seed: int,
    seen: list,
    failures: list,
) -> None:
    """GETs of `reads` from either server until `done`: (version, note shown, server) each."""
    rng = random.Random(seed)
    while not done.is_set():
        index = rng.randrange(2)
        path = rng.choice(reads)
        response = servers[index].request("GET", path, timeout=10)
        if response.status != 200:
            failures.append(f"GET {path}: {response.status} {response.body[:200]}")
            continue
        body = response.json()
        shown = body["results"][0]["note"] if "results" in body else body["note"]
        seen.append((version_of(response.headers["etag"]), shown, index))


def test_every_cached_read_shows_the_data_at_its_version(live):
    database, redis_server, servers = live
    token = (
        servers[0]
        .request(
            "POST",
            "/api/auth/token/",
            body=json.dumps(EDITOR).encode(),
            headers={"Content-Type": "application/json"},
        )
        .json()["token"]
    )
    [row] = (
        servers[0]
        .request("GET", "/api/attendances/?summit=nato-2024-washington&country=JP")
        .json()["results"]
    )
    reads = [path.format(id=row["id"]) for path in ATTENDANCE_READS]
    writer = Writer(database, servers, row["id"], token)
    writer.notes[writer.version()] = row["note"]
    seen: list[tuple[str, str, int]] = []
    failures = writer.failures

    threads = [threading.Thread(target=writer.run)] + [
        threading.Thread(
            target=read_until, args=(writer.done, servers, reads, seed, seen, failures)
        )
        for seed in range(READERS)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    writer.db.close()

    assert failures == []
    assert len(writer.notes) == WRITES + 1
    stale = [(version, shown) for version, shown, _ in seen if writer.notes.get(version) != shown]
    assert stale == [], f"{len(stale)} of {len(seen)} reads were not the data at their version"
    # Both servers answered, and many reads came from the cache that they share.
    assert {index for _, _, index in seen} == {0, 1}
    stats = redis.Redis(host=LOOPBACK, port=redis_server.port, db=1).info("stats")
    assert stats["keyspace_hits"] > len(seen) / 4, (stats["keyspace_hits"], len(seen))
