"""Who attends a summit, in what role, and the timeline of their status there."""

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, Q
from simple_history.models import HistoricalRecords

from summits import validators
from summits.dates import DatePrecision, display_partial_date
from summits.models.actors import Country, Leader
from summits.models.base import (
    NaturalKeyManager,
    NaturalKeyModel,
    choice_constraint,
    first_of_period,
    natural_key_method,
)
from summits.models.meetings import Summit


class AttendanceQuerySet(models.QuerySet["Attendance"]):
    def with_leader_of_another_country(self) -> "AttendanceQuerySet":
        """Attendances that break the rule a leader belongs to the attendance's country."""
        return self.filter(leader__isnull=False).exclude(leader__country=F("country"))


class AttendanceStatus(models.TextChoices):
    PROPOSED = "proposed", "Proposed (invitation under discussion)"
    INVITED = "invited", "Invited"
    CONSIDERING = "considering", "Considering"
    CONFIRMED = "confirmed", "Confirmed"
    DECLINED = "declined", "Declined"
    ATTENDED = "attended", "Attended"
    DID_NOT_ATTEND = "did_not_attend", "Did not attend"
    WITHDRAWN = "withdrawn", "Withdrawn"


class FirstLabel(models.TextChoices):
    """An attended attendance with no earlier attended summit of the organization, by the same
    country or leader: "first" once the organization's records are complete on its date."""

    FIRST = "first", "First"
    FIRST_RECORDED = "first recorded", "First recorded"


class AttendanceRole(models.TextChoices):
    HOST = "host", "Host"
    MEMBER = "member", "Member"
    PARTNER = "partner", "Partner"
    GUEST = "guest", "Guest"


class Attendance(NaturalKeyModel):
    """One country's participation in one summit, and its leader when known."""

    Role = AttendanceRole
    Status = AttendanceStatus

    summit = models.ForeignKey(Summit, on_delete=models.PROTECT, related_name="attendances")
    country = models.ForeignKey(Country, on_delete=models.PROTECT, related_name="attendances")
    leader = models.ForeignKey(
        Leader, on_delete=models.PROTECT, null=True, blank=True, related_name="attendances"
    )
    # NULL role and status mean "not stated", distinct from any value; "" would be a second NULL.
    role = models.CharField(max_length=10, choices=AttendanceRole.choices, null=True, blank=True)  # noqa: DJ001
    status = models.CharField(  # noqa: DJ001
        max_length=20,
        choices=AttendanceStatus.choices,
        null=True,
        blank=True,
        editable=False,
        help_text="A copy of the latest status change; empty until the first one.",
    )
    note = models.TextField(blank=True, validators=[validators.multiline])
    # Kept by the database (migration 0013's triggers) whenever an attendance, a summit's date or
    # an organization's records_complete_from is written, by any path; `manage.py refresh_firsts`
    # recomputes them and reports drift. Never written by a model save.
    first_for_country = models.CharField(  # noqa: DJ001
        max_length=14,
        choices=FirstLabel.choices,
        null=True,
        blank=True,
        editable=False,
        help_text="Kept by the database: no earlier summit of the organization was attended by "
        "this country.",
    )
    first_for_leader = models.CharField(  # noqa: DJ001
        max_length=14,
        choices=FirstLabel.choices,
        null=True,
        blank=True,
        editable=False,
        help_text="Kept by the database: the same, for the leader.",
    )

    history = HistoricalRecords(excluded_fields=["first_for_country", "first_for_leader"])
    objects = NaturalKeyManager.from_queryset(AttendanceQuerySet)()
    natural_key_fields = ("summit__slug", "country__code")
    # Written only by the database's triggers: no fixture, import or form sets them.
    kept_by_database = ("first_for_country", "first_for_leader")
    # Never written back by a save: the labels, and the status that attendance_refresh_status()
    # writes.
    derived_fields = ("status", *kept_by_database)

    constraint_fields = {
        "summits_attendance_one_per_country": "country",
        "summits_attendance_role_valid": "role",
        "summits_attendance_status_valid": "status",
        "summits_attendance_first_for_country_valid": "first_for_country",
        "summits_attendance_first_for_leader_valid": "first_for_leader",
    }

    class Meta:
        ordering = ["summit__start_date", "summit__slug", "country__code", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["summit", "country"],
                name="summits_attendance_one_per_country",
                violation_error_message="This country already has an attendance at this summit.",
            ),
            choice_constraint(
                "role",
                AttendanceRole,
                name="summits_attendance_role_valid",
                what="attendance role",
                null=True,
            ),
            choice_constraint(
                "status",
                AttendanceStatus,
                name="summits_attendance_status_valid",
                what="attendance status",
                null=True,
            ),
            choice_constraint(
                "first_for_country",
                FirstLabel,
                name="summits_attendance_first_for_country_valid",
                what="first label",
                null=True,
            ),
            choice_constraint(
                "first_for_leader",
                FirstLabel,
                name="summits_attendance_first_for_leader_valid",
                what="first label",
                null=True,
            ),
        ]
        indexes = [
            # The filters by country or leader and status, and the "first" labels' search for an
            # earlier attended summit, read these without visiting the table.
            models.Index(fields=["country", "status", "summit"], name="summits_att_country_status"),
            models.Index(fields=["leader", "status", "summit"], name="summits_att_leader_status"),
            models.Index(fields=["status", "id"], name="summits_att_status_id"),
            # The few labelled attendances of a country or a leader: what a write that adds an
            # attended one compares it with.
            models.Index(
                fields=["country"],
                condition=Q(first_for_country__isnull=False),
                name="summits_att_country_first",
            ),
            models.Index(
                fields=["leader"],
                condition=Q(first_for_leader__isnull=False),
                name="summits_att_leader_first",
            ),
        ]

    def __str__(self) -> str:
        who = self.leader.name if self.leader is not None else self.country.name
        return f"{who} at {self.summit.name}"

    def save(self, *args, **kwargs):
        # `status` is written only by attendance_refresh_status() and the labels only by the
        # database: an ordinary save of a row loaded earlier must not write back values that a
        # newer write has replaced.
        if not self._state.adding and kwargs.get("update_fields") is None:
            kwargs["update_fields"] = [
                field.name
                for field in self._meta.concrete_fields
                if not field.primary_key and field.name not in self.derived_fields
            ]
        super().save(*args, **kwargs)

    natural_key = natural_key_method(
        dependencies=["summits.summit", "summits.country", "summits.leader"]
    )

    def clean(self) -> None:
        leader = self.leader if self.leader_id else None
        if leader is not None and self.country_id and leader.country_id != self.country_id:
            raise ValidationError(
                {
                    "leader": ValidationError(
                        "%(leader)s leads %(leader_country)s, not %(country)s.",
                        code="leader_country_mismatch",
                        params={
                            "leader": leader.name,
                            "leader_country": leader.country.name,
                            "country": self.country.name,
                        },
                    )
                }
            )


class StatusChange(NaturalKeyModel):
    """One step in an attendance's timeline: its status as of a date known to some precision."""

    Status = AttendanceStatus

    attendance = models.ForeignKey(
        Attendance, on_delete=models.CASCADE, related_name="status_changes"
    )
    status = models.CharField(max_length=20, choices=AttendanceStatus.choices)
    as_of = models.DateField(help_text="At month or year precision, the period's first day.")
    as_of_precision = models.CharField(
        max_length=5, choices=DatePrecision.choices, default=DatePrecision.DAY
    )
    note = models.TextField(blank=True, validators=[validators.multiline])

    history = HistoricalRecords()
    objects = NaturalKeyManager["StatusChange"]()
    natural_key_fields = (
        "attendance__summit__slug",
        "attendance__country__code",
        "status",
        "as_of",
    )

    constraint_fields = {
        "summits_statuschange_status_valid": "status",
        "summits_statuschange_as_of_precision_valid": "as_of_precision",
        "summits_statuschange_as_of_is_first_of_period": "as_of",
        "summits_statuschange_once_per_date": "as_of",
    }

    class Meta:
        ordering = ["attendance", "as_of", "id"]
        get_latest_by = ["as_of", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["attendance", "status", "as_of"],
                name="summits_statuschange_once_per_date",
                violation_error_message="This status is already recorded as of this date.",
            ),
            choice_constraint(
                "status",
                AttendanceStatus,
                name="summits_statuschange_status_valid",
                what="attendance status",
            ),
            choice_constraint(
                "as_of_precision",
                DatePrecision,
                name="summits_statuschange_as_of_precision_valid",
                what="date precision",
            ),
            models.CheckConstraint(
                condition=first_of_period("as_of", "as_of_precision"),
                name="summits_statuschange_as_of_is_first_of_period",
                violation_error_code="as_of_not_first_of_period",
                violation_error_message="At month or year precision the date is the period's "
                "first day.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_status_display()} as of {self.as_of_display}"

    natural_key = natural_key_method(dependencies=["summits.attendance"])

    @property
    def as_of_display(self) -> str:
        return display_partial_date(self.as_of, self.as_of_precision)
