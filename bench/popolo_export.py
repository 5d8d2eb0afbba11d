"""The Popolo export streams in constant memory: the peak resident memory of the process, sampled
as the events go by, from the first to the last.

    python -m bench.popolo_export --db postgres --size 1000000 [--query organization=gen-1-org-0]

On the benchmark's database of that size (`tracker_bench_N` or `bench/.data/bench-N.sqlite3`,
created, migrated and generated as `make bench` does when it is not there yet, in a process of
its own so that generating does not count), in one process, DEBUG off: GET `/api/popolo/`
through Django's test client, reading the streamed body chunk by chunk and counting its events
as they pass.
"""

import argparse
import subprocess
import sys
import time

from bench.csv_export import peak_mib
from bench.load import ROOT
from bench.run import configure, database_url, prepare_data

SAMPLE_EVERY = 2_500  # events: 100,000 attendances at 40 a summit
EVENT = b'{"id":"summit/'


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", choices=["sqlite", "postgres"], default="postgres")
    parser.add_argument("--size", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--query", action="append", default=[], help="A filter, name=value.")
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--sample-every", type=int, default=SAMPLE_EVERY, help="Events.")
    parser.add_argument("--prepare-only", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if not args.prepare_only:
        # The data first, in a child: a generation's peak would be this process's peak.
        command = [sys.executable, "-m", "bench.popolo_export", *sys.argv[1:], "--prepare-only"]
        subprocess.run(command, cwd=ROOT, check=True)
    name = f"tracker_bench_{args.size}" if args.db == "postgres" else f"bench-{args.size}"
    configure(database_url(args, name))
    import django

    django.setup()
    if args.prepare_only:
        prepare_data(args)
        return
    from django.db import connections
    from django.http import StreamingHttpResponse
    from django.test import Client
    from django.urls import reverse

    connections.close_all()
    query = dict(parameter.split("=", 1) for parameter in args.query)
    started, before = time.perf_counter(), peak_mib()
    response = Client().get(reverse("api:popolo"), query, HTTP_HOST="127.0.0.1")
    assert isinstance(response, StreamingHttpResponse), response.status_code
    print(f"Popolo export {query or 'of everything'}, {args.db}, {args.size:,} attendances")
    print(f"peak RSS before the request {before:.0f} MiB")
    print(f"{'events':>10} {'seconds':>8} {'MB sent':>8} {'peak RSS MiB':>13}")
    events, next_sample, size, tail = 0, args.sample_every, 0, b""
    first_byte = None
    for chunk in response.streaming_content:
        if first_byte is None:
            first_byte = time.perf_counter() - started
        size += len(chunk)
        # An event's opening may straddle two chunks: look at the end of the last one too.
        events += (tail + chunk).count(EVENT)
        tail = chunk[-(len(EVENT) - 1) :]
        if events >= next_sample:
            seconds = time.perf_counter() - started
            print(f"{events:>10,} {seconds:>8.1f} {size / 1e6:>8.0f} {peak_mib():>13.0f}")
            next_sample += args.sample_every
    seconds = time.perf_counter() - started
    print(
        f"{events:>10,} {seconds:>8.1f} {size / 1e6:>8.0f} {peak_mib():>13.0f}"
        f"  (all: {size:,} bytes; first byte after {first_byte or 0:.2f} s)"
    )


if __name__ == "__main__":
    main()
