"""Citations as W3C Web Annotations: chosen by content negotiation, shaped as the Web Annotation
model says, with selectors that select each quote from the text at the target's source, errors
still in the API's JSON shape, and a list page that costs one query whatever its size. (Their
JSON-LD expansion: tests/test_annotations_expansion.py.)"""

import json
import re
from collections import Counter
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from summits.api.annotations import MEDIA_TYPE, QUOTE_CONTEXT
from summits.models import Citation, Source, StatusChange, Summit
from tests.helpers import LIST_ROWS as ROWS
from tests.helpers import QUOTABLE_TEXT, cite, count_queries, text_source

ANNO_CONTEXT = "http://www.w3.org/ns/anno.jsonld"
ORIGIN = "http://testserver"
# The extension terms' IRIs: under the API's schema URL.
VOCABULARY = f"{ORIGIN}/api/schema/#"
ACCEPTED = [
    {"HTTP_ACCEPT": MEDIA_TYPE},
    {"HTTP_ACCEPT": "application/ld+json"},
    {"QUERY_STRING": "format=jsonld"},
]


def ld(client, url: str, **extra) -> dict[str, Any]:
    """The annotation (or page) at `url`, asked for with the Web Annotation profile."""
    response = client.get(url, HTTP_ACCEPT=MEDIA_TYPE, **extra)
    assert response.status_code == 200, response.content
    assert response["Content-Type"] == MEDIA_TYPE
    return json.loads(response.content)


def every_annotation(client, url: str) -> list[dict[str, Any]]:
    """Every item of a list of annotations, page after page."""
    items: list[dict[str, Any]] = []
    while url:
        page = ld(client, url)
        items += page["items"]
        url = page.get("next", "")
    return items


def citation_url(citation_id: int) -> str:
    return f"{ORIGIN}{reverse('api:citation-detail', args=[citation_id])}"


def text_url(source: Source) -> str:
    return f"{ORIGIN}{reverse('api:source-text', args=[source.key])}"


def assert_selects_its_quote(annotation: dict[str, Any], client) -> None:
    """The target's selectors select the quote from the text served at the target's source."""
    target = annotation["target"]
    quote, position = target["selector"]
    response = client.get(target["source"])
    assert response["Content-Type"] == "text/plain; charset=utf-8"
    text = response.content.decode("utf-8")
    start, end = position["start"], position["end"]

    assert quote["type"] == "TextQuoteSelector"
    assert position["type"] == "TextPositionSelector"
    assert text[start:end] == quote["exact"]
    assert text[:start].endswith(quote["prefix"])
    assert text[end:].startswith(quote["suffix"])
    assert len(quote["prefix"]) == min(start, QUOTE_CONTEXT)
    assert len(quote["suffix"]) == min(len(text) - end, QUOTE_CONTEXT)


# Content negotiation


@pytest.mark.parametrize("asked", ACCEPTED, ids=["profile", "plain", "format"])
def test_a_citation_answers_an_annotation_when_asked_for_json_ld(anonymous_client, article, asked):
    citation = Citation.objects.first()
    assert citation is not None

    response = anonymous_client.get(reverse("api:citation-detail", args=[citation.pk]), **asked)

    assert response.status_code == 200
    assert response["Content-Type"] == MEDIA_TYPE
    assert "Accept" in response["Vary"]
    body = json.loads(response.content)
    assert body["type"] == "Annotation"
    assert body["id"] == citation_url(citation.pk)


@pytest.mark.parametrize("asked", ACCEPTED, ids=["profile", "plain", "format"])
def test_the_citation_list_answers_an_annotation_page_when_asked_for_json_ld(
    anonymous_client, article, asked
):
    response = anonymous_client.get(reverse("api:citation-list"), **asked)

    assert response.status_code == 200
    assert response["Content-Type"] == MEDIA_TYPE
    assert json.loads(response.content)["type"] == "AnnotationPage"


@pytest.mark.parametrize("accept", [None, "application/json", "*/*"])
def test_json_stays_the_default_representation(anonymous_client, article, accept):
    citation = Citation.objects.get(quote="Japan-US summit", field="kind")
    headers = {"HTTP_ACCEPT": accept} if accept else {}

    detail = anonymous_client.get(reverse("api:citation-detail", args=[citation.pk]), **headers)
    page = anonymous_client.get(reverse("api:citation-list"), **headers)

    assert detail["Content-Type"] == page["Content-Type"] == "application/json"
    assert detail.json() == {
        "id": citation.pk,
        "source": "sakamoto-2024-kishida-nato",
        "summit": "japan-us-2024-04-10",
        "attendance": None,
        "status_change": None,
        "field": "kind",
        "quote": "Japan-US summit",
        "start": 44,
        "end": 59,
        "basis": "stated",
    }
    assert list(page.json()) == ["next", "previous", "results"]


def test_json_ld_for_a_list_other_than_citations_is_not_acceptable(anonymous_client, article):
    response = anonymous_client.get(reverse("api:summit-list"), HTTP_ACCEPT="application/ld+json")

    assert response.status_code == 406
    assert response["Content-Type"] == "application/json"
    assert response.json()["errors"][0]["code"] == "not_acceptable"


def test_a_write_asked_to_answer_json_ld_is_not_acceptable_and_writes_nothing(
    editor_client, article
):
    before = Citation.objects.count()

    response = editor_client.post(
        reverse("api:citation-list"),
        {
            "source": "sakamoto-2024-kishida-nato",
            "summit": "japan-us-2024-04-10",
            "field": "name",
            "quote": "Japan-US summit",
        },
        format="json",
        HTTP_ACCEPT="application/ld+json",
    )

    assert response.status_code == 406
    assert response["Content-Type"] == "application/json"
    assert Citation.objects.count() == before


# Shapes


def test_a_citation_of_a_held_text_is_an_annotation_of_the_quote_in_that_text(
    anonymous_client, article
):
    citation = Citation.objects.select_related("source").get(quote="Japan-US summit", field="kind")
    text = citation.source.text

    annotation = ld(anonymous_client, reverse("api:citation-detail", args=[citation.pk]))

    assert annotation == {
        "@context": [ANNO_CONTEXT, {"field": f"{VOCABULARY}field", "basis": f"{VOCABULARY}basis"}],
        "id": citation_url(citation.pk),
        "type": "Annotation",
        "motivation": "linking",
        "body": {
            "type": "SpecificResource",
            "source": f"{ORIGIN}/api/summits/japan-us-2024-04-10/",
            "field": "kind",
            "basis": "stated",
        },
        "target": {
            "type": "SpecificResource",
            "source": text_url(citation.source),
            "selector": [
                {
                    "type": "TextQuoteSelector",
                    "exact": "Japan-US summit",
                    "prefix": text[44 - QUOTE_CONTEXT : 44],
                    "suffix": text[59 : 59 + QUOTE_CONTEXT],
                },
                {"type": "TextPositionSelector", "start": 44, "end": 59},
            ],
        },
    }
    assert_selects_its_quote(annotation, anonymous_client)


def test_a_citation_of_a_source_without_text_targets_its_url_with_no_selector(
    anonymous_client, article_and_context
):
    citation = Citation.objects.filter(source__key="nato-official-website").first()
    assert citation is not None

    annotation = ld(anonymous_client, reverse("api:citation-detail", args=[citation.pk]))

    assert annotation["target"] == {"type": "SpecificResource", "source": "https://www.nato.int/"}
    assert annotation["body"]["basis"] == "external"


def test_a_text_read_from_a_web_page_is_the_target_and_the_page_its_scope(anonymous_client, db):
    source = text_source(url="https://example.org/a")
    summit = Summit.objects.create(slug="s", name="S", start_date="2024-07-09")
    citation = cite(source, "July 9 to 11", summit=summit, field="start_date")

    annotation = ld(anonymous_client, reverse("api:citation-detail", args=[citation.pk]))

    assert annotation["target"]["source"] == text_url(source)
    assert annotation["target"]["scope"] == "https://example.org/a"
    assert_selects_its_quote(annotation, anonymous_client)


def test_a_quote_at_the_start_of_the_text_has_an_empty_prefix(anonymous_client, db):
    source = text_source()
    summit = Summit.objects.create(slug="s", name="S", start_date="2024-07-09")
    citation = cite(source, QUOTABLE_TEXT[:9], summit=summit, field="name")

    annotation = ld(anonymous_client, reverse("api:citation-detail", args=[citation.pk]))

    quote = annotation["target"]["selector"][0]
    assert (quote["prefix"], quote["suffix"]) == ("", QUOTABLE_TEXT[9 : 9 + QUOTE_CONTEXT])
    assert_selects_its_quote(annotation, anonymous_client)


def test_a_status_change_is_named_by_its_id_in_its_attendances_timeline(anonymous_client, article):
    citation = Citation.objects.filter(status_change__isnull=False).first()
    assert citation is not None
    assert citation.status_change is not None

    annotation = ld(anonymous_client, reverse("api:citation-detail", args=[citation.pk]))

    timeline, _, change = annotation["body"]["source"].partition("#")
    attendance = citation.status_change.attendance_id
    assert timeline == f"{ORIGIN}{reverse('api:attendance-statuses', args=[attendance])}"
    assert int(change) == citation.status_change_id
    assert int(change) in [step["id"] for step in anonymous_client.get(timeline).json()]


def test_an_attendance_is_named_by_its_url(anonymous_client, article):
    citation = Citation.objects.filter(attendance__isnull=False).first()
    assert citation is not None

    annotation = ld(anonymous_client, reverse("api:citation-detail", args=[citation.pk]))

    assert annotation["body"]["source"] == (
        f"{ORIGIN}{reverse('api:attendance-detail', args=[citation.attendance_id])}"
    )


def test_every_citations_selectors_select_its_quote_from_its_sources_text(
    anonymous_client, article_and_context
):
    items = every_annotation(anonymous_client, f"{reverse('api:citation-list')}?page_size=7")
    sources = {source.key: source for source in Source.objects.all()}

    assert len(items) == Citation.objects.count()
    for item in items:
        citation = Citation.objects.get(pk=int(item["id"].rstrip("/").rpartition("/")[2]))
        source = sources[citation.source.key]
        if source.text:
            assert item["target"]["source"] == text_url(source)
            assert_selects_its_quote(item, anonymous_client)
            assert source.text[citation.start : citation.end] == citation.quote
        else:
            assert item["target"] == {"type": "SpecificResource", "source": source.url}
    assert {item["body"]["basis"] for item in items} == {"stated", "implied", "external"}


def test_a_page_links_its_neighbours_in_json_ld(anonymous_client, article):
    url = f"{reverse('api:citation-list')}?page_size=2"

    first = ld(anonymous_client, url)
    second = ld(anonymous_client, first["next"])

    assert first["id"] == f"{ORIGIN}{url}"
    assert "prev" not in first
    assert [len(first["items"]), len(second["items"])] == [2, 2]
    assert ld(anonymous_client, second["prev"])["items"] == first["items"]
    assert "@context" not in first["items"][0]


def test_a_page_asked_for_by_format_links_its_next_page_in_the_same_format(
    anonymous_client, article
):
    response = anonymous_client.get(reverse("api:citation-list"), {"format": "jsonld"})

    assert "format=jsonld" in json.loads(response.content)["next"]


@pytest.mark.parametrize(
    "query",
    ["basis=external", "field=status", "search=Kishida", "ordering=-start", "ordering=start,-id"],
)
def test_a_page_of_annotations_holds_the_rows_the_json_list_holds(
    anonymous_client, article_and_context, query
):
    url = f"{reverse('api:citation-list')}?{query}&page_size=500"

    annotations = ld(anonymous_client, url)["items"]
    rows = anonymous_client.get(url).json()["results"]

    assert [item["id"] for item in annotations] == [citation_url(row["id"]) for row in rows]
    assert rows


# Errors


@pytest.mark.parametrize(
    ("path", "query", "status", "code"),
    [
        ("api:citation-detail", "", 404, "not_found"),
        ("api:citation-list", "cursor=bad", 404, "not_found"),
        ("api:citation-list", "page_size=0", 400, "invalid_page_size"),
        ("api:citation-list", "colour=red", 400, "unknown_parameter"),
        ("api:citation-list", "basis=maybe", 400, "invalid_choice"),
    ],
)
def test_an_error_asked_for_as_json_ld_is_answered_in_json(
    anonymous_client, article, path, query, status, code
):
    url = reverse(path, args=[999999]) if path.endswith("detail") else reverse(path)

    response = anonymous_client.get(f"{url}?{query}", HTTP_ACCEPT=MEDIA_TYPE)

    assert response.status_code == status
    assert response["Content-Type"] == "application/json"
    assert response.json()["errors"][0]["code"] == code


def test_an_unknown_format_elsewhere_answers_406_in_json(anonymous_client, article):
    response = anonymous_client.get(reverse("api:summit-list"), {"format": "jsonld"})

    assert response.status_code == 406
    assert response["Content-Type"] == "application/json"


# Queries


@pytest.fixture
def cited_rows(many_rows):
    """Beside many_rows' citations of a page (external, of attendances), one citation of a held
    text for every summit and every status change."""
    source = text_source()
    quote = "talks to invite the prime minister"
    start = source.text.index(quote)
    span = {"source": source, "quote": quote, "start": start, "end": start + len(quote)}
    Citation.objects.bulk_create(
        [
            *(Citation(summit=summit, field="name", **span) for summit in Summit.objects.all()),
            *(
                Citation(status_change=change, field="status", **span)
                for change in StatusChange.objects.all()
            ),
        ]
    )


def test_a_page_of_annotations_runs_one_query_for_5_rows_and_for_200(anonymous_client, cited_rows):
    url = f"{reverse('api:citation-list')}?format=jsonld"

    small = count_queries(anonymous_client, f"{url}&page_size=5")
    large = count_queries(anonymous_client, f"{url}&page_size=200")

    assert small == large == 1
    # The large page holds every kind of target and source, by id: many_rows' external
    # citations of attendances, then the held text's of summits and status changes.
    items = ld(anonymous_client, f"{url}&page_size=200")["items"]
    kinds = Counter(
        ("status change" if "#" in item["body"]["source"] else item["body"]["source"].split("/")[4])
        + (" quoted" if "selector" in item["target"] else "")
        for item in items
    )
    assert kinds == {
        "attendances": ROWS,
        "summits quoted": ROWS,
        "status change quoted": 200 - 2 * ROWS,
    }


def test_an_annotation_runs_one_query(anonymous_client, cited_rows):
    citation = Citation.objects.filter(status_change__isnull=False).first()
    assert citation is not None

    assert (
        count_queries(
            anonymous_client, f"{reverse('api:citation-detail', args=[citation.pk])}?format=jsonld"
        )
        == 1
    )


def test_a_page_reads_only_the_texts_around_its_quotes(anonymous_client, cited_rows):
    with CaptureQueriesContext(connection) as queries:
        ld(anonymous_client, f"{reverse('api:citation-list')}?page_size=200")

    (page_query,) = [query["sql"] for query in queries if "summits_citation" in query["sql"]]
    reads = re.findall(r'(\w*)\("summits_source"\."text"', page_query)
    assert len(reads) == 2
    assert {read.upper() for read in reads} <= {"SUBSTR", "SUBSTRING"}
    assert page_query.count('"summits_source"."text"') == 2
