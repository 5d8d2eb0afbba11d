"""Search under attack and at its bounds, on a large database: the API's answer times, and the
bounded search's query beside DRF's stock search query, in one run.

    DATABASE_URL=postgres://root@127.0.0.1:5432/tracker_big python -m bench.search

On a database filled by `generate_data --attendances 1000000` (bench/README.md, "The data
set"; then VACUUM ANALYZE).
For each list: a search of 1,000 terms (the attack: answered 400 before any query), and the
longest search allowed (8 terms of 64 characters that match nothing, so every row is looked
at), through the API in-process; then, for the attendance list, the same 8 terms as DRF's
stock SearchFilter builds them (joins, compared on every attendance row) beside the bounded
search (each term compared with the few leaders, countries and summits), as the first page's
query. Prints the median of --runs runs of each.
"""

import argparse
import os
import statistics
import time


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=5)
    return parser.parse_args()


def median_ms(function, runs: int) -> float:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        function()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


def main() -> None:
    args = parse_args()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.settings")
    os.environ.setdefault("SECRET_KEY", "bench-only-not-a-secret")
    os.environ.setdefault("ALLOWED_HOSTS", "testserver")
    os.environ.setdefault("SECURE_SSL_REDIRECT", "0")
    import django

    django.setup()
    from django.db import connection, transaction
    from django.test import Client
    from django.urls import reverse
    from rest_framework import filters as drf_filters
    from rest_framework.request import Request
    from rest_framework.test import APIRequestFactory

    from summits.api import filters, views
    from summits.models import Attendance
    from summits.search import MAX_TERM_LENGTH, MAX_TERMS

    client = Client()
    attack = " ".join(["e"] * 1000)
    longest = " ".join(f"{n}{'q' * (MAX_TERM_LENGTH - 1)}" for n in range(MAX_TERMS))
    print(f"{Attendance.objects.count():,} attendances on {connection.vendor}")
    for basename in ("attendance", "citation", "summit", "leader"):
        url = reverse(f"api:{basename}-list")
        status: dict[str, int] = {}

        def get(search, url=url, status=status):
            response = client.get(url, {"search": search})
            status[search] = response.status_code

        attack_ms = median_ms(lambda get=get: get(attack), args.runs)
        longest_ms = median_ms(lambda get=get: get(longest), args.runs)
        print(
            f"{basename:>10}: 1,000 terms -> {status[attack]} in {attack_ms:.1f} ms; "
            f"longest allowed -> {status[longest]} in {longest_ms:.1f} ms"
        )

    request = Request(APIRequestFactory().get("/", {"search": longest}))
    view = views.AttendanceViewSet(action="list", detail=False, request=request, format_kwarg=None)
    rows = view.get_queryset()  # the list's own query, before filtering and paging

    def first_page(backend):
        queryset = backend.filter_queryset(request, rows, view)
        list(queryset.order_by("id")[:51])

    # The stock query may run past the statement timeout: lifted for one transaction only, as
    # behind a pooler a session's setting would stay on a connection that others then share.
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL statement_timeout = 0")
        stock = median_ms(lambda: first_page(drf_filters.SearchFilter()), args.runs)
        bounded = median_ms(lambda: first_page(filters.SearchFilter()), args.runs)
    print(
        f"attendance first page, longest allowed search: stock {stock:.1f} ms, "
        f"bounded {bounded:.1f} ms, stock/bounded {stock / bounded:.1f}x"
    )


if __name__ == "__main__":
    main()
