"""Filters and search on the article's data return exactly the rows they claim."""

import pytest
import time_machine
from django.urls import reverse
from django_filters import rest_framework as django_filters

from summits.api.filters import AttendanceFilter, FilterSet
from summits.models import Attendance, Country


def slugs(client, query: str) -> list[str]:
    response = client.get(f"{reverse('api:summit-list')}?{query}")
    assert response.status_code == 200, response.json()
    return [row["slug"] for row in response.json()["results"]]


def attendances(client, query: str) -> list[tuple[str, str]]:
    response = client.get(f"{reverse('api:attendance-list')}?{query}")
    assert response.status_code == 200, response.json()
    return [(row["summit"], row["country"]) for row in response.json()["results"]]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        (
            "",
            [
                "nato-2022-spain",
                "nato-2023-lithuania",
                "japan-us-2024-04-10",
                "nato-2024-washington",
            ],
        ),
        ("year=2024", ["japan-us-2024-04-10", "nato-2024-washington"]),
        ("organization=nato", ["nato-2022-spain", "nato-2023-lithuania", "nato-2024-washington"]),
        ("host_country=US", ["nato-2024-washington"]),
        ("attending_country=KR", ["nato-2023-lithuania"]),
        ("attending_leader=joe-biden", ["japan-us-2024-04-10"]),
        (
            "attending_leader=fumio-kishida&organization=nato",
            ["nato-2022-spain", "nato-2023-lithuania", "nato-2024-washington"],
        ),
        ("status=held", ["nato-2022-spain", "nato-2023-lithuania"]),
        ("status=held&status=scheduled&kind=bilateral", ["japan-us-2024-04-10"]),
        ("search=washington", ["nato-2024-washington"]),
        ("search=lithuania", ["nato-2023-lithuania"]),
        (
            "ordering=-start_date",
            [
                "nato-2024-washington",
                "japan-us-2024-04-10",
                "nato-2023-lithuania",
                "nato-2022-spain",
            ],
        ),
        ("attending_country=FR", []),
    ],
)
def test_summit_filters(anonymous_client, article, query, expected):
    assert slugs(anonymous_client, query) == expected


@pytest.mark.parametrize(
    ("today", "upcoming", "past"),
    [
        # A month or a year counts as upcoming until its last day, never by its stored first day.
        (
            "2022-06-30",
            [
                "nato-2022-spain",
                "nato-2023-lithuania",
                "japan-us-2024-04-10",
                "nato-2024-washington",
            ],
            [],
        ),
        (
            "2022-07-01",
            ["nato-2023-lithuania", "japan-us-2024-04-10", "nato-2024-washington"],
            ["nato-2022-spain"],
        ),
        (
            "2023-12-31",
            ["nato-2023-lithuania", "japan-us-2024-04-10", "nato-2024-washington"],
            ["nato-2022-spain"],
        ),
        (
            "2024-07-11",
            ["nato-2024-washington"],
            ["nato-2022-spain", "nato-2023-lithuania", "japan-us-2024-04-10"],
        ),
        (
            "2024-07-12",
            [],
            [
                "nato-2022-spain",
                "nato-2023-lithuania",
                "japan-us-2024-04-10",
                "nato-2024-washington",
            ],
        ),
    ],
)
def test_upcoming_and_past_summits_on_a_given_day(anonymous_client, article, today, upcoming, past):
    with time_machine.travel(f"{today} 12:00Z", tick=False):
        assert slugs(anonymous_client, "upcoming=true") == upcoming
        assert slugs(anonymous_client, "upcoming=false") == past


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        (
            "summit=nato-2023-lithuania",
            [("nato-2023-lithuania", code) for code in ["JP", "KR", "AU", "NZ"]],
        ),
        (
            "country=JP&organization=nato",
            [
                ("nato-2024-washington", "JP"),
                ("nato-2022-spain", "JP"),
                ("nato-2023-lithuania", "JP"),
            ],
        ),
        ("leader=joe-biden", [("japan-us-2024-04-10", "US")]),
        ("status=proposed", [("nato-2024-washington", "JP")]),
        (
            "status=confirmed&year=2024",
            [("japan-us-2024-04-10", "JP"), ("japan-us-2024-04-10", "US")],
        ),
        ("year=2022", [("nato-2022-spain", "JP")]),
        ("role=host", []),
        ("country=ZZ", []),
        ("country=JP&leader=joe-biden", []),
        ("organization=g7", []),
        ("search=zealand", [("nato-2023-lithuania", "NZ")]),
        ("search=biden", [("japan-us-2024-04-10", "US")]),
    ],
)
def test_attendance_filters(anonymous_client, article, query, expected):
    assert sorted(attendances(anonymous_client, query)) == sorted(expected)


def test_leaders_filter_by_country(anonymous_client, article):
    response = anonymous_client.get(f"{reverse('api:leader-list')}?country=JP")

    assert [row["slug"] for row in response.json()["results"]] == ["fumio-kishida"]


def test_countries_search_by_name(anonymous_client, article):
    response = anonymous_client.get(f"{reverse('api:country-list')}?search=korea")

    assert [row["code"] for row in response.json()["results"]] == ["KR"]


@pytest.mark.parametrize(
    "query", ["year=twenty", "year=0", "year=10000", "status=maybe", "upcoming=perhaps"]
)
def test_a_filter_value_of_the_wrong_kind_answers_400(anonymous_client, article, query):
    response = anonymous_client.get(f"{reverse('api:summit-list')}?{query}")

    assert response.status_code == 400
    assert response.json()["type"] == "validation_error"
    assert response.json()["errors"][0]["attr"] == query.split("=")[0]


def test_dates_known_only_to_a_month_or_a_year_are_never_shown_with_a_day(
    anonymous_client, article
):
    spain = anonymous_client.get(reverse("api:summit-detail", args=["nato-2022-spain"])).json()
    lithuania = anonymous_client.get(
        reverse("api:summit-detail", args=["nato-2023-lithuania"])
    ).json()

    assert (spain["start_date"], spain["end_date"], spain["date_precision"], spain["dates"]) == (
        "2022-06",
        None,
        "month",
        "June 2022",
    )
    assert (lithuania["start_date"], lithuania["date_precision"], lithuania["dates"]) == (
        "2023",
        "year",
        "2023",
    )


def test_a_summit_lists_its_attendees_with_leader_and_country_names(anonymous_client, article):
    summit = anonymous_client.get(reverse("api:summit-detail", args=["nato-2023-lithuania"])).json()

    assert summit["attendee_count"] == 4
    assert [
        (row["country_name"], row["leader_name"], row["status"]) for row in summit["attendances"]
    ] == [
        ("Australia", None, "attended"),
        ("Japan", "Fumio Kishida", "attended"),
        ("South Korea", None, "attended"),
        ("New Zealand", None, "attended"),
    ]


@pytest.mark.parametrize(
    ("query", "status"),
    [
        ("", 200),
        ("ordering=name", 200),
        ("page_size=2", 400),
        ("unrelated=1", 400),
        ("organization=nato", 200),
        ("organization=g7", 404),
        ("year=2023", 200),
        ("year=2024", 404),
        ("year=twenty", 400),
    ],
)
def test_a_detail_answers_only_within_the_filters_it_is_given(
    anonymous_client, article, query, status
):
    url = reverse("api:summit-detail", args=["nato-2023-lithuania"])

    response = anonymous_client.get(f"{url}?{query}")

    assert response.status_code == status
    if status == 200:
        assert response.json()["slug"] == "nato-2023-lithuania"


def test_a_parameter_that_names_no_filter_answers_400_listing_those_there_are(
    anonymous_client, article
):
    response = anonymous_client.get(f"{reverse('api:summit-list')}?page_size=100&yearly=2024")

    assert response.status_code == 400
    [error] = response.json()["errors"]
    assert (error["attr"], error["code"]) == ("yearly", "unknown_parameter")
    assert error["detail"] == (
        "Unknown query parameter. This endpoint takes: attending_country, attending_leader, "
        "cursor, format, host_country, kind, ordering, organization, page_size, search, status, "
        "upcoming, year."
    )
    assert slugs(anonymous_client, "page_size=100&year=2024") == [
        "japan-us-2024-04-10",
        "nato-2024-washington",
    ]


@pytest.mark.parametrize(
    ("search", "detail"),
    [
        (" ".join(["e"] * 1000), "A search takes at most 8 terms; this one has 1000."),
        (" ".join(f"t{n}" for n in range(9)), "A search takes at most 8 terms; this one has 9."),
        ("x" * 65, "A search term is at most 64 characters long."),
    ],
)
@pytest.mark.parametrize("basename", ["attendance", "citation", "summit", "leader"])
def test_a_search_past_its_bounds_answers_400_naming_them(
    anonymous_client, article, basename, search, detail
):
    response = anonymous_client.get(reverse(f"api:{basename}-list"), {"search": search})

    assert response.status_code == 400
    assert response.json()["errors"] == [
        {"code": "invalid_search", "detail": detail, "attr": "search"}
    ]


def test_the_longest_search_allowed_still_answers(anonymous_client, article):
    terms = ["kishida", "nato", "japan", "2023", "lithuania", "fumio", "summit", "a" * 64]

    response = anonymous_client.get(reverse("api:attendance-list"), {"search": " ".join(terms[:7])})
    longest = anonymous_client.get(reverse("api:attendance-list"), {"search": " ".join(terms)})

    assert [row["summit"] for row in response.json()["results"]] == ["nato-2023-lithuania"]
    assert longest.status_code == 200
    assert longest.json()["results"] == []


def test_a_search_finds_rows_through_each_related_name(anonymous_client, article):
    # Kishida's leader name, Japan's country name and a summit's name each find attendances.
    for term, expected in [
        ("kishida", 4),
        ("japan", 5),  # Japan's four, and the United States at the Japan-U.S. summit
        ("lithuania", 4),
        ('"Fumio Kishida" spain', 1),
    ]:
        response = anonymous_client.get(reverse("api:attendance-list"), {"search": term})

        assert len(response.json()["results"]) == expected, term


def test_each_request_checks_exactly_the_filters_it_names(anonymous_client, article):
    # Each set of filters a request names gets its own form: none borrows another's fields.
    url = reverse("api:summit-list")

    def attrs(query: str) -> set[str]:
        response = anonymous_client.get(f"{url}?{query}")
        assert response.status_code == 400
        return {error["attr"] for error in response.json()["errors"]}

    assert attrs("status=maybe&year=twenty") == {"status", "year"}
    assert attrs("year=twenty") == {"year"}
    assert slugs(anonymous_client, "status=held") == ["nato-2022-spain", "nato-2023-lithuania"]
    assert attrs("status=held&year=twenty") == {"year"}
    assert slugs(anonymous_client, "year=2024&kind=bilateral") == ["japan-us-2024-04-10"]


def test_the_browsable_apis_filter_form_offers_every_filter_after_a_filtered_request(
    anonymous_client, article
):
    url = reverse("api:summit-list")
    assert slugs(anonymous_client, "host_country=US") == ["nato-2024-washington"]

    page = anonymous_client.get(f"{url}?host_country=US", HTTP_ACCEPT="text/html")

    assert page.status_code == 200
    html = page.content.decode()
    for name in ("year", "organization", "attending_leader", "status", "kind", "upcoming"):
        assert f'name="{name}"' in html, name


def test_filter_forms_own_their_fields_and_never_share_a_queryset(db):
    class ByCountry(FilterSet):
        country = django_filters.ModelChoiceFilter(queryset=Country.objects.all())

        class Meta:
            model = Attendance
            fields = ["country"]

    first, second = (AttendanceFilter({"status": "held"}).form for _ in range(2))
    by_country = [ByCountry({}).form for _ in range(2)]

    assert first.fields["status"] is not second.fields["status"]
    first.fields["status"].required = True
    assert not second.fields["status"].required
    assert by_country[0].fields["country"].queryset is not by_country[1].fields["country"].queryset
