"""Bad input answers a 4xx in the one error shape, names the field, and changes nothing."""

import pytest
from django.urls import reverse

from tests.helpers import table_counts

# Stands for the id of the `world` fixture's attendance, which differs from database to database.
WORLD_ATTENDANCE = object()

SUMMIT = {"slug": "g7-2024-apulia", "name": "G7 Summit 2024"}

INVALID_WRITES = [
    pytest.param(
        "summit",
        {**SUMMIT, "start_date": "2024-06-15", "end_date": "2024-06-13"},
        "end_date",
        "end_before_start",
        id="summit-ends-before-it-starts",
    ),
    pytest.param(
        "summit",
        {**SUMMIT, "start_date": "2024-06", "end_date": "2024-06-15"},
        "end_date",
        "end_date_without_day_precision",
        id="summit-end-date-at-month-precision",
    ),
    pytest.param(
        "summit", {**SUMMIT, "start_date": "2024-13"}, "start_date", "invalid", id="summit-month-13"
    ),
    pytest.param(
        "summit",
        {**SUMMIT, "start_date": "June 2024"},
        "start_date",
        "invalid",
        id="summit-free-text-date",
    ),
    pytest.param(
        "summit",
        {**SUMMIT, "start_date": "\uff12\uff10\uff12\uff14"},
        "start_date",
        "invalid",
        id="summit-full-width-year",
    ),
    pytest.param(
        "summit",
        {**SUMMIT, "start_date": "2024\n"},
        "start_date",
        "invalid",
        id="summit-date-with-a-trailing-newline",
    ),
    pytest.param(
        "summit",
        {**SUMMIT, "name": "G7\x1b[2J", "start_date": "2024-06-13"},
        "name",
        "control_characters_not_allowed",
        id="summit-name-with-an-escape",
    ),
    pytest.param(
        "summit",
        {**SUMMIT, "city": "Apu\x0blia", "start_date": "2024-06-13"},
        "city",
        "control_characters_not_allowed",
        id="summit-city-with-a-vertical-tab",
    ),
    pytest.param(
        "country",
        {"code": "FR", "name": "France\x7f"},
        "name",
        "control_characters_not_allowed",
        id="country-name-with-delete",
    ),
    pytest.param(
        "summit",
        {**SUMMIT, "start_date": "2024-06-13", "kind": "summitish"},
        "kind",
        "invalid_choice",
        id="summit-unknown-kind",
    ),
    pytest.param(
        "summit",
        {**SUMMIT, "start_date": "2024-06-13", "host_country": "XX"},
        "host_country",
        "does_not_exist",
        id="summit-unknown-host",
    ),
    pytest.param(
        "country",
        {"code": "jp", "name": "Japan"},
        "code",
        "invalid_code",
        id="country-lowercase-code",
    ),
    pytest.param(
        "country",
        {"code": "J1", "name": "Japan"},
        "code",
        "invalid_code",
        id="country-digit-in-code",
    ),
    pytest.param(
        "country",
        {"code": "JPN", "name": "Japan"},
        "code",
        "invalid_code",
        id="country-alpha3-code",
    ),
    pytest.param(
        "country",
        {"code": "SUHHX", "name": "Soviet Union"},
        "code",
        "max_length",
        id="country-code-past-alpha4",
    ),
    pytest.param(
        "leader",
        {
            "slug": "x",
            "name": "X",
            "country": "JP",
            "office": "PM",
            "term_start": "2024-01-02",
            "term_end": "2024-01-01",
        },
        "term_end",
        "term_end_before_start",
        id="leader-term-ends-before-it-starts",
    ),
    pytest.param(
        "attendance",
        {"summit": "nato-2024-washington", "country": "US", "leader": "fumio-kishida"},
        "leader",
        "leader_country_mismatch",
        id="attendance-leader-of-another-country",
    ),
    pytest.param(
        "attendance",
        {"summit": "nato-2024-washington", "country": "US", "role": "spectator"},
        "role",
        "invalid_choice",
        id="attendance-unknown-role",
    ),
    pytest.param(
        "citation",
        {"source": "nato-website", "field": "city", "basis": "external"},
        "summit",
        "one_target",
        id="citation-without-target",
    ),
    pytest.param(
        "citation",
        {
            "source": "nato-website",
            "summit": "nato-2024-washington",
            "attendance": WORLD_ATTENDANCE,
            "field": "city",
            "basis": "external",
        },
        "summit",
        "one_target",
        id="citation-with-two-targets",
    ),
    pytest.param(
        "citation",
        {
            "source": "nato-website",
            "summit": "nato-2024-washington",
            "field": "city",
            "quote": "Washington",
            "start": 5,
            "end": 7,
        },
        "quote",
        "offsets_do_not_span_quote",
        id="citation-offsets-that-miss-the-quote",
    ),
    pytest.param(
        "source",
        {"key": "nowhere", "title": "Nowhere"},
        "url",
        "no_origin",
        id="source-without-url-or-seed-file",
    ),
]


@pytest.mark.parametrize(("basename", "body", "attr", "code"), INVALID_WRITES)
def test_invalid_write_answers_400_on_the_field_and_changes_nothing(
    editor_client, world, basename, body, attr, code
):
    body = {
        name: world.attendance.pk if value is WORLD_ATTENDANCE else value
        for name, value in body.items()
    }
    before = table_counts()

    response = editor_client.post(reverse(f"api:{basename}-list"), body)

    assert response.status_code == 400, response.json()
    assert response.json()["type"] == "validation_error"
    assert {"code": code, "attr": attr} in [
        {"code": error["code"], "attr": error["attr"]} for error in response.json()["errors"]
    ]
    assert table_counts() == before


def test_an_invalid_partial_update_is_checked_against_the_stored_row(editor_client, world):
    url = reverse("api:summit-detail", args=["nato-2024-washington"])

    response = editor_client.patch(url, {"end_date": "2024-07-01"})

    assert response.status_code == 400
    assert response.json()["errors"][0]["attr"] == "end_date"
    world.summit.refresh_from_db()
    assert str(world.summit.end_date) == "2024-07-11"


@pytest.mark.parametrize(
    ("basename", "body", "attr"),
    [
        pytest.param("country", {"code": "JP", "name": "Japan again"}, "code", id="country-code"),
        pytest.param(
            "attendance",
            {"summit": "nato-2024-washington", "country": "JP"},
            "country",
            id="attendance",
        ),
        pytest.param(
            "summit",
            {"slug": "nato-2024-washington", "name": "Again", "start_date": "2024"},
            "slug",
            id="summit-slug",
        ),
    ],
)
def test_a_duplicate_answers_409_on_the_field(editor_client, world, basename, body, attr):
    before = table_counts()

    response = editor_client.post(reverse(f"api:{basename}-list"), body)

    assert response.status_code == 409, response.json()
    assert response.json()["errors"][0] | {"detail": None} == {
        "code": "unique",
        "detail": None,
        "attr": attr,
    }
    assert table_counts() == before


def test_moving_an_attendance_onto_a_taken_country_answers_409(editor_client, world):
    other = editor_client.post(
        reverse("api:attendance-list"), {"summit": "nato-2024-washington", "country": "US"}
    )

    response = editor_client.patch(
        reverse("api:attendance-detail", args=[other.json()["id"]]), {"country": "JP"}
    )

    assert response.status_code == 409


@pytest.mark.parametrize(
    ("basename", "key"),
    [
        ("summit", "nato-2024-washington"),
        ("country", "JP"),
        ("leader", "fumio-kishida"),
        ("organization", "nato"),
    ],
)
def test_deleting_a_row_that_history_depends_on_answers_409(editor_client, world, basename, key):
    before = table_counts()

    response = editor_client.delete(reverse(f"api:{basename}-detail", args=[key]))

    assert response.status_code == 409
    assert response.json()["errors"][0]["code"] == "protected"
    assert table_counts() == before


def test_malformed_json_answers_400(editor_client, world):
    response = editor_client.post(
        reverse("api:country-list"), data='{"code": "FR", "name":', content_type="application/json"
    )

    assert response.status_code == 400
    assert response.json()["errors"][0]["code"] == "parse_error"


def test_a_body_over_one_mebibyte_answers_413(editor_client, world):
    response = editor_client.post(
        reverse("api:country-list"), data={"code": "FR", "name": "x" * (1024 * 1024)}, format="json"
    )

    assert response.status_code == 413
    assert response.json()["errors"][0]["code"] == "payload_too_large"


def test_the_current_status_cannot_be_set_directly(editor_client, world):
    url = reverse("api:attendance-detail", args=[world.attendance.pk])

    response = editor_client.patch(url, {"status": "attended", "note": "Seen there."})

    assert response.status_code == 400
    [error] = response.json()["errors"]
    assert (error["attr"], error["code"]) == ("status", "read_only_field")
    assert "/statuses/" in error["detail"]
    world.attendance.refresh_from_db()
    assert (world.attendance.status, world.attendance.note) == (None, "")


def test_an_unknown_path_answers_404_json(anonymous_client, world):
    response = anonymous_client.get("/api/no-such-thing/")

    assert response.status_code == 404
    assert response.json()["type"] == "client_error"


def test_an_unsupported_method_answers_405_json(editor_client, world):
    response = editor_client.put(reverse("api:summit-list"), {})

    assert response.status_code == 405
    assert response.json()["errors"][0]["code"] == "method_not_allowed"


def test_a_null_character_in_a_related_key_answers_400(editor_client, world):
    before = table_counts()

    response = editor_client.post(
        reverse("api:citation-list"),
        {
            "source": "nato\x00website",
            "summit": "nato-2024-washington",
            "field": "city",
            "basis": "external",
        },
    )

    assert response.status_code == 400
    assert response.json()["errors"][0] == {
        "code": "null_characters_not_allowed",
        "detail": "Null characters are not allowed.",
        "attr": "source",
    }
    assert table_counts() == before


@pytest.mark.parametrize(
    "url", ["/api/summits/nato%00/", "/api/summits/?search=%00", "/api/leaders/?country=J%00"]
)
def test_a_null_character_in_a_path_or_query_is_a_client_error(anonymous_client, world, url):
    response = anonymous_client.get(url)

    assert 400 <= response.status_code < 500
    assert response.json()["type"] in {"client_error", "validation_error"}
