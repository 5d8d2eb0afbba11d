"""The results table of `make bench`, and what it says about the machine and the database."""

import os
import platform
from pathlib import Path


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
