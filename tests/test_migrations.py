"""An existing database upgrades in place: sources read from seed files take their texts, and
every citation stays valid under the evidence rule."""

import json
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from summits.models import Attendance, Citation, Source
from summits.services import firsts_refresh

BEFORE_TEXTS = ("summits", "0006_text_without_control_characters")

# How each model's rows are found by their natural key, in the schema before source texts.
NATURAL_KEYS = {
    "country": ("code",),
    "organization": ("slug",),
    "leader": ("slug",),
    "summit": ("slug",),
    "attendance": ("summit__slug", "country__code"),
    "statuschange": ("attendance__summit__slug", "attendance__country__code", "status", "as_of"),
    "source": ("key",),
}
# Fields that did not exist before source texts.
NEW_FIELDS = {"text", "length"}


def fixture_entries() -> list[dict]:
    fixtures = Path(settings.FIXTURE_DIRS[0])
    return [
        entry
        for name in ("article", "context")
        for entry in json.loads((fixtures / f"{name}.json").read_text())
    ]


def load_into(apps, entries: list[dict]) -> None:
    """The fixtures' rows written through the models of an older schema (loaddata would use
    today's), natural keys resolved by hand, a later entry replacing an earlier one's fields."""
    for entry in entries:
        try:
            model = apps.get_model(entry["model"])
        except LookupError:  # a table of a later schema (other names)
            continue
        values = {}
        for name, value in entry["fields"].items():
            if name in NEW_FIELDS:
                continue
            field = model._meta.get_field(name)
            if field.is_relation and value is not None:
                related = field.related_model
                lookups = NATURAL_KEYS[related._meta.model_name]
                value = related.objects.get(**dict(zip(lookups, value, strict=True)))
            values[name] = value
        keys = NATURAL_KEYS.get(model._meta.model_name)
        if keys is None:  # a citation: added once, found by its whole content
            model.objects.get_or_create(**values)
            continue
        lookup = {key: _resolve(values, key) for key in keys}
        model.objects.update_or_create(**lookup, defaults=values)


def _resolve(values: dict, path: str):
    name, _, rest = path.partition("__")
    value = values[name]
    for part in rest.split("__") if rest else []:
        value = getattr(value, part)
    return value


@pytest.mark.django_db(transaction=True)
def test_a_database_with_the_fixtures_upgrades_with_every_citation_still_valid():
    executor = MigrationExecutor(connection)
    executor.migrate([BEFORE_TEXTS])
    old_apps = executor.loader.project_state([BEFORE_TEXTS]).apps
    try:
        load_into(old_apps, fixture_entries())
        old_citations = old_apps.get_model("summits", "Citation").objects.count()

        # Up to today's schema, whose models the checks below read through.
        executor = MigrationExecutor(connection)
        executor.loader.build_graph()
        executor.migrate(executor.loader.graph.leaf_nodes())

        article = Source.objects.get(key="sakamoto-2024-kishida-nato")
        seed = (Path(settings.SEEDS_DIR) / article.seed_file).read_bytes()
        assert article.text.encode("utf-8") == seed
        assert (article.length, len(article.text)) == (len(seed.decode("utf-8")),) * 2
        citations = list(Citation.objects.select_related("source"))
        assert len(citations) == old_citations > 0
        for citation in citations:
            citation.full_clean()  # the evidence rule, and every constraint
            if citation.source.text:
                assert citation.source.text[citation.start : citation.end] == citation.quote
        # The "first" labels were worked out for the rows already there.
        assert firsts_refresh(repair=False).drifted == 0
        assert Attendance.objects.exclude(first_for_country=None).exists()
    finally:
        executor = MigrationExecutor(connection)
        executor.loader.build_graph()
        executor.migrate(executor.loader.graph.leaf_nodes())
