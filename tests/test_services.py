"""The status workflow's services, called as the API and the admin call them: each write to a
timeline leaves the current status equal to the latest step, or writes nothing."""

import datetime as dt

import pytest
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.urls import reverse

from summits.models import Attendance, StatusChange
from summits.services import (
    StatusRefused,
    attendance_record_status,
    attendances_record_status,
    status_change_delete,
    status_change_save,
    status_changes_delete,
)
from tests.helpers import table_counts, text_source


@pytest.fixture
def other_attendance(world) -> Attendance:
    return Attendance.objects.create(summit=world.summit, country=world.united_states)


def record(attendance: Attendance, status: str, day: dt.date) -> StatusChange:
    return attendance_record_status(attendance=attendance, status=status, as_of=day)


def current_status(attendance: Attendance) -> str | None:
    attendance.refresh_from_db(fields=["status"])
    return attendance.status


def test_saving_a_new_status_change_records_it_and_sets_the_status(world):
    change = StatusChange(
        attendance=world.attendance, status="invited", as_of=dt.date(2024, 4, 1), note="By letter."
    )

    saved = status_change_save(change=change)

    assert saved is change
    assert change.pk == StatusChange.objects.get().pk
    assert not change._state.adding
    assert current_status(world.attendance) == "invited"


def test_saving_a_later_date_makes_a_change_the_current_status(world):
    record(world.attendance, "invited", dt.date(2024, 4, 1))
    proposed = record(world.attendance, "proposed", dt.date(2024, 3, 1))

    proposed.as_of = dt.date(2024, 5, 1)
    status_change_save(change=proposed)

    assert current_status(world.attendance) == "proposed"


def test_saving_a_change_to_another_attendance_refreshes_both(world, other_attendance):
    record(world.attendance, "invited", dt.date(2024, 4, 1))
    misfiled = record(world.attendance, "confirmed", dt.date(2024, 6, 1))

    misfiled.attendance = other_attendance
    status_change_save(change=misfiled)

    assert (current_status(world.attendance), current_status(other_attendance)) == (
        "invited",
        "confirmed",
    )


def test_deleting_the_latest_change_rolls_the_status_back(world):
    record(world.attendance, "invited", dt.date(2024, 4, 1))
    confirmed = record(world.attendance, "confirmed", dt.date(2024, 6, 1))

    status_change_delete(change=confirmed)

    assert current_status(world.attendance) == "invited"
    assert not StatusChange.objects.filter(pk=confirmed.pk).exists()


def test_deleting_changes_of_several_timelines_refreshes_each(world, other_attendance):
    record(world.attendance, "invited", dt.date(2024, 4, 1))
    record(world.attendance, "confirmed", dt.date(2024, 6, 1))
    record(other_attendance, "attended", dt.date(2024, 7, 9))

    status_changes_delete(
        status_changes=StatusChange.objects.exclude(status="invited"),
    )

    assert (current_status(world.attendance), current_status(other_attendance)) == (
        "invited",
        None,
    )


def test_recording_on_several_attendances_adds_the_same_step_to_each(world, other_attendance):
    source = text_source()
    changes = attendances_record_status(
        attendances=[world.attendance, other_attendance],
        status="invited",
        as_of=dt.date(2024, 4, 1),
        as_of_precision="month",
        note="Both invited.",
        citation={"source": source, "quote": "Invited.", "basis": "stated"},
    )

    assert [change.attendance for change in changes] == [world.attendance, other_attendance]
    assert {(c.status, c.as_of_precision, c.note) for c in changes} == {
        ("invited", "month", "Both invited.")
    }
    assert [change.citations.count() for change in changes] == [1, 1]
    assert (current_status(world.attendance), current_status(other_attendance)) == (
        "invited",
        "invited",
    )


def test_a_refusal_on_one_attendance_records_on_none_and_names_it(world, other_attendance):
    # The second timeline holds this step already: the first, recorded, is rolled back.
    record(other_attendance, "invited", dt.date(2024, 4, 1))
    before = table_counts()

    with pytest.raises(StatusRefused) as refused:
        attendances_record_status(
            attendances=[world.attendance, other_attendance],
            status="invited",
            as_of=dt.date(2024, 4, 1),
        )

    assert refused.value.attendance == other_attendance
    assert table_counts() == before
    assert current_status(world.attendance) is None


def test_a_quote_missing_from_its_source_is_refused_under_the_citation_key(world):
    with pytest.raises(StatusRefused) as refused:
        attendances_record_status(
            attendances=[world.attendance],
            status="invited",
            as_of=dt.date(2024, 4, 1),
            citation={"source": text_source(), "quote": "Not in the text.", "basis": "stated"},
        )

    assert refused.value.attendance == world.attendance
    assert list(refused.value.message_dict) == ["citation.quote"]
    assert not StatusChange.objects.exists()


def test_a_refusal_without_a_field_is_kept_above_the_fields(world):
    error = StatusRefused(ValidationError("No."), attendance=world.attendance)

    assert error.message_dict == {NON_FIELD_ERRORS: ["No."]}


def test_reverting_a_status_change_in_the_admin_refreshes_the_status(client, staff, world):
    invited = record(world.attendance, "invited", dt.date(2024, 4, 1))
    record(world.attendance, "confirmed", dt.date(2024, 6, 1))
    first_version = invited.history.get()
    invited.as_of = dt.date(2024, 7, 1)
    status_change_save(change=invited)
    assert current_status(world.attendance) == "invited"
    client.force_login(staff)
    url = reverse(
        "admin:summits_statuschange_simple_history", args=[invited.pk, first_version.history_id]
    )
    form = client.get(url).context["adminform"].form
    data = {name: form[name].value() for name in form.fields}

    assert client.post(url, data).status_code == 302

    invited.refresh_from_db()
    assert invited.as_of == dt.date(2024, 4, 1)
    assert current_status(world.attendance) == "confirmed"
    assert invited.history.latest().history_user == staff
