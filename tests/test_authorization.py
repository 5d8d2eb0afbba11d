"""Who may do what: every endpoint x method x role, the admin, and no mass assignment."""

import pytest
from django.contrib.auth.models import User
from django.urls import reverse
from rest_framework.test import APIClient

from summits.api.urls import router
from summits.models import Attendance, Summit

METHODS = ["get", "post", "put", "patch", "delete"]
ROLES = ["anonymous", "reader", "editor", "staff"]
# The key of one existing row per basename, in the article data.
KEYS = {
    "country": "JP",
    "organization": "nato",
    "leader": "fumio-kishida",
    "summit": "nato-2024-washington",
    "source": "sakamoto-2024-kishida-nato",
}


def endpoints() -> list[tuple[str, str, bool]]:
    """(url name, basename, is it a detail route) for every route the API router serves."""
    found = []
    for _prefix, viewset, basename in router.registry:
        found += [
            (f"api:{basename}-list", basename, False),
            (f"api:{basename}-detail", basename, True),
        ]
        for extra in viewset.get_extra_actions():
            found.append((f"api:{basename}-{extra.url_name}", basename, extra.detail))
    found.append(("api:summit-calendar", "summit", False))
    found.append(("api:popolo", "summit", False))
    found.append(("api:changes", "change", False))
    return found


def key_for(basename: str):
    if basename in KEYS:
        return KEYS[basename]
    if basename == "attendance":
        return Attendance.objects.get(summit__slug="nato-2024-washington", country__code="JP").pk
    return type_of(basename).objects.order_by("pk").first().pk


def type_of(basename: str):
    return next(viewset.queryset.model for _p, viewset, name in router.registry if name == basename)


@pytest.fixture
def clients(article, editor, staff) -> dict[str, APIClient]:
    reader = User.objects.create_user("no-permissions", password="not-a-real-password")
    clients = {role: APIClient() for role in ROLES}
    clients["reader"].force_authenticate(reader)
    clients["editor"].force_authenticate(editor)
    clients["staff"].force_authenticate(staff)
    return clients


def test_every_endpoint_method_and_role(clients, record_property):
    checked, unexpected = 0, []
    # Keys first: an editor's DELETE may remove a row that a later route would have used.
    urls = [
        reverse(name, args=[key_for(basename)] if detail else [])
        for name, basename, detail in endpoints()
    ]
    for url in urls:
        for method in METHODS:
            for role in ROLES:
                response = getattr(clients[role], method)(url, {}, format="json")
                checked += 1
                code = response.status_code
                writes = method != "get"
                allowed_to_write = role in {"editor", "staff"}
                if code >= 500 or (writes and not allowed_to_write and 200 <= code < 300):
                    unexpected.append((method.upper(), url, role, code))
                if writes and role == "anonymous" and code not in {401, 405}:
                    unexpected.append((method.upper(), url, role, code))
                if writes and role == "reader" and code not in {403, 405}:
                    unexpected.append((method.upper(), url, role, code))
    record_property("requests_checked", checked)
    assert unexpected == []
    assert checked >= 300


@pytest.mark.parametrize(
    ("role", "expected"), [("anonymous", 302), ("reader", 302), ("staff", 200)]
)
def test_the_admin_is_staff_only(client, article, staff, role, expected):
    if role == "reader":
        client.force_login(User.objects.create_user("reader", password="not-a-real-password"))
    if role == "staff":
        client.force_login(staff)

    response = client.get(reverse("admin:index"))

    assert response.status_code == expected
    if expected == 302:
        assert response["Location"].startswith(reverse("admin:login"))


def test_a_create_that_sends_ids_or_computed_fields_is_refused_naming_them(editor_client, article):
    response = editor_client.post(
        reverse("api:summit-list"),
        {
            "slug": "g7-2024",
            "name": "G7 Summit 2024",
            "start_date": "2024-06-13",
            "id": 1,
            "url": "http://elsewhere.example/",
            "date_precision": "year",
            "dates": "whenever",
            "anniversary": 100,
            "attendee_count": 40,
        },
    )

    assert response.status_code == 400
    assert {(error["attr"], error["code"]) for error in response.json()["errors"]} == {
        ("id", "unknown_field"),
        ("url", "read_only_field"),
        ("date_precision", "read_only_field"),
        ("dates", "read_only_field"),
        ("anniversary", "read_only_field"),
        ("attendee_count", "read_only_field"),
    }
    assert not Summit.objects.filter(slug="g7-2024").exists()


def test_an_attendance_takes_no_status_id_or_first_from_its_client(editor_client, article):
    before = Attendance.objects.count()

    response = editor_client.post(
        reverse("api:attendance-list"),
        {
            "summit": "nato-2024-washington",
            "country": "KR",
            "id": 1,
            "status": "attended",
            "first_for_country": "first",
            "status_changes": [{"status": "attended", "as_of": "2024-07-11"}],
        },
    )

    assert response.status_code == 400
    assert {(error["attr"], error["code"]) for error in response.json()["errors"]} == {
        ("id", "read_only_field"),
        ("status", "read_only_field"),
        ("first_for_country", "read_only_field"),
        ("status_changes", "read_only_field"),
    }
    assert Attendance.objects.count() == before


def test_a_status_change_takes_no_precision_or_id_from_its_client(editor_client, article):
    attendance = Attendance.objects.get(summit__slug="nato-2024-washington", country__code="JP")

    response = editor_client.post(
        reverse("api:attendance-statuses", args=[attendance.pk]),
        {"status": "invited", "as_of": "2024-04-02", "as_of_precision": "year", "id": 1},
    )

    assert response.status_code == 400
    assert {error["attr"] for error in response.json()["errors"]} == {"as_of_precision", "id"}
    assert attendance.status_changes.filter(as_of="2024-04-02").count() == 0
