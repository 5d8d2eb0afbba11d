"""The calendar feed of N summits: served by the view, beside the whole calendar built at once.

    .venv/bin/python -m bench.calendar_feed --size 25000
    .venv/bin/python -m bench.calendar_feed --size 1500

On its own SQLite database (bench/.data/calendar-N.sqlite3) with N summits, each side runs in its
own process, and its peak resident memory (its own VmHWM) is reported with its times:

- `served`: GET /api/summits/calendar.ics through Django's test client and the whole
  middleware stack, the body read chunk by chunk as a calendar client reads it (time to the
  first byte, to the last byte): streamed past the 2,000 summits one fetch holds, answered
  whole below;
- `whole`: the same summits read into a list and rendered as one `bytes` with
  `summits_calendar()`, as the feed was served before it streamed (it then stopped at 1,000);
- `cached`: below 2,000 summits, the same GET again, answered from the shared response cache
  (this process's memory here, Redis in production) that the first one filled: when the feed
  fits in RESPONSE_CACHE_MAX_BYTES (512 KB by default, about 1,100 such summits).

Both must give the same bytes (checked by their digests).
"""

import argparse
import datetime as dt
import hashlib
import os
import subprocess
import sys
import time
from collections.abc import Iterable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "bench" / ".data"


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", type=int, default=25_000)
    parser.add_argument("--side", choices=["served", "whole", "cached"], help=argparse.SUPPRESS)
    return parser.parse_args()


def configure(database: Path) -> None:
    os.environ.update(
        DJANGO_SETTINGS_MODULE="bench.settings",
        DEBUG="0",
        SECRET_KEY="bench-only-not-a-secret",
        ALLOWED_HOSTS="testserver,localhost",
        SECURE_SSL_REDIRECT="0",
        LOG_LEVEL="ERROR",
        DATABASE_URL=f"sqlite:///{database}",
    )
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()


def prepare(size: int) -> None:
    """Migrate and write N summits across 20 organizations and 50 host countries."""
    from django.core.management import call_command

    from summits.models import Country, Organization, Summit

    call_command("migrate", verbosity=0)
    if Summit.objects.count() == size:
        return
    hosts = Country.objects.bulk_create(
        Country(code=f"{chr(65 + i // 26)}{chr(65 + i % 26)}", name=f"Country {i}")
        for i in range(50)
    )
    organizations = Organization.objects.bulk_create(
        Organization(slug=f"org-{i}", name=f"Organization {i}") for i in range(20)
    )
    precisions = ["day", "day", "day", "month", "year"]
    summits = []
    for number in range(size):
        precision = precisions[number % 5]
        start = dt.date(1950, 1, 1) + dt.timedelta(days=number * 2)
        if precision == "month":
            start = start.replace(day=1)
        elif precision == "year":
            start = start.replace(month=1, day=1)
        summits.append(
            Summit(
                slug=f"summit-{number}",
                name=f"Summit {number}",
                organization=organizations[number % 20],
                host_country=hosts[number % 50],
                city="Capital",
                start_date=start,
                end_date=start + dt.timedelta(days=2) if precision == "day" else None,
                date_precision=precision,
            )
        )
    Summit.objects.bulk_create(summits, batch_size=2_000)


def run_side(side: str) -> None:
    """One side, in this process: print its times and the digest of its bytes."""
    from django.http import StreamingHttpResponse
    from django.test import Client
    from django.urls import reverse

    from summits.api.feeds import SummitCalendarView
    from summits.calendar import summits_calendar

    digest = hashlib.sha256()
    if side == "cached":
        Client().get(reverse("api:summit-calendar"))  # kept
    started = time.perf_counter()
    first = None
    if side in ("served", "cached"):
        response = Client().get(reverse("api:summit-calendar"))
        chunks: Iterable[bytes] = (
            response.streaming_content
            if isinstance(response, StreamingHttpResponse)
            else [response.content]
        )
        for chunk in chunks:
            if first is None:
                first = time.perf_counter() - started
            digest.update(chunk)
        response.close()
    else:
        view = SummitCalendarView()
        summits = list(view.get_queryset().order_by(*SummitCalendarView.ordering))
        body = summits_calendar(
            summits=summits,
            detail_url=lambda summit: (
                "http://testserver" + reverse("api:summit-detail", args=[summit.slug])
            ),
        )
        first = time.perf_counter() - started
        digest.update(body)
    last = time.perf_counter() - started
    # This process's own peak: the kernel's maxrss of a child also counts its parent's memory.
    with open("/proc/self/status") as status:
        peak = next(line for line in status if line.startswith("VmHWM")).split()[1]
    print(f"{first:.4f} {last:.4f} {digest.hexdigest()} {peak}")


def main() -> None:
    args = parse_args()
    database = DATA / f"calendar-{args.size}.sqlite3"
    if args.side:
        if args.side == "cached":
            os.environ["RESPONSE_CACHE_SECONDS"] = "600"  # bench.settings turns it off otherwise
        configure(database)
        run_side(args.side)
        return
    DATA.mkdir(parents=True, exist_ok=True)
    configure(database)
    prepare(args.size)
    print(f"{args.size:,} summits, SQLite, DEBUG=0, Python {sys.version.split()[0]}")
    print(f"{'side':<10} {'first byte':>11} {'last byte':>10} {'peak RSS':>10}")
    digests = set()
    from summits.api.streaming import STREAM_CHUNK

    sides = ["served", "whole"] + (["cached"] if args.size < STREAM_CHUNK else [])
    for side in sides:
        process = subprocess.Popen(
            [sys.executable, "-m", "bench.calendar_feed", "--size", str(args.size), "--side", side],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            text=True,
        )
        output = process.stdout.read() if process.stdout else ""
        if process.wait() != 0:
            raise SystemExit(f"{side} failed")
        first, last, digest, peak = output.split()
        digests.add(digest)
        print(
            f"{side:<10} {float(first):>10.3f}s {float(last):>9.3f}s {int(peak) / 1024:>6.0f} MiB"
        )
    print("same bytes" if len(digests) == 1 else "THE BYTES DIFFER")


if __name__ == "__main__":
    main()
