"""Behind PgBouncer in transaction pooling mode (DATABASE_POOLER=pgbouncer), where each
transaction gets whichever server connection is free, the API answers every request, and the
statement timeout and jit=off still hold as the role's defaults (`set_session_defaults`).

A real pgbouncer from Debian's package, two server connections in all, in front of the test
database; two real gunicorn servers of two workers each share them, driven by concurrent
clients over HTTP.
"""

import concurrent.futures
import contextlib
import csv
import io
import json
import os
import pwd
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psycopg
import pytest
from django.conf import settings
from django.core.management import call_command
from django.db import connection
from rest_framework.authtoken.models import Token

from summits.models import Attendance, Leader
from tests.outage import (
    LOOPBACK,
    PG_USER,
    ROOT,
    Response,
    Server,
    django_env,
    file_tail,
    free_port,
    gunicorn_path,
    runuser,
)

PGBOUNCER = Path("/usr/sbin/pgbouncer")
# Server connections per database and user: fewer than the app's four workers, so that they
# truly share them, one transaction at a time.
POOL_SIZE = 2
# Short, so that a statement past it is cancelled soon; far above any request's statements here.
STATEMENT_TIMEOUT = "1"


def postgresql_and_pgbouncer(test):
    """Marks a test that runs on PostgreSQL behind a real pgbouncer and gunicorn."""
    for mark in (
        pytest.mark.postgres,
        pytest.mark.skipif(connection.vendor != "postgresql", reason="PgBouncer pools PostgreSQL"),
        pytest.mark.skipif(
            not os.access(PGBOUNCER, os.X_OK), reason=f"pgbouncer not installed ({PGBOUNCER})"
        ),
        pytest.mark.skipif(not gunicorn_path(), reason="needs gunicorn"),
    ):
        test = mark(test)
    return test


class PgBouncer:
    """pgbouncer on 127.0.0.1:`port` in transaction pooling mode, in front of the server of
    the Django connection `settings_dict`; every database name is passed through.

    pgbouncer refuses to run as root: then it runs as the postgres OS user. `close()` may be
    called from a `finally` whatever state it is in.
    """

    def __init__(self, settings_dict: dict) -> None:
        self.port = free_port()
        self.base = Path(tempfile.mkdtemp(prefix="pgbouncer-"))
        self.logfile = self.base / "pgbouncer.log"
        self.process: subprocess.Popen | None = None
        user = settings_dict["USER"] or pwd.getpwuid(os.getuid()).pw_name
        password = settings_dict["PASSWORD"] or ""
        (self.base / "userlist.txt").write_text(f'"{user}" "{password}"\n')
        (self.base / "pgbouncer.ini").write_text(
            "[databases]\n"
            f"* = host={settings_dict['HOST'] or LOOPBACK} port={settings_dict['PORT'] or 5432}\n"
            "[pgbouncer]\n"
            f"listen_addr = {LOOPBACK}\n"
            f"listen_port = {self.port}\n"
            "unix_socket_dir =\n"
            "auth_type = trust\n"
            f"auth_file = {self.base / 'userlist.txt'}\n"
            "pool_mode = transaction\n"
            f"default_pool_size = {POOL_SIZE}\n"
            "reserve_pool_size = 0\n"
            "max_client_conn = 100\n"
            f"logfile = {self.logfile}\n"
        )
        if os.geteuid() == 0:
            owner = pwd.getpwnam(PG_USER)
            for path in (self.base, *self.base.iterdir()):
                os.chown(path, owner.pw_uid, owner.pw_gid)

    def url(self, name: str, user: str) -> str:
        return f"postgres://{user}@{LOOPBACK}:{self.port}/{name}"

    def start(self, timeout: float = 10) -> None:
        command = [str(PGBOUNCER), str(self.base / "pgbouncer.ini")]
        if os.geteuid() == 0:
            command = [runuser(), "-u", PG_USER, "--", *command]
        self.process = subprocess.Popen(
            command,
            cwd=self.base,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,  # its own process group, with runuser's child
        )
        deadline = time.monotonic() + timeout
        while not self.listening():
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"pgbouncer did not start:\n{file_tail(self.logfile)}")
            time.sleep(0.05)

    def listening(self) -> bool:
        with contextlib.suppress(OSError), socket.create_connection((LOOPBACK, self.port), 1):
            return True
        return False

    def close(self) -> None:
        """SIGTERM (immediate shutdown) to its process group, SIGKILL if it lingers; then
        remove its directory."""
        try:
            if self.process is not None and self.process.poll() is None:
                try:
                    os.killpg(self.process.pid, signal.SIGTERM)
                    self.process.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    os.killpg(self.process.pid, signal.SIGKILL)
                    self.process.wait(timeout=10)
                except ProcessLookupError:
                    pass
        finally:
            shutil.rmtree(self.base, ignore_errors=True)


@pytest.fixture
def pooled(transactional_db):
    """The article's data and enough attendances that a CSV list streams from a cursor, the
    role's session defaults set as a deployment sets them, and pgbouncer in front; the
    defaults are reset afterwards (the test database may be kept for the next run)."""
    call_command("load_fixtures", "article", verbosity=0)
    call_command("generate_data", seed=19, attendances=2_100, stdout=io.StringIO())
    own = connection.settings_dict
    direct = f"postgres://{own['USER']}@{own['HOST'] or LOOPBACK}:{own['PORT'] or 5432}"
    bouncer = PgBouncer(own)
    try:
        # Run against the server itself, before pgbouncer opens a connection to it: a
        # connection opened earlier keeps what it started with.
        defaults = run_manage(
            "set_session_defaults",
            env={**app_env(f"{direct}/{own['NAME']}"), "DATABASE_POOLER": ""},
        )
        assert defaults.returncode == 0, defaults.stderr
        bouncer.start()
        yield bouncer.url(own["NAME"], own["USER"])
    finally:
        bouncer.close()
        with connection.cursor() as cursor:
            for name in settings.DATABASE_SESSION_SETTINGS:
                cursor.execute(
                    f"ALTER ROLE CURRENT_USER IN DATABASE {connection.ops.quote_name(own['NAME'])} "
                    f"RESET {connection.ops.quote_name(name)}"
                )


def app_env(database_url: str) -> dict[str, str]:
    """Production settings on `database_url` behind pgbouncer, with budgets no client here
    exhausts."""
    return {
        **django_env(database_url),
        "DATABASE_POOLER": "pgbouncer",
        "DATABASE_STATEMENT_TIMEOUT": STATEMENT_TIMEOUT,
        "THROTTLE_ANON": "100000/minute",
        "THROTTLE_USER": "100000/minute",
        "THROTTLE_EXPORT": "100000/minute",
    }


def run_manage(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=60,
    )


# Run by `manage.py shell` through pgbouncer, with nothing else using it. `holder` takes the
# server connection that the statement before it used (pgbouncer hands out the last released
# first) and keeps it in a transaction, so the next statement goes to another one.
THROUGH_THE_POOLER = """
import os

import psycopg
from django.db import connection
from django.db.backends.postgresql.base import DatabaseWrapper
from summits.models import Attendance

def holder():
    held = psycopg.connect(os.environ["HOLDER_URL"])
    held.execute("SELECT 1")
    return held

# Django's own .iterator() outside a transaction: a cursor declared WITH HOLD, fetched from later.
cursor = DatabaseWrapper.chunked_cursor(connection)
cursor.execute("SELECT id FROM summits_attendance")
cursor.fetchmany(1)
held = holder()
try:
    cursor.fetchmany(1)
except Exception as error:
    print("held cursor:", type(error).__name__, str(error).splitlines()[0])
finally:
    held.close()
connection.close()

# The tracker's: the rows read with an ordinary cursor.
ids = Attendance.objects.values_list("id", flat=True).iterator(chunk_size=1)
first = next(ids)
held = holder()
print("iterated:", 1 + sum(1 for _ in ids), "of", Attendance.objects.count())
held.close()

with connection.cursor() as cursor:
    cursor.execute("SHOW statement_timeout")
    print("statement_timeout:", cursor.fetchone()[0])
    try:
        cursor.execute("SELECT pg_sleep(10)")
    except Exception as error:
        print("slow statement:", type(error).__name__, str(error).splitlines()[0])
"""


def test_an_unknown_pooler_stops_start_up_naming_the_setting():
    result = run_manage(
        "check", env={**django_env("sqlite://:memory:"), "DATABASE_POOLER": "pgpool"}
    )

    assert result.returncode != 0
    assert result.stderr == (
        "manage.py: DATABASE_POOLER must be pgbouncer, or empty for none, not 'pgpool'.\n"
    )


@postgresql_and_pgbouncer
def test_without_the_setting_pgbouncer_refuses_the_connection_and_with_it_nothing_is_lost(
    pooled,
):
    url = pooled
    env = {**app_env(url), "HOLDER_URL": url}

    unpooled = run_manage(
        "shell",
        "-c",
        "from django.db import connection; connection.connect()",
        env={**env, "DATABASE_POOLER": ""},
    )
    result = run_manage("shell", "--no-imports", "-c", THROUGH_THE_POOLER, env=env)

    # The statement timeout and jit=off sent at connect: PgBouncer 1.18 takes no `options`.
    assert "unsupported startup parameter: options" in unpooled.stderr
    assert result.returncode == 0, result.stderr
    held, *lines = result.stdout.splitlines()
    count = Attendance.objects.count()
    # Django's own .iterator() outside a transaction fails once its cursor's server connection
    # is busy elsewhere; the tracker's reads every row.
    assert re.fullmatch(
        r'held cursor: ProgrammingError cursor "_django_curs_\S+" does not exist', held
    )
    assert lines == [
        f"iterated: {count} of {count}",
        "statement_timeout: 1s",
        "slow statement: OperationalError canceling statement due to statement timeout",
    ], result.stdout + result.stderr


@postgresql_and_pgbouncer
def test_every_server_connection_starts_with_the_role_defaults(pooled):
    url = pooled
    # Two transactions open at once hold both server connections.
    with psycopg.connect(url) as first, psycopg.connect(url) as second:
        seen = [
            client.execute(
                "SELECT pg_backend_pid(), current_setting('statement_timeout'), "
                "current_setting('jit')"
            ).fetchone()
            for client in (first, second)
        ]

    assert seen[0][0] != seen[1][0]
    assert [(timeout, jit) for _, timeout, jit in seen] == [("1s", "off"), ("1s", "off")]


LISTS = ["/api/attendances/", "/api/summits/", "/api/leaders/", "/api/countries/"]
# More than psycopg's prepare_threshold (5) on every worker's connection.
LIST_ROUNDS = 8
CLIENTS = 6


def get(server: Server, path: str, **headers: str) -> Response:
    return server.request("GET", path, headers=headers, timeout=30)


class Session:
    """What one client does: lists again and again, records, a write and reading it back,
    both exports and the change feed. `wrong` describes every unexpected answer."""

    def __init__(self, server: Server, token: str, *, attendances: int, leaders: int) -> None:
        self.server = server
        self.token = token
        self.attendances = attendances
        self.leaders = leaders
        self.wrong: list[str] = []

    def expect(self, response: Response, what: str, status: int = 200) -> Response | None:
        if response.status != status:
            self.wrong.append(f"{what}: {response.status} {response.body[:300]}")
            return None
        return response

    def run(self, number: int) -> list[str]:
        for _ in range(LIST_ROUNDS):
            for path in LISTS:
                self.expect(get(self.server, path), f"GET {path}")
        summits = self.expect(get(self.server, "/api/summits/"), "GET summits")
        leaders = self.expect(get(self.server, "/api/leaders/"), "GET leaders")
        if summits and leaders:
            slug = leaders.json()["results"][0]["slug"]
            self.expect(get(self.server, f"/api/leaders/{slug}/"), "GET a leader")
            results = summits.json()["results"]
            self.write(results[number % len(results)]["slug"], f"Somewhere {number}")
        self.exports()
        self.expect(get(self.server, "/api/changes/"), "GET the change feed")
        return self.wrong

    def write(self, slug: str, city: str) -> None:
        written = self.server.request(
            "PATCH",
            f"/api/summits/{slug}/",
            body=json.dumps({"city": city}).encode(),
            headers={"Authorization": f"Token {self.token}", "Content-Type": "application/json"},
        )
        read = self.expect(written, "PATCH a summit") and self.expect(
            get(self.server, f"/api/summits/{slug}/"), "GET the summit written"
        )
        # Another client may have written the same summit since, but no one else.
        if read and not read.json()["city"].startswith("Somewhere "):
            self.wrong.append(f"{slug}'s city was not written")

    def exports(self) -> None:
        # Past its first 2,000 rows the CSV list streams from a server-side cursor.
        rows = self.expect(get(self.server, "/api/attendances/", Accept="text/csv"), "CSV")
        if rows and len(list(csv.reader(io.StringIO(rows.body)))) != 1 + self.attendances:
            self.wrong.append("the CSV list is not whole")
        # Every table of it from a server-side cursor, in one REPEATABLE READ transaction.
        document = self.expect(get(self.server, "/api/popolo/"), "GET the Popolo document")
        if document and len(document.json()["persons"]) != self.leaders:
            self.wrong.append("the Popolo document is not whole")


@postgresql_and_pgbouncer
def test_the_api_answers_everything_through_pgbouncer_from_concurrent_clients(
    pooled, editor, tmp_path
):
    url = pooled
    token = Token.objects.create(user=editor).key
    counts = {"attendances": Attendance.objects.count(), "leaders": Leader.objects.count()}
    servers: list[Server] = []
    try:
        for name in ("first", "second"):
            (tmp_path / name).mkdir()
            servers.append(Server(app_env(url), tmp_path / name / "gunicorn.log"))
        for server in servers:
            server.wait_until_healthy()

        with concurrent.futures.ThreadPoolExecutor(CLIENTS) as pool:
            sessions = [
                pool.submit(Session(servers[number % 2], token, **counts).run, number)
                for number in range(CLIENTS)
            ]
            wrong = [problem for session in sessions for problem in session.result()]
            # With the data unchanged, a conditional GET of what a client holds is a 304 (from
            # the server that tagged it: a tag covers the URL, its port included).
            tags = {server.port: get(server, "/api/summits/").headers["etag"] for server in servers}
            again = list(
                pool.map(
                    lambda server: (
                        get(server, "/api/summits/", **{"If-None-Match": tags[server.port]}).status
                    ),
                    servers * 3,
                )
            )
    finally:
        for server in servers:
            server.close()
    logs = "\n".join(server.log() for server in servers)

    assert wrong == [], logs
    assert again == [304] * 6
    assert "Traceback" not in logs, logs
