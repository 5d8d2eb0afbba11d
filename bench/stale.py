"""No stale read from the shared response cache, at scale: `python -m bench.stale`.

    python -m bench.stale [--reads 100000] [--readers 4] [--writes-per-second 10]

Two app servers (gunicorn, two sync workers each; the benchmark's settings: the product's with
DEBUG off and throttling off, so that Redis holds the response cache alone and its hits and
misses are the cache's) share a throwaway redis-server and a fresh PostgreSQL database on
127.0.0.1:5432 holding the article's data, with the response cache on. A writer changes the note
of one of the article's attendances ten times a second, alternately by an API PATCH (through
either server) and by raw SQL, and records what every note was at the data version each write
made. Reader processes issue `--reads` anonymous GETs in all, spread at random over both
servers, the attendances' detail URLs and three lists. Then every read is checked: the notes a
response shows must be the notes the database held at the data version its ETag names.

Prints: reads, stale reads (must be 0), reads whose version no write made (unknown), the Redis
keyspace hit ratio over the reads, requests per second. Exits non-zero if any read was stale or
unknown, or any request failed. The database, Redis and both servers are removed at the end.
"""

import argparse
import importlib
import json
import multiprocessing
import random
import secrets
import shutil
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import psycopg
import redis

# The tests' throwaway servers (tests/outage.py), imported by name: tests/ is outside mypy's
# files, and a static import would have it checked as part of bench/.
_outage = importlib.import_module("tests.outage")
LOOPBACK, RedisServer, Server = _outage.LOOPBACK, _outage.RedisServer, _outage.Server
django_env, manage = _outage.django_env, _outage.manage

ADMIN = f"host={LOOPBACK} port=5432 user=root dbname=postgres"
TOKEN = "5e1f0b3c9a7d4e2f8a6b1c0d9e8f7a6b5c4d3e2f"
CREATE_EDITOR = (
    "from django.contrib.auth.models import User\n"
    "from rest_framework.authtoken.models import Token\n"
    "user = User.objects.create_superuser('stale-editor')\n"
    f"Token.objects.create(user=user, key='{TOKEN}')\n"
)
LISTS = (
    "/api/attendances/?page_size=100",
    "/api/attendances/?summit=nato-2024-washington",
    "/api/attendances/?country=JP",
)


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--reads", type=int, default=100_000, help="GETs in all.")
    parser.add_argument("--readers", type=int, default=4, help="Reader processes.")
    parser.add_argument("--writes-per-second", dest="rate", type=float, default=10.0)
    parser.add_argument("--cache-seconds", type=int, default=300, help="RESPONSE_CACHE_SECONDS.")
    return parser.parse_args()


def version_of(etag: str) -> str:
    return etag.removeprefix("W/").strip('"').split(".")[0]


class Writer:
    """Changes one attendance's note per write, rotating over them, alternately through the
    API (either server) and as raw SQL; keeps every note as it stood at each data version."""

    def __init__(self, dsn: str, servers: list[Any], rate: float) -> None:
        self.db = psycopg.connect(dsn, autocommit=True)
        self.servers, self.rate = servers, rate
        with self.db.transaction():
            rows = self.db.execute("SELECT id, note FROM summits_attendance ORDER BY id").fetchall()
            version = self.version()
        self.current: dict[int, str] = dict(rows)
        self.ids = sorted(self.current)
        self.notes: dict[str, dict[int, str]] = {version: dict(self.current)}
        self.writes = 0
        self.failures: list[str] = []
        self.stop = threading.Event()

    def version(self) -> str:
        [(token,)] = self.db.execute("SELECT token FROM summits_dataversion WHERE id = 1")
        return token

    def write(self, number: int) -> None:
        attendance = self.ids[number % len(self.ids)]
        note = f"Write {number}."
        if number % 2:
            response = self.servers[number % 4 // 2].request(
                "PATCH",
                f"/api/attendances/{attendance}/",
                body=json.dumps({"note": note}).encode(),
                headers={"Content-Type": "application/json", "Authorization": f"Token {TOKEN}"},
                timeout=10,
            )
            if response.status != 200:
                raise RuntimeError(f"PATCH: {response.status} {response.body[:300]}")
            # The only writer: the version now is this write's.
            version = self.version()
        else:
            # As raw SQL, reading the version its own transaction made.
            with self.db.transaction():
                self.db.execute(
                    "UPDATE summits_attendance SET note = %s WHERE id = %s", (note, attendance)
                )
                version = self.version()
        self.current[attendance] = note
        self.notes[version] = dict(self.current)
        self.writes += 1

    def run(self) -> None:
        started = time.monotonic()
        number = 0
        try:
            while not self.stop.is_set():
                number += 1
                self.write(number)
                # Due times from the start: a slow write does not lower the rate after it.
                self.stop.wait(max(0.0, started + number / self.rate - time.monotonic()))
        except BaseException as error:
            self.failures.append(f"writer: {error!r}")


def read_many(job: tuple[list[int], list[str], int, int]) -> tuple[list, list[str]]:
    """`count` GETs, each of a random URL from a random server: (version, server, notes shown)
    per read, and the failures."""
    ports, urls, count, seed = job
    rng = random.Random(seed)
    seen: list[tuple[str, int, list[tuple[int, str]]]] = []
    failures: list[str] = []
    import http.client

    for _ in range(count):
        index = rng.randrange(len(ports))
        url = rng.choice(urls)
        connection = http.client.HTTPConnection(LOOPBACK, ports[index], timeout=30)
        try:
            connection.request("GET", url, headers={"Accept": "application/json"})
            response = connection.getresponse()
            body = response.read()
            etag = response.getheader("ETag", "")
        except OSError as error:
            failures.append(f"GET {url}: {error!r}")
            continue
        finally:
            connection.close()
        if response.status != 200:
            failures.append(f"GET {url}: {response.status} {body[:200]!r}")
            continue
        data = json.loads(body)
        rows = data.get("results", [data])
        seen.append((version_of(etag), index, [(row["id"], row["note"]) for row in rows]))
    return seen, failures


def hits_and_misses(client: redis.Redis) -> tuple[int, int]:
    stats = client.info("stats")
    return stats["keyspace_hits"], stats["keyspace_misses"]


def check(seen: list, notes: dict[str, dict[int, str]]) -> tuple[int, int]:
    """How many reads showed a note other than their version's, and how many named a version
    that no write made."""
    stale = unknown = 0
    for version, _, rows in seen:
        held = notes.get(version)
        if held is None:
            unknown += 1
        elif any(held.get(pk, note) != note for pk, note in rows):
            stale += 1
    return stale, unknown


def main() -> None:
    args = parse_args()
    name = f"tracker_stale_{secrets.token_hex(4)}"
    base = Path(tempfile.mkdtemp(prefix="bench-stale-"))
    cache = RedisServer()
    servers: list[Any] = []
    with psycopg.connect(ADMIN, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        cache.start()
        env = django_env(f"postgres://root@{LOOPBACK}:5432/{name}")
        env.update(
            DJANGO_SETTINGS_MODULE="bench.settings",
            CACHE_URL=f"redis://{LOOPBACK}:{cache.port}/0",
            RESPONSE_CACHE_URL=f"redis://{LOOPBACK}:{cache.port}/1",
            RESPONSE_CACHE_SECONDS=str(args.cache_seconds),
            LOG_LEVEL="WARNING",
        )
        manage("migrate", "--noinput", env=env)
        manage("load_fixtures", "article", env=env)
        manage("shell", "-c", CREATE_EDITOR, env=env)
        for index in range(2):
            (base / str(index)).mkdir()
            servers.append(Server(env, base / str(index) / "gunicorn.log"))
        for server in servers:
            server.wait_until_healthy()
        run(args, name, servers, cache)
    finally:
        for server in servers:
            server.close()
        cache.close()
        shutil.rmtree(base, ignore_errors=True)
        with psycopg.connect(ADMIN, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def run(args: argparse.Namespace, name: str, servers: list[Any], cache: Any) -> None:
    writer = Writer(f"host={LOOPBACK} port=5432 user=root dbname={name}", servers, args.rate)
    urls = [f"/api/attendances/{pk}/" for pk in writer.ids] + list(LISTS)
    ports = [server.port for server in servers]
    shares = [
        args.reads // args.readers + (i < args.reads % args.readers) for i in range(args.readers)
    ]
    client = redis.Redis(host=LOOPBACK, port=cache.port)
    hits, misses = hits_and_misses(client)
    thread = threading.Thread(target=writer.run)
    started = time.monotonic()
    thread.start()
    try:
        with multiprocessing.get_context("spawn").Pool(args.readers) as pool:
            results = pool.map(read_many, [(ports, urls, n, i) for i, n in enumerate(shares)])
    finally:
        writer.stop.set()
        thread.join(timeout=30)
        writer.db.close()
    seconds = time.monotonic() - started
    hits_after, misses_after = hits_and_misses(client)
    seen = [read for reads, _ in results for read in reads]
    failures = writer.failures + [failure for _, found in results for failure in found]
    stale, unknown = check(seen, writer.notes)
    hit, miss = hits_after - hits, misses_after - misses
    by_server = [sum(1 for _, index, _ in seen if index == i) for i in range(len(servers))]
    print(
        f"{time.strftime('%Y-%m-%d %H:%M', time.gmtime())} UTC | 2 app servers x 2 gunicorn sync "
        f"workers, one redis-server, PostgreSQL (the article's data) | {args.readers} reader "
        f"processes over {len(urls)} URLs ({len(writer.ids)} details, {len(LISTS)} lists) | "
        f"writer at {args.rate:g}/s, API PATCH and raw SQL in turn"
    )
    print(
        f"reads                {len(seen):>9,}  (server 1: {by_server[0]:,}, server 2: {by_server[1]:,})"
    )
    print(f"stale reads          {stale:>9,}")
    print(f"unknown version      {unknown:>9,}")
    print(
        f"writes               {writer.writes:>9,}  ({writer.writes / seconds:.1f}/s, {len({v for v, _, _ in seen}):,} versions read)"
    )
    print(
        f"cache hit ratio      {hit / max(1, hit + miss):>9.3f}  (Redis keyspace: {hit:,} hits, "
        f"{miss:,} misses)"
    )
    print(f"requests per second  {len(seen) / seconds:>9.0f}  ({seconds:.1f} s)")
    print(f"failed requests      {len(failures):>9,}")
    for failure in failures[:10]:
        print(f"  {failure}")
    if stale or unknown or failures or len(seen) != args.reads:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
