"""Fuzzing the API's write serializers with random payloads, on the article's data.

Each example builds a payload from the serializer's real field names and random keys, with values
that look right (codes, slugs, ids, partial dates from the data) and values that don't (JSON of
every shape: NUL bytes, huge integers, floats, NaN, nested lists and objects, long strings), and
runs it as a create or as a partial update of a row from the article. Then:

- `is_valid()` never raises: it answers False with errors, or True;
- after True, the save (what the view does: `save()`, or for a new status change the service
  `attendance_record_status`) runs in a savepoint and raises nothing but IntegrityError (and,
  for the service, which validates the model itself, Django's ValidationError, which the API
  answers with 400);
- what was saved passes the model's own `full_clean()` and renders as the view would render it.

Each example runs in a savepoint that is rolled back, so all start from the article's data.
Derandomized: the same payloads every run.
"""

import math
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import pytest
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError, transaction
from hypothesis import HealthCheck, given, note, settings
from hypothesis import strategies as st
from rest_framework.request import Request
from rest_framework.test import APIRequestFactory

from summits.api import serializers, views
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
from summits.services import attendance_record_status

MAX_EXAMPLES = 200
ARTICLE_SOURCE = "sakamoto-2024-kishida-nato"


@dataclass(frozen=True)
class Spec:
    """One write serializer: how the API creates and updates with it."""

    name: str
    serializer: type
    valid: tuple[dict, ...]  # payloads that create a row on the article's data
    instance: Any = None  # the row a partial update changes; None for create only
    viewset: Any = None  # whose queryset the view renders a saved row from
    service: bool = False  # saved by attendance_record_status, as the view does

    def fields(self) -> list[str]:
        writable = [name for name, field in self.serializer().fields.items() if not field.read_only]
        return sorted({*writable, "id", "status", "url", "date_precision"})


def _japan_at_washington() -> Attendance:
    return Attendance.objects.get_by_natural_key("nato-2024-washington", "JP")


SPECS = [
    Spec(
        "country",
        serializers.CountrySerializer,
        ({"code": "FR", "name": "France"},),
        lambda: Country.objects.get(code="JP"),
        views.CountryViewSet,
    ),
    Spec(
        "organization",
        serializers.OrganizationSerializer,
        (
            {"slug": "g7", "name": "Group of Seven", "short_name": "G7"},
            {"slug": "au", "name": "African Union", "founded_on": "2002-07-09"},
        ),
        lambda: Organization.objects.get(slug="nato"),
        views.OrganizationViewSet,
    ),
    Spec(
        "leader",
        serializers.LeaderSerializer,
        (
            {
                "slug": "yoon-suk-yeol",
                "name": "Yoon Suk Yeol",
                "country": "KR",
                "office": "President",
                "term_start": "2022-05-10",
                "term_end": "2025-04-04",
            },
        ),
        lambda: Leader.objects.get(slug="fumio-kishida"),
        views.LeaderViewSet,
    ),
    Spec(
        "source",
        serializers.SourceSerializer,
        (
            {"key": "nato-website", "title": "NATO", "url": "https://www.nato.int/"},
            {"key": "seed-copy", "title": "A seed", "seed_file": "x.txt", "sha256": "0" * 64},
        ),
        lambda: Source.objects.get(key=ARTICLE_SOURCE),
        views.SourceViewSet,
    ),
    Spec(
        "summit",
        serializers.SummitSerializer,
        (
            {
                "slug": "g7-2024-apulia",
                "name": "G7 Summit 2024",
                "kind": "ordinary",
                "status": "held",
                "host_country": "US",
                "city": "Apulia",
                "start_date": "2024-06-13",
                "end_date": "2024-06-15",
            },
            {
                "slug": "nato-2025",
                "name": "NATO 2025",
                "organization": "nato",
                "start_date": "2025",
            },
        ),
        lambda: Summit.objects.get(slug="nato-2024-washington"),
        views.SummitViewSet,
    ),
    Spec(
        "attendance",
        serializers.AttendanceSerializer,
        (
            {"summit": "nato-2024-washington", "country": "US", "leader": "joe-biden"},
            {"summit": "nato-2022-spain", "country": "KR", "role": "partner", "note": "Invited."},
        ),
        _japan_at_washington,
        views.AttendanceViewSet,
    ),
    Spec(
        "citation",
        serializers.CitationSerializer,
        (
            {
                "source": ARTICLE_SOURCE,
                "summit": "nato-2023-lithuania",
                "field": "name",
                "quote": "the 2023 NATO Summit",
                "start": 0,
                "end": 20,
                "basis": "implied",
            },
            {"source": ARTICLE_SOURCE, "summit": "japan-us-2024-04-10", "field": "note"},
        ),
        lambda: Citation.objects.filter(summit__slug="nato-2024-washington", field="city").get(),
        views.CitationViewSet,
    ),
    Spec(
        "new-status-change",
        serializers.NewStatusChangeSerializer,
        (
            {"status": "invited", "as_of": "2024-04"},
            {
                "status": "confirmed",
                "as_of": "2024-06-20",
                "note": "Accepted.",
                "citation": {"source": ARTICLE_SOURCE, "quote": "", "basis": "external"},
            },
        ),
        service=True,
    ),
]


# Values.

HUGE_INTS = st.sampled_from(
    [0, -1, 2**31 - 1, 2**31, 2**53 + 1, 2**63 - 1, 2**63, 10**30, -(2**63) - 1]
)
TEXT = st.text(max_size=12) | st.sampled_from(
    ["", " ", "\x00", "JP\x00", "nato\x00", "\ud800", "\u202e", "\ufeff", "🎌", "null", "None", "0"]
)
LONG_TEXT = st.sampled_from([2, 3, 11, 51, 65, 101, 201, 301, 10_000, 100_000]).map(
    lambda n: "x" * n
)
DATE_LIKE = (
    st.dates().map(str)
    | st.dates().map(lambda day: f"{day.year:04d}-{day.month:02d}")
    | st.integers(0, 9999).map(lambda year: f"{year:04d}")
    | st.sampled_from(
        [
            "2024-02-30",
            "2024-13",
            "0000",
            "0000-01-01",
            "9999-12-31",
            "2024-7-9",
            "20240709",
            "2024-W28-2",
            "2024-07-09T10:00:00Z",
            "2024-07-09\n",
            "2024-07-09\x00",
            " 2024",
            "\u0662\u0660\u0662\u0664",  # 2024 in Arabic-Indic digits: \d matches them
        ]
    )
)
SCALARS = (
    st.none()
    | st.booleans()
    | st.integers()
    | HUGE_INTS
    | st.floats()
    | st.sampled_from([math.nan, math.inf, -math.inf, -0.0, 1e308])
    | TEXT
    | LONG_TEXT
    | DATE_LIKE
)
JSON = st.recursive(
    SCALARS,
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.dictionaries(
            st.text(max_size=6) | st.sampled_from(["source", "quote", "start"]), inner, max_size=4
        )
    ),
    max_leaves=10,
)


CHOICES = ["ordinary", "bilateral", "held", "scheduled", "host", "guest", "attended", "invited"]
CHOICES += ["confirmed", "stated", "implied", "external", "day", "month", "year", "HELD", "x"]


def field_values(name: str, ids: dict[str, list]) -> st.SearchStrategy:
    """Values that look right for a field of this name: keys of rows, choices, dates, offsets."""
    keys = {
        "country": ids["codes"],
        "host_country": ids["codes"],
        "code": [*ids["codes"], "FR", "fr", "FRA", "F1"],
        "leader": ids["leaders"],
        "summit": ids["summits"],
        "organization": ids["organizations"],
        "slug": [*ids["summits"], "a-new-slug", "a slug", "a/slug"],
        "key": [ARTICLE_SOURCE, "a-new-key"],
        "source": [ARTICLE_SOURCE, "nato-website"],
        "attendance": [*ids["attendances"], 0, -1],
        "status_change": [*ids["status_changes"], 0, -1],
        "url": ["https://www.nato.int/", "ftp://example.org/", "javascript:alert(1)", ""],
        "sha256": ["0" * 64, "Z" * 64, "0" * 63, ""],
        "seed_file": ["000_ca46305f64ddf42a.txt", "", "../etc/passwd"],
        "language": ["en", "ja", "", "x" * 11],
        "field": ["city", "start_date", "name", ""],
    }
    if name in keys:
        return st.sampled_from(keys[name])
    if name in ("start", "end"):
        return st.integers(-2, 3000) | st.sampled_from([2**31 - 1, 2**31 - 2]) | HUGE_INTS
    if name in ("kind", "status", "role", "basis", "date_precision"):
        return st.sampled_from(CHOICES)
    if name in ("start_date", "end_date", "as_of", "term_start", "term_end", "founded_on"):
        return DATE_LIKE
    if name == "records_complete_from":
        return DATE_LIKE
    return TEXT | LONG_TEXT


def payloads(spec: Spec, ids: dict[str, list]) -> st.SearchStrategy:
    """A valid payload (or none) with fields dropped, replaced and added at random."""
    names = st.sampled_from(spec.fields()) | st.text(max_size=8)

    @st.composite
    def build(draw) -> dict:
        base = dict(draw(st.sampled_from([{}, *spec.valid, *spec.valid])))
        for name in draw(st.sets(st.sampled_from(sorted(base)), max_size=3)) if base else ():
            del base[name]
        for name in draw(st.lists(names, max_size=3)):
            base[name] = draw(st.one_of(field_values(name, ids), field_values(name, ids), JSON))
        if "citation" in spec.fields() and draw(st.integers(0, 2)) == 0:
            evidence = draw(st.sampled_from([{}, {"source": ARTICLE_SOURCE, "quote": "NATO"}]))
            for name in draw(
                st.lists(
                    st.sampled_from(["source", "quote", "start", "end", "basis", "x"]), max_size=4
                )
            ):
                evidence[name] = draw(st.one_of(field_values(name, ids), JSON))
            base["citation"] = draw(st.just(evidence) | JSON)
        return base

    return build()


# The run.


@dataclass
class Tally:
    tried: int = 0
    valid: int = 0
    saved: int = 0
    outcomes: Counter = field(default_factory=Counter)


@pytest.fixture
def tally(request, record_property):
    counts = Tally()
    yield counts
    figures = {
        "payloads_tried": counts.tried,
        "valid": counts.valid,
        "saved": counts.saved,
        "outcomes": dict(counts.outcomes),
    }
    for key, value in figures.items():
        record_property(key, value)


@pytest.fixture
def ids(article) -> dict[str, list]:
    return {
        "codes": list(Country.objects.values_list("code", flat=True)),
        "leaders": list(Leader.objects.values_list("slug", flat=True)),
        "summits": list(Summit.objects.values_list("slug", flat=True)),
        "organizations": list(Organization.objects.values_list("slug", flat=True)),
        "attendances": list(Attendance.objects.values_list("pk", flat=True)),
        "status_changes": list(StatusChange.objects.values_list("pk", flat=True)),
    }


def request_context() -> dict:
    return {"request": Request(APIRequestFactory().get("/api/"))}


def save(spec: Spec, serializer, instance):
    """What the view does with a valid payload; the saved row, rendered as the view renders it."""
    if spec.service:
        change = attendance_record_status(
            attendance=_japan_at_washington(), **serializer.validated_data
        )
        change.full_clean()
        for evidence in change.citations.all():
            if (evidence.start is None) != (evidence.end is None):
                raise AssertionError(f"saved a citation with start={evidence.start}, no end")
        return serializers.StatusChangeSerializer(change).data
    saved = serializer.save()
    saved.refresh_from_db()
    saved.full_clean()
    if isinstance(saved, Citation) and (saved.start is None) != (saved.end is None):
        raise AssertionError(f"saved a citation with start={saved.start} and end={saved.end}")
    shown = spec.viewset.queryset.all().get(pk=saved.pk)
    return spec.serializer(shown, context=request_context()).data


@pytest.mark.parametrize("spec", SPECS, ids=[spec.name for spec in SPECS])
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
@given(data=st.data())
def test_a_write_serializer_validates_any_payload_without_raising_and_saves_what_it_accepts(
    spec, ids, tally, data
):
    update = spec.instance is not None and data.draw(st.booleans(), label="partial update")
    payload = data.draw(payloads(spec, ids), label="payload")
    tally.tried += 1
    with transaction.atomic():
        instance = spec.instance() if update else None
        serializer = spec.serializer(
            instance, data=payload, partial=update, context=request_context()
        )
        try:
            with transaction.atomic():
                valid = serializer.is_valid()
        except Exception as error:
            tally.outcomes[f"is_valid raised {type(error).__name__}"] += 1
            note(f"is_valid() raised {type(error).__name__}: {error}")
            raise
        if not valid:
            tally.outcomes["invalid"] += 1
            assert serializer.errors, "is_valid() said False without an error"
        else:
            tally.valid += 1
            try:
                with transaction.atomic():
                    save(spec, serializer, instance)
            except IntegrityError as error:
                tally.outcomes["save raised IntegrityError"] += 1
                note(f"IntegrityError: {error}")
            except DjangoValidationError as error:
                if not spec.service:
                    raise
                tally.outcomes["service raised ValidationError"] += 1
                note(f"the service refused: {error}")
            else:
                tally.saved += 1
                tally.outcomes["saved"] += 1
        transaction.set_rollback(True)


# What the fuzzer found on PostgreSQL, kept as plain examples.


@pytest.mark.parametrize("start", [2**31 - 1, 2**31 - 3])
def test_offsets_whose_sum_overflows_32_bits_are_refused_by_validation(article, start):
    """`end = start + length(quote)` is evaluated in 32 bits on PostgreSQL; if the validation
    query overflows, Django's constraint check counts it as passed and the INSERT fails."""
    payload = {
        "source": ARTICLE_SOURCE,
        "summit": "nato-2023-lithuania",
        "field": "name",
        "quote": "NATO Summit",
        "start": start,
        "end": 5,
    }
    serializer = serializers.CitationSerializer(data=payload, context=request_context())
    with transaction.atomic():
        assert not serializer.is_valid()
    # The evidence rule (the source's text at those offsets) refuses them before the database.
    assert "quote" in serializer.errors


def test_a_status_change_cited_with_overflowing_offsets_is_refused_by_the_service(article):
    body = serializers.NewStatusChangeSerializer(
        data={
            "status": "invited",
            "as_of": "2024-04",
            "citation": {"source": ARTICLE_SOURCE, "quote": "NATO", "start": 2**31 - 1, "end": 5},
        }
    )
    assert body.is_valid(), body.errors
    with pytest.raises(DjangoValidationError) as refused, transaction.atomic():
        attendance_record_status(attendance=_japan_at_washington(), **body.validated_data)
    assert "citation.quote" in refused.value.message_dict


@pytest.mark.parametrize(
    "payload",
    [
        pytest.param({"end": None}, id="update-drops-the-end"),
        pytest.param({"start": None}, id="update-drops-the-start"),
    ],
)
def test_a_citation_keeps_its_offsets_in_pairs(article, payload):
    """A CHECK constraint passes when its condition is NULL: `end = start + length(quote)` with
    a NULL end must not let a citation keep a start without an end."""
    citation = Citation.objects.filter(summit__slug="nato-2024-washington", field="city").get()
    serializer = serializers.CitationSerializer(
        citation, data=payload, partial=True, context=request_context()
    )
    with transaction.atomic():
        assert not serializer.is_valid()
    assert {"start", "end"} & set(serializer.errors)


def test_a_new_citation_with_a_start_and_no_end_is_refused(article):
    payload = {
        "source": ARTICLE_SOURCE,
        "summit": "nato-2023-lithuania",
        "field": "name",
        "quote": "NATO",
        "start": 10,
    }
    serializer = serializers.CitationSerializer(data=payload, context=request_context())
    with transaction.atomic():
        assert not serializer.is_valid()
    # Offsets come in pairs: the evidence rule asks for the end.
    assert "end" in serializer.errors
