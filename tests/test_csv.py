"""Every list as CSV: the same rows as the JSON list, every one of them, streamed, with a header
row, in UTF-8, cells that cannot start a spreadsheet formula, and a query count that does not
grow with the rows."""

import csv
import io
import logging
from urllib.parse import urlencode

import pytest
from django.db import OperationalError, connection
from django.db.models import QuerySet
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from summits.api import streaming
from summits.api.conditional import RESPONSE_VARY
from summits.api.throttling import ExportRateThrottle
from summits.models import Country, Summit
from tests.helpers import DATA_VERSION_QUERY, body, served
from tests.helpers import LIST_ROWS as ROWS
from tests.test_api_lists import LISTS


def csv_rows(client, url: str, **headers) -> tuple[object, list[dict[str, str]]]:
    response = client.get(url, **headers)
    assert response.status_code == 200, response.content
    text = body(response).decode("utf-8")
    return response, list(csv.DictReader(io.StringIO(text)))


def json_rows(client, url: str) -> list[dict]:
    """Every row of a JSON list, page after page."""
    rows = []
    while url:
        page = client.get(url).json()
        rows += page["results"]
        url = page["next"]
    return rows


def as_cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


@pytest.mark.parametrize("basename", LISTS)
def test_every_list_answers_csv_with_every_row_the_json_pages_hold(
    anonymous_client, many_rows, basename
):
    url = reverse(f"api:{basename}-list")

    response, rows = csv_rows(anonymous_client, f"{url}?format=csv")
    pages = json_rows(anonymous_client, f"{url}?page_size=7")

    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith("attachment; filename=")
    assert len(rows) == len(pages) >= ROWS
    assert list(rows[0]) == list(pages[0])
    assert rows == [{key: as_cell(value) for key, value in row.items()} for row in pages]


@pytest.mark.parametrize("basename", LISTS)
def test_accept_text_csv_chooses_csv_and_the_header_comes_first(anonymous_client, db, basename):
    response, rows = csv_rows(
        anonymous_client, reverse(f"api:{basename}-list"), HTTP_ACCEPT="text/csv"
    )

    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert rows == [] or list(rows[0])


def test_a_list_with_no_rows_is_its_header_alone(anonymous_client, db):
    response = anonymous_client.get(reverse("api:summit-list"), {"format": "csv", "year": 1900})

    assert body(response).decode() == (
        "slug,url,name,organization,kind,status,host_country,city,start_date,end_date,"
        "date_precision,dates,anniversary,attendee_count\r\n"
    )


def test_filters_search_and_ordering_apply_and_page_size_does_not(anonymous_client, many_rows):
    query = {"organization": "nato", "ordering": "-start_date", "page_size": 2, "format": "csv"}
    _, rows = csv_rows(anonymous_client, f"{reverse('api:summit-list')}?{urlencode(query)}")

    expected = Summit.objects.filter(organization__slug="nato").order_by("-start_date", "-slug")
    assert [row["slug"] for row in rows] == list(expected.values_list("slug", flat=True))
    assert len(rows) == ROWS


def test_links_in_a_csv_name_the_records_not_their_csv(anonymous_client, world):
    _, rows = csv_rows(anonymous_client, reverse("api:summit-list") + "?format=csv")

    assert rows[0]["url"].endswith(f"/api/summits/{rows[0]['slug']}/")


def test_a_cell_that_would_start_a_formula_starts_with_an_apostrophe(anonymous_client, db):
    Country.objects.create(code="ZZ", name='=HYPERLINK("https://evil.example")')
    Country.objects.create(code="ZY", name="+cmd|' /C calc'!A0")
    Country.objects.create(code="ZX", name="São Tomé and Príncipe")

    _, rows = csv_rows(anonymous_client, reverse("api:country-list") + "?format=csv")
    names = {row["code"]: row["name"] for row in rows}

    assert names["ZZ"] == '\'=HYPERLINK("https://evil.example")'
    assert names["ZY"] == "'+cmd|' /C calc'!A0"
    assert names["ZX"] == "São Tomé and Príncipe"


@pytest.mark.parametrize("basename", LISTS)
def test_a_csv_runs_the_same_queries_for_few_rows_and_for_many(
    anonymous_client, many_rows, basename, monkeypatch, settings
):
    settings.RESPONSE_CACHE_SECONDS = 0  # each GET runs its view
    url = reverse(f"api:{basename}-list") + "?format=csv"

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            response = anonymous_client.get(url)
            body(response)
        return sum(
            1
            for query in captured
            if "SAVEPOINT" not in query["sql"] and query["sql"] != DATA_VERSION_QUERY
        )

    # The first chunk is read before the first byte, the rest from one cursor: with chunks of
    # 5 rows the whole list takes the same queries as with chunks of 2,000.
    whole = queries()
    monkeypatch.setattr(streaming, "STREAM_CHUNK", 5)
    chunked = queries()

    assert whole == 1
    assert chunked == 2


def test_a_bad_filter_or_page_size_is_a_json_400_before_any_byte(anonymous_client, db):
    url = reverse("api:summit-list")

    for query in ({"year": "abc"}, {"page_size": "true"}, {"colour": "blue"}):
        response = anonymous_client.get(url, {**query, "format": "csv"})

        assert response.status_code == 400
        assert response["Content-Type"] == "application/json"


def test_a_record_is_not_offered_as_csv(anonymous_client, world):
    url = reverse("api:summit-detail", args=["nato-2024-washington"])

    response = anonymous_client.get(url, HTTP_ACCEPT="text/csv")

    assert response.status_code == 406
    assert response.json()["errors"][0]["code"] == "not_acceptable"


def test_a_repeated_csv_download_is_answered_304_while_the_data_is_unchanged(
    anonymous_client, world
):
    url = reverse("api:attendance-list") + "?format=csv"
    first = anonymous_client.get(url)

    again = anonymous_client.get(url, HTTP_IF_NONE_MATCH=first["ETag"])

    assert again.status_code == 304


def test_whole_lists_have_a_budget_of_their_own_and_pages_do_not_spend_it(
    anonymous_client, db, settings
):
    settings.RESPONSE_CACHE_SECONDS = 0  # each export is read from the database
    url = reverse("api:country-list")
    rate = int(ExportRateThrottle().get_rate().split("/")[0])

    exports = [anonymous_client.get(url, {"format": "csv"}).status_code for _ in range(rate)]
    over = anonymous_client.get(url, HTTP_ACCEPT="text/csv")
    page = anonymous_client.get(url)

    assert exports == [200] * rate
    assert over.status_code == 429
    assert over["Retry-After"]
    assert over.json()["errors"][0]["code"] == "throttled"
    assert page.status_code == 200


def test_a_file_the_shared_cache_answers_spends_no_export_budget(anonymous_client, db):
    url = reverse("api:country-list")
    rate = int(ExportRateThrottle().get_rate().split("/")[0])

    # One export read from the database, then the same file from the shared cache.
    downloads = [anonymous_client.get(url, {"format": "csv"}) for _ in range(rate + 2)]
    another = anonymous_client.get(url, {"format": "csv", "search": "a"})

    assert [download.status_code for download in downloads] == [200] * (rate + 2)
    assert {body(download) for download in downloads} == {body(downloads[0])}
    assert another.status_code == 200


def test_a_refused_export_does_not_spend_the_budget(anonymous_client, db):
    url = reverse("api:summit-list")
    rate = int(ExportRateThrottle().get_rate().split("/")[0])

    refused = [
        anonymous_client.get(url, {"format": "csv", "status": "rumoured"}).status_code
        for _ in range(rate)
    ]
    export = anonymous_client.get(url, {"format": "csv"})

    assert refused == [400] * rate
    assert export.status_code == 200


HEADERS = ("ETag", "Content-Type", "Content-Disposition", "Content-Language", "Vary")


def test_a_head_answers_a_get_s_status_and_headers_without_reading_the_rest(many_rows, monkeypatch):
    # The first 5 rows are read before the first byte, the rest from a cursor as they are sent.
    monkeypatch.setattr(streaming, "STREAM_CHUNK", 5)
    url = reverse("api:attendance-list") + "?format=csv"

    get = served("GET", url, Accept_Language="ja")
    head = served("HEAD", url, Accept_Language="ja")

    assert head.status == get.status == "200 OK"
    assert {name: head.headers.get(name) for name in HEADERS} == {
        name: get.headers.get(name) for name in HEADERS
    }
    assert get.body.count(b"\r\n") == ROWS + 1
    assert head.body == b""
    assert head.queries == get.queries_before < get.queries


def test_a_csv_varies_on_what_its_tag_names(anonymous_client, world):
    response = anonymous_client.get(reverse("api:attendance-list"), {"format": "csv"})

    assert {name.strip() for name in response["Vary"].split(",")} >= set(RESPONSE_VARY)


def test_the_header_goes_out_before_any_row_past_the_first_chunk_is_read(
    anonymous_client, many_rows, monkeypatch, django_assert_num_queries
):
    monkeypatch.setattr(streaming, "STREAM_CHUNK", 5)
    response = anonymous_client.get(reverse("api:country-list"), {"format": "csv"})
    pieces = iter(response.streaming_content)

    # A server sends the status with the first piece: the header row, which reads nothing.
    with django_assert_num_queries(0):
        header = next(pieces)
    rest = b"".join(pieces)

    assert header == b"code,url,name\r\n"
    assert rest.count(b"\r\n") == ROWS


def test_a_read_that_fails_after_the_first_byte_is_logged_and_cuts_the_file(
    anonymous_client, many_rows, monkeypatch, caplog
):
    def timed_out(self, *args, **kwargs):
        raise OperationalError("canceling statement due to statement timeout")

    monkeypatch.setattr(streaming, "STREAM_CHUNK", 5)
    response = anonymous_client.get(reverse("api:country-list"), {"format": "csv"})
    # The rows past the first chunk are read from a cursor, as the file is sent.
    monkeypatch.setattr(QuerySet, "iterator", timed_out)
    sent: list[bytes] = []

    with caplog.at_level(logging.ERROR), pytest.raises(OperationalError):
        sent.extend(response.streaming_content)

    assert response.status_code == 200
    assert b"".join(sent) == b"code,url,name\r\n"
    (logged,) = [record for record in caplog.records if record.name == "summits.api.streaming"]
    assert "GET /api/countries/?format=csv" in logged.getMessage()
