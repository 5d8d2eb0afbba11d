"""Python CPU per request, the API beside the baseline, in-process: where a change's effect shows
before a load run would see it through the noise.

    python -m bench.cpu --db postgres --size 1000000 leader_record summit_list [--urls 100]
    python -m bench.cpu --db postgres --size 1000000 leader_record --profile

On the benchmark's own database (run `make bench` at that size first: it generates the data), for
each scenario: every URL once per side to warm up, then `--rounds` rounds over the first `--urls`
URLs, the API first in even rounds and the baseline first in odd ones; with `--response-cache`,
the API's answers come from the shared cache (the warm-up keeps them). Prints the least of each
side's per-request means (the least is the one the rest of the machine disturbed least) and their
ratio. `--profile` prints the API's cProfile of CPU time instead, by cumulative time (or `--sort`).
"""

import argparse
import cProfile
import pstats
import time

from bench import run


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("scenarios", nargs="+", help="Scenario names, as in bench/README.md.")
    parser.add_argument("--db", choices=["sqlite", "postgres"], default="postgres")
    parser.add_argument("--size", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--urls", type=int, default=100, help="URLs per round (default 100).")
    parser.add_argument("--rounds", type=int, default=6)
    parser.add_argument("--profile", action="store_true", help="Profile the API instead.")
    parser.add_argument(
        "--sort", default="cumulative", help="The profile's order (pstats' keys: tottime, ...)."
    )
    parser.add_argument("--database-url", default="")
    parser.add_argument(
        "--response-cache",
        action="store_true",
        help="The API from the shared response cache (Redis, --cache-url), every URL kept first.",
    )
    parser.add_argument("--cache-url", default="redis://127.0.0.1:6379/0")
    return parser.parse_args()


def cpu_ms_per_request(client, urls: list[str], headers: list[dict], expect: int) -> float:
    started = time.process_time()
    for url, header in zip(urls, headers, strict=True):
        response = client.get(url, headers=header)
        if response.status_code != expect:
            raise SystemExit(f"{url} answered {response.status_code}, not {expect}")
    return (time.process_time() - started) * 1000 / len(urls)


def main() -> None:
    args = parse_args()
    name = f"tracker_bench_{args.size}" if args.db == "postgres" else f"bench-{args.size}"
    run.configure(run.database_url(args, name))
    cache_prefix = run.configure_response_cache(args)
    import django

    django.setup()
    from django.conf import settings
    from django.test import Client

    from bench.baseline import PREFIX

    settings.ALLOWED_HOSTS = ["testserver"]
    scenarios = {scenario.name: scenario for scenario in run.build_scenarios(args.seed)}
    client = Client()
    try:
        for name in args.scenarios:
            scenario = scenarios[name]
            urls = scenario.urls[: args.urls]
            sides = {"API": "", "baseline": PREFIX}
            headers: dict[str, list[dict]] = {side: [{}] * len(urls) for side in sides}
            if scenario.expect == 304:
                for side, prefix in sides.items():
                    etags = [client.get(prefix + url).headers["ETag"] for url in urls]
                    headers[side] = [{"If-None-Match": etag} for etag in etags]
            for side, prefix in sides.items():
                paths = [prefix + url for url in urls]
                cpu_ms_per_request(client, paths, headers[side], scenario.expect)
            if args.profile:
                # CPU time, as the rest measures: not the time spent waiting for the database.
                profile = cProfile.Profile(time.process_time)
                profile.runcall(cpu_ms_per_request, client, urls, headers["API"], scenario.expect)
                pstats.Stats(profile).sort_stats(args.sort).print_stats(40)
                continue
            measured: dict[str, list[float]] = {side: [] for side in sides}
            for round_number in range(args.rounds):
                order = list(sides.items())
                for side, prefix in order if round_number % 2 == 0 else order[::-1]:
                    paths = [prefix + url for url in urls]
                    measured[side].append(
                        cpu_ms_per_request(client, paths, headers[side], scenario.expect)
                    )
            api, baseline = min(measured["API"]), min(measured["baseline"])
            print(
                f"{name:20} {len(urls):4} URLs | CPU ms per request: API {api:6.2f}  "
                f"baseline {baseline:6.2f}  API / baseline {api / baseline:.2f}",
                flush=True,
            )

    finally:
        run.forget_response_cache(args, cache_prefix)


if __name__ == "__main__":
    main()
