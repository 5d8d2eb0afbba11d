"""Loading N attendances with their timelines: the product's bulk import vs `load_fixtures`.

    python -m bench.bulk_import --db sqlite|postgres --size 100000
        [--import-func summits.services:attendances_import]

On its own database (PostgreSQL: tracker_bench_import; SQLite: bench/.data/import.sqlite3) it
generates N attendances, writes them and their status changes as a natural-key fixture, deletes
them, and times each path loading the same rows back: `load_fixtures` (Django's loaddata in one
transaction, which then checks the leader rule and refreshes every status), then the import
function. Both must leave the same
`dumpdata`. Then it checks that the import is all or nothing: a batch with one bad row raises
and changes nothing.

The import function is called as `attendances_import(rows=..., using=...)`, each row a dict:
`{"summit": slug, "country": code, "leader": slug | None, "role": str | None, "note": str,
"status_changes": [{"status", "as_of": "YYYY-MM-DD", "as_of_precision", "note"}, ...]}`.
"""

import argparse
import importlib
import json
import time
from itertools import chain
from pathlib import Path

from bench.run import DATA, configure, database_url

SEED = 2  # not the load benchmark's seed: the two data sets never meet


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--size", type=int, default=100_000)
    parser.add_argument("--import-func", default="summits.services:attendances_import")
    parser.add_argument("--database-url", default="")
    return parser.parse_args()


def export_fixture(prefix: str, path: Path) -> list[dict]:
    """Write the generated attendances and timelines as a fixture; return them as import rows."""
    from django.core import serializers

    from summits.models import Attendance, StatusChange

    attendances = (
        Attendance.objects.filter(summit__slug__startswith=prefix)
        .select_related("summit", "country", "leader")
        .order_by("id")
    )
    changes = (
        StatusChange.objects.filter(attendance__summit__slug__startswith=prefix)
        .select_related("attendance__summit", "attendance__country")
        .order_by("id")
    )
    with path.open("w") as stream:
        serializers.serialize(
            "json",
            chain(attendances.iterator(chunk_size=5000), changes.iterator(chunk_size=5000)),
            use_natural_foreign_keys=True,
            use_natural_primary_keys=True,
            stream=stream,
        )
    rows: dict[tuple, dict] = {}
    for item in json.loads(path.read_text()):
        fields = item["fields"]
        if item["model"] == "summits.attendance":
            rows[(fields["summit"][0], fields["country"][0])] = {
                "summit": fields["summit"][0],
                "country": fields["country"][0],
                "leader": fields["leader"][0] if fields["leader"] else None,
                "role": fields["role"],
                "note": fields["note"],
                "status_changes": [],
            }
        else:
            summit, country = fields["attendance"]
            rows[(summit, country)]["status_changes"].append(
                {
                    "status": fields["status"],
                    "as_of": fields["as_of"],
                    "as_of_precision": fields["as_of_precision"],
                    "note": fields["note"],
                }
            )
    return list(rows.values())


def delete_attendances(prefix: str) -> None:
    """Delete the generated attendances, their timelines and evidence (the summits stay)."""
    from django.db import connection, transaction

    from summits.models import Attendance, Citation, StatusChange, Summit

    table = {
        model: connection.ops.quote_name(model._meta.db_table)
        for model in (Attendance, Citation, StatusChange, Summit)
    }
    summits = f"SELECT id FROM {table[Summit]} WHERE slug LIKE %s"
    attendances = f"SELECT id FROM {table[Attendance]} WHERE summit_id IN ({summits})"
    changes = f"SELECT id FROM {table[StatusChange]} WHERE attendance_id IN ({attendances})"
    with transaction.atomic(), connection.cursor() as cursor:
        for sql in (
            f"DELETE FROM {table[Citation]} WHERE status_change_id IN ({changes})",
            f"DELETE FROM {table[Citation]} WHERE attendance_id IN ({attendances})",
            f"DELETE FROM {table[StatusChange]} WHERE attendance_id IN ({attendances})",
            f"DELETE FROM {table[Attendance]} WHERE summit_id IN ({summits})",
        ):
            cursor.execute(sql, [prefix + "%"])


def canonical_dump() -> list:
    """What `dumpdata summits.attendance summits.statuschange --natural-foreign --natural-primary`
    writes (the same serializer), with the related rows joined in rather than fetched one by one,
    in a stable order."""
    from django.core import serializers

    from summits.models import Attendance, StatusChange

    attendances = Attendance.objects.select_related("summit", "country", "leader").order_by("pk")
    changes = StatusChange.objects.select_related(
        "attendance__summit", "attendance__country"
    ).order_by("pk")
    dumped = serializers.serialize(
        "python",
        chain(attendances.iterator(chunk_size=5000), changes.iterator(chunk_size=5000)),
        use_natural_foreign_keys=True,
        use_natural_primary_keys=True,
    )
    return sorted(dumped, key=lambda item: json.dumps(item, sort_keys=True, default=str))


def load_function(name: str):
    module, _, function = name.partition(":")
    try:
        return getattr(importlib.import_module(module), function)
    except (ImportError, AttributeError):
        return None


def main() -> None:
    args = parse_args()
    configure(database_url(args, "tracker_bench_import" if args.db == "postgres" else "import"))
    import django

    django.setup()
    from django.core.management import call_command

    from devdata.generator import synthetic_generate
    from devdata.vocabulary import generated_prefix
    from summits.models import Attendance

    call_command("migrate", verbosity=0)
    prefix = generated_prefix(SEED)
    if Attendance.objects.filter(summit__slug__startswith=prefix).count() != args.size:
        synthetic_generate(seed=SEED, attendances=args.size)
    fixture = DATA / f"import-{args.db}-{args.size}.json"
    rows = export_fixture(prefix, fixture)
    changes = sum(len(row["status_changes"]) for row in rows)
    print(f"  {len(rows):,} attendances with {changes:,} status changes ({args.db})")

    delete_attendances(prefix)
    started = time.perf_counter()
    call_command("load_fixtures", str(fixture), verbosity=0)
    loaddata_seconds = time.perf_counter() - started
    expected = canonical_dump()
    print(f"  load_fixtures:       {loaddata_seconds:8.1f} s")

    function = load_function(args.import_func)
    if function is None:
        print(
            f"  {args.import_func}: not there yet; the benchmark calls it as "
            "attendances_import(rows=[...], using='default') (see bench/README.md)"
        )
        return
    delete_attendances(prefix)
    started = time.perf_counter()
    function(rows=rows)
    import_seconds = time.perf_counter() - started
    same = canonical_dump() == expected
    print(
        f"  {args.import_func}: {import_seconds:8.1f} s  "
        f"({loaddata_seconds / import_seconds:.1f}x faster; same dumpdata: {'yes' if same else 'NO'})"
    )

    broken = [dict(row) for row in rows[:1000]]
    broken[-1]["leader"] = next(
        r["leader"] for r in rows if r["leader"] and r["country"] != broken[-1]["country"]
    )
    before = canonical_dump()
    try:
        function(rows=broken)
    except Exception as error:  # the product's choice of exception
        untouched = canonical_dump() == before
        print(
            f"  a batch with one bad row: {type(error).__name__}; "
            f"{'nothing changed' if untouched else 'ROWS CHANGED'} (all or nothing: "
            f"{'yes' if untouched else 'NO'})"
        )
    else:
        print("  a batch with one bad row (a leader of another country) was accepted: NOT SAFE")
    if not same:
        raise SystemExit("The import left other rows than loaddata.")


if __name__ == "__main__":
    main()
