"""Resource limits: throttled clients get 429 with Retry-After; sizes and types are bounded."""

import pytest
from django.urls import reverse
from rest_framework.throttling import AnonRateThrottle, UserRateThrottle


@pytest.fixture
def low_rates(monkeypatch):
    monkeypatch.setattr(AnonRateThrottle, "rate", "3/minute", raising=False)
    monkeypatch.setattr(UserRateThrottle, "rate", "5/minute", raising=False)


def test_an_anonymous_client_over_its_rate_gets_429_with_retry_after(
    anonymous_client, world, low_rates
):
    url = reverse("api:summit-list")
    codes = [anonymous_client.get(url).status_code for _ in range(3)]

    response = anonymous_client.get(url)

    assert codes == [200, 200, 200]
    assert response.status_code == 429
    assert 0 < int(response["Retry-After"]) <= 60
    assert response.json()["errors"][0]["code"] == "throttled"


def test_an_authenticated_client_has_its_own_higher_rate(
    editor_client, anonymous_client, world, low_rates
):
    url = reverse("api:summit-list")
    for _ in range(3):
        anonymous_client.get(url)

    codes = [editor_client.get(url).status_code for _ in range(6)]

    assert codes == [200] * 5 + [429]


@pytest.mark.parametrize(
    "query",
    [
        "page_size=501",
        "page_size=abc",
        "year=-1",
        "year=1e3",
        "upcoming=yes",
        "ordering=password",
        "status=held,x",
    ],
)
def test_query_parameters_of_the_wrong_type_or_out_of_range_answer_400(
    anonymous_client, world, query
):
    response = anonymous_client.get(f"{reverse('api:summit-list')}?{query}")

    assert response.status_code == 400
    assert response.json()["type"] == "validation_error"


@pytest.mark.parametrize(
    "path", ["/api/attendances/99999999999999999999999/", "/api/attendances/-1/"]
)
def test_an_id_out_of_range_is_not_found(anonymous_client, world, path):
    assert anonymous_client.get(path).status_code == 404
