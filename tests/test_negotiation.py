"""A format an endpoint does not answer in is a 406 that names the ones it does."""

import pytest


@pytest.mark.parametrize(
    ("url", "asked", "offered"),
    [
        ("/api/summits/nato-2024-washington/", "csv", "json, api"),
        ("/api/summits/", "jsonld", "json, api, csv"),
        ("/api/changes/", "csv", "json, api"),
        ("/api/popolo/", "csv", "json"),
    ],
)
def test_a_format_the_endpoint_does_not_answer_in_is_a_406(
    anonymous_client, world, url, asked, offered
):
    response = anonymous_client.get(url, {"format": asked})

    assert response.status_code == 406
    error = response.json()["errors"][0]
    assert error["code"] == "not_acceptable"
    assert error["detail"] == f"This endpoint answers ?format= {offered}; not {asked!r}."


def test_a_format_it_answers_in_is_served(anonymous_client, world):
    url = "/api/summits/nato-2024-washington/"
    assert anonymous_client.get(url, {"format": "json"}).status_code == 200
