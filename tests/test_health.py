"""`/healthz` says whether the database answers."""

from unittest import mock

from django.db import OperationalError
from django.urls import reverse


def test_healthz_answers_200_when_the_database_answers(anonymous_client, db):
    response = anonymous_client.get(reverse("healthz"))

    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok"}


def test_healthz_answers_503_with_retry_after_when_the_database_does_not(anonymous_client, db):
    with mock.patch(
        "django.db.backends.utils.CursorWrapper.execute", side_effect=OperationalError("down")
    ):
        response = anonymous_client.get(reverse("healthz"))

    assert response.status_code == 503
    assert response["Retry-After"] == "5"
    assert response.json()["errors"][0]["code"] == "database_unavailable"
    assert "down" not in response.content.decode()
