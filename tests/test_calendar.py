"""The iCalendar feed: one all-day event per summit, at the precision its dates are known."""

import datetime as dt

import icalendar
import pytest
import time_machine
import vobject
from django.db import OperationalError, connection
from django.db.models import QuerySet
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from rest_framework.test import APIClient

from summits.api import streaming
from summits.api.conditional import RESPONSE_VARY
from summits.api.streaming import STREAM_CHUNK
from summits.models import Country, Organization, Summit
from tests.helpers import DATA_VERSION_QUERY, body, served

ARTICLE_DATES = {
    "japan-us-2024-04-10": ("20240410", "20240411", "day"),
    "nato-2024-washington": ("20240709", "20240712", "day"),
    "nato-2022-spain": ("20220601", "20220701", "month"),
    "nato-2023-lithuania": ("20230101", "20240101", "year"),
}


def get_feed(client, query: str = "", **headers):
    """A GET of the feed, its body read as a calendar client reads it, into `.body`."""
    response = client.get(f"{reverse('api:summit-calendar')}?{query}", headers=headers)
    response.body = body(response)
    return response


def feed_queries(client, query: str = "") -> int:
    """The SQL statements one GET of the feed runs, its body read to the end; not counted, as
    in tests.helpers.count_queries: transaction control and the data version."""
    with CaptureQueriesContext(connection) as queries:
        response = get_feed(client, query)
    assert response.status_code == 200
    return sum(
        1
        for query in queries
        if "SAVEPOINT" not in query["sql"] and query["sql"] != DATA_VERSION_QUERY
    )


def events(response) -> dict[str, icalendar.Event]:
    """The feed's events by summit slug, after checking it is a calendar."""
    assert response.status_code == 200, response.body
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    calendar = icalendar.Calendar.from_ical(response.body)
    return {
        str(event["UID"]).removeprefix("summit-").removesuffix("@summit-tracker"): event
        for event in calendar.walk("VEVENT")
    }


def ical(event: icalendar.Event, name: str) -> str:
    """A property's value as it is written in the feed."""
    return event[name].to_ical().decode()


def test_each_summit_is_an_all_day_event_ending_the_day_after_its_last_day(
    anonymous_client, article
):
    feed = events(get_feed(anonymous_client))

    assert {
        slug: (ical(event, "DTSTART"), ical(event, "DTEND"), str(event["X-SUMMIT-DATE-PRECISION"]))
        for slug, event in feed.items()
    } == ARTICLE_DATES
    assert all(event["DTSTART"].params["VALUE"] == "DATE" for event in feed.values())
    assert all(event["DTEND"].params["VALUE"] == "DATE" for event in feed.values())


def test_the_feed_lists_summits_in_date_order_with_names_places_and_links(
    anonymous_client, article
):
    feed = events(get_feed(anonymous_client))

    assert list(feed) == [
        "nato-2022-spain",
        "nato-2023-lithuania",
        "japan-us-2024-04-10",
        "nato-2024-washington",
    ]
    washington = feed["nato-2024-washington"]
    assert str(washington["SUMMARY"]) == "NATO Summit 2024, Washington"
    assert str(washington["LOCATION"]) == "Washington, DC, United States"
    assert str(washington["URL"]) == "http://testserver/api/summits/nato-2024-washington/"
    assert "North Atlantic Treaty Organization" in str(washington["DESCRIPTION"])
    assert str(feed["nato-2022-spain"]["LOCATION"]) == "Spain"
    # The article never says where the April meeting takes place.
    assert "LOCATION" not in feed["japan-us-2024-04-10"]


def test_a_summit_known_only_to_a_month_or_a_year_says_its_days_are_not_known(
    anonymous_client, article
):
    feed = events(get_feed(anonymous_client))
    spain, lithuania = feed["nato-2022-spain"], feed["nato-2023-lithuania"]

    assert str(spain["SUMMARY"]) == "NATO Summit 2022, Spain (June 2022; days not known)"
    assert "the days are not known" in str(spain["DESCRIPTION"])
    assert (
        str(lithuania["SUMMARY"]) == "NATO Summit 2023, Lithuania (2023; month and days not known)"
    )
    assert "the month and days are not known" in str(lithuania["DESCRIPTION"])
    assert "not known" not in str(feed["nato-2024-washington"]["SUMMARY"])


def test_the_context_fixture_gives_madrid_its_days(anonymous_client, article_and_context):
    madrid = events(get_feed(anonymous_client))["nato-2022-spain"]

    assert (ical(madrid, "DTSTART"), ical(madrid, "DTEND")) == ("20220628", "20220701")
    assert str(madrid["X-SUMMIT-DATE-PRECISION"]) == "day"
    assert str(madrid["SUMMARY"]) == "NATO Summit 2022, Spain"
    assert str(madrid["LOCATION"]) == "Madrid, Spain"


def test_the_same_data_gives_the_same_bytes_whenever_it_is_asked_for(anonymous_client, article):
    with time_machine.travel("2024-01-01 09:00Z", tick=False):
        first = get_feed(anonymous_client)
    with time_machine.travel("2025-06-30 18:30Z", tick=False):
        second = get_feed(anonymous_client)

    assert first.body == second.body
    stamps = {slug: ical(event, "DTSTAMP") for slug, event in events(first).items()}
    assert stamps == {slug: ical(event, "DTSTAMP") for slug, event in events(second).items()}
    # Rows loaded with loaddata have no edit history, so they carry the fixed stand-in.
    assert set(stamps.values()) == {"19700101T000000Z"}


def test_an_edited_summit_is_stamped_with_the_time_of_its_latest_edit(
    anonymous_client, editor_client, article
):
    url = reverse("api:summit-detail", args=["nato-2024-washington"])
    with time_machine.travel("2024-05-01 08:00:00Z", tick=False):
        assert editor_client.patch(url, {"city": "Washington"}).status_code == 200
    with time_machine.travel("2024-06-02 10:20:30Z", tick=False):
        assert editor_client.patch(url, {"city": "Washington, DC"}).status_code == 200

    with time_machine.travel("2024-07-01 12:00Z", tick=False):
        feed = events(get_feed(anonymous_client))

    assert ical(feed["nato-2024-washington"], "DTSTAMP") == "20240602T102030Z"
    assert ical(feed["nato-2024-washington"], "LAST-MODIFIED") == "20240602T102030Z"
    assert ical(feed["nato-2022-spain"], "DTSTAMP") == "19700101T000000Z"
    assert "LAST-MODIFIED" not in feed["nato-2022-spain"]


def test_the_feed_parses_with_icalendar_and_with_vobject(anonymous_client, article):
    body = get_feed(anonymous_client).body

    with_icalendar = icalendar.Calendar.from_ical(body)
    with_vobject = vobject.readOne(body.decode())

    assert str(with_icalendar["VERSION"]) == "2.0"
    assert len(with_icalendar.walk("VEVENT")) == 4
    assert len(with_vobject.vevent_list) == 4
    washington = next(
        event
        for event in with_vobject.vevent_list
        if event.uid.value == "summit-nato-2024-washington@summit-tracker"
    )
    assert (washington.dtstart.value, washington.dtend.value) == (
        dt.date(2024, 7, 9),
        dt.date(2024, 7, 12),
    )
    spain = next(
        event
        for event in with_icalendar.walk("VEVENT")
        if event["UID"] == "summit-nato-2022-spain@summit-tracker"
    )
    assert (spain.decoded("DTSTART"), spain.decoded("DTEND")) == (
        dt.date(2022, 6, 1),
        dt.date(2022, 7, 1),
    )


@pytest.mark.parametrize(
    ("status", "event_status", "summary"),
    [
        ("announced", "TENTATIVE", "Summit"),
        ("scheduled", "CONFIRMED", "Summit"),
        ("held", "CONFIRMED", "Summit"),
        ("postponed", "TENTATIVE", "Summit (postponed)"),
        ("cancelled", "CANCELLED", "Summit (cancelled)"),
    ],
)
def test_a_summits_status_becomes_the_events_status(
    anonymous_client, db, status, event_status, summary
):
    Summit.objects.create(
        slug="summit", name="Summit", start_date=dt.date(2030, 5, 6), status=status
    )

    event = events(get_feed(anonymous_client))["summit"]

    assert (str(event["STATUS"]), str(event["SUMMARY"])) == (event_status, summary)


def test_a_summit_in_the_last_year_a_calendar_can_hold_still_spans_that_year(anonymous_client, db):
    Summit.objects.create(
        slug="far-off", name="Far off", start_date=dt.date(9999, 1, 1), date_precision="year"
    )

    event = events(get_feed(anonymous_client))["far-off"]

    assert ical(event, "DTSTART") == "99990101"
    assert event.decoded("DURATION") == dt.timedelta(days=365)


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("organization=nato", ["nato-2022-spain", "nato-2023-lithuania", "nato-2024-washington"]),
        ("attending_country=KR", ["nato-2023-lithuania"]),
        ("attending_leader=joe-biden", ["japan-us-2024-04-10"]),
        ("year=2024&host_country=US", ["nato-2024-washington"]),
        ("status=held", ["nato-2022-spain", "nato-2023-lithuania"]),
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
def test_the_feed_filters_searches_and_orders_like_the_summit_list(
    anonymous_client, article, query, expected
):
    assert list(events(get_feed(anonymous_client, query))) == expected


def test_upcoming_summits_are_those_not_over_today(anonymous_client, article):
    with time_machine.travel("2024-07-10 12:00Z", tick=False):
        upcoming = events(get_feed(anonymous_client, "upcoming=true"))

    assert list(upcoming) == ["nato-2024-washington"]


@pytest.mark.parametrize(
    ("query", "attr"),
    [("year=abc", "year"), ("status=maybe", "status"), ("ordering=x", "ordering")],
)
def test_a_bad_filter_value_answers_400_in_the_apis_json_error_shape(
    anonymous_client, article, query, attr
):
    response = get_feed(anonymous_client, query)

    assert response.status_code == 400
    assert response["Content-Type"] == "application/json"
    assert response.json()["type"] == "validation_error"
    assert [error["attr"] for error in response.json()["errors"]] == [attr]


@pytest.mark.parametrize("accept", [None, "text/calendar", "*/*", "text/html,*/*;q=0.8"])
def test_the_feed_answers_calendar_clients_and_clients_that_send_no_accept_header(
    anonymous_client, article, accept
):
    headers = {"Accept": accept} if accept else {}

    response = get_feed(anonymous_client, **headers)

    assert response.status_code == 200
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    assert response.body.startswith(b"BEGIN:VCALENDAR\r\n")


@pytest.mark.parametrize("method", ["post", "put", "patch", "delete"])
@pytest.mark.parametrize("client_name", ["anonymous_client", "editor_client"])
def test_the_feed_is_read_only(request, article, client_name, method):
    client = request.getfixturevalue(client_name)

    response = getattr(client, method)(reverse("api:summit-calendar"), {})

    assert response.status_code == 405
    assert response["Content-Type"] == "application/json"
    assert response.json()["errors"][0]["code"] == "method_not_allowed"


def make_summits(count: int) -> None:
    host = Country.objects.create(code="XX", name="Hostland")
    organization = Organization.objects.create(slug="org", name="Organization")
    Summit.objects.bulk_create(
        Summit(
            slug=f"summit-{number}",
            name=f"Summit {number}",
            organization=organization,
            host_country=host,
            city="Capital",
            start_date=dt.date(2000, 1, 1) + dt.timedelta(days=number),
        )
        for number in range(count)
    )


@pytest.mark.parametrize("count", [5, 60])
def test_the_feed_runs_one_query_however_many_summits_it_holds(anonymous_client, db, count):
    make_summits(count)

    assert feed_queries(anonymous_client) == 1


def test_a_feed_of_more_summits_than_one_fetch_holds_is_served_whole_and_in_order(
    anonymous_client, db
):
    make_summits(STREAM_CHUNK + 500)

    response = get_feed(anonymous_client)

    assert response.streaming
    assert list(events(response)) == [f"summit-{number}" for number in range(STREAM_CHUNK + 500)]
    assert feed_queries(anonymous_client, "year=2000") == 1
    assert len(events(get_feed(anonymous_client, "year=2000"))) == 366


def test_a_client_that_has_the_feed_gets_304_until_a_summit_changes(
    anonymous_client, editor_client, article
):
    first = get_feed(anonymous_client)
    etag = first["ETag"]

    again = get_feed(anonymous_client, **{"If-None-Match": etag})
    editor_client.patch(
        reverse("api:summit-detail", args=["nato-2024-washington"]), {"city": "Washington"}
    )
    changed = get_feed(anonymous_client, **{"If-None-Match": etag})

    assert (again.status_code, again.body) == (304, b"")
    assert changed.status_code == 200
    assert changed["ETag"] != etag
    assert str(events(changed)["nato-2024-washington"]["LOCATION"]) == "Washington, United States"


def test_pruning_a_summit_s_history_is_a_new_version_of_the_feed(
    anonymous_client, editor_client, article
):
    url = reverse("api:summit-detail", args=["nato-2024-washington"])
    assert editor_client.patch(url, {"city": "Washington"}).status_code == 200
    edited = get_feed(anonymous_client)
    assert get_feed(anonymous_client).body == edited.body  # kept, and answered again

    # As clean_old_history does: the edit time the feed shows is gone with its record.
    Summit.history.filter(slug="nato-2024-washington").delete()
    pruned = get_feed(anonymous_client)

    assert pruned["ETag"] != edited["ETag"]
    assert "LAST-MODIFIED" in events(edited)["nato-2024-washington"]
    assert "LAST-MODIFIED" not in events(pruned)["nato-2024-washington"]


def test_control_characters_stored_before_they_were_refused_never_reach_the_feed(
    anonymous_client, db
):
    # Written as raw rows, as an older database may hold them: validation now refuses them.
    summit = Summit.objects.create(
        slug="g7-2024",
        name="G7\x0b Summit\x1b 2024\x7f",
        city="Apulia\x85",
        start_date=dt.date(2024, 6, 13),
    )

    response = get_feed(anonymous_client)

    assert not [byte for byte in response.body if byte < 0x20 and byte not in b"\r\n"]
    assert b"\x7f" not in response.body
    event = events(response)[summit.slug]
    assert str(event["SUMMARY"]) == "G7 Summit 2024"
    assert str(event["LOCATION"]) == "Apulia"


def test_a_database_that_fails_before_the_first_event_is_a_503_not_a_cut_calendar(
    article_and_context, monkeypatch
):
    read_rows = QuerySet._fetch_all

    def fail(self):
        if self.model is Summit:
            raise OperationalError("the database went away")
        read_rows(self)

    monkeypatch.setattr(QuerySet, "_fetch_all", fail)
    # As a server answers it: the error becomes a response, not an exception in the test.
    response = APIClient(raise_request_exception=False).get("/api/summits/calendar.ics")

    assert response.status_code == 503
    assert response.json()["errors"][0]["code"] == "database_unavailable"


def test_a_head_answers_a_get_s_status_and_headers_without_reading_the_rest(article, monkeypatch):
    # Two summits are read before the first byte, the others from a cursor as they are sent.
    monkeypatch.setattr(streaming, "STREAM_CHUNK", 2)
    url = reverse("api:summit-calendar")

    get = served("GET", url)
    head = served("HEAD", url)

    assert head.status == get.status == "200 OK"
    assert {name: head.headers.get(name) for name in ("ETag", "Content-Type", "Vary")} == {
        name: get.headers.get(name) for name in ("ETag", "Content-Type", "Vary")
    }
    assert get.body.count(b"BEGIN:VEVENT") == 4
    assert head.body == b""
    assert head.queries == get.queries_before < get.queries


def test_a_feed_one_fetch_holds_is_answered_whole_and_a_head_gets_the_same_headers(
    article, settings
):
    settings.RESPONSE_CACHE_SECONDS = 0  # each runs its view
    url = reverse("api:summit-calendar")

    get = served("GET", url)
    head = served("HEAD", url)

    assert head.status == get.status == "200 OK"
    assert {name: head.headers.get(name) for name in ("ETag", "Content-Type", "Vary")} == {
        name: get.headers.get(name) for name in ("ETag", "Content-Type", "Vary")
    }
    # Read in the view's snapshot, before the first byte, with its length known.
    assert get.queries_before == get.queries
    assert get.headers["Content-Length"] == str(len(get.body))


def test_the_feed_varies_on_what_its_tag_names(anonymous_client, article):
    response = get_feed(anonymous_client)

    assert {name.strip() for name in response["Vary"].split(",")} >= set(RESPONSE_VARY)
