"""A list exported as CSV streams in constant memory: the peak resident memory of the process,
sampled as the rows go by, from the first 100,000 to the last.

    python -m bench.csv_export --db postgres --size 1000000 [--list attendance]

On the benchmark's database of that size (`make bench` generates it: `tracker_bench_N` or
`bench/.data/bench-N.sqlite3`), in one process, DEBUG off: GET `/api/<list>s/?format=csv`
through Django's test client, reading the streamed body chunk by chunk.
"""

import argparse
import resource
import time

from bench.run import configure, database_url

SAMPLE_EVERY = 100_000


def peak_mib() -> float:
    """The process's peak resident memory so far (Linux gives ru_maxrss in KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", choices=["sqlite", "postgres"], default="postgres")
    parser.add_argument("--size", type=int, default=1_000_000)
    parser.add_argument("--list", default="attendance", help="A list's basename.")
    parser.add_argument("--database-url", default=None)
    args = parser.parse_args()
    name = f"tracker_bench_{args.size}" if args.db == "postgres" else f"bench-{args.size}"
    configure(database_url(args, name))
    import django

    django.setup()
    from django.http import StreamingHttpResponse
    from django.test import Client
    from django.urls import reverse

    started, before = time.perf_counter(), peak_mib()
    url = reverse(f"api:{args.list}-list")
    response = Client().get(url, {"format": "csv"}, HTTP_HOST="127.0.0.1")
    assert isinstance(response, StreamingHttpResponse), response.status_code
    print(f"{args.list} list as CSV, {args.db}; peak RSS before the request {before:.0f} MiB")
    print(f"{'rows':>10} {'seconds':>8} {'peak RSS MiB':>13}")
    rows, next_sample, size = -1, SAMPLE_EVERY, 0  # the header is not a row
    for chunk in response.streaming_content:
        size += len(chunk)
        rows += chunk.count(b"\r\n")
        if rows >= next_sample:
            print(f"{rows:>10,} {time.perf_counter() - started:>8.1f} {peak_mib():>13.0f}")
            next_sample += SAMPLE_EVERY
    print(
        f"{rows:>10,} {time.perf_counter() - started:>8.1f} {peak_mib():>13.0f}  (all, {size:,} bytes)"
    )


if __name__ == "__main__":
    main()
