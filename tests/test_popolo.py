"""The Popolo export: every object valid against Popolo's own JSON Schemas, names in every
language known, dates at their precision, the summit list's filters, evidence in extension
properties, and a query count that does not grow with the data."""

import json
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from django.urls import reverse
from jsonschema import Draft3Validator, FormatChecker
from jsonschema.exceptions import ValidationError
from referencing import Registry, Resource

from devdata.generator import synthetic_generate
from summits.dates import iso_partial_date
from summits.models import Attendance, Citation, Country, Leader, Organization, StatusChange, Summit
from summits.popolo import EVENT_STATUS

SCHEMAS = Path(__file__).resolve().parent / "data" / "popolo"
URL = "api:popolo"


def _registry() -> Registry:
    """The vendored schemas under their own ids, and nothing else: no `$ref` reaches the
    network (tests/data/popolo/README.md)."""
    resources = []
    for path in sorted(SCHEMAS.glob("*.json")):
        contents = json.loads(path.read_text(encoding="utf-8"))
        resources.append((contents["id"].removesuffix("#"), Resource.from_contents(contents)))
    return Registry().with_resources(resources)


def _uri(value: object) -> bool:
    """Draft 3's `uri` format, which jsonschema checks only with rfc3987 installed."""
    if not isinstance(value, str):
        return True
    parts = urlsplit(value)
    return parts.scheme in ("http", "https") and bool(parts.netloc)


FORMATS = FormatChecker()
FORMATS.checks("uri")(_uri)
REGISTRY = _registry()
VALIDATORS = {
    kind: Draft3Validator(
        json.loads((SCHEMAS / f"{kind}.json").read_text(encoding="utf-8")),
        registry=REGISTRY,
        format_checker=FORMATS,
    )
    for kind in ("person", "organization", "membership", "event")
}
ARRAYS = {
    "persons": "person",
    "organizations": "organization",
    "memberships": "membership",
    "events": "event",
}


def popolo(client, **query) -> dict:
    response = client.get(reverse(URL), query)
    assert response.status_code == 200, response.content
    assert response.streaming
    assert response["Content-Type"] == "application/json"
    return json.loads(b"".join(response.streaming_content))


def by_id(objects: list[dict]) -> dict[str, dict]:
    return {popolo_object["id"]: popolo_object for popolo_object in objects}


def assert_valid(document: dict) -> None:
    assert list(document) == list(ARRAYS)
    for array, kind in ARRAYS.items():
        for popolo_object in document[array]:
            VALIDATORS[kind].validate(popolo_object)


def assert_every_reference_resolves(document: dict) -> None:
    persons = {person["id"] for person in document["persons"]}
    organizations = {organization["id"] for organization in document["organizations"]}
    for membership in document["memberships"]:
        assert membership["person_id"] in persons
        assert membership["organization_id"] in organizations
    for event in document["events"]:
        assert event["organization_id"] in organizations | {None}
        assert event["+host_country_id"] in organizations | {None}
        assert {attendee["id"] for attendee in event["attendees"]} <= persons
        for attendance in event["+attendances"]:
            assert attendance["country_id"] in organizations
            assert attendance["person_id"] in persons | {None}


def test_the_whole_data_set_is_every_leader_country_organization_and_summit(
    anonymous_client, article_and_context
):
    document = popolo(anonymous_client)

    assert_valid(document)
    assert_every_reference_resolves(document)
    assert [person["id"] for person in document["persons"]] == [
        f"leader/{slug}" for slug in Leader.objects.order_by("slug").values_list("slug", flat=True)
    ]
    assert [organization["id"] for organization in document["organizations"]] == [
        *(
            f"country/{code}"
            for code in Country.objects.order_by("code").values_list("code", flat=True)
        ),
        *(f"organization/{slug}" for slug in Organization.objects.values_list("slug", flat=True)),
    ]
    assert len(document["memberships"]) == Leader.objects.count()
    assert [event["id"] for event in document["events"]] == [
        f"summit/{slug}"
        for slug in Summit.objects.order_by("start_date", "id").values_list("slug", flat=True)
    ]


def test_the_validators_hold_objects_to_popolo_s_patterns_and_types(
    anonymous_client, article_and_context
):
    event = popolo(anonymous_client)["events"][0]

    with pytest.raises(ValidationError, match="does not match"):
        VALIDATORS["event"].validate({**event, "start_date": "June 2022"})
    with pytest.raises(ValidationError, match="is not of type"):
        VALIDATORS["event"].validate({**event, "attendees": [{"name": 7}]})
    with pytest.raises(ValidationError, match="is not a 'uri'"):
        VALIDATORS["event"].validate({**event, "sources": [{"url": "/api/summits/"}]})


def test_a_leader_is_a_person_named_in_every_language_known(anonymous_client, article_and_context):
    persons = by_id(popolo(anonymous_client)["persons"])
    kishida = persons["leader/fumio-kishida"]

    assert kishida["name"] == "Fumio Kishida"
    assert kishida["other_names"] == [{"name": "岸田文雄", "lang": "ja", "note": "multilingual"}]
    assert kishida["sources"] == [
        {
            "url": "http://testserver/api/leaders/fumio-kishida/",
            "note": "Summit attendance tracker API",
        }
    ]
    assert {
        name["lang"]: name["name"] for name in persons["leader/yoon-suk-yeol"]["other_names"]
    } == {
        "ja": "尹錫悦",
        "ko": "윤석열",
    }


def test_an_untagged_other_name_is_another_spelling(anonymous_client, article_and_context):
    Leader.objects.get(slug="fumio-kishida").other_names.create(name="Kishida Fumio")

    kishida = by_id(popolo(anonymous_client)["persons"])["leader/fumio-kishida"]

    assert {"name": "Kishida Fumio", "note": "alternative spelling"} in kishida["other_names"]


def test_a_country_is_an_organization_named_in_every_language_pycountry_ships(
    anonymous_client, article_and_context
):
    japan = by_id(popolo(anonymous_client)["organizations"])["country/JP"]
    names = {name["lang"]: name for name in japan["other_names"]}

    assert japan["name"] == "Japan"
    assert japan["classification"] == "country"
    assert japan["identifiers"] == [{"identifier": "JP", "scheme": "ISO 3166-1 alpha-2"}]
    assert names["ja"] == {"name": "日本", "lang": "ja", "note": "ISO 3166 (pycountry)"}
    assert names["fr"]["name"] == "Japon"
    assert len(names) > 100
    assert japan["sources"][0]["url"] == "http://testserver/api/countries/JP/"


def test_an_organization_has_its_founding_date_short_name_and_names(
    anonymous_client, article_and_context
):
    nato = by_id(popolo(anonymous_client)["organizations"])["organization/nato"]

    assert nato["classification"] == "intergovernmental organization"
    assert nato["founding_date"] == "1949-04-04"
    assert nato["other_names"][0] == {"name": "NATO", "note": "short name"}
    assert {"name": "北大西洋条約機構", "lang": "ja", "note": "multilingual"} in nato["other_names"]


def test_a_leader_s_office_is_a_membership_of_the_country_with_the_term_s_dates(
    anonymous_client, article_and_context
):
    memberships = by_id(popolo(anonymous_client)["memberships"])

    assert memberships["membership/fumio-kishida"] == {
        "id": "membership/fumio-kishida",
        "label": "Prime Minister, Japan",
        "role": "Prime Minister",
        "person_id": "leader/fumio-kishida",
        "organization_id": "country/JP",
        "start_date": "2021-10-04",
        "end_date": "2024-10-01",
        "sources": [
            {
                "url": "http://testserver/api/leaders/fumio-kishida/",
                "note": "Summit attendance tracker API",
            }
        ],
    }


def test_the_article_s_dates_keep_their_precision(anonymous_client, article):
    document = popolo(anonymous_client)
    events = by_id(document["events"])

    assert_valid(document)
    assert (
        events["summit/nato-2022-spain"]["start_date"],
        events["summit/nato-2022-spain"]["end_date"],
    ) == ("2022-06", None)
    assert events["summit/nato-2023-lithuania"]["start_date"] == "2023"
    assert events["summit/nato-2024-washington"]["start_date"] == "2024-07-09"
    assert events["summit/nato-2024-washington"]["end_date"] == "2024-07-11"
    japan = events["summit/nato-2024-washington"]["+attendances"][0]
    assert [step["as_of"] for step in japan["timeline"]] == ["2024-03"]
    assert events["summit/nato-2022-spain"]["location"] == "Spain"


def test_a_summit_is_an_event_with_its_attendances_timelines_and_evidence(
    anonymous_client, article_and_context
):
    event = by_id(popolo(anonymous_client)["events"])["summit/nato-2024-washington"]
    (japan,) = event["+attendances"]
    attendance = Attendance.objects.get(summit__slug="nato-2024-washington", country__code="JP")

    assert event["name"] == "NATO Summit 2024, Washington"
    assert event["location"] == "Washington, DC, United States"
    assert event["classification"] == "ordinary"
    assert event["organization_id"] == "organization/nato"
    assert event["+host_country_id"] == "country/US"
    assert event["attendees"] == [{"id": "leader/fumio-kishida", "name": "Fumio Kishida"}]
    assert japan["country_id"] == "country/JP"
    assert japan["person_id"] == "leader/fumio-kishida"
    assert japan["status"] == attendance.status
    assert japan["url"] == f"http://testserver/api/attendances/{attendance.pk}/"
    assert [(step["status"], step["as_of"]) for step in japan["timeline"]] == [
        (change.status, iso_partial_date(change.as_of, change.as_of_precision))
        for change in attendance.status_changes.order_by("as_of", "id")
    ]
    proposed = japan["timeline"][0]
    assert proposed["status"] == "proposed"
    assert {citation["field"] for citation in proposed["citations"]} >= {"status"}
    quoted = next(citation for citation in proposed["citations"] if citation["quote"])
    text = anonymous_client.get(quoted["url"]).content.decode()
    assert text[quoted["start"] : quoted["end"]] == quoted["quote"]


def test_every_citation_is_carried_once_where_it_belongs(anonymous_client, article_and_context):
    events = popolo(anonymous_client)["events"]

    carried = sum(
        len(event["+citations"])
        + sum(
            len(attendance["citations"])
            + sum(len(step["citations"]) for step in attendance["timeline"])
            for attendance in event["+attendances"]
        )
        for event in events
    )

    assert carried == Citation.objects.count()


def test_an_event_s_sources_are_its_record_and_each_source_cited_once(
    anonymous_client, article_and_context
):
    event = by_id(popolo(anonymous_client)["events"])["summit/nato-2022-spain"]

    assert event["sources"] == [
        {
            "url": "http://testserver/api/summits/nato-2022-spain/",
            "note": "Summit attendance tracker API",
        },
        {
            "url": "http://testserver/api/sources/sakamoto-2024-kishida-nato/text/",
            "note": "Talks underway to invite Kishida to NATO's Washington summit",
        },
        {"url": "https://www.nato.int/", "note": "NATO official website"},
    ]


@pytest.mark.parametrize("status", list(EVENT_STATUS))
def test_a_summit_s_status_maps_onto_popolo_s_event_statuses(
    anonymous_client, article_and_context, status
):
    Summit.objects.filter(slug="nato-2022-spain").update(status=status)

    event = by_id(popolo(anonymous_client)["events"])["summit/nato-2022-spain"]

    assert event["status"] == EVENT_STATUS[status]
    assert event["status"] in {"tentative", "confirmed", "postponed", "cancelled"}
    assert event["+summit_status"] == status


def test_attendees_are_the_leaders_who_attended_or_are_confirmed(
    anonymous_client, article_and_context
):
    attendance = Attendance.objects.get(summit__slug="nato-2022-spain", country__code="JP")
    StatusChange.objects.filter(attendance=attendance).update(status="declined")
    Attendance.objects.filter(pk=attendance.pk).update(status="declined")

    event = by_id(popolo(anonymous_client)["events"])["summit/nato-2022-spain"]

    assert event["attendees"] == []
    assert event["+attendances"][0]["status"] == "declined"


def test_a_filter_keeps_its_summits_and_only_what_they_refer_to(
    anonymous_client, article_and_context
):
    document = popolo(anonymous_client, organization="nato", year=2024)

    assert_valid(document)
    assert_every_reference_resolves(document)
    assert [event["id"] for event in document["events"]] == ["summit/nato-2024-washington"]
    assert [person["id"] for person in document["persons"]] == ["leader/fumio-kishida"]
    assert [membership["id"] for membership in document["memberships"]] == [
        "membership/fumio-kishida"
    ]
    assert [organization["id"] for organization in document["organizations"]] == [
        "country/JP",
        "country/US",
        "organization/nato",
    ]


def test_a_search_and_a_blank_filter_work_as_on_the_summit_list(
    anonymous_client, article_and_context
):
    searched = popolo(anonymous_client, search="Lithuania")
    blank = popolo(anonymous_client, status="")

    assert [event["id"] for event in searched["events"]] == ["summit/nato-2023-lithuania"]
    assert len(searched["persons"]) == 4
    assert blank == popolo(anonymous_client)


def test_a_blank_search_or_filter_is_no_filter_as_on_the_summit_list(
    anonymous_client, article_and_context
):
    Leader.objects.create(
        slug="no-summit-yet",
        name="No Summit Yet",
        office="President",
        country=Country.objects.get(code="US"),
    )
    whole = popolo(anonymous_client)

    assert "leader/no-summit-yet" in {person["id"] for person in whole["persons"]}
    assert popolo(anonymous_client, search=" ") == whole
    assert popolo(anonymous_client, search="") == whole
    assert popolo(anonymous_client, organization=" ", status="") == whole


def test_a_filter_that_matches_nothing_is_an_empty_document(anonymous_client, article_and_context):
    assert popolo(anonymous_client, year=1900) == {
        "persons": [],
        "organizations": [],
        "memberships": [],
        "events": [],
    }


def test_links_name_records_not_the_format_asked_for(anonymous_client, article_and_context):
    document = popolo(anonymous_client, format="json")

    assert document["persons"][0]["sources"][0]["url"].endswith("/api/leaders/anthony-albanese/")


@pytest.fixture
def generated(article_and_context):
    """The article's data and 400 synthetic attendances, with timelines and citations."""
    synthetic_generate(seed=5, attendances=400)


def test_on_synthetic_data_every_row_reaches_its_own_record(anonymous_client, generated):
    document = popolo(anonymous_client)
    events = by_id(document["events"])

    assert_valid(document)
    assert_every_reference_resolves(document)
    assert len(events) == Summit.objects.count()
    for summit in Summit.objects.with_attendee_count():
        event = events[f"summit/{summit.slug}"]
        assert len(event["+attendances"]) == summit.attendee_count
        assert len(event["+citations"]) == summit.citations.count()
    for attendance in Attendance.objects.select_related("summit", "country").order_by("?")[:40]:
        event = events[f"summit/{attendance.summit.slug}"]
        (found,) = (
            popolo_attendance
            for popolo_attendance in event["+attendances"]
            if popolo_attendance["country_id"] == f"country/{attendance.country.code}"
        )
        assert found["status"] == attendance.status
        assert [step["status"] for step in found["timeline"]] == list(
            attendance.status_changes.order_by("as_of", "id").values_list("status", flat=True)
        )
        assert len(found["citations"]) == attendance.citations.count()
