"""Summits: when (a date known to a day, a month or a year), where, and who holds them."""

import datetime as dt

from django.db import models
from django.db.models import Count, F, OuterRef, Q, Subquery, Value
from django.db.models.functions import Coalesce
from simple_history.models import HistoricalRecords

from summits import validators
from summits.dates import DatePrecision, anniversary_year, display_date_range
from summits.models.actors import Country, Organization
from summits.models.base import (
    NaturalKeyManager,
    NaturalKeyModel,
    choice_constraint,
    first_of_period,
    natural_key_method,
)


class SummitQuerySet(models.QuerySet["Summit"]):
    def upcoming(self, *, on: dt.date) -> "SummitQuerySet":
        """Summits not over by `on`: a month or a year counts as upcoming until its last day."""
        return self.filter(_upcoming_on(on))

    def past(self, *, on: dt.date) -> "SummitQuerySet":
        return self.exclude(_upcoming_on(on))

    def with_attendee_count(self) -> "SummitQuerySet":
        """Each summit annotated with `attendee_count`, its number of attendances.

        A subquery rather than a join and GROUP BY: a count of the list (the admin's, a page's)
        then skips it, and each row costs one index lookup.
        """
        from summits.models.attendances import Attendance  # it refers to Summit

        counted = (
            Attendance.objects.filter(summit=OuterRef("pk"))
            .order_by()
            .values("summit")
            .annotate(count=Count("pk"))
            .values("count")
        )
        return self.annotate(
            attendee_count=Coalesce(Subquery(counted, output_field=models.IntegerField()), Value(0))
        )


def _upcoming_on(day: dt.date) -> Q:
    return (
        Q(date_precision=DatePrecision.DAY, end_date__gte=day)
        | Q(date_precision=DatePrecision.DAY, end_date__isnull=True, start_date__gte=day)
        | Q(date_precision=DatePrecision.MONTH, start_date__gte=day.replace(day=1))
        | Q(date_precision=DatePrecision.YEAR, start_date__gte=day.replace(month=1, day=1))
    )


class SummitKind(models.TextChoices):
    ORDINARY = "ordinary", "Ordinary"
    EXTRAORDINARY = "extraordinary", "Extraordinary"
    BILATERAL = "bilateral", "Bilateral"
    OTHER = "other", "Other"


class SummitStatus(models.TextChoices):
    ANNOUNCED = "announced", "Announced"
    SCHEDULED = "scheduled", "Scheduled"
    HELD = "held", "Held"
    POSTPONED = "postponed", "Postponed"
    CANCELLED = "cancelled", "Cancelled"


class Summit(NaturalKeyModel):
    """A meeting of leaders, with dates known to a day, a month or a year."""

    Kind = SummitKind
    Status = SummitStatus

    slug = models.SlugField(max_length=100, unique=True)
    name = models.CharField(max_length=200, validators=[validators.single_line])
    organization = models.ForeignKey(
        Organization,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="summits",
        help_text="Empty for a bilateral meeting.",
    )
    kind = models.CharField(max_length=20, choices=SummitKind.choices, default=SummitKind.ORDINARY)
    status = models.CharField(
        max_length=20, choices=SummitStatus.choices, default=SummitStatus.ANNOUNCED
    )
    host_country = models.ForeignKey(
        Country, on_delete=models.PROTECT, null=True, blank=True, related_name="hosted_summits"
    )
    city = models.CharField(
        max_length=100,
        blank=True,
        help_text="Blank when unknown.",
        validators=[validators.single_line],
    )
    start_date = models.DateField(help_text="At month or year precision, the period's first day.")
    end_date = models.DateField(null=True, blank=True, help_text="Only at day precision.")
    date_precision = models.CharField(
        max_length=5, choices=DatePrecision.choices, default=DatePrecision.DAY
    )

    history = HistoricalRecords()
    objects = NaturalKeyManager.from_queryset(SummitQuerySet)()
    natural_key_fields = ("slug",)

    constraint_fields = {
        "summits_summit_kind_valid": "kind",
        "summits_summit_status_valid": "status",
        "summits_summit_date_precision_valid": "date_precision",
        "summits_summit_end_on_or_after_start": "end_date",
        "summits_summit_end_only_at_day_precision": "end_date",
        "summits_summit_start_is_first_of_period": "start_date",
    }

    class Meta:
        ordering = ["start_date", "slug"]
        constraints = [
            choice_constraint(
                "kind", SummitKind, name="summits_summit_kind_valid", what="summit kind"
            ),
            choice_constraint(
                "status", SummitStatus, name="summits_summit_status_valid", what="summit status"
            ),
            choice_constraint(
                "date_precision",
                DatePrecision,
                name="summits_summit_date_precision_valid",
                what="date precision",
            ),
            models.CheckConstraint(
                condition=Q(end_date__isnull=True) | Q(end_date__gte=F("start_date")),
                name="summits_summit_end_on_or_after_start",
                violation_error_code="end_before_start",
                violation_error_message="A summit cannot end before it starts.",
            ),
            models.CheckConstraint(
                condition=Q(end_date__isnull=True) | Q(date_precision=DatePrecision.DAY),
                name="summits_summit_end_only_at_day_precision",
                violation_error_code="end_date_without_day_precision",
                violation_error_message="An end date needs a start date known to the day.",
            ),
            models.CheckConstraint(
                condition=first_of_period("start_date", "date_precision"),
                name="summits_summit_start_is_first_of_period",
                violation_error_code="start_not_first_of_period",
                violation_error_message="At month or year precision the start date is the "
                "period's first day.",
            ),
        ]
        indexes = [
            models.Index(fields=["start_date", "id"], name="summits_summit_start_id"),
            models.Index(fields=["name", "id"], name="summits_summit_name_id"),
            # An organization's summits in order: the "first" labels look for earlier ones, and
            # with the key included (on PostgreSQL) they find them in the index alone.
            models.Index(
                fields=["organization", "start_date", "slug"],
                include=["id"],
                name="summits_summit_org_start",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.dates})"

    natural_key = natural_key_method(dependencies=["summits.organization", "summits.country"])

    @property
    def dates(self) -> str:
        """The dates as a person would write them, at their precision: "July 9–11, 2024"."""
        return display_date_range(self.start_date, self.end_date, self.date_precision)

    @property
    def anniversary(self) -> int | None:
        """Which anniversary year of its organization the summit falls in (NATO in 2024: 75)."""
        founded = self.organization.founded_on if self.organization is not None else None
        return anniversary_year(founded, self.start_date)
