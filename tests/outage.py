"""A throwaway PostgreSQL cluster, a throwaway redis-server and a real gunicorn for the
outage tests.

Everything listens on 127.0.0.1 only, every subprocess call has a timeout, and each `close()`
can be called from a `finally` whatever state the process or cluster is in.
"""

from __future__ import annotations

import contextlib
import glob
import http.client
import json
import os
import pwd
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LOOPBACK = "127.0.0.1"
PG_USER = "postgres"


def free_port() -> int:
    """A TCP port on the loopback address that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((LOOPBACK, 0))
        return sock.getsockname()[1]


def file_tail(path: Path, lines: int = 30) -> str:
    """The last `lines` lines of a log file, or nothing if it cannot be read."""
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return ""


def postgres_bindir() -> Path | None:
    """The directory of `initdb` and `pg_ctl`: `pg_config --bindir`, else the newest
    /usr/lib/postgresql/*/bin."""
    candidates: list[Path] = []
    pg_config = shutil.which("pg_config")
    if pg_config:
        try:
            result = subprocess.run(
                [pg_config, "--bindir"], capture_output=True, text=True, timeout=10
            )
            if result.returncode == 0:
                candidates.append(Path(result.stdout.strip()))
        except (OSError, subprocess.SubprocessError):
            pass

    def version(path: str) -> float:
        try:
            return float(Path(path).parent.name)
        except ValueError:
            return 0.0

    candidates += [
        Path(p) for p in sorted(glob.glob("/usr/lib/postgresql/*/bin"), key=version)[::-1]
    ]
    for bindir in candidates:
        if all(os.access(bindir / name, os.X_OK) for name in ("initdb", "pg_ctl", "postgres")):
            return bindir
    return None


def runuser() -> str | None:
    return shutil.which("runuser") or next(
        (p for p in ("/usr/sbin/runuser", "/sbin/runuser") if os.access(p, os.X_OK)), None
    )


def why_no_cluster() -> str | None:
    """Why a throwaway cluster cannot be made here, or None when it can."""
    if postgres_bindir() is None:
        return "PostgreSQL server binaries (initdb, pg_ctl) not found"
    if os.geteuid() == 0:
        # initdb refuses to run as root: the cluster belongs to the `postgres` OS user.
        if runuser() is None:
            return "runuser not found (needed to run initdb as a non-root user)"
        try:
            pwd.getpwnam(PG_USER)
        except KeyError:
            return f"no {PG_USER!r} OS user to own the throwaway cluster"
    return None


@dataclass
class Cluster:
    """A PostgreSQL cluster in a temporary directory, trust auth, on 127.0.0.1:`port`.

    `pause()` (SIGSTOP to the postmaster and every child of it) makes it hang with its sockets
    open, as a stuck server does, until `resume()`.
    """

    bindir: Path
    port: int = field(default_factory=free_port)
    base: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="outage-pg-")))
    paused: list[int] = field(default_factory=list, init=False, repr=False)

    def __post_init__(self) -> None:
        self.datadir = self.base / "data"
        self.socketdir = self.base / "socket"
        self.logfile = self.base / "postgres.log"
        self.socketdir.mkdir()
        if os.geteuid() == 0:
            owner = pwd.getpwnam(PG_USER)
            for path in (self.base, self.socketdir):
                os.chown(path, owner.pw_uid, owner.pw_gid)

    @property
    def url(self) -> str:
        return f"postgres://{PG_USER}@{LOOPBACK}:{self.port}/tracker"

    def _run(self, *argv: str, timeout: float = 30) -> subprocess.CompletedProcess:
        command = [str(self.bindir / argv[0]), *argv[1:]]
        if os.geteuid() == 0:
            command = [runuser(), "-u", PG_USER, "--", *command]
        result = subprocess.run(
            command,
            cwd=self.base,  # the postgres user may not be allowed into the current directory
            env={"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LC_ALL": "C"},
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=timeout,
        )
        if result.returncode != 0:
            raise RuntimeError(
                f"{' '.join(argv)} failed ({result.returncode}):\n"
                f"{result.stdout}{result.stderr}\n{self.log_tail()}"
            )
        return result

    def init(self) -> None:
        self._run(
            "initdb",
            "-D",
            str(self.datadir),
            "-U",
            PG_USER,
            "-A",
            "trust",
            "-E",
            "UTF8",
            "--locale=C",
            "--no-sync",
            timeout=60,
        )

    def start(self) -> None:
        options = (
            f"-c listen_addresses={LOOPBACK} -p {self.port} -k {self.socketdir} "
            "-c fsync=off -c synchronous_commit=off -c full_page_writes=off"
        )
        self._run(
            "pg_ctl",
            "-D",
            str(self.datadir),
            "-l",
            str(self.logfile),
            "-o",
            options,
            "-w",
            "-t",
            "20",
            "start",
            timeout=30,
        )

    def stop(self, mode: str = "immediate") -> None:
        self._run("pg_ctl", "-D", str(self.datadir), "-m", mode, "-w", "-t", "20", "stop")

    def create_database(self, name: str = "tracker") -> None:
        self._run("createdb", "-h", LOOPBACK, "-p", str(self.port), "-U", PG_USER, name)

    def running(self) -> bool:
        return (self.datadir / "postmaster.pid").exists()

    def postmaster_pid(self) -> int:
        return int((self.datadir / "postmaster.pid").read_text().splitlines()[0])

    def pause(self) -> None:
        postmaster = self.postmaster_pid()
        os.kill(postmaster, signal.SIGSTOP)  # first: a stopped postmaster forks no child unseen
        self.paused = [postmaster]
        for pid in children(postmaster):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGSTOP)
                self.paused.append(pid)

    def resume(self) -> None:
        for pid in self.paused:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGCONT)
        self.paused = []

    def log_tail(self, lines: int = 30) -> str:
        return file_tail(self.logfile, lines)

    def close(self) -> None:
        """Stop the cluster if it runs (killing its postmaster if pg_ctl cannot) and remove
        every file of it."""
        try:
            self.resume()  # a stopped postmaster would not act on pg_ctl's signal
            if self.running():
                try:
                    self.stop("immediate")
                except (RuntimeError, subprocess.SubprocessError):
                    pid_file = self.datadir / "postmaster.pid"
                    try:
                        pid = int(pid_file.read_text().splitlines()[0])
                        os.kill(pid, signal.SIGKILL)
                    except (OSError, ValueError, IndexError):
                        pass
        finally:
            shutil.rmtree(self.base, ignore_errors=True)


def children(pid: int) -> list[int]:
    """The processes whose parent is `pid`, from /proc."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            # The parent's pid is the second field after the command name's closing bracket.
            if int(stat.read_text().rpartition(")")[2].split()[1]) == pid:
                found.append(int(stat.parent.name))
        except (OSError, ValueError, IndexError):
            continue
    return found


def redis_server_path() -> str | None:
    return shutil.which("redis-server")


class RedisServer:
    """`redis-server` on 127.0.0.1:`port` without persistence, in a temporary directory.

    `kill()` and `start()` again keep the port; `pause()` (SIGSTOP) makes it hang with its port
    open, as a stuck server does, until `resume()`.
    """

    def __init__(self) -> None:
        self.port = free_port()
        self.base = Path(tempfile.mkdtemp(prefix="outage-redis-"))
        self.logfile = self.base / "redis.log"
        self.process: subprocess.Popen | None = None

    def start(self, timeout: float = 10) -> None:
        self.process = subprocess.Popen(
            [
                redis_server_path(),
                "--bind",
                LOOPBACK,
                "--port",
                str(self.port),
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(self.base),
                "--logfile",
                str(self.logfile),
            ],
            cwd=self.base,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        deadline = time.monotonic() + timeout
        while not self.answers():
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"redis-server did not start:\n{self.log_tail()}")
            time.sleep(0.05)

    def answers(self) -> bool:
        """Whether it answers PING within a second."""
        try:
            with socket.create_connection((LOOPBACK, self.port), timeout=1) as sock:
                sock.sendall(b"PING\r\n")
                return sock.recv(16).startswith(b"+PONG")
        except OSError:
            return False

    def kill(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.kill()  # SIGKILL ends a paused process too
            self.process.wait(timeout=10)

    def pause(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGSTOP)

    def resume(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGCONT)

    def log_tail(self, lines: int = 30) -> str:
        return file_tail(self.logfile, lines)

    def close(self) -> None:
        """Kill the server if it runs and remove its directory."""
        try:
            self.kill()
        finally:
            shutil.rmtree(self.base, ignore_errors=True)


def django_env(database_url: str) -> dict[str, str]:
    """The environment of manage.py and gunicorn: production settings on `database_url`."""
    env = dict(os.environ)
    env.update(
        DATABASE_URL=database_url,
        DEBUG="0",
        SECRET_KEY="outage-test-only-not-a-secret",
        ALLOWED_HOSTS=LOOPBACK,
        SECURE_SSL_REDIRECT="0",
        # Throttle counters in process memory: the outage under test is the database's alone.
        CACHE_URL="locmemcache://",
        DJANGO_SETTINGS_MODULE="tracker.settings",
    )
    return env


def manage(*args: str, env: dict[str, str], timeout: float = 120) -> None:
    result = subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    if result.returncode != 0:
        raise RuntimeError(f"manage.py {' '.join(args)} failed:\n{result.stdout}{result.stderr}")


def gunicorn_path() -> str | None:
    beside = Path(sys.executable).parent / "gunicorn"
    if os.access(beside, os.X_OK):
        return str(beside)
    return shutil.which("gunicorn")


@dataclass
class Response:
    status: int
    headers: dict[str, str]
    body: str
    seconds: float

    def json(self):
        return json.loads(self.body)


class Server:
    """`gunicorn tracker.wsgi:application` with two workers on 127.0.0.1:`port`."""

    def __init__(self, env: dict[str, str], logfile: Path) -> None:
        self.port = free_port()
        self.logfile = logfile
        self._log = open(logfile, "wb")  # noqa: SIM115 -- closed in close()
        self.process = subprocess.Popen(
            [
                gunicorn_path(),
                "tracker.wsgi:application",
                "-b",
                f"{LOOPBACK}:{self.port}",
                "-w",
                "2",
                "--timeout",
                "30",
                # gunicorn 27 otherwise opens ~/.gunicorn/gunicorn.ctl, shared with any other
                # gunicorn of the same user: keep this one's beside its log, removed with it.
                "--control-socket",
                str(logfile.parent / "gunicorn.ctl"),
            ],
            cwd=ROOT,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: the workers go with the master
        )

    def request(
        self,
        method: str,
        path: str,
        *,
        body: bytes | None = None,
        headers: dict[str, str] | None = None,
        timeout: float = 5,
    ) -> Response:
        """One request on a fresh connection, timed from connect to the last byte read."""
        connection = http.client.HTTPConnection(LOOPBACK, self.port, timeout=timeout)
        started = time.monotonic()
        try:
            connection.request(
                method, path, body=body, headers={"Accept": "application/json", **(headers or {})}
            )
            response = connection.getresponse()
            content = response.read()
            seconds = time.monotonic() - started
            return Response(
                status=response.status,
                headers={name.lower(): value for name, value in response.getheaders()},
                body=content.decode("utf-8", errors="replace"),
                seconds=seconds,
            )
        finally:
            connection.close()

    def wait_until_healthy(self, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        last = "no answer"
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"gunicorn exited ({self.process.returncode}):\n{self.log()}")
            try:
                response = self.request("GET", "/healthz", timeout=2)
                if response.status == 200:
                    return
                last = f"{response.status} {response.body[:200]}"
            except OSError as error:
                last = repr(error)
            time.sleep(0.1)
        raise RuntimeError(f"gunicorn not healthy after {timeout} s ({last}):\n{self.log()}")

    def log(self) -> str:
        try:
            return self.logfile.read_text(errors="replace")[-5000:]
        except OSError:
            return ""

    def close(self) -> None:
        """SIGTERM to gunicorn's process group, SIGKILL if it lingers."""
        try:
            if self.process.poll() is None:
                pgid = self.process.pid  # start_new_session: the group is the master's pid
                try:
                    os.killpg(pgid, signal.SIGTERM)
                    self.process.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    os.killpg(pgid, signal.SIGKILL)
                    self.process.wait(timeout=10)
                except ProcessLookupError:
                    pass
            else:
                # The master is gone; make sure no orphaned worker of its group is left.
                with contextlib.suppress(ProcessLookupError, PermissionError):
                    os.killpg(self.process.pid, signal.SIGKILL)
        finally:
            self._log.close()
