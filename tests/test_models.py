"""The database itself refuses data that breaks an invariant, whatever path the data takes."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from summits.models import Attendance, Citation, Country, Leader, Source, StatusChange, Summit

JULY_9 = dt.date(2024, 7, 9)


def summit_with(**fields) -> Summit:
    return Summit(**{"slug": "s", "name": "S", "start_date": JULY_9, **fields})


INVALID_ROWS = {
    "country-code-lowercase": lambda w: Country(code="jp", name="Japan"),
    "country-code-digits": lambda w: Country(code="J1", name="Japan"),
    "country-code-duplicate": lambda w: Country(code="JP", name="Japan again"),
    "summit-end-before-start": lambda w: summit_with(end_date=dt.date(2024, 7, 8)),
    "summit-end-at-month-precision": lambda w: summit_with(
        start_date=dt.date(2024, 7, 1), date_precision="month", end_date=dt.date(2024, 7, 2)
    ),
    "summit-month-not-on-the-first": lambda w: summit_with(date_precision="month"),
    "summit-year-not-on-january-first": lambda w: summit_with(
        start_date=dt.date(2024, 7, 1), date_precision="year"
    ),
    "summit-unknown-status": lambda w: summit_with(status="rumoured"),
    "summit-unknown-kind": lambda w: summit_with(kind="picnic"),
    "summit-unknown-precision": lambda w: summit_with(date_precision="week"),
    "leader-term-ends-before-it-starts": lambda w: Leader(
        slug="x",
        name="X",
        country=w.japan,
        office="PM",
        term_start=JULY_9,
        term_end=dt.date(2024, 1, 1),
    ),
    "attendance-second-for-a-country": lambda w: Attendance(summit=w.summit, country=w.japan),
    "attendance-unknown-role": lambda w: Attendance(
        summit=w.summit, country=w.united_states, role="spectator"
    ),
    "attendance-unknown-status": lambda w: Attendance(
        summit=w.summit, country=w.united_states, status="maybe"
    ),
    "status-change-unknown-status": lambda w: StatusChange(
        attendance=w.attendance, status="maybe", as_of=JULY_9
    ),
    "status-change-month-not-on-the-first": lambda w: StatusChange(
        attendance=w.attendance, status="invited", as_of=JULY_9, as_of_precision="month"
    ),
    "source-without-origin": lambda w: Source(key="nowhere", title="Nowhere"),
    "source-seed-file-without-sha256": lambda w: Source(
        key="seed", title="Seed", seed_file="a.txt"
    ),
    "citation-without-target": lambda w: Citation(source=w.source, field="city", basis="external"),
    "citation-with-two-targets": lambda w: Citation(
        source=w.source, summit=w.summit, attendance=w.attendance, field="city"
    ),
    "citation-end-without-start": lambda w: Citation(
        source=w.source, summit=w.summit, field="city", quote="DC", end=2
    ),
    "citation-offsets-not-spanning-quote": lambda w: Citation(
        source=w.source, summit=w.summit, field="city", quote="Washington", start=0, end=3
    ),
    "citation-offsets-with-empty-quote": lambda w: Citation(
        source=w.source, summit=w.summit, field="city", quote="", start=3, end=3
    ),
}


@pytest.mark.parametrize("make_row", INVALID_ROWS.values(), ids=INVALID_ROWS.keys())
def test_the_database_refuses_a_row_that_skips_validation(world, make_row):
    row = make_row(world)

    with pytest.raises(IntegrityError), transaction.atomic():
        row.save()  # save() runs no validation, as loaddata does not


@pytest.mark.parametrize("make_row", INVALID_ROWS.values(), ids=INVALID_ROWS.keys())
def test_model_validation_refuses_the_same_row(world, make_row):
    with pytest.raises(ValidationError):
        make_row(world).full_clean()


def test_two_citations_of_one_field_at_one_offset_are_refused(world):
    Citation.objects.create(
        source=world.source, summit=world.summit, field="city", basis="external"
    )

    with pytest.raises(IntegrityError), transaction.atomic():
        Citation.objects.create(
            source=world.source, summit=world.summit, field="city", basis="external"
        )


def test_a_leader_of_another_country_is_refused_by_model_validation(world):
    attendance = Attendance(summit=world.summit, country=world.united_states, leader=world.kishida)

    with pytest.raises(ValidationError) as error:
        attendance.full_clean()

    assert error.value.message_dict == {"leader": ["Fumio Kishida leads Japan, not United States."]}


def test_a_leader_cannot_move_to_another_country_while_attending_for_the_first(world):
    world.kishida.country = world.united_states

    with pytest.raises(ValidationError) as error:
        world.kishida.full_clean()

    assert list(error.value.message_dict) == ["country"]


@pytest.mark.parametrize(
    ("fields", "shown"),
    [
        ({"start_date": dt.date(2024, 7, 9), "end_date": dt.date(2024, 7, 11)}, "July 9–11, 2024"),
        (
            {"start_date": dt.date(2022, 6, 28), "end_date": dt.date(2022, 7, 1)},
            "June 28 – July 1, 2022",
        ),
        ({"start_date": dt.date(2024, 4, 10), "end_date": dt.date(2024, 4, 10)}, "April 10, 2024"),
        ({"start_date": dt.date(2022, 6, 1), "date_precision": "month"}, "June 2022"),
        ({"start_date": dt.date(2023, 1, 1), "date_precision": "year"}, "2023"),
    ],
)
def test_summit_dates_are_shown_at_their_precision(fields, shown):
    assert summit_with(**fields).dates == shown


def test_every_model_has_a_natural_key_that_finds_it_again(world):
    change = StatusChange.objects.create(
        attendance=world.attendance, status="invited", as_of=JULY_9
    )
    citation = Citation.objects.create(
        source=world.source, status_change=change, field="status", basis="external"
    )
    rows = [
        world.japan,
        world.nato,
        world.kishida,
        world.summit,
        world.attendance,
        change,
        world.source,
        citation,
    ]

    for row in rows:
        manager = type(row)._default_manager
        assert manager.get_by_natural_key(*row.natural_key()) == row
        assert str(row)
