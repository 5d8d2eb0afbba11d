"""Fuzzing `loaddata` with malformed and hostile fixtures made from the article fixture.

Every fixture is loaded into a database that already holds the article's data, and has one of two
outcomes, both checked:

- it fails with a clear message (see `clarity_problems`) and leaves every table exactly as it was
  (`dumpdata summits` with primary keys, and the row count of every table in the database);
- or it loads, and then the database keeps every invariant (every row passes the model's own
  `full_clean()`, as the API and the admin require; no text holds a NUL; each attendance's status
  is its latest change; a leader belongs to the attendance's country) and holds what the fixture
  says, field by field: a load that succeeds by storing something else (`123` as `"123"`,
  `44.7` as `44`, the first of two rows with the same natural key) has gone wrong silently.

Each example runs in a savepoint that is rolled back, so all start from the article's data.
Derandomized: the same fixtures every run.
"""

import copy
import json
import re
import warnings
from collections import Counter
from dataclasses import dataclass, field

import pytest
from django.apps import apps
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.core.management.base import CommandError
from django.core.serializers.base import DeserializationError
from django.db import DatabaseError, connection, models, transaction
from django.utils.dateparse import parse_date
from hypothesis import HealthCheck, given, note, settings
from hypothesis import strategies as st

from summits.evidence import text_digest
from summits.models import (
    Attendance,
    Citation,
    Country,
    Leader,
    Organization,
    Source,
    StatusChange,
    Summit,
)
from tests.test_fixtures import FIXTURES_DIR, summits_dump

MAX_EXAMPLES = 100

ARTICLE_ENTRIES: list[dict] = json.loads((FIXTURES_DIR / "article.json").read_text("utf-8"))
DOMAIN_MODELS = [Country, Organization, Leader, Source, Summit, Attendance, StatusChange, Citation]
FIELDS = {
    model._meta.label_lower: {field.name: field for field in model._meta.concrete_fields}
    for model in DOMAIN_MODELS
}
# The fields whose values make up each model's natural key (as `dumpdata` writes them).
KEY_FIELDS = {
    "summits.country": ("code",),
    "summits.organization": ("slug",),
    "summits.leader": ("slug",),
    "summits.source": ("key",),
    "summits.summit": ("slug",),
    "summits.attendance": ("summit", "country"),
    "summits.statuschange": ("attendance", "status", "as_of"),
    "summits.citation": ("source", "summit", "attendance", "status_change", "field", "start"),
}
# Written by loaddata itself (from the timeline), whatever the fixture says.
DERIVED_FIELDS = {("summits.attendance", "status")}

# A valid change at the very start of every fuzzed fixture: a partial load would keep it.
MARKER_NAME = "Japan (fuzzed)"


def marked_entries() -> list[dict]:
    entries = copy.deepcopy(ARTICLE_ENTRIES)
    assert entries[0]["fields"]["code"] == "JP"
    entries[0]["fields"]["name"] = MARKER_NAME
    return entries


def dumps(entries: object) -> str:
    return json.dumps(entries, indent=2)


MARKED_TEXT = dumps(marked_entries())


def index_of(model: str, **fields: object) -> int:
    return next(
        index
        for index, entry in enumerate(ARTICLE_ENTRIES)
        if entry["model"] == model
        and all(entry["fields"][name] == value for name, value in fields.items())
    )


JP = index_of("summits.country", code="JP")
NATO = index_of("summits.organization", slug="nato")
KISHIDA = index_of("summits.leader", slug="fumio-kishida")
ARTICLE = index_of("summits.source", key="sakamoto-2024-kishida-nato")
WASHINGTON = index_of("summits.summit", slug="nato-2024-washington")
SPAIN = index_of("summits.summit", slug="nato-2022-spain")
LITHUANIA = index_of("summits.summit", slug="nato-2023-lithuania")
JAPAN_AT_WASHINGTON = index_of(
    "summits.attendance", summit=["nato-2024-washington"], country=["JP"]
)
PROPOSED = index_of("summits.statuschange", attendance=["nato-2024-washington", "JP"])
CITY = index_of("summits.citation", summit=["nato-2024-washington"], field="city")


# Judging a load.


@dataclass
class Tally:
    """What was fuzzed and what came of it, reported at the end of each test."""

    fuzzed: int = 0
    failed_cleanly: int = 0
    loaded: int = 0
    rows_changed_on_failure: int = 0
    errors: Counter = field(default_factory=Counter)

    def report(self, name: str, record_property) -> None:
        figures = {
            "fixtures_fuzzed": self.fuzzed,
            "failed_cleanly": self.failed_cleanly,
            "loaded_and_kept_invariants": self.loaded,
            "rows_changed_on_failure": self.rows_changed_on_failure,
        }
        for key, value in figures.items():
            record_property(key, value)
        record_property("errors_by_type", dict(self.errors))


@pytest.fixture
def tally(request, record_property):
    counts = Tally()
    yield counts
    counts.report(request.node.name, record_property)


# What loaddata may raise for a bad fixture: its own errors and the database's.
LOAD_ERRORS = (CommandError, DeserializationError, DatabaseError)
PREFIX = re.compile(r"^(?:Nothing was loaded: )?Problem installing fixtures?(?: '[^']*')?: ")
# Python's own complaints, which say what broke inside the code and not what is wrong in the file.
PYTHON_INTERNALS = re.compile(
    r"StopIteration|KeyError|'NoneType'|object has no attribute|is not iterable"
    r"|is not subscriptable|indices must be integers|values to unpack|unhashable type"
    r"|^Error deserializing object: '[^']*'$"
)
# A clear message says where the problem is: a model, a field, or the JSON itself.
WHERE = re.compile(
    r"json|summits[._]|\b(?:model|entry|"
    + "|".join(
        sorted(
            {model._meta.model_name for model in DOMAIN_MODELS}
            | {model.__name__ for model in DOMAIN_MODELS}
            | {name for fields in FIELDS.values() for name in fields}
        )
    )
    + r")\b",
    re.IGNORECASE,
)


def clarity_problems(error: Exception) -> list[str]:
    """Why the message of a failed load would leave its reader guessing (empty when it's clear)."""
    problems = []
    if not isinstance(error, LOAD_ERRORS):
        problems.append(f"raised {type(error).__name__}, not a loaddata or database error")
    message = PREFIX.sub("", str(error)).strip()
    if not message:
        problems.append("an empty message")
    if PYTHON_INTERNALS.search(message):
        problems.append("a Python internal error, not the fixture's problem")
    if not WHERE.search(message):
        problems.append("names no model, field or JSON position")
    return problems


def table_counts() -> dict[str, int]:
    """Rows in every table of the database, history and auth included."""
    with connection.cursor() as cursor:
        counts = {}
        for table in sorted(connection.introspection.table_names(cursor)):
            cursor.execute(f"SELECT COUNT(*) FROM {connection.ops.quote_name(table)}")
            counts[table] = cursor.fetchone()[0]
    return counts


@dataclass
class Snapshot:
    dump: dict[tuple[str, object], str]
    counts: dict[str, int]

    @classmethod
    def take(cls) -> "Snapshot":
        rows = json.loads(summits_dump(natural_primary=False))
        dump = {
            (row["model"], row["pk"]): json.dumps(row["fields"], sort_keys=True) for row in rows
        }
        return cls(dump=dump, counts=table_counts())

    def changed_rows(self, before: "Snapshot") -> set[tuple[str, object]]:
        """The (model, pk) of every row of the app added, removed or changed since `before`."""
        return {
            key
            for key in self.dump.keys() | before.dump.keys()
            if self.dump.get(key) != before.dump.get(key)
        }

    def rows_changed_since(self, before: "Snapshot") -> int:
        """Rows of the app changed, and rows of every other table added or removed."""
        return len(self.changed_rows(before)) + sum(
            abs(self.counts.get(table, 0) - before.counts.get(table, 0))
            for table in self.counts.keys() | before.counts.keys()
            if not table.startswith("summits_") or table.startswith("summits_historical")
        )


def canonical(label: str, name: str, value: object) -> str:
    """A field's value as JSON, with a date in any form Django reads written as YYYY-MM-DD."""
    if isinstance(FIELDS[label].get(name), models.DateField) and isinstance(value, str):
        try:
            parsed = parse_date(value)
        except ValueError:
            parsed = None
        if parsed is not None:
            value = parsed.isoformat()
    return json.dumps(value, sort_keys=True)


def natural_key_of(label: str, fields: dict) -> tuple[str, ...]:
    return tuple(canonical(label, name, fields.get(name)) for name in KEY_FIELDS[label])


def unfaithful_fields(entries: list[dict]) -> list[str]:
    """Where the database, after a load that succeeded, holds something the fixture didn't say."""
    stored = {}
    for row in json.loads(summits_dump()):
        if row["model"] in KEY_FIELDS:
            stored[(row["model"], natural_key_of(row["model"], row["fields"]))] = row["fields"]
    problems = []
    for index, entry in enumerate(entries):
        label = apps.get_model(entry["model"])._meta.label_lower
        if label not in KEY_FIELDS:
            problems.append(f"entry {index}: a row of {label} was loaded")
            continue
        key = natural_key_of(label, entry["fields"])
        row = stored.get((label, key))
        if row is None:
            problems.append(f"entry {index}: no {label} with the natural key {key} was stored")
            continue
        for name, value in entry["fields"].items():
            if (label, name) in DERIVED_FIELDS or FIELDS[label][name].primary_key:
                continue
            if canonical(label, name, value) != canonical(label, name, row.get(name)):
                problems.append(
                    f"entry {index} ({label} {key}).{name}: the fixture says {value!r:.60}, "
                    f"the database holds {row.get(name)!r:.60}"
                )
    return problems


def citation_offset_problems(citation: Citation) -> list[str]:
    """DESIGN §3: offsets come in pairs and span the quote, in code points (end exclusive).

    Checked here in Python as well: a CHECK constraint passes when its condition is NULL, and
    `full_clean()` counts a NULL condition as passed too.
    """
    start, end = citation.start, citation.end
    if (start is None) != (end is None):
        return [f"offsets come in pairs, not start={start} and end={end}"]
    if start is not None and end != start + len(citation.quote):
        return [f"offsets {start}-{end} do not span a quote of {len(citation.quote)}"]
    return []


def invariant_problems(changed: set[tuple[str, object]]) -> list[str]:
    """Every rule the data must keep: each changed row by itself, and the rules across rows."""
    problems = []
    models_by_label = {model._meta.label_lower: model for model in DOMAIN_MODELS}
    for label, pk in sorted(changed, key=str):
        model = models_by_label.get(label)
        row = model.objects.filter(pk=pk).first() if model is not None else None
        if row is None:
            continue  # a removed row, or a row of the history (which a raw load never writes)
        where = f"{label} pk={pk}"
        try:
            row.full_clean()
        except ValidationError as error:
            problems.append(f"{where} fails full_clean(): {error.message_dict}"[:300])
        for model_field in model._meta.concrete_fields:
            value = getattr(row, model_field.attname)
            if isinstance(value, str) and "\x00" in value:
                problems.append(f"{where}.{model_field.name} holds a NUL character")
        if isinstance(row, Citation):
            problems.extend(f"{where}: {problem}" for problem in citation_offset_problems(row))
    for attendance in Attendance.objects.all():
        latest = attendance.status_changes.order_by("-as_of", "-id").first()
        expected = latest.status if latest is not None else None
        if attendance.status != expected:
            problems.append(
                f"attendance pk={attendance.pk} has status {attendance.status!r}, "
                f"its latest change says {expected!r}"
            )
    for attendance in Attendance.objects.with_leader_of_another_country():
        problems.append(f"attendance pk={attendance.pk}: its leader leads another country")
    return problems


def load(content: str | bytes, tmp_path) -> Exception | None:
    """Run `loaddata` on the content; the exception it raised, or None if it loaded."""
    path = tmp_path / "fuzzed.json"
    path.write_bytes(content if isinstance(content, bytes) else content.encode("utf-8"))
    # A fixture of no objects warns (and loads nothing); the warning is not a failure here.
    with warnings.catch_warnings(record=True):
        warnings.simplefilter("always")
        try:
            call_command("load_fixtures", str(path), verbosity=0)
        except Exception as error:  # judged below, whatever it is
            return error
    return None


def judge(
    content: str | bytes, tmp_path, before: Snapshot, tally: Tally
) -> tuple[Exception | None, list[str]]:
    """Load the content: what it raised (None if it loaded) and what went wrong.

    The database is as it was before when this returns.
    """
    tally.fuzzed += 1
    with transaction.atomic():
        error = load(content, tmp_path)
        after = Snapshot.take()
        if error is not None:
            tally.errors[type(error).__name__] += 1
            changed = after.rows_changed_since(before)
            tally.rows_changed_on_failure += changed
            problems = [
                f"{problem}: {type(error).__name__}: {error}" for problem in clarity_problems(error)
            ]
            if changed:
                problems.append(f"a failed load changed {changed} rows")
            if not problems:
                tally.failed_cleanly += 1
        else:
            entries = json.loads(content)
            problems = [
                *invariant_problems(after.changed_rows(before)),
                *unfaithful_fields(entries),
            ]
            if not problems:
                tally.loaded += 1
        transaction.set_rollback(True)
    return error, problems


@pytest.fixture
def before(article) -> Snapshot:
    return Snapshot.take()


# Hostile values.

HUGE_INTS = st.sampled_from([2**31 - 1, 2**31, 2**63 - 1, 2**63, 10**30, -1, -(2**63) - 1])
WEIRD_TEXT = st.sampled_from(
    ["", " ", "\x00", "Japan\x00", "\ud800", "a\udfffb", "\u202e", "\ufeff", "🎌", "NULL", "None"]
)
LONG_TEXT = st.sampled_from([3, 11, 51, 101, 201, 301, 10_000, 2**20]).map(lambda n: "x" * n)
DATE_LIKE = st.dates().map(str) | st.sampled_from(
    [
        "2024-02-30",
        "2024-13-01",
        "0000-01-01",
        "9999-12-31",
        "2024-7-9",
        "20240709",
        "2024-W28-2",
        "2024-07-09T10:00",
        "2024-07",
        "2024",
        " 2024-07-09",
        "2024-07-09\x00",
        "\u0661\u0662\u0663\u0664-\u0660\u0661-\u0660\u0661",  # Arabic-Indic digits
    ]
)
SCALARS = (
    st.none()
    | st.booleans()
    | st.integers()
    | HUGE_INTS
    | st.floats()
    | st.text(max_size=12)
    | WEIRD_TEXT
)
JUNK = st.recursive(
    SCALARS,
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=4), inner, max_size=3)
    ),
    max_leaves=8,
)
DEEP_JUNK = st.integers(1, 400).map(lambda depth: json.loads("[" * depth + "]" * depth))


def natural_keys(model: str) -> list[list]:
    return [
        [entry["fields"][name] for name in KEY_FIELDS[model]]
        if len(KEY_FIELDS[model]) > 1
        else [entry["fields"][KEY_FIELDS[model][0]]]
        for entry in ARTICLE_ENTRIES
        if entry["model"] == model
    ]


def key_part_lists(model: str) -> list[list]:
    """Natural keys as a foreign key names them: nested keys flattened, as dumpdata writes."""
    keys = []
    for key in natural_keys(model):
        flat = []
        for part in key:
            flat.extend(part if isinstance(part, list) else [part])
        keys.append(flat)
    return keys


def values_for(model: str, name: str) -> st.SearchStrategy:
    """Values to put in one field: plausible ones of its own kind, and junk of every kind."""
    model_field = FIELDS[model][name]
    if model_field.is_relation:
        related = model_field.related_model._meta.label_lower
        known = key_part_lists(related)
        own = st.sampled_from(known) | st.sampled_from(
            [
                ["no-such-key"],
                [],
                [None],
                [["JP"]],
                [*known[0], "extra"],
                known[0][:-1],
                "JP",
                1,
                999,
            ]
        )
    elif isinstance(model_field, models.DateField):
        own = DATE_LIKE
    elif isinstance(model_field, models.IntegerField):
        own = st.integers(-3, 5000) | HUGE_INTS | st.floats(0, 5000)
    elif model_field.choices:
        own = st.sampled_from([value for value, _ in model_field.choices]) | st.text(max_size=8)
    else:
        own = st.text(max_size=20) | WEIRD_TEXT | LONG_TEXT
    return st.one_of(own, own, JUNK, DEEP_JUNK)


# Named ways to break a rule the database keeps.


def _set(index: int, **fields: object):
    def mutate(entries: list[dict]) -> None:
        entries[index]["fields"].update(fields)

    return mutate


def _append(index: int, **fields: object):
    def mutate(entries: list[dict]) -> None:
        entry = copy.deepcopy(ARTICLE_ENTRIES[index])
        entry["fields"].update(fields)
        entries.append(entry)

    return mutate


def _citation_offsets(shift_start: int, shift_end: int):
    def mutate(entries: list[dict]) -> None:
        citation = entries[CITY]["fields"]
        citation["start"] += shift_start
        citation["end"] += shift_end

    return mutate


CONSTRAINT_BREAKERS = {
    "end-before-start": _set(WASHINGTON, end_date="2024-07-08"),
    "month-precision-with-end-date": _set(SPAIN, end_date="2022-06-30"),
    "year-precision-not-on-january-1": _set(LITHUANIA, start_date="2023-07-11"),
    "month-precision-status-not-on-the-1st": _set(PROPOSED, as_of="2024-03-15"),
    "country-code-of-three-letters": _set(JP, code="JPN"),
    "country-code-lowercase-new-row": _append(JP, code="jp"),
    "country-code-fullwidth": _append(JP, code="\uff2a\uff30"),  # fullwidth
    "unknown-summit-kind": _set(WASHINGTON, kind="summit"),
    "unknown-summit-status": _set(WASHINGTON, status="HELD"),
    "unknown-date-precision": _set(WASHINGTON, date_precision="week"),
    "unknown-attendance-role": _set(JAPAN_AT_WASHINGTON, role="observer"),
    "empty-attendance-role": _set(JAPAN_AT_WASHINGTON, role=""),
    "unknown-change-status": _set(PROPOSED, status="maybe"),
    "unknown-citation-basis": _set(CITY, basis="rumour"),
    "term-ends-before-it-starts": _set(KISHIDA, term_start="2021-10-04", term_end="2021-10-03"),
    "leader-of-another-country": _set(JAPAN_AT_WASHINGTON, leader=["joe-biden"]),
    "leader-moves-country": _set(KISHIDA, country=["US"]),
    "citation-with-two-targets": _set(CITY, attendance=["nato-2024-washington", "JP"]),
    "citation-with-three-targets": _set(
        CITY,
        attendance=["nato-2024-washington", "JP"],
        status_change=["nato-2024-washington", "JP", "proposed", "2024-03-01"],
    ),
    "citation-offsets-one-too-long": _citation_offsets(0, 1),
    "citation-offsets-shifted-apart": _citation_offsets(1, 0),
    "citation-start-without-end": _set(CITY, end=None),
    "citation-negative-offsets": _citation_offsets(-1000, -1000),
    "citation-offsets-on-an-empty-quote": _set(CITY, quote=""),
    "source-without-url-or-seed": _set(ARTICLE, seed_file="", sha256=""),
    "source-sha256-uppercase": _set(
        ARTICLE, sha256="12A9299798B069F7561AEFEB36A50FC43D8AFB9A6A65D86977D37DB89C266BED"
    ),
    "source-url-and-sha256-without-seed": _set(ARTICLE, seed_file="", url="https://example.org/"),
    "duplicate-natural-key-country": _append(JP, name="Nippon"),
    "duplicate-natural-key-summit": _append(WASHINGTON, city="Tokyo"),
    "duplicate-natural-key-attendance": _append(JAPAN_AT_WASHINGTON, note="Twice."),
    "duplicate-natural-key-change": _append(PROPOSED, note="Twice."),
    "duplicate-natural-key-citation": _append(CITY, basis="implied"),
    "second-change-same-status-and-date": _append(PROPOSED, as_of_precision="day"),
}


# Whole documents that are not a fixture.

DOCUMENTS: dict[str, str | bytes] = {
    "empty-file": "",
    "whitespace": " \n\t ",
    "top-level-object": json.dumps(ARTICLE_ENTRIES[0]),
    "top-level-string": json.dumps("summits.country"),
    "top-level-number": "5",
    "top-level-null": "null",
    "array-of-arrays": json.dumps([[entry] for entry in ARTICLE_ENTRIES[:3]]),
    "array-of-strings": json.dumps(["summits.country", "JP"]),
    "array-of-nulls": "[null, null]",
    "deeply-nested-array": "[" * 100_000 + "]" * 100_000,
    "deeply-nested-value": (
        '[{"model": "summits.country", "fields": {"code": "XX", "name": '
        + "[" * 50_000
        + "]" * 50_000
        + "}}]"
    ),
    "utf8-byte-order-mark": "\ufeff" + MARKED_TEXT,
    "invalid-utf8": MARKED_TEXT.encode("utf-8").replace(b'"Japan (fuzzed)"', b'"Jap\xff\xfen"'),
    "utf16": MARKED_TEXT.encode("utf-16"),
    "nan": dumps([{"model": "summits.citation", "fields": {"start": float("nan")}}]),
    "two-documents": MARKED_TEXT + MARKED_TEXT,
    "trailing-comma": MARKED_TEXT[:-1].rstrip() + ",]",
    "comment": "// the article\n" + MARKED_TEXT,
    "single-quotes": MARKED_TEXT.replace('"', "'"),
}


def apply_entry_mutation(entries: list, mutation: tuple) -> None:
    kind, index, *rest = mutation
    target = entries[index] if index < len(entries) else None
    has_fields = isinstance(target, dict) and isinstance(target.get("fields"), dict)
    apply, needs = _MUTATIONS[kind]
    if needs == "fields" and not has_fields:
        return
    if needs == "entry" and not isinstance(target, dict):
        return
    apply(entries, index, target, *rest)


def _set_field(entries, index, target, name, value) -> None:
    target["fields"][name] = value


def _drop_field(entries, index, target, name) -> None:
    target["fields"].pop(name, None)


def _set_key(entries, index, target, key, value) -> None:
    if value is DROP:
        target.pop(key, None)
    else:
        target[key] = value


def _replace(entries, index, target, value) -> None:
    entries[index] = value


def _duplicate(entries, index, target, name, value) -> None:
    copied = copy.deepcopy(target)
    if name is not None:
        copied["fields"][name] = value
    entries.append(copied)


# Each mutation kind: what it does, and what its target must be ("fields": an entry with a
# "fields" object; "entry": an object; None: anything).
_MUTATIONS = {
    "set": (_set_field, "fields"),
    "add": (_set_field, "fields"),
    "drop": (_drop_field, "fields"),
    "pk": (
        lambda entries, index, target, value: _set_key(entries, index, target, "pk", value),
        "entry",
    ),
    "model": (
        lambda entries, index, target, value: _set_key(entries, index, target, "model", value),
        "entry",
    ),
    "key": (_set_key, "entry"),
    "replace": (_replace, None),
    "remove": (lambda entries, index, target: _replace(entries, index, target, REMOVED), None),
    "duplicate": (_duplicate, "fields"),
    "break": (lambda entries, index, target, name: CONSTRAINT_BREAKERS[name](entries), None),
}


DROP = object()
REMOVED = object()


def render(plan: tuple, *, compact: bool = False) -> str | bytes:
    """The fixture a plan describes, as the bytes or text of a file.

    A compact fixture keeps, of the article's entries, only the marker, the entries the plan
    changed and those that entries it added repeat: quicker to load, into a database that holds
    the rest already.
    """
    kind, detail = plan
    if kind == "truncate":
        return MARKED_TEXT[:detail]
    if kind == "document":
        return DOCUMENTS[detail]
    entries = marked_entries()
    for mutation in detail:
        apply_entry_mutation(entries, mutation)
    if compact:
        entries = compacted(entries)
    return dumps([entry for entry in entries if entry is not REMOVED])


def _key_or_none(entry: object) -> tuple | None:
    if not isinstance(entry, dict) or not isinstance(entry.get("fields"), dict):
        return None
    label = entry.get("model")
    if label not in KEY_FIELDS:
        return None
    return (label, natural_key_of(label, entry["fields"]))


def compacted(entries: list) -> list:
    originals = marked_entries()
    added = entries[len(originals) :]
    repeated = {_key_or_none(entry) for entry in added} - {None}
    kept = [
        entry
        for index, (entry, original) in enumerate(zip(entries, originals, strict=False))
        if index == 0 or entry != original or _key_or_none(original) in repeated
    ]
    return kept + added


# Strategies for plans.


@st.composite
def field_mutations(draw) -> tuple:
    index = draw(st.integers(0, len(ARTICLE_ENTRIES) - 1))
    model = ARTICLE_ENTRIES[index]["model"]
    name = draw(st.sampled_from(sorted(ARTICLE_ENTRIES[index]["fields"])))
    kind = draw(st.sampled_from(["set", "set", "set", "drop", "duplicate"]))
    if kind == "drop":
        return ("drop", index, name)
    if kind == "duplicate":
        same = draw(st.booleans())
        return (
            "duplicate",
            index,
            None if same else name,
            None if same else draw(values_for(model, name)),
        )
    return ("set", index, name, draw(values_for(model, name)))


ODD_FIELD_NAMES = st.sampled_from(
    [
        "foo",
        "",
        "id",
        "pk",
        "history",
        "attendances",
        "citations",
        "leaders",
        "summit_id",
        "country__code",
        "NAME",
        "fields",
        "model",
    ]
) | st.text(max_size=8)
ODD_MODELS = (
    st.sampled_from(
        [
            "summits.nope",
            "summits",
            "summits.",
            ".country",
            "nope.country",
            "summits.country.extra",
            "SUMMITS.COUNTRY",
            "summits.leader",
            "summits.citation",
            "auth.nope",
            "",
        ]
    )
    | JUNK
)
ENTRY_JUNK = (
    st.sampled_from(
        [
            {},
            {"model": "summits.country"},
            {"fields": {"code": "XX", "name": "X"}},
            {"model": "summits.country", "fields": None},
            {"model": "summits.country", "fields": []},
            {"model": "summits.country", "fields": {"code": "XX", "name": "X"}, "extra": 1},
        ]
    )
    | JUNK
)


@st.composite
def entry_mutations(draw) -> tuple:
    index = draw(st.integers(0, len(ARTICLE_ENTRIES) - 1))
    return draw(
        st.one_of(
            field_mutations(),
            field_mutations(),
            field_mutations(),
            st.tuples(st.just("add"), st.just(index), ODD_FIELD_NAMES, JUNK),
            st.tuples(st.just("pk"), st.just(index), JUNK),
            st.tuples(st.just("model"), st.just(index), ODD_MODELS),
            st.tuples(
                st.just("key"),
                st.just(index),
                st.sampled_from(["model", "fields"]),
                st.just(DROP) | JUNK,
            ),
            st.tuples(st.just("replace"), st.just(index), ENTRY_JUNK | DEEP_JUNK),
            st.tuples(st.just("remove"), st.just(index)),
            st.tuples(st.just("break"), st.just(0), st.sampled_from(sorted(CONSTRAINT_BREAKERS))),
        )
    )


PLANS = st.one_of(
    st.tuples(st.just("truncate"), st.integers(0, len(MARKED_TEXT) - 1)),
    st.tuples(st.just("document"), st.sampled_from(sorted(DOCUMENTS))),
    st.tuples(st.just("entries"), st.lists(entry_mutations(), min_size=1, max_size=3)),
    st.tuples(st.just("entries"), st.lists(entry_mutations(), min_size=1, max_size=3)),
    st.tuples(st.just("entries"), st.lists(entry_mutations(), min_size=1, max_size=3)),
)


@settings(
    max_examples=MAX_EXAMPLES,
    derandomize=True,
    database=None,
    deadline=None,
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
    ],
)
@given(plan=PLANS)
def test_a_fuzzed_fixture_fails_clearly_and_changes_nothing_or_loads_what_it_says(
    before, tmp_path, tally, plan
):
    note(f"plan: {plan!r:.2000}")
    error, problems = judge(render(plan), tmp_path, before, tally)
    assert problems == []
    if plan[0] in ("truncate", "document"):
        assert error is not None, "a file that is not a fixture loaded"


# The named cases: each kind of damage the fuzzer might not happen upon, every run.

# Named in test_fixtures.py already; the fuzzer still uses them.
IN_TEST_FIXTURES = {
    "end-before-start",
    "country-code-lowercase-new-row",
    "leader-of-another-country",
    "citation-with-two-targets",
}


def appended_and_quoted(addition: str) -> list[tuple]:
    """A new source, the article's text with `addition` at its end (the article's own text is
    cited, so it cannot change), and the city's citation quoting it there, offsets in code
    points: what must load, however long or astral the quote."""
    text = ARTICLE_ENTRIES[ARTICLE]["fields"]["text"] + addition
    start = len(text) - len(addition)
    return [
        ("set", ARTICLE, "key", "appended-article"),
        ("set", CITY, "source", ["appended-article"]),
        ("set", ARTICLE, "text", text),
        ("set", ARTICLE, "sha256", text_digest(text)),
        ("set", ARTICLE, "length", len(text)),
        ("set", CITY, "quote", addition),
        ("set", CITY, "start", start),
        ("set", CITY, "end", start + len(addition)),
    ]


NAMED_CASES: dict[str, tuple] = {
    **{
        f"break:{name}": ("entries", [("break", 0, name)])
        for name in CONSTRAINT_BREAKERS
        if name not in IN_TEST_FIXTURES
    },
    **{f"document:{name}": ("document", name) for name in DOCUMENTS},
    "truncated-after-first-entry": ("truncate", MARKED_TEXT.index("},") + 1),
    "truncated-inside-a-string": ("truncate", MARKED_TEXT.index("Fumio") + 3),
    "truncated-before-the-closing-bracket": ("truncate", len(MARKED_TEXT) - 1),
    "number-for-a-name": ("entries", [("set", JP, "name", 123)]),
    "boolean-for-a-name": ("entries", [("set", NATO, "short_name", True)]),
    "list-for-a-name": ("entries", [("set", WASHINGTON, "name", ["NATO", "Summit"])]),
    "object-for-a-note": ("entries", [("set", JAPAN_AT_WASHINGTON, "note", {"text": "x"})]),
    "deeply-nested-list-for-a-city": (
        "entries",
        [("set", WASHINGTON, "city", json.loads("[" * 300 + "]" * 300))],
    ),
    "null-for-a-name": ("entries", [("set", WASHINGTON, "name", None)]),
    "null-for-a-required-key": ("entries", [("set", WASHINGTON, "slug", None)]),
    "null-for-a-required-foreign-key": ("entries", [("set", KISHIDA, "country", None)]),
    "null-for-a-natural-key-date": ("entries", [("set", PROPOSED, "as_of", None)]),
    "null-for-an-attendance-summit": ("entries", [("set", JAPAN_AT_WASHINGTON, "summit", None)]),
    "missing-natural-key-date": ("entries", [("drop", PROPOSED, "as_of")]),
    "missing-name": ("entries", [("drop", WASHINGTON, "name")]),
    "number-for-a-date": ("entries", [("set", WASHINGTON, "start_date", 20240709)]),
    "list-for-a-date": ("entries", [("set", WASHINGTON, "end_date", ["2024-07-11"])]),
    "impossible-date": ("entries", [("set", WASHINGTON, "end_date", "2024-02-30")]),
    "year-zero": ("entries", [("set", NATO, "founded_on", "0000-01-01")]),
    "string-for-an-offset": ("entries", [("set", CITY, "start", "12")]),
    "float-offsets": (
        "entries",
        [
            ("set", CITY, "start", ARTICLE_ENTRIES[CITY]["fields"]["start"] + 0.7),
            ("set", CITY, "end", ARTICLE_ENTRIES[CITY]["fields"]["end"] + 0.7),
        ],
    ),
    "boolean-offset": ("entries", [("set", CITY, "start", True)]),
    "huge-offsets": (
        "entries",
        [
            ("set", CITY, "start", 10**30),
            ("set", CITY, "end", 10**30 + len(ARTICLE_ENTRIES[CITY]["fields"]["quote"])),
        ],
    ),
    "offsets-past-32-bits": (
        "entries",
        [
            ("set", CITY, "start", 2**40),
            ("set", CITY, "end", 2**40 + len(ARTICLE_ENTRIES[CITY]["fields"]["quote"])),
        ],
    ),
    "infinite-offset": ("entries", [("set", CITY, "start", float("inf"))]),
    "huge-foreign-key-id": ("entries", [("set", KISHIDA, "country", 10**30)]),
    "foreign-key-by-id": ("entries", [("set", KISHIDA, "country", 1)]),
    "unknown-natural-key": ("entries", [("set", WASHINGTON, "host_country", ["XX"])]),
    "natural-key-with-too-many-parts": ("entries", [("set", KISHIDA, "country", ["JP", "extra"])]),
    "natural-key-with-no-parts": ("entries", [("set", KISHIDA, "country", [])]),
    "natural-key-as-object": ("entries", [("set", KISHIDA, "country", {"code": "JP"})]),
    "citation-target-key-too-short": (
        "entries",
        [("set", CITY, "summit", None), ("set", CITY, "attendance", ["nato-2024-washington"])],
    ),
    "name-over-max-length": ("entries", [("set", JP, "name", "x" * 101)]),
    "slug-over-max-length": ("entries", [("set", WASHINGTON, "slug", "s" * 101)]),
    "country-code-over-max-length": ("entries", [("set", JP, "code", "JPX")]),
    "ten-thousand-character-city": ("entries", [("set", WASHINGTON, "city", "x" * 10_000)]),
    "one-megabyte-quote-not-spanned": ("entries", [("set", CITY, "quote", "q" * 2**20)]),
    "one-megabyte-note": ("entries", [("set", JAPAN_AT_WASHINGTON, "note", "n" * 2**20)]),
    "nul-in-a-name": ("entries", [("set", JP, "name", "Ja\x00pan")]),
    "nul-in-a-natural-key": ("entries", [("set", JP, "code", "J\x00")]),
    "nul-in-a-foreign-natural-key": ("entries", [("set", KISHIDA, "country", ["J\x00"])]),
    "nul-in-a-quote": ("entries", [("set", CITY, "quote", "Washington\x00")]),
    "lone-surrogate-in-a-name": ("entries", [("set", JP, "name", "Japan\ud800")]),
    "slug-with-spaces-and-slashes": (
        "entries",
        [("set", WASHINGTON, "slug", "nato 2024/washington")],
    ),
    "url-that-is-not-a-url": ("entries", [("set", ARTICLE, "url", "not a url")]),
    "empty-required-name": ("entries", [("set", WASHINGTON, "name", "")]),
    "unknown-model": ("entries", [("model", NATO, "summits.alliance")]),
    "model-without-app": ("entries", [("model", NATO, "organization")]),
    "model-as-number": ("entries", [("model", NATO, 5)]),
    "model-as-null": ("entries", [("model", NATO, None)]),
    "entry-without-model": ("entries", [("key", NATO, "model", DROP)]),
    "entry-without-fields": ("entries", [("key", NATO, "fields", DROP)]),
    "fields-as-list": ("entries", [("key", NATO, "fields", [["slug", "nato"]])]),
    "entry-as-string": ("entries", [("replace", NATO, "summits.organization")]),
    "entry-as-list": ("entries", [("replace", NATO, [1, 2, 3])]),
    "unknown-field": ("entries", [("add", NATO, "headquarters", "Brussels")]),
    "reverse-relation-as-field": ("entries", [("add", WASHINGTON, "attendances", [1, 2])]),
    "manager-as-field": ("entries", [("add", WASHINGTON, "history", [])]),
    "pk-as-string": ("entries", [("pk", NATO, "nato")]),
    "pk-huge": ("entries", [("pk", NATO, 10**30)]),
    # Fixtures that must load: the judge then checks what they stored.
    "only-the-marker": ("entries", []),
    "name-at-max-length": ("entries", [("set", JP, "name", "x" * 100)]),
    "one-megabyte-quote-spanned": ("entries", appended_and_quoted("q" * 2**20)),
    "astral-quote-spanned-in-code-points": ("entries", appended_and_quoted("🎌 Washington")),
    # A quote that the source's text does not hold at its offsets (the evidence rule).
    "forged-quote": ("entries", [("set", CITY, "quote", "Kishida declined.")]),
    "forged-quote-spanned": (
        "entries",
        [
            ("set", CITY, "quote", "q" * 20),
            ("set", CITY, "end", ARTICLE_ENTRIES[CITY]["fields"]["start"] + 20),
        ],
    ),
    "source-text-with-a-wrong-sha256": ("entries", [("set", ARTICLE, "sha256", "0" * 64)]),
    "model-name-in-capitals": ("entries", [("model", NATO, "summits.Organization")]),
    "a-summit-removed": ("entries", [("remove", SPAIN)]),
}
MUST_LOAD = {
    "only-the-marker",
    "name-at-max-length",
    "one-megabyte-quote-spanned",
    "astral-quote-spanned-in-code-points",
    "model-name-in-capitals",
    "a-summit-removed",
}


def test_each_named_hostile_fixture_fails_clearly_and_changes_nothing_or_loads_what_it_says(
    before, tmp_path, tally
):
    """Every named case, all reported together; compact fixtures (see `render`) except those
    that must load, which are the whole article with their change."""
    found = {}
    for name, plan in NAMED_CASES.items():
        content = render(plan, compact=name not in MUST_LOAD)
        error, problems = judge(content, tmp_path, before, tally)
        if name in MUST_LOAD and error is not None:
            problems.append(f"a valid fixture did not load: {type(error).__name__}: {error}")
        if plan[0] in ("truncate", "document") and error is None:
            problems.append("a file that is not a fixture loaded")
        if problems:
            found[name] = problems
    assert not found, "\n".join(
        f"{name}: {problem}" for name, problems in found.items() for problem in problems
    )
