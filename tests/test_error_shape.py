"""Everything answered under /api/ and /healthz is JSON, whatever its status and whoever
produced it; elsewhere (the admin) errors are Django's own pages; NUL bytes never reach a view;
a chunked body is read like any other."""

import io
import json
from wsgiref.util import setup_testing_defaults

import pytest
from django.test import Client
from django.urls import reverse

from summits.models import Country
from tracker.chunked import ChunkedRequestBody


def assert_error_shape(response, status: int, code: str) -> None:
    assert response.status_code == status
    assert response["Content-Type"] == "application/json"
    body = response.json()
    assert body["type"] in {"client_error", "server_error"}
    assert [error["code"] for error in body["errors"]] == [code]


@pytest.mark.parametrize(
    ("method", "status", "code"),
    [
        ("POST", 403, "permission_denied"),  # the CSRF check, before the view
        ("OPTIONS", 405, "method_not_allowed"),
        ("TRACE", 405, "method_not_allowed"),
        ("DELETE", 403, "permission_denied"),
    ],
)
def test_healthz_answers_any_method_in_the_json_error_shape(db, method, status, code):
    client = Client(enforce_csrf_checks=True)

    response = client.generic(method, "/healthz")

    assert_error_shape(response, status, code)


def test_a_405_keeps_its_allow_header(db):
    response = Client().generic("TRACE", "/healthz")

    assert response["Allow"] == "GET, HEAD"


def test_an_unknown_schema_format_answers_json(db):
    response = Client().get(reverse("schema"), {"format": "bogus"})

    assert_error_shape(response, 406, "not_acceptable")


def test_the_browsable_api_keeps_its_html_error_pages(anonymous_client, db):
    response = anonymous_client.get(
        reverse("api:country-detail", args=["ZZ"]), HTTP_ACCEPT="text/html"
    )

    assert response.status_code == 404
    assert response["Content-Type"].startswith("text/html")


@pytest.mark.parametrize("url", ["/api/summits/?search=%00", "/api/countries/J%00/"])
def test_a_nul_byte_anywhere_in_an_api_url_answers_400(admin_client, url):
    response = admin_client.get(url)

    assert_error_shape(response, 400, "null_characters_not_allowed")


@pytest.mark.parametrize(
    "url",
    [
        "/admin/summits/summit/?status=%00",
        "/admin/summits/summit/?q=a%00b",
        "/admin/autocomplete/?term=%00&app_label=summits&model_name=attendance&field_name=summit",
        "/admin/summits/summit/%00/change/",
    ],
)
def test_a_nul_byte_anywhere_in_an_admin_url_answers_a_400_page(admin_client, url):
    response = admin_client.get(url)

    assert response.status_code == 400
    assert response["Content-Type"].startswith("text/html")
    assert b"NUL is not allowed" in response.content


@pytest.mark.parametrize("url", ["/admin/no-such-page/", "/no-such-page"])
def test_outside_the_api_a_missing_page_is_djangos_html_page(admin_client, url):
    response = admin_client.get(url)

    assert response.status_code == 404
    assert response["Content-Type"].startswith("text/html")


def test_under_the_api_a_missing_page_is_json(db):
    response = Client().get("/api/no-such-resource/", HTTP_ACCEPT="application/json")

    assert_error_shape(response, 404, "not_found")


def wsgi_post(path: str, body: bytes, headers: dict[str, str]) -> tuple[str, dict, bytes]:
    """POST `body` chunked (no Content-Length) through the WSGI application gunicorn serves."""
    from django.core.wsgi import get_wsgi_application

    environ: dict = {
        "REQUEST_METHOD": "POST",
        "PATH_INFO": path,
        "SERVER_NAME": "testserver",
        "HTTP_HOST": "testserver",
        "HTTP_TRANSFER_ENCODING": "chunked",
        "wsgi.input": io.BytesIO(body),
        **{f"HTTP_{name.upper().replace('-', '_')}": value for name, value in headers.items()},
    }
    if "HTTP_CONTENT_TYPE" in environ:
        environ["CONTENT_TYPE"] = environ.pop("HTTP_CONTENT_TYPE")
    setup_testing_defaults(environ)
    environ.pop("CONTENT_LENGTH", None)
    answer: dict = {}

    def start_response(status, response_headers, exc_info=None):
        answer.update(status=status, headers=dict(response_headers))

    content = b"".join(ChunkedRequestBody(get_wsgi_application())(environ, start_response))
    return answer["status"], answer["headers"], content


@pytest.mark.django_db(transaction=True)
def test_a_chunked_json_body_is_read(editor):
    from rest_framework.authtoken.models import Token

    token = Token.objects.create(user=editor)
    body = json.dumps({"code": "FR", "name": "France"}).encode()

    status, _, content = wsgi_post(
        "/api/countries/",
        body,
        {"Content-Type": "application/json", "Authorization": f"Token {token.key}"},
    )

    assert status.startswith("201"), content
    assert Country.objects.filter(code="FR").exists()


@pytest.mark.django_db(transaction=True)
def test_a_chunked_body_over_the_limit_answers_413_unread(editor):
    body = io.BytesIO(b"x" * (3 * 1024 * 1024))

    status, headers, content = wsgi_post(
        "/api/countries/", body.getvalue(), {"Content-Type": "application/json"}
    )

    assert status.startswith("413")
    assert headers["Content-Type"] == "application/json"
    assert json.loads(content)["errors"][0]["code"] == "payload_too_large"
    assert Country.objects.count() == 0
