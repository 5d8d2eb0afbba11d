"""The load: gunicorn started and stopped on loopback, the peak rate measured with wrk and the
latency at half that rate with bench/fixed_rate.js, both sides of a scenario in alternating
rounds."""

import argparse
import http.client
import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from bench.scenarios import Scenario, Side

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
DATA = BENCH / ".data"
BIN = Path(sys.executable).parent


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
    return healthy(subprocess.Popen(command, cwd=ROOT, env=os.environ.copy()), port)


def healthy(server: subprocess.Popen, port: int) -> subprocess.Popen:
    """`server` once it answers /healthz on `port`; stopped, and the run ended, if it does not
    within 30 seconds."""
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


def stop_gunicorn(server: subprocess.Popen) -> None:
    server.terminate()
    try:
        server.wait(timeout=15)
    except subprocess.TimeoutExpired:
        server.kill()
        server.wait()


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


def run_floor(rate: int, seconds: int, connections: int, size: int) -> dict:
    """fixed_rate.js at `rate` against bench/instant.js, which answers at once with `size`
    bytes: the latency that the load tool and the machine add without any app."""
    port = free_port()
    server = subprocess.Popen(["node", str(BENCH / "instant.js"), str(port), str(size)])
    try:
        deadline = time.monotonic() + 10
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise SystemExit("bench/instant.js did not listen within 10 seconds.") from None
                time.sleep(0.05)
        urls = DATA / "urls-floor.txt"
        urls.write_text("/\n")
        return run_fixed_rate(port, urls, rate, seconds, connections)
    finally:
        server.terminate()
        server.wait()


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
            known = sides[name].bytes
            measure(scenario, side, port, prefix, args, sum(known) // max(1, len(known)))
            rounds[name].append(side)
    for name, measured in rounds.items():
        side = sides[name]
        for figure in (
            *("peak_rps", "wrk_p50_ms", "wrk_p99_ms", "rate", "p50_ms", "p99_ms"),
            *("floor_p50_ms", "floor_p99_ms"),
        ):
            setattr(side, figure, sum(getattr(m, figure) for m in measured) / len(measured))
        side.errors = sum(m.errors for m in measured)


def measure(scenario: Scenario, side: Side, port: int, prefix: str, args, size: int) -> None:
    """One round of one side: its peak rate, then its latency at a fixed rate (and, with
    --floor, the load tool's own at that rate against a server answering `size` bytes)."""
    urls = write_url_file(scenario, prefix)
    peak = run_wrk(port, urls, args.duration, args.connections)
    if peak["bad_status"]:
        scenario.failed = (
            f"{prefix or 'API'}: {peak['bad_status']} answers with status "
            f"{peak['last_bad_status']}, not 200 or 304"
        )
    side.peak_rps = peak["requests"] / (peak["duration_us"] / 1e6)
    side.wrk_p50_ms, side.wrk_p99_ms = peak["p50_ms"], peak["p99_ms"]
    side.rate = args.latency_rate or max(1, round(side.peak_rps / 2))
    fixed = run_fixed_rate(port, urls, int(side.rate), args.latency_duration, args.connections)
    unexpected = {s: n for s, n in fixed["statuses"].items() if s not in ("200", "304")}
    if unexpected:
        scenario.failed = f"{prefix or 'API'}: statuses {unexpected} at the fixed rate"
    side.p50_ms, side.p99_ms = fixed["p50_ms"], fixed["p99_ms"]
    if args.floor:
        floor = run_floor(int(side.rate), args.latency_duration, args.connections, size)
        side.floor_p50_ms, side.floor_p99_ms = floor["p50_ms"], floor["p99_ms"]
    side.errors = peak["errors"] + peak["timeouts"] + fixed["errors"] + fixed["timeouts"]


def fill_response_cache(scenario: Scenario, port: int) -> None:
    """With the shared response cache on: asks the server for each of the scenario's API URLs
    (with no Accept header, as wrk and fixed_rate.js ask, so under the same cache key), then
    checks in the cache itself that every one is held at the current data version, so that the
    measured rounds read nothing but the cache. A URL still missing after a second request
    fails the scenario."""
    from concurrent.futures import ThreadPoolExecutor

    from django.test import RequestFactory

    from summits.api import response_cache
    from summits.api.conditional import data_version

    factory = RequestFactory(HTTP_HOST=f"127.0.0.1:{port}")

    def missing(urls: list[str]) -> list[str]:
        version = data_version()
        if version is None:
            return list(urls)
        return [
            url for url in urls if response_cache.cached_response(version, factory.get(url)) is None
        ]

    def ask(url: str) -> int:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        try:
            connection.request("GET", url)
            response = connection.getresponse()
            response.read()
            return response.status
        finally:
            connection.close()

    urls = list(scenario.urls)
    for attempt in range(2):
        with ThreadPoolExecutor(4) as pool:
            statuses = list(pool.map(ask, urls))
        if any(status != 200 for status in statuses):
            scenario.failed = f"filling the response cache: statuses {sorted(set(statuses))}"
            return
        urls = missing(urls)
        if not urls:
            break
        print(f"  {len(urls)} URLs not cached after request {attempt + 1}", flush=True)
    if urls:
        scenario.failed = f"{len(urls)} of {len(scenario.urls)} URLs not in the response cache"
    else:
        print(f"  response cache: all {len(scenario.urls)} URLs cached", flush=True)
