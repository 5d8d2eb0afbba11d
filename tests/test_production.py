"""The production configuration passes Django's own deployment checks, and refuses to start
without its secrets."""

import os
import secrets
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings

from tracker.release import git_commit

ROOT = Path(__file__).resolve().parent.parent
PRODUCTION = {
    "DEBUG": "0",
    "SECRET_KEY": secrets.token_urlsafe(50),
    "ALLOWED_HOSTS": "tracker.example.org",
    "CACHE_URL": "redis://127.0.0.1:6379/0",
}


def manage_environment() -> dict[str, str]:
    """This process's environment without the settings the tests give."""
    return {
        name: value
        for name, value in os.environ.items()
        if name not in {*PRODUCTION, "SECURE_SSL_REDIRECT", "RELEASE"}
    }


def manage(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    """Run manage.py in a fresh process with only `env` on top of a clean environment."""
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env={**manage_environment(), **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_the_deployment_checks_report_nothing():
    result = manage("check", "--deploy", "--fail-level", "DEBUG", env=PRODUCTION)

    assert result.returncode == 0, result.stderr
    assert "System check identified no issues (0 silenced)." in result.stdout


@pytest.mark.parametrize("missing", ["SECRET_KEY", "ALLOWED_HOSTS"])
def test_start_up_stops_without_a_production_secret_and_names_it(missing):
    env = {name: value for name, value in PRODUCTION.items() if name != missing}

    result = manage("check", env=env)

    assert result.returncode != 0
    assert result.stderr.startswith(
        f"manage.py: {missing} must be set in the environment when DEBUG is off"
    )
    assert result.stderr.count("\n") == 1, "one line, no traceback"


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("CHANGE_FEED_RETENTION_DAYS", "abc", "must be a whole number from 0 to 36500, not 'abc'."),
        ("CHANGE_FEED_RETENTION_DAYS", "-1", "must be a whole number from 0 to 36500, not '-1'."),
        ("CHANGE_FEED_RETENTION_DAYS", "99999999", "must be a whole number from 0 to 36500"),
        ("THROTTLE_EXPORT", "abc", "must be a rate such as 30/minute"),
        ("THROTTLE_ANON", "10/fortnight", "must be a rate such as 30/minute"),
    ],
)
def test_a_setting_that_cannot_be_read_stops_start_up_and_names_it(name, value, message):
    result = manage("check", env={**PRODUCTION, name: value})

    assert result.returncode != 0
    assert result.stderr.startswith(f"manage.py: {name} {message}")
    assert result.stderr.count("\n") == 1, "one line, no traceback"


def test_a_first_run_with_debug_on_needs_no_configuration():
    result = manage("check", env={"DEBUG": "1"})

    assert result.returncode == 0, result.stderr


def test_no_system_check_is_silenced_but_sqlites_ignored_covering_index():
    on_sqlite = settings.DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3"
    silenced = ["models.W040"] if on_sqlite else []

    assert silenced == settings.SILENCED_SYSTEM_CHECKS


def test_a_command_on_the_default_sqlite_database_prints_no_warning(tmp_path):
    sqlite = f"sqlite:///{tmp_path / 'db.sqlite3'}"

    result = manage("check", "--database", "default", env={"DEBUG": "1", "DATABASE_URL": sqlite})

    assert result.returncode == 0, result.stderr
    assert "WARNING" not in result.stdout + result.stderr


def test_start_up_stops_without_a_release_outside_a_git_checkout(tmp_path):
    # A deployed copy of the code, without .git: its ETags need RELEASE to agree across servers.
    deployed = tmp_path / "tracker"
    shutil.copytree(
        ROOT,
        deployed,
        ignore=shutil.ignore_patterns(".git", ".venv", "node_modules", ".data", "*.sqlite3"),
    )
    result = subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=deployed,
        env={**manage_environment(), **PRODUCTION},
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert result.returncode != 0
    assert result.stderr.startswith("manage.py: RELEASE must be set in the environment"), (
        result.stderr
    )

    released = subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=deployed,
        env={**manage_environment(), **PRODUCTION, "RELEASE": "2026.12.1"},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert released.returncode == 0, released.stderr


def test_in_a_git_checkout_the_release_is_its_commit():
    head = subprocess.run(
        ["git", "rev-parse", "HEAD"], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout.strip()

    assert git_commit(ROOT) == head
