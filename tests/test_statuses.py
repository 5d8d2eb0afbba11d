"""An attendance's status timeline, and its current status kept equal to the latest change."""

import datetime as dt

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse

from summits.models import Attendance, StatusChange
from summits.services import attendance_record_status
from tests.helpers import table_counts


def statuses_url(attendance) -> str:
    return reverse("api:attendance-statuses", args=[attendance.pk])


def test_recording_a_status_change_updates_the_current_status(editor_client, world):
    response = editor_client.post(
        statuses_url(world.attendance), {"status": "proposed", "as_of": "2024-03"}
    )

    assert response.status_code == 201
    assert response.json() | {"id": None} == {
        "id": None,
        "status": "proposed",
        "as_of": "2024-03",
        "as_of_precision": "month",
        "as_of_display": "March 2024",
        "note": "",
        "citations": [],
    }
    detail = editor_client.get(reverse("api:attendance-detail", args=[world.attendance.pk])).json()
    assert detail["status"] == "proposed"
    assert [change["status"] for change in detail["status_changes"]] == ["proposed"]


def test_an_older_change_joins_the_timeline_without_overwriting_a_newer_status(
    editor_client, world
):
    editor_client.post(
        statuses_url(world.attendance), {"status": "attended", "as_of": "2024-07-11"}
    )

    editor_client.post(statuses_url(world.attendance), {"status": "invited", "as_of": "2024-04-02"})

    timeline = editor_client.get(statuses_url(world.attendance)).json()
    assert [(change["status"], change["as_of"]) for change in timeline] == [
        ("invited", "2024-04-02"),
        ("attended", "2024-07-11"),
    ]
    world.attendance.refresh_from_db()
    assert world.attendance.status == "attended"


def test_two_changes_on_one_date_are_ordered_by_when_they_were_recorded(editor_client, world):
    editor_client.post(statuses_url(world.attendance), {"status": "invited", "as_of": "2024-04-02"})
    editor_client.post(
        statuses_url(world.attendance), {"status": "declined", "as_of": "2024-04-02"}
    )

    world.attendance.refresh_from_db()
    assert world.attendance.status == "declined"


def test_a_status_change_can_carry_its_citation(editor_client, world):
    response = editor_client.post(
        statuses_url(world.attendance),
        {
            "status": "invited",
            "as_of": "2024-04",
            "citation": {"source": "nato-website", "basis": "external"},
        },
    )

    assert response.status_code == 201, response.json()
    assert response.json()["citations"] == [
        {
            "id": response.json()["citations"][0]["id"],
            "source": "nato-website",
            "field": "status",
            "quote": "",
            "start": None,
            "end": None,
            "basis": "external",
        }
    ]


def test_a_bad_citation_is_reported_on_its_field_and_records_nothing(editor_client, world):
    before = table_counts()

    response = editor_client.post(
        statuses_url(world.attendance),
        {
            "status": "invited",
            "as_of": "2024-04",
            "citation": {"source": "nato-website", "quote": "abc", "start": 3, "end": 4},
        },
    )

    assert response.status_code == 400
    attrs = {error["attr"] for error in response.json()["errors"]}
    # Offsets that do not span the quote, and a quote of a source that holds no text.
    assert attrs == {"citation.quote", "citation.basis"}
    assert table_counts() == before


@pytest.mark.parametrize(
    ("body", "attr"),
    [
        ({"status": "maybe", "as_of": "2024-03"}, "status"),
        ({"status": "invited", "as_of": "2024-02-30"}, "as_of"),
        ({"status": "invited"}, "as_of"),
        (
            {"status": "invited", "as_of": "2024", "citation": {"source": "no-such-source"}},
            "citation.source",
        ),
    ],
)
def test_an_invalid_status_change_answers_400_and_records_nothing(editor_client, world, body, attr):
    before = table_counts()

    response = editor_client.post(statuses_url(world.attendance), body)

    assert response.status_code == 400
    assert response.json()["errors"][0]["attr"] == attr
    assert table_counts() == before


def test_the_same_status_on_the_same_date_twice_answers_409(editor_client, world):
    editor_client.post(statuses_url(world.attendance), {"status": "invited", "as_of": "2024-04"})

    response = editor_client.post(
        statuses_url(world.attendance), {"status": "invited", "as_of": "2024-04"}
    )

    assert response.status_code == 409
    assert StatusChange.objects.count() == 1


def test_anonymous_user_can_read_but_not_add_to_a_timeline(anonymous_client, world):
    assert anonymous_client.get(statuses_url(world.attendance)).status_code == 200

    response = anonymous_client.post(
        statuses_url(world.attendance), {"status": "invited", "as_of": "2024"}
    )

    assert response.status_code == 401
    assert StatusChange.objects.count() == 0


def test_adding_to_a_timeline_needs_the_permission_to_add_status_changes(user, user_client, world):
    body = {"status": "invited", "as_of": "2024"}
    user.user_permissions.add(Permission.objects.get(codename="change_attendance"))
    assert user_client.post(statuses_url(world.attendance), body).status_code == 403

    user.user_permissions.add(Permission.objects.get(codename="add_statuschange"))
    user = type(user).objects.get(pk=user.pk)  # a fresh object, without the cached permissions
    user_client.force_authenticate(user)
    later = {**body, "as_of": "2024-05"}
    assert user_client.post(statuses_url(world.attendance), later).status_code == 201


def test_an_edit_through_the_api_is_kept_in_the_history_with_its_author(
    editor, editor_client, world
):
    editor_client.patch(
        reverse("api:summit-detail", args=["nato-2024-washington"]), {"city": "Washington"}
    )

    latest = world.summit.history.latest()
    assert (latest.history_type, latest.city, latest.history_user) == ("~", "Washington", editor)


def test_saving_an_attendance_loaded_before_a_status_change_keeps_the_new_status(world):
    loaded_earlier = Attendance.objects.get(pk=world.attendance.pk)
    attendance_record_status(
        attendance=world.attendance, status="invited", as_of=dt.date(2024, 4, 2)
    )

    loaded_earlier.note = "Edited by someone who had the page open."
    loaded_earlier.save()

    loaded_earlier.refresh_from_db()
    assert (loaded_earlier.status, loaded_earlier.note) == (
        "invited",
        "Edited by someone who had the page open.",
    )


def test_recording_a_status_with_a_citation_needs_the_right_to_add_citations(
    user, user_client, world
):
    user.user_permissions.add(Permission.objects.get(codename="add_statuschange"))
    body = {
        "status": "invited",
        "as_of": "2024-04",
        "citation": {"source": "nato-website", "basis": "external"},
    }
    before = table_counts()

    response = user_client.post(statuses_url(world.attendance), body)

    assert response.status_code == 403
    assert table_counts() == before
    without_citation = {key: value for key, value in body.items() if key != "citation"}
    assert user_client.post(statuses_url(world.attendance), without_citation).status_code == 201

    user.user_permissions.add(Permission.objects.get(codename="add_citation"))
    user = type(user).objects.get(pk=user.pk)  # permissions are cached per instance
    user_client.force_authenticate(user)
    later = {**body, "as_of": "2024-05"}
    assert user_client.post(statuses_url(world.attendance), later).status_code == 201
