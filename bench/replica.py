"""Read throughput with a streaming replica beside the primary alone: `python -m bench.replica`.

    python -m bench.replica [--size 1000000] [--duration 10] [--rounds 2] [--connections 8]

Makes a throwaway PostgreSQL primary (initdb on a free loopback port, the benchmark's data set
generated into it as `make bench` generates it), then a streaming replica of it (pg_basebackup
-R), both with PostgreSQL's default settings apart from durability (fsync off, as in the tests'
clusters; nothing is written while measuring). Two gunicorn servers (2 sync workers each, the
benchmark's settings, the response cache off so that the database does the work) serve the same
data: one on the primary alone, one with DATABASE_REPLICA_URLS naming the replica, which the
API's GETs then read from. wrk measures the attendance list's peak rate (`make bench`'s URLs)
against each in turn, in the order A B B A ..., and the CPU time of each part of the machine is
read from /proc over each run: the gunicorn workers, the primary's and the replica's server
processes, wrk, and the rest. Prints one line per setup. Everything made is removed at the end.
"""

import argparse
import datetime as dt
import importlib
import os
import resource
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psycopg

from bench.load import (
    BIN,
    ROOT,
    free_port,
    healthy,
    run_wrk,
    stop_gunicorn,
    write_url_file,
)
from bench.report import machine

# The tests' throwaway clusters (tests/outage.py), imported by name: tests/ is outside mypy's
# files, and a static import would have it checked as part of bench/.
_outage = importlib.import_module("tests.outage")
LOOPBACK, PG_USER, Cluster, children = (
    _outage.LOOPBACK,
    _outage.PG_USER,
    _outage.Cluster,
    _outage.children,
)

TICK = os.sysconf("SC_CLK_TCK")


def clone(replica: Any, primary: Any) -> None:
    """Makes the throwaway cluster `replica` a streaming replica of `primary` (standby.signal
    and primary_conninfo written by pg_basebackup -R)."""
    replica._run(
        "pg_basebackup",
        *("-h", LOOPBACK, "-p", str(primary.port), "-U", PG_USER, "-D", str(replica.datadir)),
        *("-R", "-X", "stream", "-c", "fast", "--no-sync"),
        timeout=1800,
    )


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", type=int, default=1_000_000, help="Attendances.")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--duration", type=int, default=10, help="Seconds per wrk run.")
    parser.add_argument("--rounds", type=int, default=2, help="Runs per setup (A B B A ...).")
    parser.add_argument("--warmup", type=int, default=5, help="Unmeasured seconds per setup.")
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--scenario", default="attendance_list")
    return parser.parse_args()


def sql(cluster: Any, query: str) -> list[tuple]:
    with psycopg.connect(
        host=LOOPBACK, port=cluster.port, user=PG_USER, dbname="tracker", autocommit=True
    ) as conn:
        cursor = conn.execute(query)
        return cursor.fetchall() if cursor.description else []


def wait_until_caught_up(primary: Any, replica: Any, seconds: float = 120) -> None:
    from tracker.replicas.health import wal_position

    sql(primary, "SELECT txid_current()")  # a transaction to replay: the replica then knows its age
    [(text,)] = sql(primary, "SELECT pg_current_wal_flush_lsn()::text")
    flushed = wal_position(text)
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        [(text,)] = sql(replica, "SELECT pg_last_wal_replay_lsn()::text")
        replayed = wal_position(text)
        if replayed is not None and flushed is not None and replayed >= flushed:
            return
        time.sleep(0.2)
    raise SystemExit(f"The replica did not catch up in {seconds:.0f} s:\n{replica.log_tail()}")


def start_server(port: int, env: dict[str, str], workers: int, base: Path) -> subprocess.Popen:
    command = [
        str(BIN / "gunicorn"),
        "tracker.wsgi:application",
        f"--workers={workers}",
        f"--bind={LOOPBACK}:{port}",
        "--log-level=warning",
        "--timeout=60",
        "--graceful-timeout=5",
        f"--control-socket={base / f'gunicorn-{port}.ctl'}",
    ]
    return healthy(subprocess.Popen(command, cwd=ROOT, env=env), port)


def process_ticks(pid: int) -> int:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    except OSError:
        return 0
    return int(fields[11]) + int(fields[12])  # utime, stime


def tree(pid: int) -> list[int]:
    return [pid, *children(pid)]


def busy_ticks() -> int:
    """The whole machine's CPU time but idle and iowait, from /proc/stat."""
    values = [int(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    return sum(values) - values[3] - values[4]


@dataclass
class Setup:
    name: str
    server: subprocess.Popen
    port: int
    runs: list[dict] = field(default_factory=list)


def measure(setup: Setup, groups: dict[str, int], urls: Path, args: argparse.Namespace) -> None:
    """One wrk run against `setup`, with the CPU time each group of processes (by its root
    pid) spent during it."""
    roots = {"gunicorn": setup.server.pid, **groups}
    before = {name: {pid: process_ticks(pid) for pid in tree(root)} for name, root in roots.items()}
    wrk_before = resource.getrusage(resource.RUSAGE_CHILDREN)
    busy_before, started = busy_ticks(), time.monotonic()
    peak = run_wrk(setup.port, urls, args.duration, args.connections)
    seconds, busy = time.monotonic() - started, busy_ticks() - busy_before
    wrk_after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = {
        name: sum(process_ticks(pid) - before[name].get(pid, 0) for pid in tree(root)) / TICK
        for name, root in roots.items()
    }
    cpu["wrk"] = (wrk_after.ru_utime + wrk_after.ru_stime) - (
        wrk_before.ru_utime + wrk_before.ru_stime
    )
    cpu["other"] = max(0.0, busy / TICK - sum(cpu.values()))
    if peak["bad_status"] or peak["errors"] or peak["timeouts"]:
        raise SystemExit(f"{setup.name}: {peak}")
    setup.runs.append(
        {
            "rps": peak["requests"] / (peak["duration_us"] / 1e6),
            "p50": peak["p50_ms"],
            "p99": peak["p99_ms"],
            "requests": peak["requests"],
            "cores": {name: value / seconds for name, value in cpu.items()},
            "cpu_ms": {name: value * 1000 / peak["requests"] for name, value in cpu.items()},
        }
    )


def mean(values: list[float]) -> float:
    return sum(values) / len(values)


def report(setups: list[Setup], args: argparse.Namespace, header: str) -> None:
    names = ["gunicorn", "primary", "replica", "wrk", "other"]
    print(header)
    print()
    print(
        f"{'setup':<18} {'req/s':>6} {'p50 ms':>7} {'p99 ms':>7} | cores busy: "
        + " ".join(f"{name:>8}" for name in names)
        + " | CPU ms/request: "
        + " ".join(f"{name:>8}" for name in names)
    )
    print("-" * 150)
    for setup in setups:
        runs = setup.runs
        cores = {name: mean([run["cores"][name] for run in runs]) for name in names}
        per = {name: mean([run["cpu_ms"][name] for run in runs]) for name in names}
        print(
            f"{setup.name:<18} {mean([r['rps'] for r in runs]):>6.0f} "
            f"{mean([r['p50'] for r in runs]):>7.1f} {mean([r['p99'] for r in runs]):>7.1f} | "
            f"{'':>11} "
            + " ".join(f"{cores[name]:>8.2f}" for name in names)
            + f" | {'':>15} "
            + " ".join(f"{per[name]:>8.2f}" for name in names)
        )
        print(f"{'':<18} runs: " + ", ".join(f"{r['rps']:.0f}" for r in runs) + " req/s")
    first, second = (mean([r["rps"] for r in setup.runs]) for setup in setups)
    print(f"\nprimary + replica / primary alone: {second / first:.2f}")


def main() -> None:
    args = parse_args()
    if (reason := _outage.why_no_cluster()) is not None:
        raise SystemExit(f"No throwaway cluster here: {reason}")
    bindir = _outage.postgres_bindir()
    assert bindir is not None
    base = Path(tempfile.mkdtemp(prefix="bench-replica-"))
    primary, replica = Cluster(bindir), Cluster(bindir)
    servers: list[subprocess.Popen] = []
    started = time.monotonic()
    try:
        primary.init()
        primary.start()
        primary.create_database("tracker")
        setups, urls = prepare(args, primary, replica, base, servers)
        load_before = os.getloadavg()[0]
        run(args, setups, urls, primary, replica)
        header = (
            f"{dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC | {machine()} | PostgreSQL "
            f"{sql(primary, 'SHOW server_version')[0][0]} primary + streaming replica on this "
            f"machine | {args.size:,} attendances (seed {args.seed}) | {args.scenario}, response "
            f"cache off | gunicorn {args.workers} sync workers | wrk -t1 -c{args.connections} "
            f"{args.duration}s, {args.rounds} runs per setup | load average {load_before:.1f} "
            f"before, {os.getloadavg()[0]:.1f} after"
        )
        report(setups, args, header)
    finally:
        for server in servers:
            stop_gunicorn(server)
        replica.close()
        primary.close()
        shutil.rmtree(base, ignore_errors=True)
    print(f"({time.monotonic() - started:.0f}s in all)")


def prepare(
    args: argparse.Namespace,
    primary: Any,
    replica: Any,
    base: Path,
    servers: list[subprocess.Popen],
) -> tuple[list[Setup], Path]:
    """The data on the primary, its replica caught up, the URLs, both servers started."""
    from bench.run import configure, prepare_data

    configure(primary.url)
    os.environ["RESPONSE_CACHE_SECONDS"] = "0"
    import django

    django.setup()
    from django.db import connections

    from bench.scenarios import build_scenarios

    print(f"Generating {args.size:,} attendances on a throwaway primary...", flush=True)
    prepare_data(args)
    [scenario] = [s for s in build_scenarios(args.seed) if s.name == args.scenario]
    connections.close_all()
    print("Cloning it into a streaming replica (pg_basebackup)...", flush=True)
    clone(replica, primary)
    replica.start()
    wait_until_caught_up(primary, replica)
    urls = write_url_file(scenario, "")
    setups = []
    for name, extra in (
        ("primary alone", {}),
        ("primary + replica", {"DATABASE_REPLICA_URLS": replica.url}),
    ):
        port = free_port()
        server = start_server(port, {**os.environ, **extra}, args.workers, base)
        servers.append(server)
        setups.append(Setup(name, server, port))
    return setups, urls


def run(
    args: argparse.Namespace, setups: list[Setup], urls: Path, primary: Any, replica: Any
) -> None:
    groups = {"primary": primary.postmaster_pid(), "replica": replica.postmaster_pid()}
    for setup in setups:
        print(f"Warming up {setup.name}...", flush=True)
        run_wrk(setup.port, urls, args.warmup, args.connections)
    order = [setups[0], setups[1]]
    for number in range(args.rounds):
        for setup in order if number % 2 == 0 else order[::-1]:
            print(f"Measuring {setup.name} (run {len(setup.runs) + 1})...", flush=True)
            measure(setup, groups, urls, args)


if __name__ == "__main__":
    main()
