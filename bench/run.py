"""`make bench`: the API beside its plain-Django baseline, on one database at one size.

    python bench/run.py --db sqlite|postgres --size 10000 [--duration 5] [--connections 8]

Steps: create and migrate the benchmark's own database (PostgreSQL: tracker_bench_<size>;
SQLite: bench/.data/bench-<size>.sqlite3), generate the data if it is not there yet, build the
URL lists (1,000 distinct URLs per scenario where the data has them), check in-process that the
baseline answers every sampled URL with the API's exact bytes and count both sides' queries, then
start gunicorn (2 workers, loopback) and, per scenario and side, measure the peak rate with wrk
and the latency at half that rate, open loop, with bench/fixed_rate.js. Any status other than 200 or 304 fails the
run. Prints one table; the raw figures go to bench/.data/results-<db>-<size>-<time>.json.
"""

import argparse
import datetime as dt
import json
import os
import subprocess
import sys
import time
from dataclasses import asdict

from bench.check import verify
from bench.load import (
    DATA,
    ROOT,
    fill_response_cache,
    free_port,
    measure_both,
    start_gunicorn,
    stop_gunicorn,
    warm_up,
)
from bench.report import database_version, machine, print_table
from bench.scenarios import build_scenarios


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--size", type=int, default=10_000, help="Attendances (default 10000).")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--duration", type=int, default=5, help="Seconds per peak-rate run.")
    parser.add_argument(
        "--latency-duration",
        type=int,
        default=15,
        help="Seconds per fixed-rate run: p99 of 5 s at 40 requests/s is the 2nd-slowest of 200.",
    )
    parser.add_argument(
        "--latency-rate",
        type=int,
        default=0,
        help="Requests/s of every fixed-rate run, both sides alike (default: half of each side's "
        "own peak). Where the load tools share the server's cores, half a fast side's peak can "
        "saturate them: a rate both sides keep up with compares their latencies like for like.",
    )
    parser.add_argument(
        "--floor",
        action="store_true",
        help="After each fixed-rate run, the same run against bench/instant.js (answers at once, "
        "no app): the latency the load tool and the machine add on their own.",
    )
    parser.add_argument(
        "--repeats",
        type=int,
        default=2,
        help="Rounds per scenario, alternating which side goes first; figures are means.",
    )
    parser.add_argument(
        "--warmup", type=int, default=3, help="Seconds of unmeasured load per side first."
    )
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--workers", type=int, default=2)
    # gunicorn's default, as the README serves the app: the workers share one listening socket and
    # an idle worker takes the next connection. Keep-alive workers (gthread) pin each of the load
    # tool's connections to one worker, which queues requests behind a busy worker while the
    # other is idle (see bench/README.md).
    parser.add_argument("--worker-class", default="sync", help="gunicorn's --worker-class.")
    parser.add_argument("--threads", type=int, default=1, help="gunicorn's --threads (gthread).")
    parser.add_argument("--verify", type=int, default=40, help="URLs checked per scenario.")
    parser.add_argument("--scenarios", default="", help="Comma-separated names (default: all).")
    parser.add_argument(
        "--import-size",
        type=int,
        default=10_000,
        help="Attendances for the bulk import vs loaddata comparison; 0 skips it.",
    )
    parser.add_argument(
        "--import-func",
        default="summits.services:attendances_import",
        help="The bulk import function to compare with loaddata (module:function).",
    )
    parser.add_argument("--database-url", default="", help="Use this database instead.")
    parser.add_argument(
        "--response-cache",
        action="store_true",
        help="Serve the API with the shared response cache on, in Redis (--cache-url), each URL "
        "cached before it is measured; the baseline is never cached. Off by default: the API's "
        "reads are measured cold.",
    )
    parser.add_argument(
        "--cache-url",
        default="redis://127.0.0.1:6379/0",
        help="The Redis of --response-cache; the run's keys carry a prefix of their own, "
        "deleted at the end.",
    )
    return parser.parse_args()


def database_url(args: argparse.Namespace, name: str) -> str:
    if args.database_url:
        return args.database_url
    if args.db == "postgres":
        import psycopg

        with psycopg.connect("postgresql://root@127.0.0.1:5432/postgres", autocommit=True) as pg:
            exists = pg.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
            if not exists:
                pg.execute(f'CREATE DATABASE "{name}"')
        return f"postgres://root@127.0.0.1:5432/{name}"
    DATA.mkdir(exist_ok=True)
    return f"sqlite:///{DATA / name}.sqlite3"


def configure(url: str) -> None:
    """The environment of production (DEBUG off), on loopback, before Django reads it."""
    os.environ.update(
        DJANGO_SETTINGS_MODULE="bench.settings",
        DEBUG="0",
        SECRET_KEY="bench-only-not-a-secret",
        ALLOWED_HOSTS="127.0.0.1,localhost",
        SECURE_SSL_REDIRECT="0",
        LOG_LEVEL="ERROR",
        DATABASE_URL=url,
    )
    sys.path.insert(0, str(ROOT))


def configure_response_cache(args: argparse.Namespace) -> str | None:
    """The response cache's settings, before Django reads them: off (the API measured cold),
    or on in Redis under a key prefix of this run's own, which the run deletes at the end
    (`forget_response_cache`). Returns the prefix when on."""
    if not args.response_cache:
        os.environ["RESPONSE_CACHE_SECONDS"] = "0"
        return None
    prefix = f"bench-{os.getpid()}-{time.time_ns()}"
    os.environ.update(
        RESPONSE_CACHE_SECONDS="3600",
        # The responses' cache alias, and the default one (the throttles', off here) alike.
        RESPONSE_CACHE_URL=args.cache_url,
        CACHE_URL=args.cache_url,
        CACHE_KEY_PREFIX=prefix,
    )
    return prefix


def forget_response_cache(args: argparse.Namespace, prefix: str | None) -> None:
    """Deletes this run's keys from Redis, and nothing else."""
    if prefix is None:
        return
    import redis

    client = redis.Redis.from_url(args.cache_url)
    batch: list[bytes] = []
    for key in client.scan_iter(match=f"{prefix}:*", count=1000):
        batch.append(key)
        if len(batch) == 1000:
            client.delete(*batch)
            batch = []
    if batch:
        client.delete(*batch)


def prepare_data(args: argparse.Namespace) -> dict:
    """Migrate, and generate the data set unless this seed's rows are there at this size."""
    from django.core.management import call_command

    from devdata.generator import synthetic_generate
    from devdata.vocabulary import generated_prefix
    from summits.models import Attendance

    call_command("migrate", verbosity=0)
    prefix = generated_prefix(args.seed)
    present = Attendance.objects.filter(summit__slug__startswith=prefix).count()
    if present == args.size:
        vacuum()
        return {"generated": False}
    print(f"Generating {args.size:,} attendances (seed {args.seed})...", flush=True)
    report = synthetic_generate(seed=args.seed, attendances=args.size)
    print(f"  done in {report.timings['total']:.1f}s {report.timings}", flush=True)
    vacuum()
    return {"generated": True, "counts": report.counts, "timings": report.timings}


def vacuum() -> None:
    """On PostgreSQL, VACUUM (ANALYZE) the tables, as autovacuum would a while after the inserts:
    index-only scans then skip the heap, whichever side is measured first."""
    from django.apps import apps
    from django.db import connection

    if connection.vendor != "postgresql":
        return
    if connection.settings_dict.get("POOLER"):
        # VACUUM runs outside a transaction, so its timeout can be lifted only for the session,
        # which a pooler would leave lifted on a server connection that others then share.
        raise SystemExit("Prepare the benchmark's data on PostgreSQL directly, not via a pooler.")
    with connection.cursor() as cursor:
        cursor.execute("SET statement_timeout = 0")
        for model in apps.get_app_config("summits").get_models():
            cursor.execute(f"VACUUM (ANALYZE) {connection.ops.quote_name(model._meta.db_table)}")
        cursor.execute("RESET statement_timeout")


def load(scenarios: list, sides: dict, port: int, args: argparse.Namespace) -> None:
    """Each scenario's warm-up (and, with the response cache on, every URL cached), then its
    measured rounds."""
    for scenario in scenarios:
        if scenario.failed:
            continue
        print(f"Loading {scenario.name} ({len(scenario.urls)} URLs)...", flush=True)
        warm_up(scenario, port, args)
        if args.response_cache:
            fill_response_cache(scenario, port)
        if not scenario.failed:
            measure_both(scenario, sides[scenario.name], port, args)
        if scenario.failed:
            print(f"  FAILED: {scenario.failed}", flush=True)


def main() -> None:
    args = parse_args()
    started = time.monotonic()
    configure(
        database_url(
            args, f"tracker_bench_{args.size}" if args.db == "postgres" else f"bench-{args.size}"
        )
    )
    cache_prefix = configure_response_cache(args)
    import django

    django.setup()
    DATA.mkdir(exist_ok=True)
    generation = prepare_data(args)
    scenarios = build_scenarios(args.seed)
    if args.scenarios:
        wanted = set(args.scenarios.split(","))
        scenarios = [scenario for scenario in scenarios if scenario.name in wanted]
    port = free_port()
    print(f"Checking the baseline against the API ({args.verify} URLs per scenario)...", flush=True)
    sides, notes = verify(scenarios, port, args.verify)
    for note in notes:
        print(f"  note: {note}")
    from django.db import connections

    version = database_version()
    connections.close_all()

    load_before = os.getloadavg()[0]
    server = start_gunicorn(port, args)
    try:
        load(scenarios, sides, port, args)
    finally:
        stop_gunicorn(server)
        forget_response_cache(args, cache_prefix)

    stamp = dt.datetime.now(dt.UTC)
    header = (
        f"{stamp:%Y-%m-%d %H:%M} UTC | {machine()} | {version} | {args.size:,} attendances "
        f"(seed {args.seed}) | gunicorn {args.workers} {args.worker_class} workers"
        f"{'' if args.worker_class == 'sync' else f' x {args.threads} thread'} | wrk -t1 "
        f"-c{args.connections} {args.duration}s peak; fixed_rate.js -c{args.connections} at "
        f"{f'{args.latency_rate} req/s' if args.latency_rate else 'half that rate'} {args.latency_duration}s; mean of {args.repeats} rounds, alternating which side goes "
        f"first | {'API from the shared response cache (Redis), every URL cached first' if args.response_cache else 'response cache off'} | load average {load_before:.1f} before, "
        f"{os.getloadavg()[0]:.1f} after"
    )
    lines = print_table(scenarios, sides, args, header)
    if args.floor:
        for scenario in scenarios:
            for name, side in sides[scenario.name].items():
                spread = side.floor_p99_ms / side.floor_p50_ms if side.floor_p50_ms else 0
                lines.append(
                    f"floor {scenario.name} {'API' if name == 'product' else 'base'} at "
                    f"{side.rate:.0f} req/s: p50 {side.floor_p50_ms:.1f} ms, p99 "
                    f"{side.floor_p99_ms:.1f} ms, p99/p50 {spread:.1f} (bench/instant.js, no app)"
                )
                print(lines[-1])
    if args.response_cache:
        lines.append(
            "queries, cpu ms: the API's are a cache miss's (the check pass runs before the "
            "URLs are cached)"
        )
        print(lines[-1])

    bulk = None
    if args.import_size:
        print(f"\nBulk import of {args.import_size:,} attendances vs loaddata...", flush=True)
        command = [
            sys.executable,
            "-m",
            "bench.bulk_import",
            f"--db={args.db}",
            f"--size={args.import_size}",
            f"--import-func={args.import_func}",
        ]
        done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=False)
        print(done.stdout, end="")
        if done.returncode:
            print(done.stderr[-3000:], end="")
            raise SystemExit("The bulk import benchmark failed.")
        bulk = done.stdout

    result = DATA / f"results-{args.db}-{args.size}-{stamp:%Y%m%dT%H%M%S}.json"
    result.write_text(
        json.dumps(
            {
                "args": vars(args),
                "table": lines,
                "notes": notes,
                "generation": generation,
                "bulk_import": bulk,
                "scenarios": {
                    scenario.name: {
                        "description": scenario.description,
                        "urls": len(scenario.urls),
                        **{name: asdict(side) for name, side in sides[scenario.name].items()},
                    }
                    for scenario in scenarios
                },
                "seconds": time.monotonic() - started,
            },
            indent=1,
            default=str,
        )
    )
    print(f"\nRaw figures: {result.relative_to(ROOT)} ({time.monotonic() - started:.0f}s in all)")
    if any(scenario.failed for scenario in scenarios):
        raise SystemExit("The run failed: a scenario answered other than 200 or 304 (see above).")


if __name__ == "__main__":
    main()
