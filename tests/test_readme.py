"""The README's examples, run as a reader runs them, answer what the README shows.

Each `##` section of README.md that shows commands starts from what `make run` leaves (a fresh
SQLite database with the fixtures and every ISO country, served by `runserver` with DEBUG on)
and runs its commands in the order shown, in a working directory of its own, through bash:
curl, `.venv/bin/python manage.py ...`, heredocs and pipes alike. A command's expected output is
either the `# ` comment lines under it or, for the last command of a block, the `json` or plain
block that follows. A `json` block is compared with the answer pretty-printed (4 spaces, keys in
the server's order); anything else as text. A response shown with its headers (`curl -i`) lists
only the headers it is about: each shown must be sent, others may be too.

The one looseness: a token (40 hex digits; the change feed's, 32), each part of an ETag (32, 16
and 32 hex digits) and a time the database's clock wrote (`2026-12-01T14:46:35.040000Z`, in the
change feed) stand for whatever the server answers. The first time the README shows such a value it is bound
to the server's; from then on the README's value means the server's, in commands and in outputs,
and two different values in the README must be two different values on the server.
"""

import contextlib
import difflib
import json
import os
import re
import shlex
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
README_ORIGIN = "http://127.0.0.1:8000"

# Tokens (the change feed's too) and the three parts of an ETag; a sha256 (64 digits) is
# compared exactly. And a time the database's clock wrote, to the microsecond in UTC.
TIME = r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{6}Z"
LOOSE = re.compile(
    rf"(?<![0-9a-f])(?:[0-9a-f]{{40}}|[0-9a-f]{{32}}|[0-9a-f]{{16}})(?![0-9a-f])|{TIME}"
)
FENCE = re.compile(r"^```(\w*)\n(.*?)^```\n", re.MULTILINE | re.DOTALL)
HEREDOC = re.compile(r"<<-?\s*'?(\w+)'?")


@dataclass
class Command:
    script: str
    expected: list[str] = field(default_factory=list)
    expected_format: str = "text"  # "text" or "json"

    @property
    def title(self) -> str:
        return self.script.splitlines()[0]


@dataclass
class Section:
    title: str
    commands: list[Command]


def readme_sections() -> list[Section]:
    """The `##` sections of the README that show commands to run, in the README's order."""
    sections = []
    for chunk in re.split(r"^## ", README.read_text(encoding="utf-8"), flags=re.MULTILINE)[1:]:
        title, _, body = chunk.partition("\n")
        commands = section_commands(body)
        if commands:
            sections.append(Section(title.strip(), commands))
    return sections


def section_commands(body: str) -> list[Command]:
    commands: list[Command] = []
    blocks = list(FENCE.finditer(body))
    for index, block in enumerate(blocks):
        language, text = block.group(1), block.group(2)
        if language != "sh":
            continue
        block_commands = shell_commands(text)
        if not block_commands:
            continue
        following = blocks[index + 1] if index + 1 < len(blocks) else None
        last = block_commands[-1]
        if (
            following is not None
            and following.group(1) != "sh"
            and not body[block.end() : following.start()].strip()
            and not last.expected
        ):
            # The block right under a command is what it answers.
            last.expected = following.group(2).rstrip("\n").split("\n")
            last.expected_format = "json" if following.group(1) == "json" else "text"
        commands.extend(block_commands)
    return commands


def shell_commands(text: str) -> list[Command]:
    """A shell block's commands (with their continuation lines, open quotes and heredocs),
    each with the `# ` lines under it as its expected output; `make` commands are not run."""
    commands: list[Command] = []
    lines = text.split("\n")
    position = 0
    while position < len(lines):
        line = lines[position]
        position += 1
        if not line.strip():
            continue
        if line.startswith("#"):
            if not commands:
                raise ValueError(f"README: output with no command above it: {line!r}")
            commands[-1].expected.append(line[2:] if line.startswith("# ") else line[1:])
            continue
        script = [line]
        while position < len(lines) and not complete("\n".join(script)):
            script.append(lines[position])
            position += 1
        heredoc = HEREDOC.search(line)
        if heredoc:
            while position < len(lines) and lines[position] != heredoc.group(1):
                script.append(lines[position])
                position += 1
            script.append(lines[position])
            position += 1
        commands.append(Command("\n".join(script)))
    return [command for command in commands if not command.script.startswith("make ")]


def complete(script: str) -> bool:
    """Whether a command ends here: no line continuation and no quote left open."""
    if script.endswith("\\"):
        return False
    try:
        shlex.split(script, comments=True)
    except ValueError:
        return False
    return True


class Bindings:
    """What the README's loose values (tokens, ETag parts) stand for on this server."""

    def __init__(self) -> None:
        self.values: dict[str, str] = {}

    def apply(self, text: str) -> str:
        return LOOSE.sub(lambda match: self.values.get(match.group(), match.group()), text)

    def match(self, expected: str, actual: str) -> bool:
        """Whether `actual` is `expected` with its loose values standing for the server's; binds
        those that are new when it is."""
        pattern, groups, seen = [], {}, {}
        cursor = 0
        for value in LOOSE.finditer(expected):
            pattern.append(re.escape(expected[cursor : value.start()]))
            cursor = value.end()
            literal = value.group()
            if literal in self.values:
                pattern.append(re.escape(self.values[literal]))
            elif literal in seen:
                pattern.append(f"(?P={seen[literal]})")
            else:
                name = f"loose{len(seen)}"
                seen[literal] = name
                groups[name] = literal
                shape = TIME if re.fullmatch(TIME, literal) else f"[0-9a-f]{{{len(literal)}}}"
                pattern.append(f"(?P<{name}>{shape})")
        pattern.append(re.escape(expected[cursor:]))
        found = re.fullmatch("".join(pattern), actual)
        if found is None:
            return False
        new = {literal: found.group(name) for name, literal in groups.items()}
        taken = set(self.values.values())
        if len(set(new.values())) != len(new) or taken & set(new.values()):
            return False  # the README shows two values where the server answers one
        self.values.update(new)
        return True


@pytest.fixture(scope="session")
def made_run_database(tmp_path_factory) -> Path:
    """An SQLite file as `make run` leaves it: migrated, with the fixtures and every country."""
    database = tmp_path_factory.mktemp("readme") / "db.sqlite3"
    for command in (["migrate", "--noinput"], ["load_initial_data"]):
        subprocess.run(
            [sys.executable, "manage.py", *command],
            cwd=ROOT,
            env=development_environment(database, ROOT),
            check=True,
            capture_output=True,
            timeout=300,
        )
    return database


def development_environment(database: Path, home: Path) -> dict[str, str]:
    """A reader's shell after `make run`: DEBUG on (as the .env it writes says), nothing else."""
    return {
        "PATH": os.environ["PATH"],
        "HOME": str(home),
        "CURL_HOME": str(home),
        "LANG": "C.UTF-8",
        "DEBUG": "1",
        "DATABASE_URL": f"sqlite:///{database}",
    }


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def reader(made_run_database, tmp_path):
    """A working directory like a checkout after `make run`, and its server on a free port."""
    if shutil.which("curl") is None:
        pytest.fail("The README's examples call curl: install it (apt-get install -y curl).")
    for name in ("manage.py", "tests"):
        (tmp_path / name).symlink_to(ROOT / name)
    (tmp_path / ".venv").symlink_to(Path(sys.prefix))
    # A terminal shows no progress meter for curl's output; a pipe would.
    (tmp_path / ".curlrc").write_text("no-progress-meter\n")
    database = tmp_path / "db.sqlite3"
    shutil.copyfile(made_run_database, database)
    environment = development_environment(database, tmp_path)
    port = free_port()
    log = (tmp_path / "server.log").open("w")
    server = subprocess.Popen(
        [sys.executable, "manage.py", "runserver", "--noreload", f"127.0.0.1:{port}"],
        cwd=ROOT,
        env=environment,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    origin = f"http://127.0.0.1:{port}"
    try:
        wait_for(f"{origin}/healthz", server, tmp_path / "server.log")
        yield tmp_path, environment, origin
    finally:
        server.terminate()
        server.wait(timeout=10)
        log.close()


def wait_for(url: str, server: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if server.poll() is not None:
            pytest.fail(f"The server stopped:\n{log.read_text()}")
        try:
            with urllib.request.urlopen(url, timeout=1):
                return
        except OSError:
            time.sleep(0.1)
    pytest.fail(f"The server did not answer within 30 s:\n{log.read_text()}")


def mismatch(command: Command, actual: str, origin: str, bindings: Bindings) -> str | None:
    """How the server's answer differs from what the README shows under the command, if it
    does (as a diff)."""
    expected = "\n".join(command.expected).replace(README_ORIGIN, origin)
    if command.expected_format == "json":
        with contextlib.suppress(ValueError):  # not JSON: the diff shows what it is
            actual = json.dumps(json.loads(actual), indent=4, ensure_ascii=False)
    if expected.startswith("HTTP/") and "\n\n" in expected:
        # The headers shown are the ones the example is about; the others are left out.
        expected_head = expected.partition("\n\n")[0]
        actual_head, _, actual_body = actual.partition("\n\n")
        shown = {header.partition(":")[0].lower() for header in expected_head.split("\n")[1:]}
        status, *headers = actual_head.split("\n")
        kept = [header for header in headers if header.partition(":")[0].lower() in shown]
        actual = "\n".join([status, *kept]) + "\n\n" + actual_body
    if bindings.match(expected, actual):
        return None
    diff = difflib.unified_diff(
        bindings.apply(expected).split("\n"),
        actual.split("\n"),
        "README",
        "server",
        lineterm="",
    )
    return "\n".join(diff)


def run(command: Command, workdir: Path, environment: dict[str, str], origin: str, bindings):
    script = bindings.apply(command.script.replace(README_ORIGIN, origin))
    result = subprocess.run(
        ["bash", "-c", script],
        cwd=workdir,
        env=environment,
        capture_output=True,
        timeout=300,
    )
    # As a terminal shows it: both streams, no carriage returns, no trailing line break.
    output = (result.stdout + result.stderr).decode("utf-8").replace("\r\n", "\n")
    return output.rstrip("\n")


SECTIONS = readme_sections()


def test_the_readme_shows_examples_to_check():
    titles = [section.title for section in SECTIONS]
    commands = sum(len(section.commands) for section in SECTIONS)

    assert titles == ["The data", "The API"]
    assert commands >= 25


@pytest.mark.parametrize("section", SECTIONS, ids=[section.title for section in SECTIONS])
def test_the_readme_examples_answer_what_it_shows(section, reader):
    workdir, environment, origin = reader
    bindings = Bindings()
    mismatches = []

    for command in section.commands:
        actual = run(command, workdir, environment, origin, bindings)
        difference = mismatch(command, actual, origin, bindings)
        if difference is not None:
            mismatches.append(f"$ {command.title}\n{difference}")

    assert not mismatches, "\n\n".join(mismatches)


def test_a_token_the_readme_shows_stands_for_the_servers_from_then_on():
    bindings = Bindings()
    readme_token, server_token = "9d378a5cfc4a96a92e96a15ad31b44e8d03a0da9", "0123456789" * 4

    assert bindings.match(f'{{"token":"{readme_token}"}}', f'{{"token":"{server_token}"}}')
    assert bindings.apply(f"Authorization: Token {readme_token}") == (
        f"Authorization: Token {server_token}"
    )
    assert not bindings.match(readme_token, "9" * 40)


def test_a_time_stands_for_the_servers_and_the_same_time_for_the_same():
    shown = '"time":"2026-12-01T14:46:35.040000Z","at":"2026-12-01T14:46:35.040000Z"'
    bindings = Bindings()

    assert bindings.match(shown, shown.replace("14:46:35.04", "09:01:02.99"))
    assert not Bindings().match(shown, shown.replace("35.04", "35.05", 1))
    assert not Bindings().match('"date":"2024-07-09"', '"date":"2024-07-10"')


def test_ids_and_hashes_are_compared_exactly():
    sha256 = "368623f3228b27fd778401752a99ad89c0c4a948ab3a92e757c31734b9d46c5a"

    assert not Bindings().match('{"id": 39}', '{"id": 40}')
    assert not Bindings().match(sha256, sha256.replace("3", "4"))


def test_two_etags_the_readme_shows_apart_must_differ_on_the_server():
    before = '"896b6658d51fc62db8f427a22188cd18.dbad3fa06595aeee.c69fb378d523a843fd9f6c816ce9a3c0"'
    after = '"fd0e8dd195019171756ddd11fea91592.dbad3fa06595aeee.c69fb378d523a843fd9f6c816ce9a3c0"'
    served = '"11111111111111111111111111111111.2222222222222222.33333333333333333333333333333333"'
    bindings = Bindings()

    assert bindings.match(before, served)
    assert not bindings.match(after, served)
