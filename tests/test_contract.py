"""The schema as a client sees it: a generated client, and schemathesis, against a live gunicorn.

The server runs as in production (gunicorn, DEBUG off) on a free port, over a SQLite file of its
own with what `make run` loads and an editor with a token, whatever DATABASE_URL the suite runs
on: the contract is the schema's, and the suite's database is the test's transaction.
"""

import json
import os
import socket
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import SimpleNamespace
from urllib.request import urlopen

import pytest

ROOT = Path(__file__).resolve().parent.parent
CONTRACT = Path(__file__).resolve().parent / "contract"
BIN = Path(sys.executable).parent
SETUP = """
import django
django.setup()
from django.core.management import call_command
from django.contrib.auth.models import User
from rest_framework.authtoken.models import Token
call_command("migrate", verbosity=0)
call_command("load_initial_data", verbosity=0)
call_command("create_editor", "editor", verbosity=0)
print(Token.objects.create(user=User.objects.get(username="editor")).key)
"""


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _wait_until_healthy(url: str, server: subprocess.Popen) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"gunicorn exited with {server.returncode}: see its log")
        try:
            with urlopen(f"{url}/healthz", timeout=5):
                return
        except OSError:
            # Refused, reset, or a worker still booting on a loaded machine (a read timeout):
            # all mean "not yet". URLError is an OSError too.
            time.sleep(0.2)
    raise TimeoutError(f"{url} did not answer in 60 s")


@contextmanager
def _serve(home: Path) -> Iterator[SimpleNamespace]:
    """gunicorn over a fresh SQLite database with the fixtures and an editor's token."""
    database = home / "db.sqlite3"
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "tracker.settings",
        "DATABASE_URL": f"sqlite:///{database}",
        "CACHE_URL": "locmemcache://",
        "DEBUG": "0",
        "SECRET_KEY": "contract-tests-only",
        "ALLOWED_HOSTS": "127.0.0.1",
        "SECURE_SSL_REDIRECT": "0",
        "EDITOR_PASSWORD": "contract-tests-only-1",
        # schemathesis sends a few thousand requests a minute; throttling is tested elsewhere.
        "THROTTLE_ANON": "100000/minute",
        "THROTTLE_USER": "100000/minute",
    }
    token = subprocess.run(
        [sys.executable, "-c", SETUP], env=env, cwd=ROOT, check=True, capture_output=True, text=True
    ).stdout.split()[-1]
    port = _free_port()
    log = (home / "gunicorn.log").open("wb")
    server = subprocess.Popen(
        [BIN / "gunicorn", "tracker.wsgi", "--bind", f"127.0.0.1:{port}", "--workers", "1"],
        env=env,
        cwd=ROOT,
        # A file, not a pipe: a pipe nobody reads fills up and stops the server mid-run.
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_until_healthy(url, server)
        yield SimpleNamespace(url=url, token=token, database=database, env=env, home=home)
    finally:
        server.terminate()
        server.wait(timeout=10)
        log.close()


@pytest.fixture(scope="module")
def live(tmp_path_factory) -> Iterator[SimpleNamespace]:
    """The server the generated client talks to."""
    with _serve(tmp_path_factory.mktemp("client")) as server:
        yield server


@pytest.fixture(scope="module")
def fuzzed(tmp_path_factory) -> Iterator[SimpleNamespace]:
    """A server of its own for schemathesis, whose writes leave the data in any state."""
    with _serve(tmp_path_factory.mktemp("schemathesis")) as server:
        yield server


@pytest.fixture(scope="module")
def generated_client(live) -> Path:
    """The package openapi-python-client generates from `manage.py spectacular`'s schema."""
    schema = live.home / "schema.json"
    subprocess.run(
        [sys.executable, "manage.py", "spectacular", "--format", "openapi-json", "--file", schema],
        env=live.env,
        cwd=ROOT,
        check=True,
    )
    config = live.home / "generator.yml"
    config.write_text("post_hooks: []\n")  # no formatting of generated code: it is thrown away
    subprocess.run(
        [
            BIN / "openapi-python-client",
            "generate",
            "--path",
            schema,
            "--meta",
            "none",
            "--output-path",
            live.home / "tracker_client",
            "--config",
            config,
            "--fail-on-warning",
        ],
        cwd=live.home,
        check=True,
        capture_output=True,
    )
    return live.home


def _run(command: list, **options) -> subprocess.CompletedProcess:
    result = subprocess.run(command, capture_output=True, text=True, timeout=300, **options)
    assert result.returncode == 0, result.stdout[-20000:] + result.stderr[-5000:]
    return result


def test_the_generated_client_imports_every_module(generated_client):
    _run(
        [
            sys.executable,
            "-c",
            "import importlib, pkgutil, tracker_client; "
            "[importlib.import_module(module.name) for module in "
            "pkgutil.walk_packages(tracker_client.__path__, 'tracker_client.')]",
        ],
        cwd=generated_client,
    )


def test_the_generated_client_and_its_use_pass_mypy_strict(generated_client):
    _run(
        [
            BIN / "mypy",
            "--strict",
            "--cache-dir",
            generated_client / ".mypy_cache",
            "tracker_client",
            CONTRACT / "use_client.py",
        ],
        cwd=generated_client,
        env={**os.environ, "MYPYPATH": str(generated_client)},
    )


def test_the_generated_client_reads_walks_every_page_and_writes(live, generated_client):
    result = _run(
        [sys.executable, CONTRACT / "use_client.py", live.url, live.token],
        env={**os.environ, "PYTHONPATH": str(generated_client)},
    )
    seen = json.loads(result.stdout)

    with sqlite3.connect(live.database) as database:
        (attendances,) = database.execute("SELECT count(*) FROM summits_attendance").fetchone()
    assert seen["nato_summits"][:3] == [
        "nato-2022-spain",
        "nato-2023-lithuania",
        "nato-2024-washington",
    ]
    assert seen["attendances"] == attendances
    assert seen["pages"] == -(-attendances // 2)
    assert seen["created"] == {
        "slug": "nato-2026-ankara",
        "name": "NATO Summit 2026, Ankara",
        "start_date": "2026-07",
        "date_precision": "month",
        "attendee_count": 0,
    }


def test_schemathesis_finds_nothing_but_the_documented_exclusions(fuzzed):
    """Every check and phase (tests/contract/schemathesis.toml), writes with the editor's token;
    the failures accepted, each for its reason, are in tests/contract/schemathesis_hooks.py."""
    _run(
        [
            BIN / "st",
            "--no-color",
            "--config-file",
            CONTRACT / "schemathesis.toml",
            "run",
            f"{fuzzed.url}/api/schema/",
            "--header",
            f"Authorization: Token {fuzzed.token}",
            "--report-dir",
            fuzzed.home / "schemathesis-report",
        ],
        cwd=fuzzed.home,  # where schemathesis keeps its cache
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
