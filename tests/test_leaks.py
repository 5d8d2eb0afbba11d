"""No response, whatever the input, shows a traceback, SQL, a file path or a setting."""

from unittest import mock

import pytest
from django.conf import settings
from django.db import OperationalError, ProgrammingError
from rest_framework.test import APIClient

FORBIDDEN = [
    "Traceback",
    'File "',
    "/work/",
    "site-packages",
    "SELECT ",
    "INSERT ",
    "psycopg",
    "sqlite3",
    "django.db",
    "OperationalError",
    "ProgrammingError",
]

BAD_REQUESTS = [
    ("get", "/api/summits/?year=abc", None),
    ("get", "/api/summits/?cursor=%00%01", None),
    ("get", "/api/summits/nato%00/", None),
    ("get", "/api/attendances/1e9/", None),
    ("get", "/api/no-such-endpoint/", None),
    ("get", "/static/../../etc/passwd", None),
    ("post", "/api/summits/", '{"slug": '),
    ("post", "/api/summits/", '{"slug": "x", "name": "x", "start_date": "2024-02-30"}'),
    ("post", "/api/summits/", "[1, 2, 3]"),
    ("post", "/api/attendances/", '{"summit": {"$gt": ""}, "country": ["JP"]}'),
    ("patch", "/api/summits/nato-2024-washington/", '{"organization": "nato\' OR 1=1 --"}'),
    ("put", "/api/countries/JP/", '{"code": "' + "J" * 100000 + '"}'),
    ("delete", "/api/countries/JP/", None),
    ("post", "/api/auth/token/", '{"username": ["a"], "password": {"b": 1}}'),
]


def assert_no_leak(response) -> None:
    body = response.content.decode(errors="replace")
    for marker in FORBIDDEN:
        assert marker not in body, f"{marker!r} in {body[:300]}"
    assert settings.SECRET_KEY not in body
    if response.status_code >= 400 and response["Content-Type"].startswith("application/json"):
        assert set(response.json()) == {"type", "errors"}


@pytest.mark.parametrize(("method", "url", "body"), BAD_REQUESTS)
def test_bad_input_leaks_nothing(editor_client, article, method, url, body):
    kwargs = {"data": body, "content_type": "application/json"} if body is not None else {}

    response = getattr(editor_client, method)(url, **kwargs)

    assert response.status_code < 500, response.content[:300]
    assert_no_leak(response)


@pytest.mark.parametrize(
    "error",
    [
        OperationalError("connection to server at 10.0.0.1 failed"),
        ProgrammingError("SELECT secret FROM x"),
    ],
)
def test_a_database_failure_leaks_nothing(article, error):
    client = APIClient(raise_request_exception=False)  # answer as a server would, not re-raise

    with mock.patch("django.db.backends.utils.CursorWrapper.execute", side_effect=error):
        response = client.get("/api/summits/")

    assert response.status_code in {500, 503}
    assert_no_leak(response)
    assert "10.0.0.1" not in response.content.decode()
