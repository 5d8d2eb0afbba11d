"""The domain: countries, leaders, organizations, summits, who attends them, and on what evidence.

Every invariant the data must keep is a named database constraint, so that `loaddata`, raw SQL,
the admin and the API all meet the same wall. The one rule that spans two tables (a leader
belongs to the attendance's country) is checked by `Attendance.clean()` and by `loaddata`.
"""

import datetime as dt

from django.core.exceptions import NON_FIELD_ERRORS, FieldDoesNotExist, ValidationError
from django.db import models, router
from django.db.models import Count, F, OuterRef, Q, Subquery, Value
from django.db.models.functions import Cast, Coalesce, Length
from simple_history.models import HistoricalRecords

from summits import validators
from summits.dates import DatePrecision, anniversary_year, display_date_range, display_partial_date
from summits.evidence import citation_verify, text_digest

# ISO 3166-1 alpha-2 for a current country, ISO 3166-3 alpha-4 for one that no longer exists.
ISO_COUNTRY_CODE = r"^[A-Z]{2}([A-Z]{2})?$"
SHA256_HEX = r"^[0-9a-f]{64}$"


def _first_of_period(date_field: str, precision_field: str) -> Q:
    """A date at month precision is the 1st; at year precision, January 1st."""
    return (
        Q(**{precision_field: DatePrecision.DAY})
        | Q(**{precision_field: DatePrecision.MONTH, f"{date_field}__day": 1})
        | Q(
            **{
                precision_field: DatePrecision.YEAR,
                f"{date_field}__day": 1,
                f"{date_field}__month": 1,
            }
        )
    )


class ConstraintFieldsModel(models.Model):
    """A model whose constraint violations are reported on the field they concern.

    Django reports a violated check constraint as a non-field error; `constraint_fields` maps a
    constraint's name to the field an editor or API client must change to satisfy it.
    """

    constraint_fields: dict[str, str] = {}

    class Meta:
        abstract = True

    def validate_constraints(self, exclude=None):
        using = router.db_for_write(self.__class__, instance=self)
        errors: dict[str, list[ValidationError]] = {}
        for model_class, constraints in self.get_constraints():
            for constraint in constraints:
                if exclude and self.constraint_fields.get(constraint.name) in exclude:
                    continue  # its field has an error of its own already
                try:
                    constraint.validate(model_class, self, exclude=exclude, using=using)
                except ValidationError:
                    field = self.constraint_fields.get(constraint.name, NON_FIELD_ERRORS)
                    code = (
                        "unique"
                        if isinstance(constraint, models.UniqueConstraint)
                        else constraint.violation_error_code or "invalid"
                    )
                    message = constraint.get_violation_error_message()
                    errors.setdefault(field, []).append(ValidationError(message, code=code))
        if errors:
            raise ValidationError(errors)


class CountryManager(models.Manager["Country"]):
    def get_by_natural_key(self, code: str) -> "Country":
        return self.get(code=code)


class Country(ConstraintFieldsModel):
    """A sovereign state, identified by its ISO 3166-1 alpha-2 code, or by its ISO 3166-3
    alpha-4 code when it no longer exists (DDDE, the German Democratic Republic)."""

    code = models.CharField(
        max_length=4,
        unique=True,
        help_text="ISO 3166-1 alpha-2, e.g. JP; ISO 3166-3 alpha-4 for a former country, e.g. SUHH.",
    )
    name = models.CharField(max_length=100, validators=[validators.single_line])

    history = HistoricalRecords()
    objects = CountryManager()

    constraint_fields = {"summits_country_code_iso": "code"}

    class Meta:
        ordering = ["code"]
        verbose_name_plural = "countries"
        constraints = [
            models.CheckConstraint(
                condition=Q(code__regex=ISO_COUNTRY_CODE),
                name="summits_country_code_iso",
                violation_error_code="invalid_code",
                violation_error_message="A country code is two capital letters (ISO 3166-1 "
                "alpha-2), or four for a former country (ISO 3166-3 alpha-4).",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.code})"

    def natural_key(self) -> tuple[str]:
        return (self.code,)


class LeaderManager(models.Manager["Leader"]):
    def get_by_natural_key(self, slug: str) -> "Leader":
        return self.get(slug=slug)


class Leader(ConstraintFieldsModel):
    """A head of state or government, in the office the records speak of."""

    slug = models.SlugField(max_length=100, unique=True)
    name = models.CharField(max_length=200, validators=[validators.single_line])
    country = models.ForeignKey(Country, on_delete=models.PROTECT, related_name="leaders")
    office = models.CharField(
        max_length=100, help_text='e.g. "Prime Minister".', validators=[validators.single_line]
    )
    term_start = models.DateField(null=True, blank=True)
    term_end = models.DateField(null=True, blank=True)

    history = HistoricalRecords()
    objects = LeaderManager()

    constraint_fields = {"summits_leader_term_end_on_or_after_start": "term_end"}

    class Meta:
        ordering = ["name", "slug"]
        constraints = [
            models.CheckConstraint(
                condition=Q(term_end__isnull=True)
                | Q(term_start__isnull=True)
                | Q(term_end__gte=F("term_start")),
                name="summits_leader_term_end_on_or_after_start",
                violation_error_code="term_end_before_start",
                violation_error_message="A term cannot end before it starts.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.office}, {self.country.code})"

    def natural_key(self) -> tuple[str]:
        return (self.slug,)

    natural_key.dependencies = ["summits.country"]  # type: ignore[attr-defined]

    def clean(self) -> None:
        if self.pk and self.country_id:
            elsewhere = self.attendances.exclude(country_id=self.country_id)
            if elsewhere.exists():
                raise ValidationError(
                    {
                        "country": ValidationError(
                            "This leader attends summits for another country; "
                            "change those attendances first.",
                            code="leader_country_mismatch",
                        )
                    }
                )


class LeaderName(ConstraintFieldsModel):
    """Another name a leader is known by: a spelling a record gave ("Kishida Fumio"), or the
    name in another language. Searches and imports find the leader by it."""

    leader = models.ForeignKey(Leader, on_delete=models.CASCADE, related_name="other_names")
    name = models.CharField(max_length=200, validators=[validators.single_line])
    language = models.CharField(
        max_length=35,
        blank=True,
        help_text="BCP 47, e.g. ja; blank for a spelling in the records' own language.",
        validators=[validators.single_line],
    )

    history = HistoricalRecords()

    constraint_fields = {"summits_leadername_once": "name"}

    class Meta:
        ordering = ["leader", "name", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["leader", "name", "language"],
                name="summits_leadername_once",
                violation_error_message="The leader already has this name.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} [{self.language}]" if self.language else self.name


class OrganizationManager(models.Manager["Organization"]):
    def get_by_natural_key(self, slug: str) -> "Organization":
        return self.get(slug=slug)


class Organization(ConstraintFieldsModel):
    """A body that holds summits, such as NATO."""

    slug = models.SlugField(max_length=50, unique=True)
    name = models.CharField(max_length=200, validators=[validators.single_line])
    short_name = models.CharField(max_length=50, blank=True, validators=[validators.single_line])
    founded_on = models.DateField(null=True, blank=True)
    records_complete_from = models.DateField(
        null=True,
        blank=True,
        help_text="From this date on the data holds every summit of the organization, "
        'so a "first recorded" attendance is a first.',
    )

    history = HistoricalRecords()
    objects = OrganizationManager()

    class Meta:
        ordering = ["slug"]

    def __str__(self) -> str:
        return self.short_name or self.name

    def natural_key(self) -> tuple[str]:
        return (self.slug,)


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


class SummitManager(models.Manager.from_queryset(SummitQuerySet)):  # type: ignore[misc]
    def get_by_natural_key(self, slug: str) -> "Summit":
        return self.get(slug=slug)


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


class Summit(ConstraintFieldsModel):
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
    objects = SummitManager()

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
            models.CheckConstraint(
                condition=Q(kind__in=SummitKind.values),
                name="summits_summit_kind_valid",
                violation_error_code="invalid_choice",
                violation_error_message="Unknown summit kind.",
            ),
            models.CheckConstraint(
                condition=Q(status__in=SummitStatus.values),
                name="summits_summit_status_valid",
                violation_error_code="invalid_choice",
                violation_error_message="Unknown summit status.",
            ),
            models.CheckConstraint(
                condition=Q(date_precision__in=DatePrecision.values),
                name="summits_summit_date_precision_valid",
                violation_error_code="invalid_choice",
                violation_error_message="Unknown date precision.",
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
                condition=_first_of_period("start_date", "date_precision"),
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

    def natural_key(self) -> tuple[str]:
        return (self.slug,)

    natural_key.dependencies = ["summits.organization", "summits.country"]  # type: ignore[attr-defined]

    @property
    def dates(self) -> str:
        """The dates as a person would write them, at their precision: "July 9–11, 2024"."""
        return display_date_range(self.start_date, self.end_date, self.date_precision)

    @property
    def anniversary(self) -> int | None:
        """Which anniversary year of its organization the summit falls in (NATO in 2024: 75)."""
        founded = self.organization.founded_on if self.organization_id else None
        return anniversary_year(founded, self.start_date)


class AttendanceQuerySet(models.QuerySet["Attendance"]):
    def with_leader_of_another_country(self) -> "AttendanceQuerySet":
        """Attendances that break the rule a leader belongs to the attendance's country."""
        return self.filter(leader__isnull=False).exclude(leader__country=F("country"))


class AttendanceManager(models.Manager.from_queryset(AttendanceQuerySet)):  # type: ignore[misc]
    def get_by_natural_key(self, summit_slug: str, country_code: str) -> "Attendance":
        return self.get(summit__slug=summit_slug, country__code=country_code)


class AttendanceStatus(models.TextChoices):
    PROPOSED = "proposed", "Proposed (invitation under discussion)"
    INVITED = "invited", "Invited"
    CONSIDERING = "considering", "Considering"
    CONFIRMED = "confirmed", "Confirmed"
    DECLINED = "declined", "Declined"
    ATTENDED = "attended", "Attended"
    DID_NOT_ATTEND = "did_not_attend", "Did not attend"
    WITHDRAWN = "withdrawn", "Withdrawn"


class AttendanceRole(models.TextChoices):
    HOST = "host", "Host"
    MEMBER = "member", "Member"
    PARTNER = "partner", "Partner"
    GUEST = "guest", "Guest"


class Attendance(ConstraintFieldsModel):
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

    history = HistoricalRecords()
    objects = AttendanceManager()

    constraint_fields = {
        "summits_attendance_one_per_country": "country",
        "summits_attendance_role_valid": "role",
        "summits_attendance_status_valid": "status",
    }

    class Meta:
        ordering = ["summit__start_date", "summit__slug", "country__code", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["summit", "country"],
                name="summits_attendance_one_per_country",
                violation_error_message="This country already has an attendance at this summit.",
            ),
            models.CheckConstraint(
                condition=Q(role__isnull=True) | Q(role__in=AttendanceRole.values),
                name="summits_attendance_role_valid",
                violation_error_code="invalid_choice",
                violation_error_message="Unknown attendance role.",
            ),
            models.CheckConstraint(
                condition=Q(status__isnull=True) | Q(status__in=AttendanceStatus.values),
                name="summits_attendance_status_valid",
                violation_error_code="invalid_choice",
                violation_error_message="Unknown attendance status.",
            ),
        ]
        indexes = [
            # The filters by country or leader and status, and the "first" labels' search for an
            # earlier attended summit, read these without visiting the table.
            models.Index(fields=["country", "status", "summit"], name="summits_att_country_status"),
            models.Index(fields=["leader", "status", "summit"], name="summits_att_leader_status"),
            models.Index(fields=["status", "id"], name="summits_att_status_id"),
        ]

    def __str__(self) -> str:
        who = self.leader.name if self.leader_id else self.country.name
        return f"{who} at {self.summit.name}"

    def save(self, *args, **kwargs):
        # `status` is written only by attendance_refresh_status(); an ordinary save of a row
        # loaded earlier must not write back a status that a newer change has replaced.
        if not self._state.adding and kwargs.get("update_fields") is None:
            kwargs["update_fields"] = [
                field.name
                for field in self._meta.concrete_fields
                if not field.primary_key and field.name != "status"
            ]
        super().save(*args, **kwargs)

    def natural_key(self) -> tuple[str, str]:
        return (self.summit.slug, self.country.code)

    natural_key.dependencies = ["summits.summit", "summits.country", "summits.leader"]  # type: ignore[attr-defined]

    def clean(self) -> None:
        if self.leader_id and self.country_id and self.leader.country_id != self.country_id:
            raise ValidationError(
                {
                    "leader": ValidationError(
                        "%(leader)s leads %(leader_country)s, not %(country)s.",
                        code="leader_country_mismatch",
                        params={
                            "leader": self.leader.name,
                            "leader_country": self.leader.country.name,
                            "country": self.country.name,
                        },
                    )
                }
            )


class StatusChangeManager(models.Manager["StatusChange"]):
    def get_by_natural_key(
        self, summit_slug: str, country_code: str, status: str, as_of: str
    ) -> "StatusChange":
        return self.get(
            attendance__summit__slug=summit_slug,
            attendance__country__code=country_code,
            status=status,
            as_of=as_of,
        )


class StatusChange(ConstraintFieldsModel):
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
    objects = StatusChangeManager()

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
            models.CheckConstraint(
                condition=Q(status__in=AttendanceStatus.values),
                name="summits_statuschange_status_valid",
                violation_error_code="invalid_choice",
                violation_error_message="Unknown attendance status.",
            ),
            models.CheckConstraint(
                condition=Q(as_of_precision__in=DatePrecision.values),
                name="summits_statuschange_as_of_precision_valid",
                violation_error_code="invalid_choice",
                violation_error_message="Unknown date precision.",
            ),
            models.CheckConstraint(
                condition=_first_of_period("as_of", "as_of_precision"),
                name="summits_statuschange_as_of_is_first_of_period",
                violation_error_code="as_of_not_first_of_period",
                violation_error_message="At month or year precision the date is the period's "
                "first day.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_status_display()} as of {self.as_of_display}"

    def natural_key(self) -> tuple[str, str, str, str]:
        return (*self.attendance.natural_key(), self.status, self.as_of.isoformat())

    natural_key.dependencies = ["summits.attendance"]  # type: ignore[attr-defined]

    @property
    def as_of_display(self) -> str:
        return display_partial_date(self.as_of, self.as_of_precision)


class SourceManager(models.Manager["Source"]):
    def get_by_natural_key(self, key: str) -> "Source":
        return self.get(key=key)


class Source(ConstraintFieldsModel):
    """Where evidence comes from: a text held verbatim (an article, a press release, a dataset
    record), or a page at a URL that the tracker holds no text of.

    A source's text is what its citations quote (summits.evidence); once anything cites it, it
    never changes (a corrected text is a new source), which a trigger enforces for every writer.
    Its sha256 and length are computed from the text, never given.
    """

    key = models.SlugField(max_length=100, unique=True)
    title = models.CharField(max_length=300, validators=[validators.single_line])
    author = models.CharField(max_length=200, blank=True, validators=[validators.single_line])
    publisher = models.CharField(max_length=200, blank=True, validators=[validators.single_line])
    language = models.CharField(
        max_length=10,
        default="en",
        help_text="BCP 47, e.g. en.",
        validators=[validators.single_line],
    )
    url = models.URLField(blank=True)
    seed_file = models.CharField(
        max_length=200,
        blank=True,
        help_text="The file in seeds/ the text was read from, if any.",
        validators=[validators.single_line],
    )
    text = models.TextField(
        blank=True,
        help_text="The text, verbatim: what citations of this source quote.",
        validators=[validators.multiline],
    )
    sha256 = models.CharField(
        max_length=64, blank=True, editable=False, help_text="Of the text's UTF-8 bytes."
    )
    length = models.PositiveIntegerField(
        null=True, blank=True, editable=False, help_text="Of the text, in code points."
    )
    note = models.TextField(blank=True, validators=[validators.multiline])

    history = HistoricalRecords(excluded_fields=["text"])
    objects = SourceManager()

    constraint_fields = {
        "summits_source_has_origin": "url",
        "summits_source_text_digest": "text",
        "summits_source_seed_file_has_text": "text",
        "summits_source_unique_text": "text",
    }

    class Meta:
        ordering = ["key"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(url="") | ~Q(text=""),
                name="summits_source_has_origin",
                violation_error_code="no_origin",
                violation_error_message="A source needs a URL or a text.",
            ),
            models.CheckConstraint(
                condition=Q(text="", sha256="", length__isnull=True)
                | (~Q(text="") & Q(sha256__regex=SHA256_HEX) & Q(length=Length("text"))),
                name="summits_source_text_digest",
                violation_error_code="bad_digest",
                violation_error_message="A text comes with the lowercase hex sha256 of its UTF-8 "
                "bytes and its length in code points, and only a text has them.",
            ),
            models.CheckConstraint(
                condition=Q(seed_file="") | ~Q(text=""),
                name="summits_source_seed_file_has_text",
                violation_error_code="seed_file_without_text",
                violation_error_message="A source read from a seed file holds its text.",
            ),
            models.UniqueConstraint(
                fields=["sha256"],
                condition=~Q(sha256=""),
                name="summits_source_unique_text",
                violation_error_message="Another source holds this text already.",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    def save(self, *args, **kwargs) -> None:
        self.fill_digest()
        super().save(*args, **kwargs)

    def natural_key(self) -> tuple[str]:
        return (self.key,)

    def clean(self) -> None:
        self.fill_digest()
        if self.sha256:
            holder = (
                # "Not empty", as the partial unique index says it, or SQLite reads every row.
                Source.objects.filter(sha256=self.sha256)
                .exclude(sha256="")
                .exclude(pk=self.pk)
                .values_list("key", flat=True)
                .first()
            )
            if holder is not None:
                raise ValidationError(
                    {
                        "text": ValidationError(
                            "Source %(key)r holds this text already.",
                            code="unique",
                            params={"key": holder},
                        )
                    }
                )
        if self.pk is None:
            return
        stored = Source.objects.filter(pk=self.pk).values_list("sha256", flat=True).first()
        if stored is not None and stored != self.sha256 and self.citations.exists():
            raise ValidationError(
                {
                    "text": ValidationError(
                        "Citations quote this text, so it cannot change: add the corrected "
                        "text as a new source.",
                        code="source_text_cited",
                    )
                }
            )

    def fill_digest(self) -> None:
        """Compute the text's sha256 and length, which no client sends."""
        self.sha256 = text_digest(self.text) if self.text else ""
        self.length = len(self.text) if self.text else None


class CitationManager(models.Manager["Citation"]):
    # How each kind of target is found from the parts of its own natural key.
    target_lookups = {
        "summit": ["summit__slug"],
        "attendance": ["attendance__summit__slug", "attendance__country__code"],
        "status_change": [
            "status_change__attendance__summit__slug",
            "status_change__attendance__country__code",
            "status_change__status",
            "status_change__as_of",
        ],
    }

    def get_by_natural_key(self, source_key: str, target: str | None, *rest: object) -> "Citation":
        *target_key, field, start = rest
        if target not in self.target_lookups:
            raise self.model.DoesNotExist(f"A citation cites no {target!r}.")
        lookups = dict(zip(self.target_lookups[target], target_key, strict=True))
        return self.get(source__key=source_key, field=field, start=start, **lookups)


class CitationBasis(models.TextChoices):
    STATED = "stated", "Stated"
    IMPLIED = "implied", "Implied"
    EXTERNAL = "external", "External"


CITATION_TARGETS = ("summit", "attendance", "status_change")


class Citation(ConstraintFieldsModel):
    """Evidence for one field of one record: a verbatim quote from a source, and its basis."""

    Basis = CitationBasis
    TARGETS = CITATION_TARGETS
    # Cited fields whose name reads badly in a title ("the as of of ...").
    FIELD_LABELS = {"as_of": "date"}

    source = models.ForeignKey(Source, on_delete=models.PROTECT, related_name="citations")
    summit = models.ForeignKey(
        Summit, on_delete=models.CASCADE, null=True, blank=True, related_name="citations"
    )
    attendance = models.ForeignKey(
        Attendance, on_delete=models.CASCADE, null=True, blank=True, related_name="citations"
    )
    status_change = models.ForeignKey(
        StatusChange, on_delete=models.CASCADE, null=True, blank=True, related_name="citations"
    )
    field = models.CharField(
        max_length=50,
        help_text="The cited field of the target record.",
        validators=[validators.single_line],
    )
    quote = models.TextField(
        blank=True, help_text="Verbatim from the source.", validators=[validators.multiline]
    )
    start = models.PositiveIntegerField(
        null=True, blank=True, help_text="0-based code point offset in the source's text."
    )
    end = models.PositiveIntegerField(null=True, blank=True, help_text="Exclusive.")
    basis = models.CharField(
        max_length=10, choices=CitationBasis.choices, default=CitationBasis.STATED
    )

    history = HistoricalRecords()
    objects = CitationManager()

    constraint_fields = {
        "summits_citation_exactly_one_target": "summit",
        # Reported on the quote: the evidence rule checks the offsets against it first.
        "summits_citation_offsets_span_quote": "quote",
        "summits_citation_basis_valid": "basis",
        "summits_citation_unique_summit": "start",
        "summits_citation_unique_attendance": "start",
        "summits_citation_unique_status_change": "start",
    }

    class Meta:
        ordering = ["source", "start", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(
                    summit__isnull=False, attendance__isnull=True, status_change__isnull=True
                )
                | Q(summit__isnull=True, attendance__isnull=False, status_change__isnull=True)
                | Q(summit__isnull=True, attendance__isnull=True, status_change__isnull=False),
                name="summits_citation_exactly_one_target",
                violation_error_code="one_target",
                violation_error_message="A citation cites exactly one summit, attendance or "
                "status change.",
            ),
            models.CheckConstraint(
                condition=Q(start__isnull=True, end__isnull=True)
                | Q(
                    start__isnull=False,
                    # Without it a NULL end makes the comparison NULL, which a CHECK passes.
                    end__isnull=False,
                    # In 64 bits: PostgreSQL adds two integers in 32 and would overflow.
                    end=Cast("start", models.BigIntegerField()) + Length("quote"),
                )
                & ~Q(quote=""),
                name="summits_citation_offsets_span_quote",
                violation_error_code="offsets_do_not_span_quote",
                violation_error_message="Offsets come in pairs and span exactly the quote "
                "(end = start + length of the quote).",
            ),
            models.CheckConstraint(
                condition=Q(basis__in=CitationBasis.values),
                name="summits_citation_basis_valid",
                violation_error_code="invalid_choice",
                violation_error_message="Unknown citation basis.",
            ),
            *(
                models.UniqueConstraint(
                    "source",
                    target,
                    "field",
                    Coalesce("start", Value(-1), output_field=models.IntegerField()),
                    condition=Q(**{f"{target}__isnull": False}),
                    name=f"summits_citation_unique_{target}",
                    violation_error_message="This source is already cited for this field at "
                    "this offset.",
                )
                for target in CITATION_TARGETS
            ),
        ]

    def __str__(self) -> str:
        """Whose words on which field of which record, as an editor would say it: "Kazuyuki
        Sakamoto on the end date of NATO Summit 2024, Washington"."""
        by = self.source.author or self.source.title
        target = self.target
        if target is None:
            return f"{by} on {self.field}"
        try:
            field = target._meta.get_field(self.field).verbose_name
        except FieldDoesNotExist:
            field = self.field.replace("_", " ")
        field = self.FIELD_LABELS.get(self.field, field)
        if isinstance(target, Summit):
            return f"{by} on the {field} of {target.name}"
        attendance = target if isinstance(target, Attendance) else target.attendance
        of = f"{attendance.country.name} at {attendance.summit.name}"
        if isinstance(target, StatusChange):
            of = f"“{target}” for {of}"
        return f"{by} on the {field} of {of}"

    def natural_key(self) -> tuple[object, ...]:
        target = self.target
        target_key = target.natural_key() if target is not None else ()
        return (self.source.key, self.target_kind, *target_key, self.field, self.start)

    natural_key.dependencies = [
        "summits.source",
        "summits.summit",
        "summits.attendance",
        "summits.statuschange",
    ]  # type: ignore[attr-defined]

    def clean(self) -> None:
        # The evidence rule (summits.evidence): the quote is the source's text at its offsets.
        # (A citation of no target, or of several, breaks a constraint, reported as such.)
        targets = [name for name in self.TARGETS if getattr(self, f"{name}_id") is not None]
        if self.source_id is not None and len(targets) == 1:
            citation_verify(self, text=self.source.text)

    @property
    def target_kind(self) -> str | None:
        """Which kind of record this cites; None only for a row the database would refuse."""
        return next(
            (name for name in self.TARGETS if getattr(self, f"{name}_id") is not None), None
        )

    @property
    def target(self) -> Summit | Attendance | StatusChange | None:
        return getattr(self, self.target_kind) if self.target_kind else None
