"""List endpoints: filters, search, ordering, cursor pages, and a query count that never grows."""

import datetime as dt
from base64 import b64encode
from urllib.parse import urlencode

import pytest
from django.urls import reverse

from summits.models import (
    Attendance,
    Country,
    Leader,
    StatusChange,
    Summit,
)
from tests.helpers import LIST_ROWS as ROWS
from tests.helpers import count_queries

LISTS = ["country", "organization", "leader", "summit", "attendance", "source", "citation"]


@pytest.mark.parametrize("basename", LISTS)
def test_a_list_runs_the_same_queries_for_a_page_of_5_and_a_page_of_50(
    anonymous_client, many_rows, basename
):
    url = reverse(f"api:{basename}-list")

    small = count_queries(anonymous_client, f"{url}?page_size=5")
    large = count_queries(anonymous_client, f"{url}?page_size=50")

    assert small == large == 1


@pytest.mark.parametrize(
    ("query", "queries"),
    [
        ("summit=summit-0", 2),
        ("organization=nato&status=invited&year=1990", 2),
        ("summit=summit-0&country=AB&leader=leader-1", 4),
        # A key that names nothing answers an empty list without running the list's query.
        ("country=ZZ&status=invited", 1),
    ],
)
def test_a_filtered_list_looks_up_each_key_once_whatever_the_page_size(
    anonymous_client, many_rows, query, queries
):
    url = f"{reverse('api:attendance-list')}?{query}"

    small = count_queries(anonymous_client, f"{url}&page_size=5")
    large = count_queries(anonymous_client, f"{url}&page_size=50")

    assert small == large == queries


def test_a_summit_detail_runs_the_same_queries_for_5_and_60_attendees(anonymous_client, many_rows):
    few = Summit.objects.create(slug="few", name="Few", start_date=dt.date(2024, 1, 1))
    for country in Country.objects.all()[:5]:
        Attendance.objects.create(summit=few, country=country)

    with_few = count_queries(anonymous_client, reverse("api:summit-detail", args=["few"]))
    with_many = count_queries(anonymous_client, reverse("api:summit-detail", args=[many_rows.slug]))

    assert with_few == with_many == 3


def test_an_attendance_detail_runs_a_constant_number_of_queries(anonymous_client, many_rows):
    attendance = Attendance.objects.first()
    for day in range(2, 30):
        StatusChange.objects.create(
            attendance=attendance, status="considering", as_of=dt.date(1990, 1, day)
        )

    assert (
        count_queries(anonymous_client, reverse("api:attendance-detail", args=[attendance.pk])) == 4
    )


def walk(client, url: str) -> list[dict]:
    """Every row of a list, following `next` links page by page."""
    rows = []
    while url:
        page = client.get(url).json()
        rows.extend(page["results"])
        url = page["next"]
    return rows


@pytest.mark.parametrize("ordering", ["start_date", "-start_date", "name", "-slug"])
def test_cursor_pages_hold_every_summit_exactly_once_in_order(
    anonymous_client, many_rows, ordering
):
    rows = walk(anonymous_client, f"{reverse('api:summit-list')}?page_size=7&ordering={ordering}")

    field = ordering.lstrip("-")
    expected = sorted(
        Summit.objects.values_list(field, flat=True), reverse=ordering.startswith("-")
    )
    assert len({row["slug"] for row in rows}) == len(rows) == ROWS
    shown = [row[field] for row in rows]
    assert shown == [
        value.isoformat() if isinstance(value, dt.date) else value for value in expected
    ]


def test_pages_hold_still_while_rows_are_added(anonymous_client, many_rows):
    names = list(Leader.objects.order_by("name").values_list("name", flat=True))
    first = anonymous_client.get(f"{reverse('api:leader-list')}?page_size=10&ordering=name").json()

    Leader.objects.create(
        slug="new", name="Leader 00", country=Country.objects.first(), office="King"
    )
    second = anonymous_client.get(first["next"]).json()

    assert names[0] < "Leader 00" < names[9]
    assert [row["name"] for row in first["results"]] == names[:10]
    assert [row["name"] for row in second["results"]] == names[10:20]


def test_a_page_size_over_500_answers_400(anonymous_client, many_rows):
    response = anonymous_client.get(f"{reverse('api:summit-list')}?page_size=501")

    assert response.status_code == 400
    assert response.json()["errors"][0]["attr"] == "page_size"


def test_a_page_of_500_is_allowed(anonymous_client, many_rows):
    response = anonymous_client.get(f"{reverse('api:country-list')}?page_size=500")

    assert response.status_code == 200
    assert len(response.json()["results"]) == ROWS


@pytest.mark.parametrize("bad", ["0", "-1", "ten", "2.5", "501"])
def test_a_page_size_that_is_not_a_whole_number_in_range_answers_400(
    anonymous_client, many_rows, bad
):
    response = anonymous_client.get(f"{reverse('api:summit-list')}?page_size={bad}")

    assert response.status_code == 400


def test_ordering_by_a_field_not_allowed_answers_400(anonymous_client, many_rows):
    response = anonymous_client.get(f"{reverse('api:leader-list')}?ordering=country__name")

    assert response.status_code == 400
    assert response.json()["errors"][0]["attr"] == "ordering"


def test_a_tampered_cursor_answers_404(anonymous_client, many_rows):
    response = anonymous_client.get(f"{reverse('api:summit-list')}?cursor=not-a-cursor")

    assert response.status_code == 404
    assert response.json()["type"] == "client_error"


@pytest.mark.parametrize("position", ["abc", "1.5", "1e5", "\x00", "99999999999999999999999"])
def test_a_cursor_whose_position_is_not_a_value_of_its_field_answers_404(
    anonymous_client, many_rows, position
):
    cursor = b64encode(urlencode({"p": position}).encode()).decode()

    response = anonymous_client.get(reverse("api:attendance-list"), {"cursor": cursor})

    assert response.status_code == 404
    assert response.json()["errors"][0]["detail"] == "Invalid cursor"


def test_a_tampered_date_cursor_answers_404(anonymous_client, many_rows):
    cursor = b64encode(urlencode({"p": "2024-13-45"}).encode()).decode()

    response = anonymous_client.get(reverse("api:summit-list"), {"cursor": cursor})

    assert response.status_code == 404


@pytest.mark.parametrize("digits", ["\u00b2", "\u0663", "\uff11\uff10"])
def test_a_page_size_in_other_digits_answers_400(anonymous_client, many_rows, digits):
    response = anonymous_client.get(reverse("api:summit-list"), {"page_size": digits})

    assert response.status_code == 400
    assert response.json()["errors"][0]["attr"] == "page_size"
