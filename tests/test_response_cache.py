"""The shared response cache (summits.api.response_cache): a repeated anonymous GET is answered
from the cache while the data version stands, and never after a write."""

import datetime as dt
import pickle

import pytest
import time_machine
from django.conf import settings
from django.core.cache import cache, caches
from django.db import connection
from django.http import HttpResponse
from django.test import RequestFactory, override_settings
from django.test.utils import CaptureQueriesContext
from redis.exceptions import ConnectionError as RedisConnectionError
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from summits.api import conditional, response_cache, streaming
from summits.api.throttling import cache_outage
from summits.models import Attendance, Summit
from tests.helpers import DATA_VERSION_QUERY, count_queries
from tracker import middleware

LIST = "/api/attendances/?summit=nato-2024-washington"


@pytest.fixture(autouse=True)
def empty_cache():
    cache.clear()
    yield
    cache.clear()


def note_shown(client) -> str:
    [row] = [row for row in client.get(LIST).json()["results"] if row["country"] == "JP"]
    return row["note"]


def test_a_repeated_read_is_answered_from_the_cache_with_one_query(anonymous_client, article):
    first = anonymous_client.get(LIST)
    queries = count_queries(anonymous_client, LIST)
    again = anonymous_client.get(LIST)

    # The data version's query only (which count_queries leaves out): no view ran.
    assert queries == 0
    assert again.content == first.content
    assert again["ETag"] == first["ETag"]
    assert again["Content-Type"] == first["Content-Type"]
    assert again["Vary"] == first["Vary"]


def test_a_hit_answers_with_every_header_of_the_miss_it_kept(anonymous_client, article):
    first = anonymous_client.get(LIST)
    again = anonymous_client.get(LIST)

    # Kept as it left the middleware below the cache's, which a hit never reaches (no session).
    assert not hasattr(again.wsgi_request, "session")
    assert again.headers == first.headers
    for header in ("X-Frame-Options", "Content-Length", "Content-Security-Policy"):
        assert header in again.headers


def statements(client, url: str, **headers):
    """The response to a GET (or a HEAD) of `url`, and every SQL statement it ran."""
    with CaptureQueriesContext(connection) as queries:
        response = client.generic(headers.pop("method", "GET"), url, **headers)
    return response, [query["sql"] for query in queries]


def test_a_hit_reads_the_data_version_alone_outside_any_transaction(anonymous_client, article):
    first = anonymous_client.get(LIST)
    again, sql = statements(anonymous_client, LIST)

    assert again.status_code == 200
    assert again.content == first.content
    # No savepoint either (a transaction outside tests).
    assert sql == [DATA_VERSION_QUERY]


@pytest.mark.parametrize("url", [LIST, "/api/summits/calendar.ics"])
def test_a_head_and_its_get_are_answered_from_one_kept_response(anonymous_client, article, url):
    head, _ = statements(anonymous_client, url, method="HEAD")
    get, get_sql = statements(anonymous_client, url)
    again, head_sql = statements(anonymous_client, url, method="HEAD")

    assert (head.status_code, get.status_code, again.status_code) == (200, 200, 200)
    assert head["ETag"] == get["ETag"] == again["ETag"]
    assert (head.content, again.content) == (b"", b"")
    # The first HEAD kept the whole body, which its client never saw: neither ran a view.
    assert get.content
    assert get_sql == head_sql == [DATA_VERSION_QUERY]


def test_a_head_answered_without_its_body_is_not_kept(anonymous_client, article):
    request = RequestFactory().head(LIST)
    response = HttpResponse(b"", content_type="application/json")
    response["ETag"] = '"1.2.3"'

    assert not response_cache.storable(request, response)


WHOLE_FILES = ["/api/summits/calendar.ics?organization=nato", f"{LIST}&format=csv"]


@pytest.mark.parametrize("url", WHOLE_FILES)
def test_a_calendar_or_csv_file_one_fetch_holds_is_answered_from_the_cache(
    anonymous_client, article, url
):
    first = anonymous_client.get(url)
    again, sql = statements(anonymous_client, url)
    Summit.objects.filter(slug="nato-2024-washington").update(name="The Washington Summit")
    changed, _ = statements(anonymous_client, url)

    assert not first.streaming
    assert (again.status_code, again.content) == (200, first.content)
    assert again.headers == first.headers
    assert sql == [DATA_VERSION_QUERY]
    assert changed.content != first.content
    assert b"The Washington Summit" in changed.content


@pytest.mark.parametrize("url", WHOLE_FILES)
def test_a_file_longer_than_one_fetch_is_streamed_and_never_kept(
    anonymous_client, article, url, monkeypatch
):
    monkeypatch.setattr(streaming, "STREAM_CHUNK", 1)

    first = anonymous_client.get(url)
    b"".join(first.streaming_content)
    again, sql = statements(anonymous_client, url)

    assert (first.streaming, again.streaming) == (True, True)
    assert again["ETag"] == first["ETag"]
    assert len(sql) > 1


def test_a_tag_whose_body_still_stands_is_answered_304_from_the_cache(anonymous_client, article):
    tag = anonymous_client.get(LIST)["ETag"]
    # A new data version, but not on this page.
    Summit.objects.filter(slug="nato-2023-lithuania").update(name="Vilnius Summit")
    fresh = anonymous_client.get(LIST)
    assert fresh["ETag"] != tag

    again, sql = statements(anonymous_client, LIST, HTTP_IF_NONE_MATCH=tag)

    assert again.status_code == 304
    assert again["ETag"] == fresh["ETag"]
    assert sql == [DATA_VERSION_QUERY]


def test_a_response_is_tagged_and_kept_under_the_version_its_view_read(
    anonymous_client, article, monkeypatch
):
    # A write between the version read alone and the view's snapshot: the first read is older.
    reads = []

    def version_before_a_write(using=None):
        reads.append(conditional.data_version(using))
        return "0" * 32 if len(reads) == 1 else reads[-1]

    monkeypatch.setattr(middleware, "data_version", version_before_a_write)
    response = anonymous_client.get(LIST)
    monkeypatch.undo()

    assert response["ETag"].strip('"').split(".")[0] == reads[-1]
    again, sql = statements(anonymous_client, LIST)
    assert again["ETag"] == response["ETag"]
    assert sql == [DATA_VERSION_QUERY]


@pytest.mark.parametrize("how", ["orm", "sql"])
def test_a_write_by_any_path_is_read_at_once(anonymous_client, article, how):
    assert note_shown(anonymous_client) != "Changed."
    attendance = Attendance.objects.get(summit__slug="nato-2024-washington", country__code="JP")
    if how == "orm":
        Attendance.objects.filter(pk=attendance.pk).update(note="Changed.")
    else:
        with connection.cursor() as cursor:
            cursor.execute(
                "UPDATE summits_attendance SET note = 'Changed.' WHERE id = %s", [attendance.pk]
            )

    assert note_shown(anonymous_client) == "Changed."


def test_each_variant_is_cached_apart(anonymous_client, article):
    english = anonymous_client.get("/api/leaders/fumio-kishida/")
    japanese = anonymous_client.get("/api/leaders/fumio-kishida/", HTTP_ACCEPT_LANGUAGE="ja")
    again = anonymous_client.get("/api/leaders/fumio-kishida/", HTTP_ACCEPT_LANGUAGE="ja")

    assert english["Content-Language"] != japanese["Content-Language"]
    assert again.content == japanese.content
    assert again["Content-Language"] == japanese["Content-Language"]


def test_a_client_with_credentials_is_never_answered_from_the_cache(editor, article):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=editor).key}")
    client.get(LIST)

    assert count_queries(client, LIST) > 1


def test_errors_and_the_browsable_api_are_not_kept(anonymous_client, article, monkeypatch):
    stored = []
    store = response_cache.store
    monkeypatch.setattr(
        response_cache, "store", lambda *args: stored.append(args[1].path) or store(*args)
    )

    assert anonymous_client.get("/api/attendances/?year=never").status_code == 400
    html = anonymous_client.get(LIST, HTTP_ACCEPT="text/html")
    assert html["Content-Type"].startswith("text/html")
    assert anonymous_client.get(LIST).status_code == 200

    assert stored == ["/api/attendances/"]
    assert not response_cache.storable(html.wsgi_request, html)


@pytest.mark.parametrize("conditional", [False, True])
def test_a_host_not_allowed_is_refused_by_a_hit_and_an_early_304_alike(
    anonymous_client, article, conditional
):
    tag = anonymous_client.get(LIST)["ETag"]  # kept, and its tag current
    headers = {"HTTP_IF_NONE_MATCH": tag} if conditional else {}

    response = anonymous_client.get(LIST, HTTP_HOST="attacker.example", **headers)

    assert response.status_code == 400
    assert response.json()["errors"][0]["code"] == "bad_request"


@pytest.mark.parametrize("data_changed", [False, True])
def test_a_304_sets_the_cookies_its_200_would_have(anonymous_client, article, data_changed):
    # A session cookie naming no session: the answer deletes it, a 304 as well as a 200.
    anonymous_client.cookies[settings.SESSION_COOKIE_NAME] = "no-such-session"
    first = anonymous_client.get(LIST)
    if data_changed:
        # A new data version, but not on this page: the 304 comes after the view.
        Summit.objects.filter(slug="nato-2023-lithuania").update(name="Vilnius Summit")
    anonymous_client.cookies[settings.SESSION_COOKIE_NAME] = "no-such-session"

    again = anonymous_client.get(LIST, HTTP_IF_NONE_MATCH=first["ETag"])

    assert again.status_code == 304
    for response in (first, again):
        assert response.cookies[settings.SESSION_COOKIE_NAME]["max-age"] == 0


def test_with_the_cache_away_reads_are_served_uncached(anonymous_client, article, monkeypatch):
    def refuse(*args, **kwargs):
        raise RedisConnectionError("Connection refused")

    responses = caches[response_cache.CACHE_ALIAS]
    monkeypatch.setattr(responses, "get", refuse)
    monkeypatch.setattr(responses, "set", refuse)
    try:
        first = anonymous_client.get(LIST)
        second = anonymous_client.get(LIST)
        assert (first.status_code, second.status_code) == (200, 200)
        assert first.content == second.content
        # Left alone for a while; the throttles' own cache is another matter.
        assert response_cache.outage.ongoing()
        assert not cache_outage.ongoing()
    finally:
        response_cache.outage.reset()


@override_settings(RESPONSE_CACHE_SECONDS=0)
def test_a_cache_time_of_zero_turns_it_off(anonymous_client, article):
    anonymous_client.get(LIST)

    assert count_queries(anonymous_client, LIST) > 1


def test_the_upcoming_summits_are_not_kept_past_midnight(anonymous_client, article):
    """`?upcoming=` compares with today's date, which no write changes: the day is part of the
    key (and of the ETag's variant)."""
    url = "/api/summits/?upcoming=true"
    last = Summit.objects.order_by("-start_date").first()
    day = last.end_date or last.start_date
    with time_machine.travel(dt.datetime.combine(day, dt.time(23, 59), tzinfo=dt.UTC)):
        before = anonymous_client.get(url)
    with time_machine.travel(
        dt.datetime.combine(day + dt.timedelta(days=1), dt.time(0, 1), tzinfo=dt.UTC)
    ):
        after = anonymous_client.get(url)
        revalidated = anonymous_client.get(url, HTTP_IF_NONE_MATCH=before["ETag"])

    assert last.slug in [row["slug"] for row in before.json()["results"]]
    assert last.slug not in [row["slug"] for row in after.json()["results"]]
    assert revalidated.status_code == 200


def test_a_request_over_midnight_is_filtered_tagged_and_kept_under_one_day(
    anonymous_client, article, monkeypatch
):
    url = "/api/summits/?upcoming=true"
    last = Summit.objects.order_by("-start_date").first()
    day = last.end_date or last.start_date
    # The clock passes midnight while the first request is served.
    days = iter([day])
    monkeypatch.setattr(
        conditional.timezone, "localdate", lambda: next(days, day + dt.timedelta(days=1))
    )

    straddling = anonymous_client.get(url)
    next_day = anonymous_client.get(url)

    assert last.slug in [row["slug"] for row in straddling.json()["results"]]
    assert last.slug not in [row["slug"] for row in next_day.json()["results"]]
    assert straddling["ETag"] != next_day["ETag"]


def test_a_cache_key_is_one_variant_s_alone():
    """Fields joined without their lengths could make two variants one key: a header holding
    the separator would then fetch another variant's response."""
    factory = RequestFactory()
    one = factory.get(LIST, HTTP_ACCEPT="text/csv\x00en", HTTP_ACCEPT_LANGUAGE="")
    other = factory.get(LIST, HTTP_ACCEPT="text/csv", HTTP_ACCEPT_LANGUAGE="en")

    assert conditional.variant_key(one) != conditional.variant_key(other)
    assert len(conditional.variant_key(one)) == 64


def test_an_entry_kept_without_its_etag_is_answered_by_the_view(anonymous_client, article):
    # As a release that kept no ETag with its responses left them, under the same key.
    request = RequestFactory().get(LIST)
    version = conditional.data_version()
    stale = HttpResponse(b'{"kept": "without a tag"}', content_type="application/json")
    stored = pickle.dumps((200, list(stale.headers.items()), stale.content), protocol=5)
    caches[response_cache.CACHE_ALIAS].set(response_cache._key(version, request), stored)

    response = anonymous_client.get(LIST)

    assert response.status_code == 200
    assert response["ETag"]
    assert "results" in response.json()
