"""Importing the State Department's records: time and memory per file, and whether the cost stays
linear in the number of records.

    python -m bench.historyatstate [--db sqlite|postgres] [--dir DIR] [--sizes 1,2,5,10]
        [--repeats 1]

Every measurement runs on a fresh database, a copy of one template that was migrated and given
the article's fixtures (`loaddata article context`), so that the import meets the article's
summits as a new tracker would. Each runs in a child process of its own, so that its peak memory
is its own: Django and the importer loaded, then `historyatstate_import(path)` timed alone, with
the process's resident memory before it and its peak (`ru_maxrss`) after.

1. Every `*.xml` file in `--dir`: the import, then the same file imported again in the same
   process (it must change nothing: the row count of every table of the app is compared).
2. Linearity: visits files of 1x, 2x, 5x... the records of `visits-2000.xml`, the copies
   concatenated inside one `<visits>` root with each copy's ids moved by copy * 100,000, so that
   every record is a new source and not a re-import; time per record for each size.

The settings are the product's (`tracker.settings`) with DEBUG off, as in production: with DEBUG
on, Django would keep every query's SQL, which is memory the import does not use.
SQLite databases live in a temporary directory; PostgreSQL ones are `tracker_bench_hsg_template`
and `tracker_bench_hsg`, created and dropped here, on the server of DATABASE_URL (default
postgres://root@127.0.0.1:5432).
"""

import argparse
import datetime as dt
import functools
import json
import os
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from bench.load import ROOT
from bench.report import database_version, machine

SHARED = ROOT.parent / "shared" / "data" / "historyatstate"
LINEAR_FILE = "visits-2000.xml"
ID_STEP = 100_000  # copy k's ids are the original's + k * ID_STEP
TEMPLATE_DB = "tracker_bench_hsg_template"
RUN_DB = "tracker_bench_hsg"
DEFAULT_POSTGRES = "postgres://root@127.0.0.1:5432/postgres"


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--dir", type=Path, default=SHARED, help="The files to import, *.xml.")
    parser.add_argument(
        "--sizes",
        default="1,2,5,10",
        help=f"Copies of {LINEAR_FILE}'s records per linearity file; empty skips them.",
    )
    parser.add_argument(
        "--repeats",
        type=int,
        default=1,
        help="Runs of each import, each on a fresh database; the least time is reported.",
    )
    # What a child process does: a JSON task (internal).
    parser.add_argument("--child", default="", help=argparse.SUPPRESS)
    return parser.parse_args()


# The databases -----------------------------------------------------------------------------


class Databases:
    """A template database made once, and a fresh copy of it for each measurement."""

    def __init__(self, kind: str, workdir: Path) -> None:
        self.kind = kind
        self.workdir = workdir
        if kind == "postgres":
            server = os.environ.get("DATABASE_URL", "")
            if not server.startswith(("postgres://", "postgresql://")):
                server = DEFAULT_POSTGRES
            self.server = urlsplit(server)

    def url(self, name: str) -> str:
        if self.kind == "sqlite":
            return f"sqlite:///{self.workdir / name}.sqlite3"
        return urlunsplit(self.server._replace(path=f"/{name}"))

    def _admin(self, *statements: str) -> None:
        import psycopg

        url = urlunsplit(self.server._replace(scheme="postgresql", path="/postgres"))
        with psycopg.connect(url, autocommit=True) as connection:
            for statement in statements:
                connection.execute(statement)

    def make_template(self) -> dict:
        """Migrate the template and load the article's fixtures into it (in a child process)."""
        if self.kind == "postgres":
            self._admin(
                f'DROP DATABASE IF EXISTS "{RUN_DB}"',
                f'DROP DATABASE IF EXISTS "{TEMPLATE_DB}"',
                f'CREATE DATABASE "{TEMPLATE_DB}"',
            )
        return run_child({"task": "template"}, self.url(TEMPLATE_DB))

    def fresh(self) -> str:
        """A new database, equal to the template; its URL."""
        if self.kind == "sqlite":
            shutil.copyfile(
                self.workdir / f"{TEMPLATE_DB}.sqlite3", self.workdir / f"{RUN_DB}.sqlite3"
            )
        else:
            self._admin(
                f'DROP DATABASE IF EXISTS "{RUN_DB}"',
                f'CREATE DATABASE "{RUN_DB}" TEMPLATE "{TEMPLATE_DB}"',
            )
        return self.url(RUN_DB)

    def drop(self) -> None:
        if self.kind == "postgres":
            self._admin(
                f'DROP DATABASE IF EXISTS "{RUN_DB}"', f'DROP DATABASE IF EXISTS "{TEMPLATE_DB}"'
            )


# The child process ---------------------------------------------------------------------------


def run_child(task: dict, database_url: str) -> dict:
    """Run one task in a new Python process on this database; its result, read from stdout."""
    environment = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "tracker.settings",
        "DEBUG": "0",
        "SECRET_KEY": "bench-only-not-a-secret",
        "ALLOWED_HOSTS": "localhost",
        "LOG_LEVEL": "ERROR",
        "DATABASE_URL": database_url,
    }
    finished = subprocess.run(
        [sys.executable, "-m", "bench.historyatstate", "--child", json.dumps(task)],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
    )
    if finished.returncode != 0:
        raise SystemExit(f"The child process failed ({task}):\n{finished.stderr}")
    return json.loads(finished.stdout.strip().splitlines()[-1])


def fastest(databases: Databases, task: dict, repeats: int) -> dict:
    """The task run `repeats` times, each on a fresh database: the least time of each timed step
    (the run that the machine's other work slowed least), the most memory of any run, and
    "changed nothing" only if no re-import changed anything."""
    runs = [run_child(task, databases.fresh()) for _ in range(max(repeats, 1))]
    best = dict(min(runs, key=lambda run: run["seconds"]))
    best["peak_mib"] = max(run["peak_mib"] for run in runs)
    best["growth_mib"] = max(run["growth_mib"] for run in runs)
    if "reimport_seconds" in best:
        best["reimport_seconds"] = min(run["reimport_seconds"] for run in runs)
        best["reimport_unchanged"] = all(run["reimport_unchanged"] for run in runs)
    return best


def child(task: dict) -> None:
    import django

    django.setup()
    from django.core.management import call_command

    if task["task"] == "template":
        call_command("migrate", verbosity=0)
        call_command("loaddata", "article", "context", verbosity=0)
        print(json.dumps({"database": database_version()}))
        return
    print(json.dumps(measure(Path(task["path"]), reimport=task["reimport"])))


def measure(path: Path, *, reimport: bool) -> dict:
    """Import the file (and, if asked, import it again); time, memory and what it did."""
    from django.db import connection

    from summits.historyatstate.importer import historyatstate_import

    connection.ensure_connection()
    rows_before = table_rows()
    rss_before = resident_mib()
    started = time.perf_counter()
    cpu_started = time.process_time()
    report = historyatstate_import(str(path))
    seconds = time.perf_counter() - started
    cpu_seconds = time.process_time() - cpu_started
    peak_after = peak_mib()
    result = {
        "records": report.records,
        "seconds": seconds,
        "cpu_seconds": cpu_seconds,
        "rss_before_mib": rss_before,
        "peak_mib": peak_after,
        "growth_mib": peak_after - rss_before,
        "counts": report.counts(),
        "rows_added": sum(table_rows().values()) - sum(rows_before.values()),
    }
    if reimport:
        rows = table_rows()
        started = time.perf_counter()
        again = historyatstate_import(str(path))
        result["reimport_seconds"] = time.perf_counter() - started
        result["reimport_unchanged"] = table_rows() == rows
        result["reimport_counts"] = again.counts()
        result["peak_mib"] = peak_mib()
    return result


def table_rows() -> dict[str, int]:
    """The row count of every table of the app, history tables included."""
    from django.apps import apps

    return {
        model._meta.label: model._base_manager.count()
        for model in apps.get_app_config("summits").get_models()
    }


def resident_mib() -> float:
    """The process's resident memory now."""
    with open("/proc/self/statm") as statm:
        pages = int(statm.read().split()[1])
    return pages * os.sysconf("SC_PAGE_SIZE") / 2**20


def peak_mib() -> float:
    """The process's peak resident memory so far (Linux gives ru_maxrss in KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


# The files -----------------------------------------------------------------------------------


def concatenated(source: Path, copies: int, target: Path) -> Path:
    """A visits file holding `copies` copies of `source`'s records, each copy's ids moved by
    copy * ID_STEP: new records to the importer, in the file's own bytes otherwise."""
    text = source.read_text(encoding="utf-8")
    opening, closing = text.index("<visits>") + len("<visits>"), text.rindex("</visits>")
    body = text[opening:closing]
    with target.open("w", encoding="utf-8") as out:
        out.write(text[:opening])
        for copy in range(copies):
            out.write(re.sub(r"<id>(\d+)</id>", functools.partial(_shifted_id, copy=copy), body))
        out.write(text[closing:])
    return target


# The report ----------------------------------------------------------------------------------


def _shifted_id(match: re.Match[str], *, copy: int) -> str:
    """A record id moved into copy `copy`'s range, so that copies never share an id."""
    return f"<id>{int(match[1]) + copy * ID_STEP}</id>"


def files_table(results: dict[str, dict]) -> list[str]:
    lines = [
        f"{'file':<38} {'records':>7} | {'import s':>8} {'ms/rec':>6} {'cpu s':>6} | "
        f"{'peak RSS MiB':>12} {'growth MiB':>10} | {'re-import s':>11} {'changed nothing':>15} | "
        "created: sources summits attendances leaders",
        "-" * 150,
    ]
    for name, result in results.items():
        counts = result["counts"]
        lines.append(
            f"{name:<38} {result['records']:>7,} | {result['seconds']:>8.2f} "
            f"{result['seconds'] / result['records'] * 1000:>6.2f} {result['cpu_seconds']:>6.2f} | "
            f"{result['peak_mib']:>12.1f} {result['growth_mib']:>10.1f} | "
            f"{result['reimport_seconds']:>11.2f} "
            f"{'yes' if result['reimport_unchanged'] else 'NO':>15} | "
            f"{counts['sources created']:>16,} {counts['summits created']:>7,} "
            f"{counts['attendances added']:>11,} {counts['leaders created']:>7,}"
        )
    return lines


def linear_table(results: dict[int, dict]) -> list[str]:
    """Time per record at each size, and what the records added since the size before cost:
    beyond the first copy every copy does the same work (its summits, leaders and attendances
    exist by then), so that cost stays flat if the import is linear, and grows if some step
    slows down as the tables fill."""
    lines = [
        f"{'size':>4} {'records':>7} | {'import s':>8} {'ms/rec':>6} {'cpu s':>6} | "
        f"{'added: ms/rec':>13} {'cpu ms/rec':>10} | {'peak RSS MiB':>12} {'growth MiB':>10} | "
        "rows written",
        "-" * 113,
    ]
    previous: dict | None = None
    added: dict[int, float] = {}
    for size, result in results.items():
        marginal = ""
        if previous is not None:
            records = result["records"] - previous["records"]
            added[size] = (result["seconds"] - previous["seconds"]) / records * 1000
            cpu = (result["cpu_seconds"] - previous["cpu_seconds"]) / records * 1000
            marginal = f"{added[size]:>13.2f} {cpu:>10.2f}"
        lines.append(
            f"{size:>3}x {result['records']:>7,} | {result['seconds']:>8.2f} "
            f"{result['seconds'] / result['records'] * 1000:>6.2f} {result['cpu_seconds']:>6.2f} | "
            f"{marginal:>24} | {result['peak_mib']:>12.1f} {result['growth_mib']:>10.1f} | "
            f"{result['rows_added']:>12,}"
        )
        previous = result
    if len(results) > 1:
        smallest, largest = min(results), max(results)
        per_record = {
            size: result["seconds"] / result["records"] for size, result in results.items()
        }
        growth = [result["growth_mib"] for result in results.values()]
        lines.append(
            f"time per record {largest}x / {smallest}x: "
            f"{per_record[largest] / per_record[smallest]:.2f} (1.0 is linear)"
        )
        if len(added) > 1:
            first, last = min(added), max(added)
            lines.append(
                f"records added up to {last}x / up to {first}x, time each: "
                f"{added[last] / added[first]:.2f} (1.0 is linear)"
            )
        lines.append(f"peak RSS growth {min(growth):.1f}-{max(growth):.1f} MiB over the sizes")
    return lines


def main() -> None:
    args = parse_args()
    if args.child:
        child(json.loads(args.child))
        return
    files = sorted(args.dir.glob("*.xml"))
    sizes = sorted({int(size) for size in args.sizes.split(",") if size})
    load_before = os.getloadavg()[0]
    with tempfile.TemporaryDirectory(prefix="bench-hsg-") as workdir:
        databases = Databases(args.db, Path(workdir))
        try:
            database = databases.make_template()["database"]
            by_file = {}
            for path in files:
                print(f"Importing {path.name}...", file=sys.stderr, flush=True)
                by_file[path.name] = fastest(
                    databases,
                    {"task": "measure", "path": str(path), "reimport": True},
                    args.repeats,
                )
            by_size = {}
            for size in sizes:
                print(f"Importing {LINEAR_FILE} x {size}...", file=sys.stderr, flush=True)
                path = concatenated(args.dir / LINEAR_FILE, size, Path(workdir) / f"x{size}.xml")
                by_size[size] = fastest(
                    databases,
                    {"task": "measure", "path": str(path), "reimport": False},
                    args.repeats,
                )
        finally:
            databases.drop()
    header = (
        f"{dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC | {machine()} | {database} | "
        f"fresh database per import (migrated, article + context fixtures), one process each, "
        f"least time of {args.repeats} run(s) "
        f"| load average {load_before:.1f} before, {os.getloadavg()[0]:.1f} after"
    )
    print(header, "", f"Files in {args.dir}:", *files_table(by_file), sep="\n")
    if by_size:
        print("", f"Linearity: {LINEAR_FILE}'s records, copied:", *linear_table(by_size), sep="\n")


if __name__ == "__main__":
    main()
