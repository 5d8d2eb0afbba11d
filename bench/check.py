"""Before any load: the baseline checked against the API in-process (status, JSON, bytes), and
both sides' SQL statements and Python CPU time per request counted."""

import json
import time
from typing import Any

from bench.scenarios import Scenario, Side, spread


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
        checked = set(spread(list(range(len(scenario.urls))), sample))
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
