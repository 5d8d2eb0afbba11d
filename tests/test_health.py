"""`/healthz` says whether the database and the cache answer."""

import time
from unittest import mock

import pytest
from django.core.cache.backends.base import BaseCache
from django.db import OperationalError
from django.test import override_settings
from django.urls import reverse

from summits.api import throttling
from tests.outage import LOOPBACK, free_port


@pytest.fixture(autouse=True)
def fresh_outage(monkeypatch):
    """Each test starts with no cache outage on record."""
    monkeypatch.setattr(throttling, "cache_outage", throttling.CacheOutage())


def refused_caches() -> dict:
    """A cache on a Redis port nothing listens on."""
    return {
        "default": {
            "BACKEND": "tracker.cache.RedisCache",
            "LOCATION": f"redis://{LOOPBACK}:{free_port()}/0",
            "OPTIONS": {"socket_connect_timeout": 0.2, "socket_timeout": 0.2},
        }
    }


def test_healthz_answers_200_when_the_database_and_the_cache_answer(anonymous_client, db):
    response = anonymous_client.get(reverse("healthz"))

    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok", "cache": "ok"}


def test_healthz_answers_200_degraded_when_only_the_cache_is_away(anonymous_client, db):
    # override_settings, not the `settings` fixture: conftest's `fresh_cache` clears the usual
    # cache after the test.
    with override_settings(CACHES=refused_caches()):
        started = time.monotonic()
        response = anonymous_client.get(reverse("healthz"))
        seconds = time.monotonic() - started

    assert response.status_code == 200
    assert response.json() == {"status": "degraded", "database": "ok", "cache": "degraded"}
    assert seconds < 1


def test_healthz_says_ok_again_once_the_cache_answers(anonymous_client, db, monkeypatch):
    with override_settings(CACHES=refused_caches()):
        during = anonymous_client.get(reverse("healthz")).json()["cache"]
    # Past the pause that follows a failure, the cache is probed again.
    monkeypatch.setattr(throttling.cache_outage, "clock", lambda: time.monotonic() + 60)

    after = anonymous_client.get(reverse("healthz")).json()["cache"]

    assert (during, after) == ("degraded", "ok")


def test_the_cache_probe_is_one_read_of_a_key_nothing_writes(anonymous_client, db):
    probed = mock.Mock(spec=BaseCache)
    probed.get.return_value = None

    with mock.patch.object(throttling, "cache", probed):
        response = anonymous_client.get(reverse("healthz"))

    assert response.json()["cache"] == "ok"
    assert probed.mock_calls == [mock.call.get(throttling.PROBE_KEY)]


def test_healthz_answers_503_with_retry_after_when_the_database_does_not(anonymous_client, db):
    with mock.patch(
        "django.db.backends.utils.CursorWrapper.execute", side_effect=OperationalError("down")
    ):
        response = anonymous_client.get(reverse("healthz"))

    assert response.status_code == 503
    assert response["Retry-After"] == "5"
    assert response.json()["errors"][0]["code"] == "database_unavailable"
    assert "down" not in response.content.decode()
