"""Nothing a client sends is dropped without a word: routes answer with or without their trailing
slash, and an unknown query parameter or body field, or a read-only field, answers 400."""

import pytest
from django.urls import reverse

from summits.models import StatusChange, Summit
from tests.helpers import table_counts

NEW_SUMMIT = {"slug": "g7-2024", "name": "G7 Summit 2024", "start_date": "2024-06-13"}


def test_a_create_without_the_trailing_slash_creates(editor_client, world):
    response = editor_client.post(reverse("api:summit-list").rstrip("/"), NEW_SUMMIT)

    assert response.status_code == 201
    assert response.json()["url"] == "http://testserver/api/summits/g7-2024/"
    assert Summit.objects.filter(slug="g7-2024").exists()


@pytest.mark.parametrize(
    "url",
    [
        "/api",
        "/api/summits",
        "/api/summits/nato-2024-washington",
        "/api/attendances/{attendance}/statuses",
        "/api/leaders/fumio-kishida/record",
        "/api/schema",
        "/api/docs",
        "/api/redoc",
        "/api/auth/login",
    ],
)
def test_every_api_route_answers_without_its_trailing_slash_and_without_a_redirect(
    anonymous_client, world, url
):
    response = anonymous_client.get(url.format(attendance=world.attendance.pk))

    assert response.status_code == 200


def test_a_write_to_an_object_without_the_trailing_slash_is_made(editor_client, world):
    url = reverse("api:summit-detail", args=[world.summit.slug]).rstrip("/")

    response = editor_client.patch(url, {"city": "Washington"})

    assert response.status_code == 200
    world.summit.refresh_from_db()
    assert world.summit.city == "Washington"


def test_the_token_endpoint_answers_without_its_trailing_slash(anonymous_client, editor):
    response = anonymous_client.post(
        reverse("api:token").rstrip("/"),
        {"username": "editor", "password": "not-a-real-password"},
    )

    assert response.status_code == 200
    assert set(response.json()) == {"token"}


def test_an_unknown_body_field_answers_400_naming_it_and_creates_nothing(editor_client, world):
    before = table_counts()

    response = editor_client.post(
        reverse("api:summit-list"), {**NEW_SUMMIT, "colour": "blue", "host": "US"}
    )

    assert response.status_code == 400
    errors = {error["attr"]: error for error in response.json()["errors"]}
    assert set(errors) == {"colour", "host"}
    assert errors["colour"]["code"] == "unknown_field"
    assert errors["colour"]["detail"].startswith("Unknown field. This body takes: city, end_date,")
    assert table_counts() == before


def test_an_unknown_field_is_reported_with_the_body_s_other_errors(editor_client, world):
    response = editor_client.post(reverse("api:summit-list"), {"slug": "g7-2024", "colour": "blue"})

    assert response.status_code == 400
    assert {error["attr"] for error in response.json()["errors"]} == {
        "colour",
        "name",
        "start_date",
    }


def test_setting_the_status_directly_answers_400_saying_how_to_change_it(editor_client, world):
    url = reverse("api:attendance-detail", args=[world.attendance.pk])

    response = editor_client.patch(url, {"status": "withdrawn"})

    assert response.status_code == 400
    assert response.json() == {
        "type": "validation_error",
        "errors": [
            {
                "code": "read_only_field",
                "detail": "Read-only. The status is the latest step of the attendance's "
                "timeline: add a step with POST /api/attendances/{id}/statuses/.",
                "attr": "status",
            }
        ],
    }
    world.attendance.refresh_from_db()
    assert world.attendance.status is None


def test_citations_posted_to_the_timeline_answer_400_naming_the_field_it_takes(
    editor_client, world
):
    response = editor_client.post(
        reverse("api:attendance-statuses", args=[world.attendance.pk]),
        {
            "status": "invited",
            "as_of": "2024-04",
            "citations": [{"source": "nato-website", "basis": "external"}],
        },
    )

    assert response.status_code == 400
    [error] = response.json()["errors"]
    assert (error["attr"], error["code"]) == ("citations", "unknown_field")
    assert "one `citation` object" in error["detail"]
    assert not StatusChange.objects.exists()


def test_an_unknown_field_inside_the_citation_is_named_with_its_path(editor_client, world):
    response = editor_client.post(
        reverse("api:attendance-statuses", args=[world.attendance.pk]),
        {
            "status": "invited",
            "as_of": "2024-04",
            "citation": {"source": "nato-website", "basis": "external", "page": 3},
        },
    )

    assert response.status_code == 400
    assert [error["attr"] for error in response.json()["errors"]] == ["citation.page"]
    assert not StatusChange.objects.exists()


def test_an_unknown_field_in_a_token_request_answers_400(anonymous_client, editor):
    response = anonymous_client.post(
        reverse("api:token"),
        {"username": "editor", "password": "not-a-real-password", "remember": True},
    )

    assert response.status_code == 400
    assert [error["attr"] for error in response.json()["errors"]] == ["remember"]


@pytest.mark.parametrize(
    ("url", "query"),
    [
        ("api:summit-list", "colour=blue"),
        ("api:summit-list", "year=2024&years=2024"),
        ("api:attendance-list", "page=2"),
        ("api:summit-detail", "page_size=2"),
        ("api:leader-record", "org=nato"),
        ("api:attendance-statuses", "status=invited"),
        ("api:summit-calendar", "limit=10"),
        ("api:api-root", "colour=blue"),
    ],
)
def test_an_unknown_query_parameter_answers_400_naming_it(anonymous_client, world, url, query):
    args = {
        "api:summit-detail": [world.summit.slug],
        "api:leader-record": [world.kishida.slug],
        "api:attendance-statuses": [world.attendance.pk],
    }.get(url, [])

    response = anonymous_client.get(f"{reverse(url, args=args)}?{query}")

    assert response.status_code == 400
    [error] = response.json()["errors"]
    assert error["code"] == "unknown_parameter"
    assert f"{error['attr']}=" in query
    assert error["detail"].startswith("Unknown query parameter. This endpoint takes: ")


def test_an_unknown_query_parameter_on_a_write_changes_nothing(editor_client, world):
    before = table_counts()

    response = editor_client.post(f"{reverse('api:summit-list')}?dry_run=1", NEW_SUMMIT)

    assert response.status_code == 400
    assert response.json()["errors"][0]["attr"] == "dry_run"
    assert table_counts() == before


@pytest.mark.parametrize(
    ("url", "query"),
    [
        ("api:summit-list", "format=json&year=2024&page_size=5&ordering=-name&search=nato"),
        ("api:summit-list", "status=held&status=scheduled&upcoming=&cursor="),
        ("api:citation-list", "basis=stated&field=status"),
        ("api:leader-record", "organization=nato&format=json"),
        ("api:summit-calendar", "organization=nato&ordering=name"),
        ("api:api-root", "format=json"),
    ],
)
def test_the_parameters_an_endpoint_reads_are_taken(anonymous_client, world, url, query):
    args = {"api:leader-record": [world.kishida.slug]}.get(url, [])

    response = anonymous_client.get(f"{reverse(url, args=args)}?{query}")

    assert response.status_code == 200


def test_the_browsable_api_keeps_its_own_parameters(anonymous_client, world):
    response = anonymous_client.get(
        f"{reverse('api:summit-list')}?format=api&year=2024", HTTP_ACCEPT="text/html"
    )

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/html")


def test_a_blank_page_size_is_the_default_page(anonymous_client, world):
    response = anonymous_client.get(f"{reverse('api:summit-list')}?page_size=")

    assert response.status_code == 200
    assert [row["slug"] for row in response.json()["results"]] == [world.summit.slug]


def test_the_api_root_says_what_the_api_is_and_links_docs_calendar_and_token(
    anonymous_client, world
):
    response = anonymous_client.get(reverse("api:api-root"))
    page = anonymous_client.get(reverse("api:api-root"), HTTP_ACCEPT="text/html").content.decode()

    assert response.json() == {
        "countries": "http://testserver/api/countries/",
        "organizations": "http://testserver/api/organizations/",
        "leaders": "http://testserver/api/leaders/",
        "summits": "http://testserver/api/summits/",
        "attendances": "http://testserver/api/attendances/",
        "sources": "http://testserver/api/sources/",
        "citations": "http://testserver/api/citations/",
        "calendar": "http://testserver/api/summits/calendar.ics",
        "popolo": "http://testserver/api/popolo/",
        "changes": "http://testserver/api/changes/",
        "token": "http://testserver/api/auth/token/",
        "schema": "http://testserver/api/schema/",
        "docs": "http://testserver/api/docs/",
        "redoc": "http://testserver/api/redoc/",
    }
    assert "Summit attendance tracker API" in page
    assert "which national leaders attend which summits" in page
    assert "The default basic root view" not in page


def test_the_browsable_api_links_a_login_page(anonymous_client, world):
    page = anonymous_client.get(reverse("api:summit-list"), HTTP_ACCEPT="text/html")
    login = anonymous_client.get(reverse("rest_framework:login"))

    assert "<a href='/api/auth/login/?next=/api/summits/'>Log in</a>" in page.content.decode()
    assert login.status_code == 200
    assert 'name="password"' in login.content.decode()


def test_a_user_signs_in_on_the_browsable_api_s_login_page(client, editor, world):
    login_url = reverse("rest_framework:login")

    response = client.post(
        f"{login_url}?next=/api/summits/",
        {"username": "editor", "password": "not-a-real-password", "next": "/api/summits/"},
    )

    assert response.status_code == 302
    assert response["Location"] == "/api/summits/"
    page = client.get("/api/summits/", HTTP_ACCEPT="text/html").content.decode()
    assert "editor" in page


def test_password_guesses_on_the_login_page_share_the_token_endpoint_s_budget(client, editor):
    guess = {"username": "editor", "password": "wrong"}

    statuses = [client.post(reverse("rest_framework:login"), guess).status_code for _ in range(5)]
    over = client.post(reverse("api:token"), guess, content_type="application/json")

    assert statuses == [200] * 5
    assert over.status_code == 429


def test_a_login_without_next_lands_on_the_api_root(client, editor, world):
    response = client.post(
        reverse("rest_framework:login"),
        {"username": "editor", "password": "not-a-real-password"},
    )

    assert response.status_code == 302
    assert response["Location"] == "/api/"


def test_the_browsable_api_logs_out_without_a_script(client, editor, world):
    client.force_login(editor)
    page = client.get("/api/summits/", HTTP_ACCEPT="text/html").content.decode()

    # A plain form the policy lets through: no inline handler to refuse.
    assert "onclick" not in page
    assert '<button type="submit" class="btn btn-link navbar-btn">Log out</button>' in page
    response = client.post(f"{reverse('rest_framework:logout')}?next=/api/summits/")
    assert response.status_code == 302
    after = client.get("/api/summits/", HTTP_ACCEPT="text/html").content.decode()
    assert "Log in" in after
