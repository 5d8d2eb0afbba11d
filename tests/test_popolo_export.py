"""The Popolo export as a server serves it: a bad parameter is a JSON 400 and a database that
cannot run the first query a JSON 503 before any byte, a read that fails later cuts the body and
is logged, HEAD and 304 read no document, one tag whatever the client prefers, the export
budget, what a filtered document reads, and a query count that does not grow with the data."""

import json
import logging
import re

import pytest
from django.db import OperationalError, connection
from django.db.models import QuerySet
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from rest_framework.test import APIClient

from devdata.generator import synthetic_generate
from summits.api.throttling import ExportRateThrottle
from summits.models import Leader, Summit
from summits.popolo import PopoloSelection, document, reading
from tests.helpers import DATA_VERSION_QUERY, served
from tests.test_popolo import URL

needs_postgres = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="PostgreSQL's plans, read with EXPLAIN ANALYZE"
)


@pytest.mark.parametrize(
    ("query", "attr", "code"),
    [
        ({"year": "abc"}, "year", "invalid"),
        ({"status": "over"}, "status", "invalid_choice"),
        ({"ordering": "name"}, "ordering", "unknown_parameter"),
        ({"page_size": "10"}, "page_size", "unknown_parameter"),
        ({"search": "a b c d e f g h i"}, "search", "invalid_search"),
    ],
)
def test_a_bad_parameter_is_a_json_400_before_any_byte(anonymous_client, db, query, attr, code):
    response = anonymous_client.get(reverse(URL), query)

    assert response.status_code == 400
    assert response["Content-Type"] == "application/json"
    assert response.json()["errors"][0]["attr"] == attr
    assert response.json()["errors"][0]["code"] == code


def test_a_database_that_cannot_run_the_first_query_is_a_json_503_before_any_byte(
    article_and_context, monkeypatch
):
    read_from_a_cursor = QuerySet.iterator

    def timed_out(self, *args, **kwargs):
        if self.model is Leader:
            raise OperationalError("canceling statement due to statement timeout")
        return read_from_a_cursor(self, *args, **kwargs)

    # The leaders, read as the document reads them (from a cursor), take longer than a statement
    # may: the probe meets that before the first byte.
    monkeypatch.setattr(QuerySet, "iterator", timed_out)
    # As a server answers it: the error becomes a response, not an exception in the test.
    response = APIClient(raise_request_exception=False).get(reverse(URL), {"search": "nato"})

    assert response.status_code == 503
    assert response["Content-Type"] == "application/json"
    assert response.json()["errors"][0]["code"] == "database_unavailable"


def test_the_probe_reads_the_first_rows_as_the_document_reads_them(
    anonymous_client, article_and_context
):
    def reads(queries) -> list[str]:
        # On PostgreSQL each is a cursor's DECLARE, under a name of its own.
        return [
            re.sub(r'"_django_curs_[^"]+"', "cursor", query["sql"])
            for query in queries
            if query["sql"] != DATA_VERSION_QUERY and "SAVEPOINT" not in query["sql"]
        ]

    with CaptureQueriesContext(connection) as before_the_body:
        response = anonymous_client.get(reverse(URL), {"search": "nato"})
    with CaptureQueriesContext(connection) as in_the_body:
        b"".join(response.streaming_content)

    # The same query, from a cursor as well: the plan that will read the leaders is the one tried.
    assert reads(before_the_body) == reads(in_the_body)[:1]


def test_the_status_goes_out_before_any_row_is_read(
    anonymous_client, article_and_context, django_assert_num_queries
):
    response = anonymous_client.get(reverse(URL))
    pieces = iter(response.streaming_content)

    # A server sends the status and headers with the first piece: had that piece needed a read,
    # the read's failure would have been the server's own HTML 500 after the view answered 200.
    with django_assert_num_queries(0):
        first = next(pieces)
    rest = b"".join(pieces)

    assert first == b"{"
    assert rest.startswith(b'"persons":[')
    assert rest.endswith(b"}")


def test_a_read_that_fails_after_the_first_byte_is_logged_and_cuts_the_body(
    anonymous_client, article_and_context, monkeypatch, caplog
):
    def timed_out(selection):
        raise OperationalError("canceling statement due to statement timeout")

    monkeypatch.setattr(reading, "attendance_rows", timed_out)
    # Every object is sent as it is made: the persons are on their way when the events fail.
    monkeypatch.setattr(document, "FLUSH_BYTES", 1)
    response = anonymous_client.get(reverse(URL), {"organization": "nato"})
    sent: list[bytes] = []

    with caplog.at_level(logging.ERROR), pytest.raises(OperationalError):
        sent.extend(response.streaming_content)

    # Raised on, the server closes the connection without the chunked body's last chunk: the
    # client knows the body was cut, where a clean end would say it is whole.
    assert response.status_code == 200
    assert b"".join(sent).startswith(b'{"persons":[')
    assert not b"".join(sent).endswith(b"}")
    (logged,) = [record for record in caplog.records if record.name == "summits.api.streaming"]
    assert "GET /api/popolo/?organization=nato" in logged.getMessage()
    assert logged.exc_info is not None


@pytest.mark.parametrize("query", ["", "?organization=nato&year=2024"])
def test_a_head_answers_a_get_s_status_and_headers_without_reading_the_document(
    article_and_context, query
):
    url = reverse(URL) + query

    get = served("GET", url)
    head = served("HEAD", url)

    assert head.status == get.status == "200 OK"
    assert {name: head.headers.get(name) for name in ("ETag", "Content-Type", "Vary")} == {
        name: get.headers.get(name) for name in ("ETag", "Content-Type", "Vary")
    }
    assert get.body.startswith(b'{"persons":[')
    assert head.body == b""
    # What the GET reads before its first byte (the probe), and nothing after.
    assert head.queries == get.queries_before < get.queries


def test_a_repeated_export_is_answered_304_while_the_data_is_unchanged(
    anonymous_client, article_and_context
):
    first = anonymous_client.get(reverse(URL), {"organization": "nato"})
    b"".join(first.streaming_content)

    again = anonymous_client.get(
        reverse(URL), {"organization": "nato"}, HTTP_IF_NONE_MATCH=first["ETag"]
    )
    head = anonymous_client.head(
        reverse(URL), {"organization": "nato"}, HTTP_IF_NONE_MATCH=first["ETag"]
    )
    Summit.objects.filter(slug="nato-2022-spain").update(city="Madrid, Spain")
    changed = anonymous_client.get(
        reverse(URL), {"organization": "nato"}, HTTP_IF_NONE_MATCH=first["ETag"]
    )

    assert (again.status_code, again["ETag"]) == (304, first["ETag"])
    assert head.status_code == 304
    assert changed.status_code == 200
    assert changed["ETag"] != first["ETag"]


def test_the_tag_is_the_same_whatever_the_client_accepts_prefers_or_is(
    anonymous_client, editor_client, article_and_context
):
    url = reverse(URL)
    first = anonymous_client.get(url, HTTP_ACCEPT_LANGUAGE="ja")
    b"".join(first.streaming_content)

    # Every name is in the document in every language: another preference, another Accept or
    # another user gets the same bytes, so the same tag, and a 304 for it.
    again = editor_client.get(
        url,
        HTTP_ACCEPT_LANGUAGE="fr, en;q=0.5",
        HTTP_ACCEPT="*/*",
        HTTP_IF_NONE_MATCH=first["ETag"],
    )

    assert again.status_code == 304
    assert again["ETag"] == first["ETag"]
    assert "Accept-Language" not in first.get("Vary", "")


def test_exports_spend_the_budget_of_whole_list_exports(anonymous_client, db):
    rate = int(ExportRateThrottle().get_rate().split("/")[0])

    exports = [anonymous_client.get(reverse(URL)).status_code for _ in range(rate)]
    over = anonymous_client.get(reverse(URL))

    assert exports == [200] * rate
    assert over.status_code == 429
    assert over.json()["errors"][0]["code"] == "throttled"


def test_a_refused_or_unchanged_export_does_not_spend_the_budget(anonymous_client, db):
    rate = int(ExportRateThrottle().get_rate().split("/")[0])
    tag = anonymous_client.get(reverse(URL))["ETag"]

    refused = [
        anonymous_client.get(reverse(URL), {"colour": "blue"}).status_code for _ in range(rate)
    ]
    unchanged = [
        anonymous_client.get(reverse(URL), HTTP_IF_NONE_MATCH=tag).status_code for _ in range(rate)
    ]
    export = anonymous_client.get(reverse(URL))

    assert refused == [400] * rate
    assert unchanged == [304] * rate
    assert export.status_code == 200


def _attendance_scans(plan: dict) -> list[int]:
    """The loops of every scan of summits_attendance in a plan (EXPLAIN ANALYZE's JSON)."""
    own = [plan["Actual Loops"]] if plan.get("Relation Name") == "summits_attendance" else []
    return own + [loops for child in plan.get("Plans", []) for loops in _attendance_scans(child)]


@needs_postgres
def test_a_filtered_document_reads_the_summits_attendances_once_for_its_leaders_and_countries(
    article_and_context,
):
    synthetic_generate(seed=5, attendances=400)
    selection = PopoloSelection(summits=Summit.objects.filter(status="held"), whole=False)
    with connection.cursor() as cursor:
        # The plan a cursor chose at 1,000,000 attendances, planning for its first rows: the
        # leaders walked in order (no sort) and each one's attendances looked up (a nested loop).
        for setting in ("enable_sort", "enable_hashjoin", "enable_mergejoin"):
            cursor.execute(f"SET LOCAL {setting} = off")
        cursor.execute("SET LOCAL max_parallel_workers_per_gather = 0")

    for queryset in (
        selection.leaders().order_by("slug"),
        selection.leader_names(),
        selection.countries().order_by("code"),
    ):
        plan = queryset.explain(analyze=True, format="json")
        scans = _attendance_scans(json.loads(plan)[0]["Plan"])

        assert scans, plan
        assert set(scans) == {1}, plan


def _queries(client, django_assert_num_queries, expected: int, **query) -> None:
    with django_assert_num_queries(expected):
        response = client.get(reverse(URL), query)
        b"".join(response.streaming_content)


# The data version (alone: the shared cache might hold the response), the request's snapshot (a
# savepoint in a test, and its release), the data version in it (the 304 check, then the ETag
# of the streamed body), the probe in the request's transaction (a savepoint in a test), the
# document's reads in a transaction of their own (a savepoint here;
# outside tests on PostgreSQL, BEGIN and SET TRANSACTION instead), one query per table: leaders
# and their names, countries, organizations and their names, leaders again for the memberships,
# summits, attendances, status changes and three kinds of citation.
QUERIES = 1 + 2 + 2 + (1 + 2) + 2 + 12


@pytest.mark.parametrize("query", [{}, {"organization": "nato", "year": "2024"}])
def test_the_queries_do_not_grow_with_the_data(
    anonymous_client, article_and_context, django_assert_num_queries, monkeypatch, query
):
    _queries(anonymous_client, django_assert_num_queries, QUERIES, **query)
    synthetic_generate(seed=5, attendances=400)
    # Cursors fetch 7 rows at a time: many fetches, the same queries.
    monkeypatch.setattr(reading, "CHUNK", 7)

    _queries(anonymous_client, django_assert_num_queries, QUERIES, **query)
