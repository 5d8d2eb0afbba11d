"""What each resource looks like on the wire.

Writes are validated by the model itself (`full_clean()`: fields, `clean()` and every database
constraint), so the API accepts exactly what the database would, and says which field is wrong.
"""

import copy
from types import SimpleNamespace

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import models
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers
from rest_framework.reverse import reverse

from summits.api import fields
from summits.api.errors import django_error_detail
from summits.api.strictness import StrictFieldsMixin
from summits.dates import anniversary_year, display_date_range, iso_partial_date, parse_partial_date
from summits.models import (
    Attendance,
    AttendanceStatus,
    Citation,
    CitationBasis,
    Country,
    Leader,
    Organization,
    Source,
    StatusChange,
    Summit,
)
from summits.records import AttendanceRecord, RecordedSummit, Run, first_label


@extend_schema_field(
    {
        "type": "string",
        "pattern": r"^[0-9]{4}(-[0-9]{2}(-[0-9]{2})?)?$",
        "example": "2024-07-09",
        "description": "A date at its precision: YYYY-MM-DD, YYYY-MM or YYYY.",
    }
)
class PartialDateField(serializers.Field):
    """A date known to a day, a month or a year: "2024-07-09", "2022-06" or "2023".

    It reads and writes two model fields at once, the date and its precision, so a client can
    never send a precision that disagrees with the date it gave.
    """

    default_error_messages = {"invalid": "Use a date as YYYY, YYYY-MM or YYYY-MM-DD."}

    def __init__(self, *, date_field: str, precision_field: str, **kwargs):
        self.date_field = date_field
        self.precision_field = precision_field
        super().__init__(source="*", **kwargs)

    def to_representation(self, instance):
        return iso_partial_date(
            getattr(instance, self.date_field), getattr(instance, self.precision_field)
        )

    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("invalid")
        try:
            date, precision = parse_partial_date(data)
        except ValueError:
            self.fail("invalid")
        return {self.date_field: date, self.precision_field: precision}


class ModelValidatingSerializer(StrictFieldsMixin, serializers.ModelSerializer):
    """A ModelSerializer that validates through the model's `full_clean()`, with strict types,
    and refuses a body field it does not take."""

    serializer_field_mapping = {
        **serializers.ModelSerializer.serializer_field_mapping,
        models.CharField: fields.CharField,
        models.TextField: fields.CharField,
        models.SlugField: fields.SlugField,
        models.URLField: fields.URLField,
        models.IntegerField: fields.IntegerField,
        models.PositiveIntegerField: fields.IntegerField,
    }
    serializer_related_field = fields.PrimaryKeyRelatedField

    def get_validators(self):
        # Uniqueness and every other constraint are checked once, by the model.
        return []

    def validate(self, attrs):
        instance = copy.copy(self.instance) if self.instance is not None else self.Meta.model()
        for name, value in attrs.items():
            setattr(instance, name, value)
        try:
            instance.full_clean()
        except DjangoValidationError as error:
            raise serializers.ValidationError(django_error_detail(error)) from error
        # What the model's `clean()` works out from the rest (a quote's offsets, say).
        return {**attrs, **{name: getattr(instance, name) for name in self.derived_fields}}

    derived_fields: tuple[str, ...] = ()


class RowSerializerMixin:
    """For serializers whose `to_representation` builds each row's dict by hand.

    Lists render hundreds of rows: DRF's per-field machinery, the fields it builds for every
    serializer instance, and a `reverse()` per link cost more than the query. These serializers
    build the same dict directly (tests/test_representation.py holds each to DRF's generic
    rendering, keys and order); their declared fields still serve writes and the schema.
    """

    def row_link(self, value) -> str:
        """The `url` field's value for a row with this lookup value, from a template resolved
        once per request."""
        url = self._link_from_template(value)
        if url is not None:
            return url
        lookup_field = self._declared_fields["url"].lookup_field
        row = SimpleNamespace(**{"pk": value, lookup_field: value})
        return self.fields["url"].to_representation(row)

    def _link_from_template(self, value) -> str | None:
        declared = self._declared_fields["url"]
        request = self.context.get("request")
        if request is None or self.context.get("format"):
            return None
        return fields.identity_url(request, declared.view_name, declared.lookup_url_kwarg, value)


class CountrySerializer(ModelValidatingSerializer):
    """A country, looked up by its ISO code."""

    url = fields.HyperlinkedIdentityField(view_name="api:country-detail", lookup_field="code")

    class Meta:
        model = Country
        fields = ["code", "url", "name"]


class OrganizationSerializer(ModelValidatingSerializer):
    """An organization that holds summits, such as NATO."""

    url = fields.HyperlinkedIdentityField(view_name="api:organization-detail", lookup_field="slug")

    class Meta:
        model = Organization
        fields = ["slug", "url", "name", "short_name", "founded_on", "records_complete_from"]


class LeaderSerializer(ModelValidatingSerializer):
    """A head of state or government, and the country they lead."""

    url = fields.HyperlinkedIdentityField(view_name="api:leader-detail", lookup_field="slug")
    country = fields.SlugRelatedField(slug_field="code", queryset=Country.objects.all())
    country_name = serializers.CharField(source="country.name", read_only=True)

    class Meta:
        model = Leader
        fields = [
            "slug",
            "url",
            "name",
            "country",
            "country_name",
            "office",
            "term_start",
            "term_end",
        ]


class SourceSerializer(ModelValidatingSerializer):
    """A source; its text is sent once, when the source is added, and read at `text_url`."""

    text = fields.CharField(
        write_only=True,
        required=False,
        allow_blank=True,
        trim_whitespace=False,
        help_text="The text the source was read from, verbatim (plain UTF-8): what citations "
        "quote. Leave it out for a page the tracker holds no text of (give `url`). It cannot "
        "change once anything cites it.",
    )
    text_url = serializers.SerializerMethodField(
        help_text="Where the text is served as text/plain; null for a source without text."
    )

    class Meta:
        model = Source
        fields = [
            "key",
            "title",
            "author",
            "publisher",
            "language",
            "url",
            "text",
            "text_url",
            "sha256",
            "length",
            "seed_file",
            "note",
        ]
        read_only_fields = ["sha256", "length", "seed_file"]

    field_hints = {
        "sha256": "The server computes it from `text`.",
        "length": "The server computes it from `text`.",
    }

    @extend_schema_field({"type": "string", "format": "uri", "nullable": True})
    def get_text_url(self, source: Source) -> str | None:
        if not source.sha256:
            return None
        return reverse("api:source-text", args=[source.key], request=self.context.get("request"))


class CitationSerializer(ModelValidatingSerializer):
    """Evidence for one field of one record: a verbatim quote from a source.

    It cites exactly one of `summit`, `attendance` and `status_change`. Without `start` and
    `end`, the server finds the quote in the source's text; a source without text (a web page)
    is cited with basis `external` and no quote.
    """

    source = fields.SlugRelatedField(slug_field="key", queryset=Source.objects.all())
    summit = fields.SlugRelatedField(
        slug_field="slug", queryset=Summit.objects.all(), required=False, allow_null=True
    )
    attendance = fields.PrimaryKeyRelatedField(
        queryset=Attendance.objects.all(), required=False, allow_null=True
    )
    status_change = fields.PrimaryKeyRelatedField(
        queryset=StatusChange.objects.all(), required=False, allow_null=True
    )

    # Without offsets, the server finds the quote in the source's text.
    derived_fields = ("start", "end")

    class Meta:
        model = Citation
        extra_kwargs = {"quote": {"trim_whitespace": False}}  # verbatim, spaces included
        fields = [
            "id",
            "source",
            "summit",
            "attendance",
            "status_change",
            "field",
            "quote",
            "start",
            "end",
            "basis",
        ]


class EvidenceSerializer(RowSerializerMixin, serializers.ModelSerializer):
    """A citation as shown on the record it cites."""

    source = fields.SlugRelatedField(slug_field="key", read_only=True)

    class Meta:
        model = Citation
        fields = ["id", "source", "field", "quote", "start", "end", "basis"]
        read_only_fields = fields

    def to_representation(self, citation: Citation) -> dict:
        return {
            "id": citation.pk,
            "source": citation.source.key,
            "field": citation.field,
            "quote": citation.quote,
            "start": citation.start,
            "end": citation.end,
            "basis": citation.basis,
        }


class StatusChangeSerializer(RowSerializerMixin, serializers.ModelSerializer):
    """One step of an attendance's status timeline, with its evidence."""

    as_of = PartialDateField(date_field="as_of", precision_field="as_of_precision", read_only=True)
    citations = EvidenceSerializer(many=True, read_only=True)

    class Meta:
        model = StatusChange
        fields = ["id", "status", "as_of", "as_of_precision", "as_of_display", "note", "citations"]
        read_only_fields = fields

    def to_representation(self, change: StatusChange) -> dict:
        evidence = EvidenceSerializer(context=self.context)
        return {
            "id": change.pk,
            "status": change.status,
            "as_of": iso_partial_date(change.as_of, change.as_of_precision),
            "as_of_precision": change.as_of_precision,
            "as_of_display": change.as_of_display,
            "note": change.note,
            "citations": [evidence.to_representation(c) for c in change.citations.all()],
        }


class NewEvidenceSerializer(StrictFieldsMixin, serializers.Serializer):
    """The evidence for a new status: a quote from a source, which cites the change's status."""

    source = fields.SlugRelatedField(slug_field="key", queryset=Source.objects.all())
    quote = fields.CharField(allow_blank=True, default="", trim_whitespace=False)
    start = fields.IntegerField(min_value=0, required=False, allow_null=True, default=None)
    end = fields.IntegerField(min_value=0, required=False, allow_null=True, default=None)
    basis = serializers.ChoiceField(choices=CitationBasis.choices, default=CitationBasis.STATED)


class NewStatusChangeSerializer(StrictFieldsMixin, serializers.Serializer):
    """The body of `POST /api/attendances/{id}/statuses/`: one more step in the timeline.

    Its evidence is one `citation` object, which cites the new status; the answer lists it
    under `citations`, beside any citation added later (`POST /api/citations/`).
    """

    field_hints = {
        "citations": "Send the evidence as one `citation` object (source, quote, start, end, "
        "basis); the answer lists it under `citations`. Cite more with POST /api/citations/.",
        "as_of_precision": "The precision follows from `as_of`: YYYY, YYYY-MM or YYYY-MM-DD.",
    }

    status = serializers.ChoiceField(choices=AttendanceStatus.choices)
    as_of = PartialDateField(date_field="as_of", precision_field="as_of_precision")
    note = fields.CharField(allow_blank=True, default="")
    citation = NewEvidenceSerializer(
        required=False, help_text="The evidence for the new status: a quote from a source."
    )


class AttendeeSerializer(RowSerializerMixin, serializers.ModelSerializer):
    """An attendance as listed on its summit: who came, for which country, in what role."""

    # It renders `.values(*AttendeeSerializer.columns)` rows: a summit's forty attendances with
    # their countries and leaders cost more as model instances than the rest of its page.

    url = fields.HyperlinkedIdentityField(view_name="api:attendance-detail")
    country = fields.SlugRelatedField(slug_field="code", read_only=True)
    country_name = serializers.CharField(source="country.name", read_only=True)
    leader = fields.SlugRelatedField(slug_field="slug", read_only=True, allow_null=True)
    leader_name = serializers.CharField(source="leader.name", read_only=True, allow_null=True)

    columns = (
        "id",
        "country__code",
        "country__name",
        "leader__slug",
        "leader__name",
        "role",
        "status",
    )

    class Meta:
        model = Attendance
        fields = ["id", "url", "country", "country_name", "leader", "leader_name", "role", "status"]
        read_only_fields = fields

    def to_representation(self, row: dict) -> dict:
        return {
            "id": row["id"],
            "url": self.row_link(row["id"]),
            "country": row["country__code"],
            "country_name": row["country__name"],
            "leader": row["leader__slug"],
            "leader_name": row["leader__name"],
            "role": row["role"],
            "status": row["status"],
        }


class AttendanceSerializer(RowSerializerMixin, ModelValidatingSerializer):
    """One country's participation in one summit: its leader, role and current status.

    `status` is the latest step of the attendance's timeline and cannot be written here: add a
    step with `POST /api/attendances/{id}/statuses/`.
    """

    url = fields.HyperlinkedIdentityField(view_name="api:attendance-detail")
    summit = fields.SlugRelatedField(slug_field="slug", queryset=Summit.objects.all())
    summit_name = serializers.CharField(source="summit.name", read_only=True)
    country = fields.SlugRelatedField(slug_field="code", queryset=Country.objects.all())
    country_name = serializers.CharField(source="country.name", read_only=True)
    leader = fields.SlugRelatedField(
        slug_field="slug", queryset=Leader.objects.all(), required=False, allow_null=True
    )
    leader_name = serializers.CharField(source="leader.name", read_only=True, allow_null=True)
    first_for_country = serializers.SerializerMethodField(
        help_text='"first recorded" (or "first", where the records are complete) when no earlier '
        "summit of the organization was attended by this country; else null."
    )
    first_for_leader = serializers.SerializerMethodField(help_text="The same, for the leader.")

    field_hints = {
        "status": "The status is the latest step of the attendance's timeline: add a step with "
        "POST /api/attendances/{id}/statuses/.",
    }

    class Meta:
        model = Attendance
        fields = [
            "id",
            "url",
            "summit",
            "summit_name",
            "country",
            "country_name",
            "leader",
            "leader_name",
            "role",
            "status",
            "note",
            "first_for_country",
            "first_for_leader",
        ]
        read_only_fields = ["status"]
        # Not stated is null; "" would be a second null, which the database refuses.
        extra_kwargs = {"role": {"allow_blank": False}}

    # A list renders `.values(*AttendanceSerializer.columns)` rows (of a queryset annotated by
    # `attendances_with_firsts`); one attendance renders as an instance.
    columns = (
        "id",
        "summit__slug",
        "summit__name",
        "country__code",
        "country__name",
        "leader__slug",
        "leader__name",
        "role",
        "status",
        "note",
        "summit__start_date",
        "summit__organization_id",
        "summit__organization__records_complete_from",
        "country_attended_before",
        "leader_attended_before",
    )

    def to_representation(self, attendance: Attendance | dict) -> dict:
        row = attendance if isinstance(attendance, dict) else self.row(attendance)
        return {
            "id": row["id"],
            "url": self.row_link(row["id"]),
            "summit": row["summit__slug"],
            "summit_name": row["summit__name"],
            "country": row["country__code"],
            "country_name": row["country__name"],
            "leader": row["leader__slug"],
            "leader_name": row["leader__name"],
            "role": row["role"],
            "status": row["status"],
            "note": row["note"],
            "first_for_country": _first(row, has_earlier=row["country_attended_before"]),
            "first_for_leader": (
                _first(row, has_earlier=row["leader_attended_before"])
                if row["leader__slug"] is not None
                else None
            ),
        }

    @classmethod
    def row(cls, attendance: Attendance) -> dict:
        """The attendance as the `.values(*columns)` row of it."""
        summit, country, leader = attendance.summit, attendance.country, attendance.leader
        return {
            "id": attendance.pk,
            "summit__slug": summit.slug,
            "summit__name": summit.name,
            "country__code": country.code,
            "country__name": country.name,
            "leader__slug": leader.slug if leader is not None else None,
            "leader__name": leader.name if leader is not None else None,
            "role": attendance.role,
            "status": attendance.status,
            "note": attendance.note,
            "summit__start_date": summit.start_date,
            "summit__organization_id": summit.organization_id,
            "summit__organization__records_complete_from": (
                summit.organization.records_complete_from
                if summit.organization_id is not None
                else None
            ),
            "country_attended_before": attendance.country_attended_before,
            "leader_attended_before": attendance.leader_attended_before,
        }

    # The method fields' own getters, for DRF's generic rendering; `to_representation` inlines them.
    def get_first_for_country(self, attendance: Attendance) -> str | None:
        return _first(self.row(attendance), has_earlier=attendance.country_attended_before)

    def get_first_for_leader(self, attendance: Attendance) -> str | None:
        if attendance.leader_id is None:
            return None
        return _first(self.row(attendance), has_earlier=attendance.leader_attended_before)


def _first(row: dict, *, has_earlier: bool) -> str | None:
    """An attendance row's first label: only an attended one at an organization's summit has one."""
    if row["status"] != AttendanceStatus.ATTENDED or row["summit__organization_id"] is None:
        return None
    return first_label(
        complete_from=row["summit__organization__records_complete_from"],
        start_date=row["summit__start_date"],
        has_earlier=has_earlier,
    )


class AttendanceDetailSerializer(AttendanceSerializer):
    """An attendance with its status timeline and its citations."""

    status_changes = StatusChangeSerializer(many=True, read_only=True)
    citations = EvidenceSerializer(many=True, read_only=True)

    class Meta(AttendanceSerializer.Meta):
        fields = [*AttendanceSerializer.Meta.fields, "status_changes", "citations"]

    def to_representation(self, attendance: Attendance) -> dict:
        data = super().to_representation(attendance)
        timeline = StatusChangeSerializer(context=self.context)
        evidence = EvidenceSerializer(context=self.context)
        data["status_changes"] = [
            timeline.to_representation(c) for c in attendance.status_changes.all()
        ]
        data["citations"] = [evidence.to_representation(c) for c in attendance.citations.all()]
        return data


class SummitSerializer(RowSerializerMixin, ModelValidatingSerializer):
    """A summit: when (at the precision the date is known), where, who holds it, and how many
    countries attend."""

    url = fields.HyperlinkedIdentityField(view_name="api:summit-detail", lookup_field="slug")
    organization = fields.SlugRelatedField(
        slug_field="slug", queryset=Organization.objects.all(), required=False, allow_null=True
    )
    host_country = fields.SlugRelatedField(
        slug_field="code", queryset=Country.objects.all(), required=False, allow_null=True
    )
    start_date = PartialDateField(date_field="start_date", precision_field="date_precision")
    attendee_count = serializers.IntegerField(read_only=True)

    field_hints = {
        "date_precision": "It follows from start_date: YYYY, YYYY-MM or YYYY-MM-DD.",
    }

    # A list renders `.values(*SummitSerializer.columns)` rows; one summit renders as an instance.
    columns = (
        "slug",
        "name",
        "organization__slug",
        "organization__founded_on",
        "kind",
        "status",
        "host_country__code",
        "city",
        "start_date",
        "end_date",
        "date_precision",
        "attendee_count",
    )

    class Meta:
        model = Summit
        fields = [
            "slug",
            "url",
            "name",
            "organization",
            "kind",
            "status",
            "host_country",
            "city",
            "start_date",
            "end_date",
            "date_precision",
            "dates",
            "anniversary",
            "attendee_count",
        ]
        read_only_fields = ["date_precision", "dates", "anniversary"]

    def to_representation(self, summit: Summit | dict) -> dict:
        row = summit if isinstance(summit, dict) else self.row(summit)
        start, end, precision = row["start_date"], row["end_date"], row["date_precision"]
        return {
            "slug": row["slug"],
            "url": self.row_link(row["slug"]),
            "name": row["name"],
            "organization": row["organization__slug"],
            "kind": row["kind"],
            "status": row["status"],
            "host_country": row["host_country__code"],
            "city": row["city"],
            "start_date": iso_partial_date(start, precision),
            "end_date": end.isoformat() if end is not None else None,
            "date_precision": precision,
            "dates": display_date_range(start, end, precision),
            "anniversary": anniversary_year(row["organization__founded_on"], start),
            "attendee_count": row["attendee_count"],
        }

    @classmethod
    def row(cls, summit: Summit) -> dict:
        """The summit as the `.values(*columns)` row of it."""
        organization, host = summit.organization, summit.host_country
        return {
            "slug": summit.slug,
            "name": summit.name,
            "organization__slug": organization.slug if organization is not None else None,
            "organization__founded_on": (
                organization.founded_on if organization is not None else None
            ),
            "kind": summit.kind,
            "status": summit.status,
            "host_country__code": host.code if host is not None else None,
            "city": summit.city,
            "start_date": summit.start_date,
            "end_date": summit.end_date,
            "date_precision": summit.date_precision,
            "attendee_count": summit.attendee_count,
        }


class SummitDetailSerializer(SummitSerializer):
    """A summit with its attendees (by country code) and its citations."""

    # The attendees are read here, in one query, as `.values()` rows: this serializer renders
    # one summit at a time (its page, and the answer to a write), never a list.

    attendances = AttendeeSerializer(many=True, read_only=True)
    citations = EvidenceSerializer(many=True, read_only=True)

    class Meta(SummitSerializer.Meta):
        fields = [*SummitSerializer.Meta.fields, "attendances", "citations"]

    def to_representation(self, summit: Summit) -> dict:
        data = super().to_representation(summit)
        attendee = AttendeeSerializer(context=self.context)
        evidence = EvidenceSerializer(context=self.context)
        attendees = summit.attendances.order_by("country__code", "id")
        data["attendances"] = [
            attendee.to_representation(row) for row in attendees.values(*attendee.columns)
        ]
        data["citations"] = [evidence.to_representation(c) for c in summit.citations.all()]
        return data


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
