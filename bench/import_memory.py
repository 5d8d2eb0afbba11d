"""Peak memory and time of `import_attendances` on N rows, beside reading the same file whole.

    .venv/bin/python -m bench.import_memory --size 200000 [--debug] [--baseline-checkout DIR]

On its own SQLite database (bench/.data/import-memory-N.sqlite3) it generates N attendances
(`generate_data --seed 3`), writes them with their status timelines as an import file in the
one date convention (`"as_of": "2024-06"`, or `--legacy-dates` for `"2024-06-01"` with
`as_of_precision`), and empties the attendance tables. Each side then runs as its own process on
a fresh copy of that database; its peak resident memory (its own VmHWM: the maxrss of a child
also counts what its parent held) and its wall time are reported:

- `json.load`: only reading the file into Python objects, the floor any whole-file import pays;
- `import_attendances`: the command as a user runs it, every row written;
- `import_attendances (DIR)`, with `--baseline-checkout`: the same command from another checkout
  (for example the commit before streaming, extracted with `git archive`), on the same file.

`--debug` runs the commands with DEBUG=1, as `make run`'s environment does.
"""

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "bench" / ".data"
SEED = 3  # neither the load benchmark's (1) nor the bulk import's (2)


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", type=int, default=200_000)
    parser.add_argument("--debug", action="store_true", help="Run the commands with DEBUG=1.")
    parser.add_argument("--legacy-dates", action="store_true")
    parser.add_argument("--baseline-checkout", type=Path, default=None)
    return parser.parse_args()


def environment(database: Path, *, debug: bool) -> dict[str, str]:
    return {
        **os.environ,
        "DEBUG": "1" if debug else "0",
        "SECRET_KEY": "bench-only-not-a-secret",
        "ALLOWED_HOSTS": "localhost",
        "DATABASE_URL": f"sqlite:///{database}",
        "DJANGO_SETTINGS_MODULE": "tracker.settings",
    }


def prepare(size: int, *, legacy_dates: bool) -> tuple[Path, Path]:
    """The emptied database and the import file, built once per size and date form."""
    DATA.mkdir(parents=True, exist_ok=True)
    suffix = "-legacy" if legacy_dates else ""
    database = DATA / f"import-memory-{size}{suffix}.sqlite3"
    rows_file = DATA / f"import-memory-{size}{suffix}.json"
    if rows_file.exists():
        return database, rows_file
    env = environment(database, debug=False)
    manage = [sys.executable, str(ROOT / "manage.py")]
    database.unlink(missing_ok=True)
    subprocess.run([*manage, "migrate", "--verbosity", "0"], env=env, check=True)
    subprocess.run(
        [*manage, "generate_data", "--seed", str(SEED), "--attendances", str(size)],
        # The benchmark's settings install the app that holds generate_data; the measured
        # imports run with the product's own.
        env={**env, "DJANGO_SETTINGS_MODULE": "bench.settings"},
        check=True,
    )
    os.environ.update(env)
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.db import connection

    write_rows(connection, rows_file, legacy_dates=legacy_dates)
    with connection.cursor() as cursor:
        # Raw SQL: the ORM would load and record the history of every row it deletes.
        cursor.execute(
            "DELETE FROM summits_citation WHERE attendance_id IS NOT NULL "
            "OR status_change_id IS NOT NULL"
        )
        cursor.execute("DELETE FROM summits_statuschange")
        cursor.execute("DELETE FROM summits_attendance")
        cursor.execute("VACUUM")
    return database, rows_file


def write_rows(connection, rows_file: Path, *, legacy_dates: bool) -> None:
    """The generated attendances as import rows, one JSON array, written as they are read."""
    with connection.cursor() as cursor:
        changes: dict[int, list[dict]] = {}
        cursor.execute(
            "SELECT attendance_id, status, as_of, as_of_precision, note "
            "FROM summits_statuschange ORDER BY as_of, id"
        )
        for attendance, status, as_of, precision, note in cursor.fetchall():
            as_of = str(as_of)
            if legacy_dates:
                change = {"status": status, "as_of": as_of, "as_of_precision": precision}
            else:
                cut = {"day": 10, "month": 7, "year": 4}[precision]
                change = {"status": status, "as_of": as_of[:cut]}
            changes.setdefault(attendance, []).append(change | {"note": note})
        cursor.execute(
            "SELECT a.id, s.slug, c.code, l.slug, a.role, a.note FROM summits_attendance a "
            "JOIN summits_summit s ON s.id = a.summit_id "
            "JOIN summits_country c ON c.id = a.country_id "
            "LEFT JOIN summits_leader l ON l.id = a.leader_id ORDER BY a.id"
        )
        with rows_file.open("w", encoding="utf-8") as stream:
            stream.write("[\n")
            for number, (pk, summit, country, leader, role, note) in enumerate(cursor):
                row = {
                    "summit": summit,
                    "country": country,
                    "leader": leader,
                    "role": role,
                    "note": note,
                    "status_changes": changes.get(pk, []),
                }
                stream.write((",\n" if number else "") + json.dumps(row))
            stream.write("\n]\n")


# Runs a script as `python SCRIPT ARGS...` would, then writes the process's own peak resident
# memory (VmHWM) to $PEAK_FILE: the kernel's maxrss of a child also counts what its parent
# held when it forked, which would charge this benchmark's own memory to every side.
PEAK_WRAPPER = """
import atexit, os, runpy, sys

def report():
    with open("/proc/self/status") as status:
        peak = next(line for line in status if line.startswith("VmHWM")).split()[1]
    with open(os.environ["PEAK_FILE"], "w") as out:
        out.write(peak)

atexit.register(report)
sys.argv = sys.argv[1:]
runpy.run_path(sys.argv[0], run_name="__main__")
"""


def run(command: list[str], *, cwd: Path, env: dict[str, str]) -> tuple[float, float, str]:
    """Wall seconds, peak RSS (MiB) and the last output line of `python SCRIPT ARGS...`."""
    with tempfile.NamedTemporaryFile() as peak_file:
        started = time.perf_counter()
        process = subprocess.run(
            [sys.executable, "-c", PEAK_WRAPPER, *command],
            cwd=cwd,
            env={**env, "PEAK_FILE": peak_file.name},
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        seconds = time.perf_counter() - started
        peak_kib = int(Path(peak_file.name).read_text() or 0)
    output = process.stdout.strip()
    if process.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed:\n{output[-3000:]}")
    return seconds, peak_kib / 1024, output.splitlines()[-1] if output else ""


def main() -> None:
    args = parse_args()
    database, rows_file = prepare(args.size, legacy_dates=args.legacy_dates)
    size_mib = rows_file.stat().st_size / 2**20
    reader = DATA / "json_load.py"
    reader.write_text("import json, sys\n\nwith open(sys.argv[1]) as f:\n    json.load(f)\n")
    sides: list[tuple[str, list[str], Path]] = [
        ("json.load", [str(reader), str(rows_file)], ROOT),
        ("import_attendances", ["manage.py", "import_attendances", str(rows_file)], ROOT),
    ]
    if args.baseline_checkout is not None:
        checkout = args.baseline_checkout.resolve()
        sides.append(
            (
                f"import_attendances ({checkout.name})",
                ["manage.py", "import_attendances", str(rows_file)],
                checkout,
            )
        )
    print(
        f"{args.size:,} rows, {size_mib:.0f} MiB of JSON, SQLite, DEBUG={int(args.debug)}, "
        f"Python {sys.version.split()[0]}"
    )
    print(f"{'side':<40} {'peak RSS':>10} {'time':>8}  output")
    with tempfile.TemporaryDirectory() as scratch:
        for name, command, cwd in sides:
            copy = Path(scratch) / "import.sqlite3"
            shutil.copyfile(database, copy)
            seconds, peak, last = run(command, cwd=cwd, env=environment(copy, debug=args.debug))
            print(f"{name:<40} {peak:>7.0f} MiB {seconds:>7.1f}s  {last[:90]}")
            copy.unlink()


if __name__ == "__main__":
    main()
