"""What each resource looks like on the wire.

Writes are validated by the model itself (`full_clean()`: fields, `clean()` and every database
constraint), so the API accepts exactly what the database would, and says which field is wrong.
"""

from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers
from rest_framework.reverse import reverse

from summits.api import fields, rows
from summits.api.serializer_base import (
    ModelValidatingSerializer,
    PartialDateField,
    RowSerializerMixin,
)
from summits.api.strictness import StrictFieldsMixin
from summits.models import (
    Attendance,
    AttendanceStatus,
    Citation,
    CitationBasis,
    Country,
    FirstLabel,
    Leader,
    Organization,
    Source,
    StatusChange,
    Summit,
)


class CountrySerializer(ModelValidatingSerializer):
    """A country, looked up by its ISO code."""

    url = fields.TemplatedIdentityField(view_name="api:country-detail", lookup_field="code")

    class Meta:
        model = Country
        fields = ["code", "url", "name"]


class OrganizationSerializer(ModelValidatingSerializer):
    """An organization that holds summits, such as NATO."""

    url = fields.TemplatedIdentityField(view_name="api:organization-detail", lookup_field="slug")

    class Meta:
        model = Organization
        fields = ["slug", "url", "name", "short_name", "founded_on", "records_complete_from"]


class LeaderSerializer(ModelValidatingSerializer):
    """A head of state or government, and the country they lead."""

    url = fields.TemplatedIdentityField(view_name="api:leader-detail", lookup_field="slug")
    country = fields.StrictSlugRelatedField(slug_field="code", queryset=Country.objects.all())
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

    text = fields.StrictCharField(
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

    # `source`, the one relation not declared here, by its key (an attribute named `source`
    # would hide every field's own `source`).
    serializer_related_field = fields.StrictSlugRelatedField
    summit = fields.StrictSlugRelatedField(
        slug_field="slug", queryset=Summit.objects.all(), required=False, allow_null=True
    )
    attendance = fields.StrictPrimaryKeyRelatedField(
        queryset=Attendance.objects.all(), required=False, allow_null=True
    )
    status_change = fields.StrictPrimaryKeyRelatedField(
        queryset=StatusChange.objects.all(), required=False, allow_null=True
    )

    # Without offsets, the server finds the quote in the source's text.
    derived_fields = ("start", "end")

    class Meta:
        model = Citation
        extra_kwargs = {
            "source": {"slug_field": "key"},
            "quote": {"trim_whitespace": False},  # verbatim, spaces included
        }
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

    representation = rows.EVIDENCE
    serializer_related_field = fields.StrictSlugRelatedField  # `source`, by its key

    class Meta:
        model = Citation
        fields = list(rows.EVIDENCE.keys)
        read_only_fields = fields
        extra_kwargs = {"source": {"slug_field": "key"}}


class StatusChangeSerializer(RowSerializerMixin, serializers.ModelSerializer):
    """One step of an attendance's status timeline, with its evidence."""

    representation = rows.STATUS_CHANGE
    as_of = PartialDateField(date_field="as_of", precision_field="as_of_precision", read_only=True)
    citations = EvidenceSerializer(many=True, read_only=True)

    class Meta:
        model = StatusChange
        fields = [*rows.STATUS_CHANGE.keys, "citations"]
        read_only_fields = fields

    def to_representation(self, change: StatusChange) -> dict[str, Any]:
        return {
            **super().to_representation(change),
            "citations": self.render_each(EvidenceSerializer, change.citations.all()),
        }


class NewEvidenceSerializer(StrictFieldsMixin, serializers.Serializer):
    """The evidence for a new status: a quote from a source, which cites the change's status."""

    quote = fields.StrictCharField(allow_blank=True, default="", trim_whitespace=False)
    start = fields.StrictIntegerField(min_value=0, required=False, allow_null=True, default=None)
    end = fields.StrictIntegerField(min_value=0, required=False, allow_null=True, default=None)
    basis = serializers.ChoiceField(choices=CitationBasis.choices, default=CitationBasis.STATED)

    def get_fields(self) -> dict[str, serializers.Field]:
        # Declared here: a class attribute named `source` would hide every field's own `source`.
        source = fields.StrictSlugRelatedField(slug_field="key", queryset=Source.objects.all())
        return {"source": source, **super().get_fields()}


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
    note = fields.StrictCharField(allow_blank=True, default="")
    citation = NewEvidenceSerializer(
        required=False, help_text="The evidence for the new status: a quote from a source."
    )


class AttendeeSerializer(RowSerializerMixin, serializers.ModelSerializer):
    """An attendance as listed on its summit: who came, for which country, in what role."""

    representation = rows.ATTENDEE
    url = fields.TemplatedIdentityField(view_name="api:attendance-detail")
    country = fields.StrictSlugRelatedField(slug_field="code", read_only=True)
    country_name = serializers.CharField(source="country.name", read_only=True)
    leader = fields.StrictSlugRelatedField(slug_field="slug", read_only=True, allow_null=True)
    leader_name = serializers.CharField(source="leader.name", read_only=True, allow_null=True)

    class Meta:
        model = Attendance
        fields = list(rows.ATTENDEE.keys)
        read_only_fields = fields


class AttendanceSerializer(RowSerializerMixin, ModelValidatingSerializer):
    """One country's participation in one summit: its leader, role and current status.

    `status` is the latest step of the attendance's timeline and cannot be written here: add a
    step with `POST /api/attendances/{id}/statuses/`.
    """

    representation = rows.ATTENDANCE

    url = fields.TemplatedIdentityField(view_name="api:attendance-detail")
    summit = fields.StrictSlugRelatedField(slug_field="slug", queryset=Summit.objects.all())
    summit_name = serializers.CharField(source="summit.name", read_only=True)
    country = fields.StrictSlugRelatedField(slug_field="code", queryset=Country.objects.all())
    country_name = serializers.CharField(source="country.name", read_only=True)
    leader = fields.StrictSlugRelatedField(
        slug_field="slug", queryset=Leader.objects.all(), required=False, allow_null=True
    )
    leader_name = serializers.CharField(source="leader.name", read_only=True, allow_null=True)
    first_for_country = serializers.ChoiceField(
        choices=FirstLabel.choices,
        read_only=True,
        allow_null=True,
        help_text='"first recorded" (or "first", where the records are complete) when no earlier '
        "summit of the organization was attended by this country; else null.",
    )
    first_for_leader = serializers.ChoiceField(
        choices=FirstLabel.choices,
        read_only=True,
        allow_null=True,
        help_text="The same, for the leader.",
    )

    field_hints = {
        "status": "The status is the latest step of the attendance's timeline: add a step with "
        "POST /api/attendances/{id}/statuses/.",
    }

    class Meta:
        model = Attendance
        fields = list(rows.ATTENDANCE.keys)
        read_only_fields = ["status"]
        # Not stated is null; "" would be a second null, which the database refuses.
        extra_kwargs = {"role": {"allow_blank": False}}


class AttendanceDetailSerializer(AttendanceSerializer):
    """An attendance with its status timeline and its citations."""

    status_changes = StatusChangeSerializer(many=True, read_only=True)
    citations = EvidenceSerializer(many=True, read_only=True)

    class Meta(AttendanceSerializer.Meta):
        fields = [*AttendanceSerializer.Meta.fields, "status_changes", "citations"]

    def to_representation(self, attendance: Attendance) -> dict:
        return {
            **super().to_representation(attendance),
            "status_changes": self.render_each(
                StatusChangeSerializer, attendance.status_changes.all()
            ),
            "citations": self.render_each(EvidenceSerializer, attendance.citations.all()),
        }


class SummitSerializer(RowSerializerMixin, ModelValidatingSerializer):
    """A summit: when (at the precision the date is known), where, who holds it, and how many
    countries attend."""

    representation = rows.SUMMIT

    url = fields.TemplatedIdentityField(view_name="api:summit-detail", lookup_field="slug")
    organization = fields.StrictSlugRelatedField(
        slug_field="slug", queryset=Organization.objects.all(), required=False, allow_null=True
    )
    host_country = fields.StrictSlugRelatedField(
        slug_field="code", queryset=Country.objects.all(), required=False, allow_null=True
    )
    start_date = PartialDateField(date_field="start_date", precision_field="date_precision")
    attendee_count = serializers.IntegerField(read_only=True)

    field_hints = {
        "date_precision": "It follows from start_date: YYYY, YYYY-MM or YYYY-MM-DD.",
    }

    class Meta:
        model = Summit
        fields = list(rows.SUMMIT.keys)
        read_only_fields = ["date_precision", "dates", "anniversary"]


class SummitDetailSerializer(SummitSerializer):
    """A summit with its attendees (by country code) and its citations."""

    # The attendees are read here, in one query, as `.values()` rows: this serializer renders
    # one summit at a time (its page, and the answer to a write), never a list.

    attendances = AttendeeSerializer(many=True, read_only=True)
    citations = EvidenceSerializer(many=True, read_only=True)

    class Meta(SummitSerializer.Meta):
        fields = [*SummitSerializer.Meta.fields, "attendances", "citations"]

    def to_representation(self, summit: Summit) -> dict:
        attendees = summit.attendances.order_by("country__code", "id")
        return {
            **super().to_representation(summit),
            "attendances": self.render_each(
                AttendeeSerializer, attendees.values(*rows.ATTENDEE.columns)
            ),
            "citations": self.render_each(EvidenceSerializer, summit.citations.all()),
        }
