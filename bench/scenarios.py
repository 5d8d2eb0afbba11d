"""The scenarios of `make bench`: one list of URLs each (1,000 distinct URLs where the data has
them), and the figures measured for each side of a scenario."""

import random
from base64 import b64encode
from collections import deque
from dataclasses import dataclass, field
from urllib.parse import urlencode

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
    # The load tool against bench/instant.js at the same rate (--floor): what it adds alone.
    floor_p50_ms: float = 0.0
    floor_p99_ms: float = 0.0
    errors: int = 0


def _cursor(position: str) -> str:
    return b64encode(urlencode({"p": position}).encode("ascii")).decode("ascii")


def spread(items: list, count: int) -> list:
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

    positions = spread(ids, URLS)
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
            chosen = spread(values[::-1] if descending else values, per_ordering)
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
