"""Reads are public; writes need an authenticated user with the model's permission."""

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse

from tests.helpers import table_counts

# (basename, body of a new row, a partial update, the field that looks the new row up)
RESOURCES = [
    ("country", {"code": "FR", "name": "France"}, {"name": "French Republic"}, "code"),
    ("organization", {"slug": "g7", "name": "Group of Seven"}, {"short_name": "G7"}, "slug"),
    (
        "leader",
        {"slug": "joe-biden", "name": "Joe Biden", "country": "US", "office": "President"},
        {"office": "President of the United States"},
        "slug",
    ),
    (
        "summit",
        {
            "slug": "g7-2024-apulia",
            "name": "G7 Summit 2024",
            "start_date": "2024-06-13",
            "end_date": "2024-06-15",
        },
        {"city": "Borgo Egnazia"},
        "slug",
    ),
    ("attendance", {"summit": "nato-2024-washington", "country": "US"}, {"role": "host"}, "id"),
    (
        "source",
        {"key": "g7-website", "title": "G7", "url": "https://www.g7italy.it/"},
        {"author": "G7"},
        "key",
    ),
    (
        "citation",
        {
            "source": "nato-website",
            "summit": "nato-2024-washington",
            "field": "city",
            "basis": "external",
        },
        {"field": "host_country"},
        "id",
    ),
]
IDS = [basename for basename, *_ in RESOURCES]


def detail_url(basename: str, key) -> str:
    return reverse(f"api:{basename}-detail", args=[key])


@pytest.mark.parametrize(("basename", "body", "change", "key"), RESOURCES, ids=IDS)
def test_anonymous_user_can_read_every_resource(
    anonymous_client, world, basename, body, change, key
):
    response = anonymous_client.get(reverse(f"api:{basename}-list"))
    assert response.status_code == 200
    assert "results" in response.json()


@pytest.mark.parametrize(("basename", "body", "change", "key"), RESOURCES, ids=IDS)
def test_anonymous_user_cannot_write(anonymous_client, world, basename, body, change, key):
    before = table_counts()
    response = anonymous_client.post(reverse(f"api:{basename}-list"), body)
    assert response.status_code == 401
    assert response.json()["type"] == "client_error"
    assert response["WWW-Authenticate"].startswith("Token")
    assert table_counts() == before


@pytest.mark.parametrize(("basename", "body", "change", "key"), RESOURCES, ids=IDS)
def test_user_without_permission_cannot_write(user_client, world, basename, body, change, key):
    before = table_counts()
    response = user_client.post(reverse(f"api:{basename}-list"), body)
    assert response.status_code == 403
    assert response.json()["errors"][0]["code"] == "permission_denied"
    assert table_counts() == before


@pytest.mark.parametrize(("basename", "body", "change", "key"), RESOURCES, ids=IDS)
def test_editor_can_create_update_and_delete(editor_client, world, basename, body, change, key):
    created = editor_client.post(reverse(f"api:{basename}-list"), body)
    assert created.status_code == 201, created.json()
    lookup = created.json()[key]
    for field, value in body.items():
        assert created.json()[field] == value

    updated = editor_client.patch(detail_url(basename, lookup), change)
    assert updated.status_code == 200, updated.json()
    assert editor_client.get(detail_url(basename, lookup)).json() | change == updated.json()

    deleted = editor_client.delete(detail_url(basename, lookup))
    assert deleted.status_code == 204
    assert editor_client.get(detail_url(basename, lookup)).status_code == 404


def test_a_permission_to_change_does_not_allow_deleting(user, user_client, world):
    user.user_permissions.add(Permission.objects.get(codename="change_summit"))
    url = detail_url("summit", "nato-2024-washington")

    assert user_client.patch(url, {"city": "Washington"}).status_code == 200
    assert user_client.delete(url).status_code == 403


def test_a_token_from_the_token_endpoint_authenticates_writes(anonymous_client, editor, world):
    editor.set_password("a-long-enough-password")
    editor.save()
    token = anonymous_client.post(
        reverse("api:token"), {"username": "editor", "password": "a-long-enough-password"}
    ).json()["token"]

    anonymous_client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    response = anonymous_client.post(reverse("api:country-list"), {"code": "FR", "name": "France"})

    assert response.status_code == 201


def test_wrong_credentials_get_no_token(anonymous_client, editor):
    response = anonymous_client.post(
        reverse("api:token"), {"username": "editor", "password": "wrong"}
    )

    assert response.status_code == 400
    assert response.json()["type"] == "validation_error"
