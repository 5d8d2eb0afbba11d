"""What the article reasons with: runs of years, firsts and anniversaries, from the stored data."""

import datetime as dt

import pytest
import time_machine
from django.urls import reverse

from summits.models import Organization
from summits.records import Run, consecutive_runs
from tests.helpers import count_queries


def record(client, basename: str, key: str, query: str = "") -> list[dict]:
    response = client.get(f"{reverse(f'api:{basename}-record', args=[key])}{query}")
    assert response.status_code == 200, response.json()
    return response.json()


def test_kishida_attended_two_years_running_and_2024_would_make_three(anonymous_client, article):
    [nato] = record(anonymous_client, "leader", "fumio-kishida")

    assert nato["organization"] == "nato"
    assert [(row["slug"], row["dates"], row["first"]) for row in nato["attended"]] == [
        ("nato-2022-spain", "June 2022", "first recorded"),
        ("nato-2023-lithuania", "2023", None),
    ]
    assert [(row["slug"], row["status"]) for row in nato["pending"]] == [
        ("nato-2024-washington", "proposed")
    ]
    assert (
        nato["longest_run"]
        == nato["current_run"]
        == {"years": 2, "first_year": 2022, "last_year": 2023}
    )
    assert nato["next_pending"]["slug"] == "nato-2024-washington"
    assert nato["run_if_next_attended"] == 3


def test_japan_has_the_same_record_as_its_prime_minister(anonymous_client, article):
    [nato] = record(anonymous_client, "country", "JP", "?organization=nato")

    assert (nato["current_run"]["years"], nato["run_if_next_attended"]) == (2, 3)


def test_with_the_outcome_loaded_the_run_is_three_and_nothing_is_pending(
    anonymous_client, article_and_context
):
    [nato] = record(anonymous_client, "leader", "fumio-kishida")

    assert nato["current_run"] == {"years": 3, "first_year": 2022, "last_year": 2024}
    assert (nato["pending"], nato["next_pending"], nato["run_if_next_attended"]) == ([], None, None)
    assert [row["dates"] for row in nato["attended"]] == [
        "June 28–30, 2022",
        "July 11–12, 2023",
        "July 9–11, 2024",
    ]


def test_a_bilateral_meeting_is_in_no_organizations_record(anonymous_client, article):
    assert record(anonymous_client, "leader", "joe-biden") == []


def test_an_unknown_organization_answers_400(anonymous_client, article):
    response = anonymous_client.get(
        f"{reverse('api:leader-record', args=['fumio-kishida'])}?organization=g7"
    )

    assert response.status_code == 400
    assert response.json()["errors"][0]["attr"] == "organization"


def test_a_record_runs_a_constant_number_of_queries(anonymous_client, article_and_context):
    assert (
        count_queries(anonymous_client, reverse("api:leader-record", args=["fumio-kishida"])) == 2
    )
    assert count_queries(anonymous_client, reverse("api:country-record", args=["KR"])) == 2


@pytest.mark.parametrize(
    ("attended", "pending", "runs"),
    [
        ({2022, 2023}, {2024}, [Run(2, 2022, 2023)]),
        ({2019, 2021, 2022}, set(), [Run(1, 2019, 2019), Run(2, 2021, 2022)]),
        # A year with only pending records neither extends nor breaks a run...
        ({2019, 2021}, {2020}, [Run(2, 2019, 2021)]),
        # ...but a year attended and pending counts as attended.
        ({2019, 2020}, {2020}, [Run(2, 2019, 2020)]),
        (set(), {2024}, []),
    ],
)
def test_runs_of_consecutive_years(attended, pending, runs):
    assert consecutive_runs(attended_years=attended, pending_years=pending) == runs


def test_japans_2022_attendance_is_its_first_recorded_nato_summit(anonymous_client, article):
    rows = anonymous_client.get(
        f"{reverse('api:attendance-list')}?country=JP&organization=nato"
    ).json()["results"]

    firsts = {row["summit"]: (row["first_for_country"], row["first_for_leader"]) for row in rows}
    assert firsts == {
        "nato-2022-spain": ("first recorded", "first recorded"),
        "nato-2023-lithuania": (None, None),
        "nato-2024-washington": (None, None),
    }


def test_south_koreas_unnamed_leader_has_a_first_only_for_the_country(anonymous_client, article):
    rows = anonymous_client.get(f"{reverse('api:attendance-list')}?country=KR").json()["results"]

    assert [(row["first_for_country"], row["first_for_leader"]) for row in rows] == [
        ("first recorded", None)
    ]


def test_a_first_is_first_once_the_records_are_complete(anonymous_client, article):
    Organization.objects.filter(slug="nato").update(records_complete_from=dt.date(1949, 4, 4))

    rows = anonymous_client.get(f"{reverse('api:attendance-list')}?summit=nato-2022-spain").json()[
        "results"
    ]
    [nato] = record(anonymous_client, "leader", "fumio-kishida")

    assert rows[0]["first_for_country"] == rows[0]["first_for_leader"] == "first"
    assert nato["attended"][0]["first"] == "first"


def test_records_complete_only_after_the_summit_keep_it_first_recorded(anonymous_client, article):
    Organization.objects.filter(slug="nato").update(records_complete_from=dt.date(2023, 1, 1))

    rows = anonymous_client.get(f"{reverse('api:attendance-list')}?summit=nato-2022-spain").json()[
        "results"
    ]

    assert rows[0]["first_for_country"] == "first recorded"


def test_nato_2024_is_the_75th_anniversary_with_the_founding_date_known(
    anonymous_client, article_and_context
):
    summit = anonymous_client.get(
        reverse("api:summit-detail", args=["nato-2024-washington"])
    ).json()

    assert summit["anniversary"] == 75


def test_the_anniversary_is_absent_not_guessed_without_a_founding_date(anonymous_client, article):
    summits = anonymous_client.get(reverse("api:summit-list")).json()["results"]

    assert {row["slug"]: row["anniversary"] for row in summits} == {
        "nato-2022-spain": None,
        "nato-2023-lithuania": None,
        "japan-us-2024-04-10": None,
        "nato-2024-washington": None,
    }


def test_derived_answers_do_not_depend_on_todays_date(anonymous_client, article):
    answers = []
    for today in ("2024-03-01", "2030-01-01"):
        with time_machine.travel(f"{today} 12:00Z", tick=False):
            answers.append(record(anonymous_client, "leader", "fumio-kishida"))

    assert answers[0] == answers[1]
