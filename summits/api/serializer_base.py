"""What the API's serializers share: a date at its precision, writes validated by the model
itself, and rows rendered through their declared representation (summits.api.rows)."""

import copy
from collections.abc import Iterable
from types import SimpleNamespace
from typing import TYPE_CHECKING, Any, ClassVar, cast

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import models
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from summits.api import fields, rows
from summits.api.errors import django_error_detail
from summits.api.strictness import StrictFieldsMixin
from summits.dates import iso_partial_date, parse_partial_date


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


if TYPE_CHECKING:
    _Serializer = serializers.Serializer
else:  # a mixin: the serializer class comes after it
    _Serializer = object


class ModelValidatingSerializer(StrictFieldsMixin, serializers.ModelSerializer):
    """A ModelSerializer that validates through the model's `full_clean()`, with strict types,
    and refuses a body field it does not take."""

    serializer_field_mapping = {
        **serializers.ModelSerializer.serializer_field_mapping,
        models.CharField: fields.StrictCharField,
        models.TextField: fields.StrictCharField,
        models.SlugField: fields.StrictSlugField,
        models.URLField: fields.StrictURLField,
        models.IntegerField: fields.StrictIntegerField,
        models.PositiveIntegerField: fields.StrictIntegerField,
    }
    serializer_related_field: ClassVar[type[serializers.RelatedField]] = (
        fields.StrictPrimaryKeyRelatedField
    )

    def get_validators(self):
        # Uniqueness and every other constraint are checked once, by the model.
        return []

    def validate(self, attrs):
        model: type[models.Model] = self.Meta.model
        instance = copy.copy(self.instance) if self.instance is not None else model()
        for name, value in attrs.items():
            setattr(instance, name, value)
        try:
            instance.full_clean()
        except DjangoValidationError as error:
            raise serializers.ValidationError(django_error_detail(error)) from error
        # What the model's `clean()` works out from the rest (a quote's offsets, say).
        return {**attrs, **{name: getattr(instance, name) for name in self.derived_fields}}

    derived_fields: tuple[str, ...] = ()


class RowSerializerMixin(_Serializer):
    """A serializer that renders through its resource's `representation` (summits.api.rows):
    a list's `.values()` rows as they are, one record from its instance."""

    representation: ClassVar[rows.Representation]

    def to_representation(self, instance: Any) -> dict[str, Any]:
        row = instance if isinstance(instance, dict) else self.representation.row(instance)
        return self.representation.render(row, self.row_link)

    @property
    def _url_field(self) -> fields.TemplatedIdentityField:
        return cast(fields.TemplatedIdentityField, self._declared_fields["url"])

    def render_each(
        self, serializer_class: type["RowSerializerMixin"], items: Iterable[Any]
    ) -> list[dict[str, Any]]:
        """Nested rows (a timeline, citations, attendees) rendered by one serializer."""
        serializer = serializer_class(context=self.context)
        return [serializer.to_representation(item) for item in items]

    def row_link(self, value: object) -> str:
        """The `url` field's value for a row with this lookup value, from a template resolved
        once per request."""
        url = self._link_from_template(value)
        if url is not None:
            return url
        lookup_field = self._url_field.lookup_field
        row = SimpleNamespace(**{"pk": value, lookup_field: value})
        return self.fields["url"].to_representation(row)

    def _link_from_template(self, value: object) -> str | None:
        declared = self._url_field
        request = self.context.get("request")
        if request is None or self.context.get("format") or declared.view_name is None:
            return None
        return fields.identity_url(request, declared.view_name, declared.lookup_url_kwarg, value)
