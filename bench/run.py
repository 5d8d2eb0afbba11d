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
import platform
import random
import socket
import subprocess
import sys
import time
import urllib.request
from base64 import b64encode
from collections import deque
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
DATA = BENCH / ".data"
BIN = Path(sys.executable).parent
PAGE = 100  # rows per list page in every list scenario
URLS = 1000  # distinct URLs per scenario, where the data has that many


@dataclass
class Scenario:
    name: str
    description: str
    urls: list[str]
    etags: list[str] = field(default_factory=list)  # If-None-Match per URL (304 scenario)
    baseline_etags: list[str] = field(default_factory=list)  # the same, for the baseline's URLs
    expect: int = 200
    failed: str = ""  # why the scenario fails the run, if it does


@dataclass
class Side:
    """One side's figures: the API ("product") or the baseline."""

    queries: list[int] = field(default_factory=list)
    bytes: list[int] = field(default_factory=list)
    cpu_ms: list[float] = field(default_factory=list)  # this process's CPU time, in-process
    peak_rps: float = 0.0
    wrk_p50_ms: float = 0.0
    wrk_p99_ms: float = 0.0
    rate: float = 0.0
    p50_ms: float = 0.0
    p99_ms: float = 0.0
    errors: int = 0


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
    with connection.cursor() as cursor:
        cursor.execute("SET statement_timeout = 0")
        for model in apps.get_app_config("summits").get_models():
            cursor.execute(f"VACUUM (ANALYZE) {connection.ops.quote_name(model._meta.db_table)}")
        cursor.execute("RESET statement_timeout")


def _cursor(position: str) -> str:
    return b64encode(urlencode({"p": position}).encode("ascii")).decode("ascii")


def _spread(items: list, count: int) -> list:
    """`count` items evenly spread over `items` (all of them when there are fewer)."""
    if len(items) <= count:
        return list(items)
    return [items[i * len(items) // count] for i in range(count)]


def build_scenarios(seed: int) -> list[Scenario]:
    from summits.models import Attendance, Summit

    rng = random.Random(seed)
    rows = list(
        Attendance.objects.order_by("id").values_list(
            "id",
            "country__code",
            "status",
            "role",
            "summit__start_date__year",
            "summit__organization__slug",
            "leader__slug",
        )
    )
    ids = [row[0] for row in rows]
    scenarios = []

    positions = _spread(ids, URLS)
    urls = [f"/api/attendances/?page_size={PAGE}"] + [
        f"/api/attendances/?{urlencode({'cursor': _cursor(str(pk)), 'page_size': PAGE})}"
        for pk in positions[1:]
    ]
    scenarios.append(Scenario("attendance_list", "attendances, pages of 100 with names", urls))

    combos = sorted({(row[1], row[2], row[4]) for row in rows if row[2]})
    rng.shuffle(combos)
    urls = [
        f"/api/attendances/?{urlencode({'country': c, 'status': s, 'year': y, 'page_size': PAGE})}"
        for c, s, y in combos[:URLS]
    ]
    scenarios.append(Scenario("attendance_filtered", "country + status + year", urls))

    summits = list(Summit.objects.values_list("start_date", "name", "slug"))
    urls = []
    per_ordering = URLS // 6 + 1
    for index, name in enumerate(["start_date", "name", "slug"]):
        values = sorted({str(summit[index]) for summit in summits})
        for descending in (False, True):
            ordering = f"-{name}" if descending else name
            chosen = _spread(values[::-1] if descending else values, per_ordering)
            urls.append(f"/api/summits/?{urlencode({'ordering': ordering, 'page_size': PAGE})}")
            urls.extend(
                "/api/summits/?"
                + urlencode({"cursor": _cursor(value), "ordering": ordering, "page_size": PAGE})
                for value in chosen[1:]
            )
    scenarios.append(Scenario("summit_list", "summits, 6 orderings, pages of 100", urls))

    slugs = sorted(summit[2] for summit in summits)
    rng.shuffle(slugs)
    urls = [f"/api/summits/{slug}/" for slug in slugs[:URLS]]
    scenarios.append(Scenario("summit_detail", "a summit with its attendees", urls))

    records = sorted({(row[6], row[5]) for row in rows if row[6] and row[5]})
    leaders = sorted({leader for leader, _ in records})
    rng.shuffle(records)
    urls = [f"/api/leaders/{leader}/record/" for leader in leaders[: URLS // 2]]
    urls += [
        f"/api/leaders/{leader}/record/?organization={organization}"
        for leader, organization in records[: URLS - len(urls)]
    ]
    rng.shuffle(urls)
    scenarios.append(Scenario("leader_record", "a leader's attendance record", urls))

    first, deepest = first_and_deepest_pages(rows)
    scenarios.append(Scenario("first_page", "first page of a filtered list", first))
    scenarios.append(Scenario("deepest_page", "last full page of the same lists", deepest))

    sample = sorted(rng.sample(ids, min(URLS, len(ids))))
    rng.shuffle(sample)
    urls = [f"/api/attendances/{pk}/" for pk in sample]
    scenarios.append(Scenario("detail_200", "an attendance with its timeline", urls))
    scenarios.append(
        Scenario("detail_304", "the same, If-None-Match its ETag", list(urls), expect=304)
    )
    return scenarios


def first_and_deepest_pages(rows: list[tuple]) -> tuple[list[str], list[str]]:
    """The first and the last full page of the attendance lists with the most rows."""
    # Filters to combine: (query parameter, index in the row).
    keys = {"country": 1, "status": 2, "role": 3, "year": 4, "organization": 5}
    combinations = [
        (),
        ("status",),
        ("role",),
        ("organization",),
        ("year",),
        ("country",),
        ("status", "organization"),
        ("organization", "year"),
        ("country", "status"),
        ("status", "year"),
        ("country", "year"),
    ]
    counts: dict[tuple, int] = {}
    tails: dict[tuple, deque] = {}
    for row in rows:  # in id order, so each tail ends with the list's last ids
        for combination in combinations:
            values = tuple(row[keys[name]] for name in combination)
            if None in values:
                continue
            key = (combination, values)
            counts[key] = counts.get(key, 0) + 1
            tails.setdefault(key, deque(maxlen=PAGE + 1)).append(row[0])
    deep = [key for key, count in counts.items() if count >= 2 * PAGE]
    deep.sort(key=lambda key: (-counts[key], key[0], str(key[1])))
    first, deepest = [], []
    for combination, values in deep[:URLS]:
        query = dict(zip(combination, values, strict=True))
        query["page_size"] = PAGE
        first.append(f"/api/attendances/?{urlencode(query)}")
        position = tails[(combination, values)][0]  # the row just before the last PAGE rows
        deepest.append(
            f"/api/attendances/?{urlencode({**query, 'cursor': _cursor(str(position))})}"
        )
    return first, deepest


def count_queries(client, url: str, headers: dict) -> tuple[Any, int, float]:
    """The response, its number of SQL statements, and the Python CPU time it took (ms)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        started = time.process_time()
        response = client.get(url, headers=headers)
        cpu_ms = (time.process_time() - started) * 1000
    control = ("BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE SAVEPOINT")
    queries = sum(1 for query in captured if not query["sql"].upper().startswith(control))
    return response, queries, cpu_ms


def verify(scenarios: list[Scenario], port: int, sample: int) -> tuple[dict, list[str]]:
    """Check the baseline against the API (status, JSON, bytes) and count queries per request."""
    from django.test import Client

    client = Client(HTTP_HOST=f"127.0.0.1:{port}", raise_request_exception=False)
    sides: dict[str, dict[str, Side]] = {}
    notes: list[str] = []
    for scenario in scenarios:
        product, baseline = Side(), Side()
        sides[scenario.name] = {"product": product, "baseline": baseline}
        if scenario.expect == 304:  # every URL needs its ETag, from the 200 answer
            scenario.etags = [client.get(url).get("ETag", "") for url in scenario.urls]
            scenario.baseline_etags = [
                client.get(f"/baseline{url}").get("ETag", "") for url in scenario.urls
            ]
        checked = set(_spread(list(range(len(scenario.urls))), sample))
        try:
            check_scenario(client, scenario, sorted(checked), product, baseline, notes)
        except CheckFailed as error:
            scenario.failed = str(error)
            print(f"  FAILED: {error}", flush=True)
    return sides, notes


class CheckFailed(Exception):
    pass


def check_scenario(client, scenario, indexes, product: Side, baseline: Side, notes) -> None:
    for index in indexes:
        url = scenario.urls[index]
        headers = {"If-None-Match": scenario.etags[index]} if scenario.etags else {}
        ours, our_queries, our_cpu = count_queries(client, url, headers)
        headers = (
            {"If-None-Match": scenario.baseline_etags[index]} if scenario.baseline_etags else {}
        )
        theirs, their_queries, their_cpu = count_queries(client, f"/baseline{url}", headers)
        if ours.status_code != scenario.expect or theirs.status_code != scenario.expect:
            raise CheckFailed(
                f"{scenario.name}: {url} answered {ours.status_code} (API) and "
                f"{theirs.status_code} (baseline), not {scenario.expect}"
            )
        if scenario.expect == 200:
            if json.loads(ours.content) != json.loads(theirs.content):
                raise CheckFailed(
                    f"{scenario.name}: the baseline's JSON differs from the API's for {url}:"
                    f"\n  API:      {ours.content[:400]!r}\n  baseline: {theirs.content[:400]!r}"
                )
            if ours.content != theirs.content:
                notes.append(
                    f"{scenario.name}: same JSON, different bytes for {url} (key order, "
                    "whitespace or number format)"
                )
        product.queries.append(our_queries)
        baseline.queries.append(their_queries)
        product.bytes.append(len(ours.content))
        baseline.bytes.append(len(theirs.content))
        product.cpu_ms.append(our_cpu)
        baseline.cpu_ms.append(their_cpu)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start_gunicorn(port: int, args: argparse.Namespace) -> subprocess.Popen:
    command = [
        str(BIN / "gunicorn"),
        "tracker.wsgi:application",
        f"--workers={args.workers}",
        f"--worker-class={args.worker_class}",
        f"--bind=127.0.0.1:{port}",
        "--log-level=warning",
        "--timeout=60",
        "--graceful-timeout=5",
    ]
    if args.worker_class != "sync":
        # One listening socket per worker, the kernel spreading connections over them: on a
        # shared socket one keep-alive worker could accept all of the load tool's connections and
        # leave the other idle (identical 304 paths measured 560 and 1,260 req/s).
        command += [f"--threads={args.threads}", "--reuse-port"]
    server = subprocess.Popen(command, cwd=ROOT, env=os.environ.copy())
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as answer:
                if answer.status == 200:
                    return server
        except OSError:
            time.sleep(0.2)
    server.terminate()
    raise SystemExit("gunicorn did not answer /healthz within 30 seconds.")


def write_url_file(scenario: Scenario, prefix: str) -> Path:
    path = DATA / f"urls-{scenario.name}{prefix.replace('/', '-')}.txt"
    etags = scenario.baseline_etags if prefix else scenario.etags
    lines = [
        f"{prefix}{url}\t{etags[i]}" if etags else f"{prefix}{url}"
        for i, url in enumerate(scenario.urls)
    ]
    path.write_text("\n".join(lines) + "\n")
    return path


def run_wrk(port: int, urls: Path, seconds: int, connections: int) -> dict:
    command = [
        "wrk",
        "-t1",
        f"-c{connections}",
        f"-d{seconds}s",
        "--timeout=10s",
        f"-s{BENCH / 'rotate.lua'}",
        f"http://127.0.0.1:{port}",
        "--",
        str(urls),
    ]
    done = subprocess.run(command, capture_output=True, text=True, timeout=seconds + 60, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def run_fixed_rate(port: int, urls: Path, rate: int, seconds: int, connections: int) -> dict:
    command = [
        "node",
        str(BENCH / "fixed_rate.js"),
        f"http://127.0.0.1:{port}",
        str(urls),
        str(rate),
        str(seconds),
        str(connections),
    ]
    done = subprocess.run(command, capture_output=True, text=True, timeout=seconds + 60, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def warm_up(scenario: Scenario, port: int, args) -> None:
    """Unmeasured load on both sides before either is measured: they read the same rows, so
    the side measured first would otherwise pay for the caches the other one finds warm."""
    if args.warmup:
        for prefix in ("", "/baseline"):
            run_wrk(port, write_url_file(scenario, prefix), args.warmup, args.connections)


def measure_both(scenario: Scenario, sides: dict[str, Side], port: int, args) -> None:
    """`args.repeats` rounds, the API first in one round and the baseline first in the next;
    each side's figures are the mean over its rounds."""
    rounds: dict[str, list[Side]] = {"product": [], "baseline": []}
    for round_number in range(args.repeats):
        order = [("product", ""), ("baseline", "/baseline")]
        for name, prefix in order if round_number % 2 == 0 else order[::-1]:
            side = Side()
            measure(scenario, side, port, prefix, args)
            rounds[name].append(side)
    for name, measured in rounds.items():
        side = sides[name]
        for figure in ("peak_rps", "wrk_p50_ms", "wrk_p99_ms", "rate", "p50_ms", "p99_ms"):
            setattr(side, figure, sum(getattr(m, figure) for m in measured) / len(measured))
        side.errors = sum(m.errors for m in measured)


def measure(scenario: Scenario, side: Side, port: int, prefix: str, args) -> None:
    urls = write_url_file(scenario, prefix)
    peak = run_wrk(port, urls, args.duration, args.connections)
    if peak["bad_status"]:
        scenario.failed = (
            f"{prefix or 'API'}: {peak['bad_status']} answers with status "
            f"{peak['last_bad_status']}, not 200 or 304"
        )
    side.peak_rps = peak["requests"] / (peak["duration_us"] / 1e6)
    side.wrk_p50_ms, side.wrk_p99_ms = peak["p50_ms"], peak["p99_ms"]
    side.rate = max(1, round(side.peak_rps / 2))
    fixed = run_fixed_rate(port, urls, int(side.rate), args.latency_duration, args.connections)
    unexpected = {s: n for s, n in fixed["statuses"].items() if s not in ("200", "304")}
    if unexpected:
        scenario.failed = f"{prefix or 'API'}: statuses {unexpected} at the fixed rate"
    side.p50_ms, side.p99_ms = fixed["p50_ms"], fixed["p99_ms"]
    side.errors = peak["errors"] + peak["timeouts"] + fixed["errors"] + fixed["timeouts"]


def _range(values: list[int]) -> str:
    if not values:
        return "-"
    low, high = min(values), max(values)
    return str(low) if low == high else f"{low}-{high}"


def _median(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[len(ordered) // 2] if ordered else 0.0


def machine() -> str:
    memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    cpu = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return f"{os.cpu_count()} cores ({cpu}), {memory:.0f} GiB, {platform.platform(terse=True)}"


def database_version() -> str:
    from django.db import connection

    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SHOW server_version")
            return f"PostgreSQL {cursor.fetchone()[0].split()[0]}"
        cursor.execute("SELECT sqlite_version()")
        return f"SQLite {cursor.fetchone()[0]}"


def print_table(scenarios, sides, args, header: str) -> list[str]:
    lines = [header, ""]
    columns = (
        f"{'scenario':<20}{'urls':>5} | {'req/s API':>9} {'base':>7} {'ratio':>5} | "
        f"{'p50 ms':>7} {'base':>6} | {'p99 ms':>7} {'base':>6} {'p99/p50':>7} | "
        f"{'queries':>7} {'base':>5} | {'bytes':>7} {'base':>7} | {'cpu ms':>6} {'base':>5}"
    )
    lines += [columns, "-" * len(columns)]
    for scenario in scenarios:
        ours, theirs = sides[scenario.name]["product"], sides[scenario.name]["baseline"]
        ratio = ours.peak_rps / theirs.peak_rps if theirs.peak_rps else 0
        spread = ours.p99_ms / ours.p50_ms if ours.p50_ms else 0
        our_bytes = sum(ours.bytes) // max(1, len(ours.bytes))
        their_bytes = sum(theirs.bytes) // max(1, len(theirs.bytes))
        lines.append(
            f"{scenario.name:<20}{len(scenario.urls):>5} | {ours.peak_rps:>9.0f} "
            f"{theirs.peak_rps:>7.0f} {ratio:>5.2f} | {ours.p50_ms:>7.1f} {theirs.p50_ms:>6.1f} | "
            f"{ours.p99_ms:>7.1f} {theirs.p99_ms:>6.1f} {spread:>7.1f} | "
            f"{_range(ours.queries):>7} {_range(theirs.queries):>5} | "
            f"{our_bytes:>7} {their_bytes:>7} | {_median(ours.cpu_ms):>6.1f} "
            f"{_median(theirs.cpu_ms):>5.1f}"
        )
    for scenario in scenarios:
        if scenario.failed:
            lines.append(f"FAILED {scenario.name}: {scenario.failed}")
    lines.append("")

    def rps(name: str, side: str) -> float:
        return sides[name][side].peak_rps if name in sides else 0.0

    for label, top, bottom, goal in (
        ("deepest / first page", "deepest_page", "first_page", 0.9),
        ("304 / 200", "detail_304", "detail_200", 2.0),
    ):
        if rps(top, "product") and rps(bottom, "product"):
            ours = rps(top, "product") / rps(bottom, "product")
            theirs = rps(top, "baseline") / rps(bottom, "baseline")
            verdict = "meets" if ours >= goal else "misses"
            lines.append(
                f"{label:<22} API {ours:5.2f}  baseline {theirs:5.2f}  "
                f"(goal >= {goal}: API {verdict})"
            )
    errors = sum(side.errors for pair in sides.values() for side in pair.values())
    lines.append(f"socket errors and timeouts in all runs: {errors}")
    lines.append(
        "cpu ms: median Python CPU time per request in-process (the check pass; on PostgreSQL "
        "the server's own CPU is not in it)"
    )
    for line in lines:
        print(line)
    return lines


def main() -> None:
    args = parse_args()
    started = time.monotonic()
    configure(
        database_url(
            args, f"tracker_bench_{args.size}" if args.db == "postgres" else f"bench-{args.size}"
        )
    )
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
        for scenario in scenarios:
            if scenario.failed:
                continue
            print(f"Loading {scenario.name} ({len(scenario.urls)} URLs)...", flush=True)
            warm_up(scenario, port, args)
            measure_both(scenario, sides[scenario.name], port, args)
            if scenario.failed:
                print(f"  FAILED: {scenario.failed}", flush=True)
    finally:
        server.terminate()
        try:
            server.wait(timeout=15)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()

    stamp = dt.datetime.now(dt.UTC)
    header = (
        f"{stamp:%Y-%m-%d %H:%M} UTC | {machine()} | {version} | {args.size:,} attendances "
        f"(seed {args.seed}) | gunicorn {args.workers} {args.worker_class} workers"
        f"{'' if args.worker_class == 'sync' else f' x {args.threads} thread'} | wrk -t1 "
        f"-c{args.connections} {args.duration}s peak; fixed_rate.js -c{args.connections} at "
        f"half that rate {args.latency_duration}s; mean of {args.repeats} rounds, alternating which side goes "
        f"first | load average {load_before:.1f} before, "
        f"{os.getloadavg()[0]:.1f} after"
    )
    lines = print_table(scenarios, sides, args, header)

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
