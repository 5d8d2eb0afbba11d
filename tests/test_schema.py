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
    assert "404" in read and "409" not in read
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
