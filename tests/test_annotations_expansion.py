"""Citations as W3C Web Annotations, read as JSON-LD: expanded with pyld, offline (a document
loader serves the W3C context vendored in tests/data/w3c/ and refuses any other URL), every
property keeps an IRI (the extension terms too), and the expanded selectors still select each
quote from the text at the expanded source."""

import json
from pathlib import Path
from typing import Any

import pytest
from django.urls import reverse
from pyld import jsonld

from summits.api.annotations import QUOTE_CONTEXT
from summits.models import Citation
from tests.test_annotations import ORIGIN, VOCABULARY, citation_url, ld, text_url

ANNO_CONTEXT = "http://www.w3.org/ns/anno.jsonld"
W3C_CONTEXT_FILE = Path(__file__).resolve().parent / "data" / "w3c" / "anno.jsonld"
OA = "http://www.w3.org/ns/oa#"
AS = "http://www.w3.org/ns/activitystreams#"
XSD = "http://www.w3.org/2001/XMLSchema#"


def offline_loader(asked: list[str]):
    """A JSON-LD document loader that serves the vendored W3C context and nothing else."""
    context = json.loads(W3C_CONTEXT_FILE.read_text(encoding="utf-8"))

    def load(url: str, options: object = None) -> dict[str, Any]:
        asked.append(url)
        if url != ANNO_CONTEXT:
            raise jsonld.JsonLdError(
                f"No network in the tests: {url}", "jsonld.LoadDocumentError", code="offline"
            )
        return {
            "contentType": "application/ld+json",
            "contextUrl": None,
            "documentUrl": url,
            "document": context,
        }

    return load


def expanded(document: dict[str, Any]) -> list[dict[str, Any]]:
    """`document` expanded with the vendored context; fails if a property is dropped or any
    other document is asked for."""
    asked: list[str] = []
    dropped: list[str | None] = []
    result = jsonld.expand(
        document, {"documentLoader": offline_loader(asked)}, on_property_dropped=dropped.append
    )
    assert dropped == []
    assert set(asked) <= {ANNO_CONTEXT}
    return result


def test_an_annotation_expands_to_the_web_annotation_vocabulary(anonymous_client, article):
    citation = Citation.objects.select_related("source").get(quote="Japan-US summit", field="kind")
    document = ld(anonymous_client, reverse("api:citation-detail", args=[citation.pk]))

    (node,) = expanded(document)

    assert node["@id"] == citation_url(citation.pk)
    assert node["@type"] == [f"{OA}Annotation"]
    assert node[f"{OA}motivatedBy"] == [{"@id": f"{OA}linking"}]
    (body,) = node[f"{OA}hasBody"]
    assert body == {
        "@type": [f"{OA}SpecificResource"],
        f"{OA}hasSource": [{"@id": f"{ORIGIN}/api/summits/japan-us-2024-04-10/"}],
        f"{VOCABULARY}field": [{"@value": "kind"}],
        f"{VOCABULARY}basis": [{"@value": "stated"}],
    }
    (target,) = node[f"{OA}hasTarget"]
    assert target["@type"] == [f"{OA}SpecificResource"]
    assert target[f"{OA}hasSource"] == [{"@id": text_url(citation.source)}]
    quote, position = target[f"{OA}hasSelector"]
    assert quote == {
        "@type": [f"{OA}TextQuoteSelector"],
        f"{OA}exact": [{"@value": "Japan-US summit"}],
        f"{OA}prefix": [{"@value": citation.source.text[44 - QUOTE_CONTEXT : 44]}],
        f"{OA}suffix": [{"@value": citation.source.text[59 : 59 + QUOTE_CONTEXT]}],
    }
    assert position == {
        "@type": [f"{OA}TextPositionSelector"],
        f"{OA}start": [{"@type": f"{XSD}nonNegativeInteger", "@value": 44}],
        f"{OA}end": [{"@type": f"{XSD}nonNegativeInteger", "@value": 59}],
    }


def test_the_expanded_selectors_select_the_quote_from_the_text_at_the_expanded_source(
    anonymous_client, article_and_context
):
    document = ld(anonymous_client, f"{reverse('api:citation-list')}?page_size=500")

    (page,) = expanded(document)

    (items,) = page[f"{AS}items"]
    assert len(items["@list"]) == Citation.objects.count()
    for node in items["@list"]:
        (target,) = node[f"{OA}hasTarget"]
        if f"{OA}hasSelector" not in target:
            continue
        (source,) = target[f"{OA}hasSource"]
        text = anonymous_client.get(source["@id"]).content.decode("utf-8")
        by_type = {selector["@type"][0]: selector for selector in target[f"{OA}hasSelector"]}
        quote = by_type[f"{OA}TextQuoteSelector"]
        position = by_type[f"{OA}TextPositionSelector"]
        start = position[f"{OA}start"][0]["@value"]
        end = position[f"{OA}end"][0]["@value"]
        assert text[start:end] == quote[f"{OA}exact"][0]["@value"]
        assert text[:start].endswith(quote[f"{OA}prefix"][0]["@value"])
        assert text[end:].startswith(quote[f"{OA}suffix"][0]["@value"])


def test_a_page_expands_with_its_links_and_compacts_back_to_itself(anonymous_client, article):
    document = ld(anonymous_client, f"{reverse('api:citation-list')}?page_size=3")
    second = ld(anonymous_client, document["next"])

    (page,) = expanded(second)

    assert page["@type"] == [f"{AS}OrderedCollectionPage"]
    assert page[f"{AS}next"] == [{"@id": second["next"]}]
    assert page[f"{AS}prev"] == [{"@id": second["prev"]}]
    compacted = jsonld.compact(
        [page],
        {"@context": second["@context"]},
        {"documentLoader": offline_loader([])},
    )
    assert compacted == second


def test_the_offline_loader_refuses_any_other_document():
    document = {"@context": "https://example.org/context.jsonld", "name": "x"}

    with pytest.raises(jsonld.JsonLdError):
        jsonld.expand(document, {"documentLoader": offline_loader([])})
