"""Attendance records on the wire: a leader's or a country's summits, runs and what is next."""

from rest_framework import serializers

from summits.models import (
    AttendanceStatus,
)
from summits.records import AttendanceRecord, RecordedSummit, Run


class RunSerializer(serializers.Serializer):
    """Consecutive calendar years with an attended summit."""

    years = serializers.IntegerField()
    first_year = serializers.IntegerField()
    last_year = serializers.IntegerField()


class RecordedSummitSerializer(serializers.Serializer):
    """A summit in an attendance record, with the attendance's status there."""

    slug = serializers.SlugField()
    name = serializers.CharField()
    year = serializers.IntegerField()
    start_date = serializers.CharField(help_text="At its precision: YYYY-MM-DD, YYYY-MM or YYYY.")
    dates = serializers.CharField()
    status = serializers.ChoiceField(choices=AttendanceStatus.choices, allow_null=True)
    first = serializers.CharField(allow_null=True, help_text='"first", "first recorded" or null.')


class AttendanceRecordSerializer(serializers.Serializer):
    """A leader's or a country's record at one organization's ordinary summits: the summits
    attended and pending, runs of consecutive calendar years, and what the next pending summit
    would make the current run."""

    # Its fields mirror `summits.records.AttendanceRecord` field for field, so a record renders
    # as `dataclasses.asdict` gives it (tests/test_representation.py holds the two equal).

    organization = serializers.SlugField()
    organization_name = serializers.CharField()
    attended = RecordedSummitSerializer(many=True)
    pending = RecordedSummitSerializer(many=True)
    longest_run = RunSerializer(allow_null=True, help_text="The longest run of consecutive years.")
    current_run = RunSerializer(
        allow_null=True, help_text="The run ending at the latest attended year."
    )
    next_pending = RecordedSummitSerializer(
        allow_null=True, help_text="The next summit still pending."
    )
    run_if_next_attended = serializers.IntegerField(
        allow_null=True, help_text="The run that attending the next pending summit would make."
    )

    def to_representation(self, record: AttendanceRecord) -> dict:
        # What dataclasses.asdict gives, without its deep copy of every string and number: a
        # leader's record holds hundreds of summits, and asdict was a fifth of its time.
        return {
            **vars(record),
            "attended": [_fields(summit) for summit in record.attended],
            "pending": [_fields(summit) for summit in record.pending],
            "longest_run": _fields(record.longest_run),
            "current_run": _fields(record.current_run),
            "next_pending": _fields(record.next_pending),
        }


def _fields(flat: RecordedSummit | Run | None) -> dict | None:
    """A dataclass of plain values as a dict of its fields."""
    return None if flat is None else dict(vars(flat))
