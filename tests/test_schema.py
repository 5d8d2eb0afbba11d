"""The API describes itself: an OpenAPI 3 schema, Swagger UI and Redoc served offline."""

import re

import pytest
from django.core.management import call_command
from django.urls import reverse


def test_the_schema_generates_and_validates_without_warnings(tmp_path):
    # --fail-on-warn turns every warning (an untyped parameter, an enum clash) into a failure.
    call_command(
        "spectacular", "--validate", "--fail-on-warn", "--file", str(tmp_path / "schema.yml")
    )

    assert "openapi: 3" in (tmp_path / "schema.yml").read_text()


@pytest.fixture
def schema(anonymous_client, db) -> dict:
    response = anonymous_client.get(
        reverse("schema"), HTTP_ACCEPT="application/vnd.oai.openapi+json"
    )
    assert response.status_code == 200
    return response.json()


def test_every_path_parameter_is_typed(schema):
    parameters = [
        parameter
        for path in schema["paths"].values()
        for operation in path.values()
        for parameter in operation.get("parameters", [])
        if parameter["in"] == "path"
    ]

    assert parameters
    assert all(parameter["schema"].get("type") in {"string", "integer"} for parameter in parameters)


def test_every_filter_is_documented(schema):
    summit_list = {
        parameter["name"] for parameter in schema["paths"]["/api/summits/"]["get"]["parameters"]
    }
    attendance_list = {
        parameter["name"] for parameter in schema["paths"]["/api/attendances/"]["get"]["parameters"]
    }

    assert {
        "year",
        "organization",
        "host_country",
        "attending_country",
        "attending_leader",
        "status",
        "upcoming",
        "search",
        "ordering",
        "cursor",
        "page_size",
    } <= summit_list
    assert {
        "summit",
        "country",
        "leader",
        "status",
        "role",
        "year",
        "organization",
    } <= attendance_list


@pytest.mark.parametrize("path", ["/api/leaders/{slug}/record/", "/api/countries/{code}/record/"])
def test_the_attendance_record_is_documented_with_its_filter(schema, path):
    operation = schema["paths"][path]["get"]
    query = {
        parameter["name"] for parameter in operation["parameters"] if parameter["in"] == "query"
    }

    assert operation["summary"] == "Attendance record"
    assert query == {"organization"}
    assert operation["responses"]["200"]["content"]["application/json"]["schema"]["type"] == "array"


def test_errors_are_documented_in_the_one_shape(schema):
    create = schema["paths"]["/api/summits/"]["post"]["responses"]
    delete = schema["paths"]["/api/summits/{slug}/"]["delete"]["responses"]
    read = schema["paths"]["/api/summits/{slug}/"]["get"]["responses"]

    assert {"400", "401", "403", "409", "413"} <= set(create)
    assert {"401", "403", "404", "409"} <= set(delete)
    assert "404" in read
    assert "409" not in read
    assert create["409"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/ErrorResponse"
    }
    assert set(schema["components"]["schemas"]["ErrorResponse"]["properties"]) == {"type", "errors"}


@pytest.mark.parametrize("name", ["swagger-ui", "redoc"])
def test_the_docs_are_served_from_this_site_not_a_cdn(anonymous_client, db, name):
    response = anonymous_client.get(reverse(name))

    page = response.content.decode()
    assert response.status_code == 200
    assert "/static/drf_spectacular_sidecar/" in page
    assert "cdn" not in page.lower()


def test_swagger_ui_sends_the_schema_to_no_validator(anonymous_client, db):
    page = anonymous_client.get(reverse("swagger-ui")).content.decode()
    # The page loads its settings from a script of its own (no inline script, for the CSP).
    [script_url] = re.findall(r'<script src="([^"]*\?script=[^"]*)"', page)

    assert '"validatorUrl": null' in anonymous_client.get(script_url).content.decode()


def operations(schema):
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            yield path, method, operation


def test_every_public_read_declares_anonymous_access(schema):
    reads = [
        (path, operation)
        for path, method, operation in operations(schema)
        if method in {"get", "head"}
    ]
    writes = [
        (path, method)
        for path, method, operation in operations(schema)
        if method not in {"get", "head"} and {} in operation.get("security", [])
    ]

    assert reads
    assert all({} in operation["security"] for _, operation in reads)
    # Only signing in needs no credentials among the writes.
    assert writes == [("/api/auth/token/", "post")]


def test_the_token_endpoint_takes_one_json_body(schema):
    body = schema["paths"]["/api/auth/token/"]["post"]["requestBody"]

    assert list(body["content"]) == ["application/json"]
    request = schema["components"]["schemas"]["AuthTokenRequest"]
    assert set(request["properties"]) == {"username", "password"}


def test_every_bound_a_list_parameter_has_is_in_the_schema(schema):
    parameters = {
        parameter["name"]: parameter
        for parameter in schema["paths"]["/api/summits/"]["get"]["parameters"]
    }

    assert parameters["page_size"]["schema"] == {
        "type": "integer",
        "minimum": 1,
        "maximum": 500,
        "default": 50,
    }
    assert parameters["year"]["schema"] == {"type": "integer", "minimum": 1, "maximum": 9999}
    ordering = re.compile(parameters["ordering"]["schema"]["pattern"])
    assert ordering.match("-start_date, name")
    assert not ordering.match("country__name")
    assert "at most 8 terms" in parameters["search"]["description"]
    assert "at most 64 characters" in parameters["search"]["description"]


def test_each_route_is_listed_once_at_its_canonical_path(schema):
    assert [path for path in schema["paths"] if not path.endswith("/")] == [
        "/api/summits/calendar.ics"
    ]


# Words of the code, not of the API: a description that holds one speaks to the wrong reader.
IMPLEMENTATION_WORDS = ["reverse()", "serializer", "queryset", "tests/", "DRF", ".values(", "ORM"]


def test_descriptions_speak_to_api_users(schema):
    descriptions = [
        (name, component.get("description", ""))
        for name, component in schema["components"]["schemas"].items()
    ] + [
        (f"{method} {path}", operation.get("description", ""))
        for path, method, operation in operations(schema)
    ]

    assert [
        (name, word)
        for name, description in descriptions
        for word in IMPLEMENTATION_WORDS
        if word.lower() in description.lower()
    ] == []


def test_every_error_example_carries_the_type_its_status_answers(schema):
    examples = [
        (status, example["value"])
        for _, _, operation in operations(schema)
        for status, response in operation["responses"].items()
        if status >= "400"
        for example in response["content"]["application/json"].get("examples", {}).values()
    ]

    assert ("503", "server_error") in {(status, value["type"]) for status, value in examples}
    assert all(
        value["type"] == "server_error" if status >= "500" else value["type"] != "server_error"
        for status, value in examples
    )
    unavailable = schema["paths"]["/api/summits/"]["get"]["responses"]["503"]
    [example] = unavailable["content"]["application/json"]["examples"].values()
    assert example["value"]["errors"][0]["code"] == "database_unavailable"


def test_a_blank_multiple_choice_filter_filters_nothing(anonymous_client, article_and_context):
    # The schema allows a blank optional parameter (allowEmptyValue) and means no filter by it.
    every = anonymous_client.get("/api/summits/").json()
    blank = anonymous_client.get("/api/summits/?status=&kind=")
    assert blank.status_code == 200
    assert blank.json() == every
    assert anonymous_client.get("/api/attendances/?role=").status_code == 200


def test_what_an_attendance_may_hold_is_what_the_schema_says(schema):
    components = schema["components"]["schemas"]
    # A summit's attendee may have no leader yet.
    assert components["Attendee"]["properties"]["leader"]["nullable"] is True
    # A role not stated is null; "" is refused, so the schema offers no blank role.
    role = components["Attendance"]["properties"]["role"]
    assert {"$ref": "#/components/schemas/BlankEnum"} not in role["oneOf"]
