"""The synthetic data generator: deterministic per seed, idempotent, valid, and fit to list."""

import re
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import transaction
from django.db.models import F, OuterRef, Subquery
from django.urls import reverse

from devdata.rows import MODELS, row_columns
from devdata.vocabulary import RESERVED_COUNTRY_CODES, synthetic_scale
from summits.dates import DatePrecision
from summits.models import (
    Attendance,
    AttendanceRole,
    Citation,
    Country,
    Leader,
    Organization,
    Source,
    StatusChange,
    Summit,
)
from tests.helpers import count_queries, table_counts

SIZE = 300


def generate(seed: int = 7, attendances: int = SIZE) -> str:
    out = StringIO()
    call_command("generate_data", seed=seed, attendances=attendances, stdout=out)
    return out.getvalue()


def dump() -> str:
    out = StringIO()
    call_command("dumpdata", "summits", indent=1, stdout=out)
    return out.getvalue()


@pytest.fixture
def generated(db):
    generate()


def test_the_same_seed_gives_the_same_dumpdata(db):
    with transaction.atomic():
        generate()
        first = dump()
        transaction.set_rollback(True)
    assert table_counts()["Attendance"] == 0

    generate()

    assert dump() == first


def test_another_seed_gives_other_data(db):
    with transaction.atomic():
        generate(seed=1)
        first = list(Attendance.objects.values_list("country__code", "status", "role"))
        transaction.set_rollback(True)

    generate(seed=2)

    assert list(Attendance.objects.values_list("country__code", "status", "role")) != first


def test_running_it_twice_leaves_the_same_rows(db):
    generate()
    first = dump()

    output = generate()

    assert dump() == first
    assert re.search(r"replacing [1-9]\d* rows", output)


def test_it_writes_the_size_asked_for_and_scales_the_rest(generated):
    scale = synthetic_scale(SIZE)

    assert Attendance.objects.count() == SIZE
    assert Summit.objects.count() == scale["summits"]
    assert Leader.objects.count() == scale["leaders"]
    assert Country.objects.count() == scale["countries"]
    assert StatusChange.objects.count() > SIZE
    assert Citation.objects.filter(attendance__isnull=False).exists()
    assert Citation.objects.filter(status_change__isnull=False).exists()
    assert set(Attendance.objects.values_list("role", flat=True)) >= {
        AttendanceRole.HOST,
        AttendanceRole.MEMBER,
        None,
    }


def test_every_status_is_the_latest_change_of_its_timeline(generated):
    latest = (
        StatusChange.objects.filter(attendance=OuterRef("pk"))
        .order_by("-as_of", "-id")
        .values("status")[:1]
    )
    attendances = Attendance.objects.annotate(latest=Subquery(latest))

    assert not attendances.filter(latest__isnull=True).exists()
    assert not attendances.exclude(status=F("latest")).exists()


def test_every_leader_belongs_to_the_attendance_country(generated):
    assert Attendance.objects.filter(leader__isnull=False).exists()
    assert not Attendance.objects.with_leader_of_another_country().exists()


def test_every_row_passes_the_models_validation(generated):
    for model in (Country, Organization, Leader, Source, Summit, Attendance, Citation):
        for row in model.objects.all()[:60]:
            row.full_clean()
    for change in StatusChange.objects.exclude(as_of_precision=DatePrecision.DAY)[:30]:
        change.full_clean()
        assert change.as_of.day == 1
    assert Summit.objects.exclude(date_precision=DatePrecision.DAY).exists()
    for summit in Summit.objects.exclude(date_precision=DatePrecision.DAY):
        assert summit.start_date.day == 1
        assert summit.end_date is None


def test_country_codes_are_two_capitals_and_leave_the_article_alone(db):
    call_command("load_fixtures", "article", verbosity=0)
    article = dict(Country.objects.values_list("code", "name"))

    generate()

    codes = set(Country.objects.values_list("code", flat=True))
    assert all(re.fullmatch(r"[A-Z]{2}", code) for code in codes)
    assert dict(Country.objects.filter(code__in=article).values_list("code", "name")) == article
    generated_codes = Attendance.objects.filter(summit__slug__startswith="gen-7-")
    assert not generated_codes.filter(country__code__in=RESERVED_COUNTRY_CODES).exists()
    assert Summit.objects.filter(slug="nato-2024-washington").exists()


def test_two_seeds_live_side_by_side(db):
    generate(seed=1, attendances=100)
    generate(seed=2, attendances=100)
    generate(seed=1, attendances=100)

    assert Attendance.objects.filter(summit__slug__startswith="gen-1-").count() == 100
    assert Attendance.objects.filter(summit__slug__startswith="gen-2-").count() == 100


def test_a_size_below_one_is_refused(db):
    with pytest.raises(CommandError, match="--attendances"):
        generate(attendances=0)


@pytest.mark.parametrize(
    ("basename", "queries"), [("attendance", 1), ("summit", 1), ("leader", 1), ("country", 1)]
)
def test_lists_of_generated_data_run_a_constant_number_of_queries(
    anonymous_client, generated, basename, queries
):
    url = reverse(f"api:{basename}-list")

    assert count_queries(anonymous_client, f"{url}?page_size=5") == queries
    assert count_queries(anonymous_client, f"{url}?page_size=200") == queries
    deeper = anonymous_client.get(f"{url}?page_size=3").json()["next"]
    assert count_queries(anonymous_client, deeper) == queries


def test_filtered_attendances_and_summit_details_run_a_constant_number_of_queries(
    anonymous_client, generated
):
    attendance = Attendance.objects.select_related("summit", "country").first()
    filtered = (
        f"{reverse('api:attendance-list')}?country={attendance.country.code}"
        f"&status={attendance.status}&year={attendance.summit.start_date.year}&page_size=100"
    )
    summits = Summit.objects.order_by("pk")
    small, large = summits.first(), summits.last()

    assert count_queries(anonymous_client, filtered) == 2  # the country's id, then the page
    details = {
        count_queries(anonymous_client, reverse("api:summit-detail", args=[summit.slug]))
        for summit in (small, large)
    }
    assert details == {3}


class Terminal(StringIO):
    def isatty(self) -> bool:
        return True


def test_it_shows_its_progress_on_a_terminal_and_nothing_in_a_pipe(db):
    terminal, pipe = Terminal(), StringIO()

    call_command("generate_data", seed=3, attendances=SIZE, stdout=StringIO(), stderr=terminal)
    call_command("generate_data", seed=3, attendances=SIZE, stdout=StringIO(), stderr=pipe)

    last = terminal.getvalue().split("\r")[-1]
    assert re.match(r"Writing citations: [0-9.]+k? rows \[", last)
    assert pipe.getvalue() == ""


@pytest.mark.parametrize("model", MODELS, ids=lambda model: model.__name__)
def test_each_generated_row_names_every_field_of_its_model(model):
    """Every field but those the database keeps (the "first" labels), which a write leaves out."""
    assert [field.name for field, _ in row_columns(model)] == [
        field.name
        for field in model._meta.concrete_fields
        if not field.primary_key and field.name not in getattr(model, "kept_by_database", ())
    ]
