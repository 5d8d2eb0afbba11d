"""On PostgreSQL every statement runs under DATABASE_STATEMENT_TIMEOUT: one that runs past it
is cancelled by the server, and its request answers 503 with Retry-After, never a 500."""

import pytest
from django.db import connection
from django.urls import reverse

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="statement_timeout is PostgreSQL's"
    ),
]


def test_every_connection_runs_under_the_configured_timeout(db, settings):
    with connection.cursor() as cursor:
        cursor.execute("SHOW statement_timeout")
        (timeout,) = cursor.fetchone()

    assert timeout == f"{round(settings.DATABASE_STATEMENT_TIMEOUT * 1000)}ms" or timeout == (
        f"{settings.DATABASE_STATEMENT_TIMEOUT:g}s"
    )


def slow_statements(execute, sql, params, many, context):
    """Every statement as one that runs past a 10 ms timeout."""
    execute("SET LOCAL statement_timeout = 10", None, False, context)
    execute("SELECT pg_sleep(0.2)", None, False, context)
    return execute(sql, params, many, context)


def test_a_statement_cancelled_by_the_timeout_answers_503(admin_client):
    url = reverse("api:attendance-list")
    with connection.execute_wrapper(slow_statements):
        response = admin_client.get(url, {"search": "kishida"}, HTTP_ACCEPT="application/json")

    assert response.status_code == 503
    assert response["Retry-After"]
    assert response.json()["errors"][0]["code"] == "database_unavailable"


def test_a_statement_cancelled_by_the_timeout_in_the_admin_answers_a_503_page(admin_client):
    url = reverse("admin:summits_summit_changelist")
    with connection.execute_wrapper(slow_statements):
        response = admin_client.get(url, {"q": "kishida"})

    assert response.status_code == 503
    assert response["Retry-After"]
    assert response["Content-Type"].startswith("text/html")
    assert b"Service Unavailable" in response.content
