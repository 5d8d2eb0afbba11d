"""Import and export of summits and attendances (CSV, JSON) keyed on natural keys, not ids.

A summit is its slug and an attendance its (summit slug, country code), so importing a file
again updates the same rows instead of adding copies; related rows are written as their slug or
code. Every row is validated like an admin form (`full_clean`), so a row that breaks a
constraint is reported and the file is not imported. `Attendance.status` is exported but never
imported: it stays the copy of the latest status change.

Dates follow the API's convention: a summit's `start_date` is written at its precision ("2024",
"2022-06", "2024-07-09") and read back the same way. `date_precision` is exported beside it for
readers; on import it may be left out or empty, and when it is given it must agree with the date
(files from before this convention, "2022-06-01" with "month", still agree).
"""

import tablib
from django.db import models
from import_export import fields, resources, widgets
from import_export.formats import base_formats

from summits.dates import iso_partial_date, parse_partial_date
from summits.models import Attendance, Country, Leader, Organization, Summit


class NaturalKeyWidget(widgets.ForeignKeyWidget):
    """A foreign key written as the related row's slug or code; an unknown one is a row error."""

    def clean(self, value, row=None, **kwargs):
        if isinstance(value, str):
            value = value.strip()
        try:
            return super().clean(value, row, **kwargs)
        except self.model.DoesNotExist:
            name = self.model._meta.verbose_name
            raise ValueError(f"No {name} has the {self.field} {value!r}.") from None


class NullableChoiceWidget(widgets.CharWidget):
    """A nullable choice: an empty cell is "not stated" (NULL), never the empty string."""

    def clean(self, value, row=None, **kwargs):
        value = super().clean(value, row, **kwargs)
        return value.strip() or None


class PartialDateField(fields.Field):
    """A date and its precision in one cell: "2024", "2022-06" or "2024-07-09".

    It reads and writes two model fields at once; a precision column beside it, when the row
    has one that is not empty, must agree with the date (summits.dates.parse_partial_date).
    """

    def __init__(self, *, attribute: str, precision_attribute: str) -> None:
        super().__init__(attribute=attribute, column_name=attribute)
        self.precision_attribute = precision_attribute

    def get_value(self, instance):
        date = getattr(instance, self.attribute, None)
        if date is None:
            return None
        return iso_partial_date(date, getattr(instance, self.precision_attribute))

    def save(self, instance, row, is_m2m=False, **kwargs):
        text = row[self.column_name]
        text = text.strip() if isinstance(text, str) else text
        precision = row.get(self.precision_attribute)
        precision = precision.strip() if isinstance(precision, str) else precision
        if not isinstance(text, str) or not isinstance(precision, str | None):
            raise ValueError("Use a date as YYYY, YYYY-MM or YYYY-MM-DD.")
        date, precision = parse_partial_date(text, precision)
        setattr(instance, self.attribute, date)
        setattr(instance, self.precision_attribute, precision)


def natural_key_field(name: str, model: type[models.Model], lookup: str) -> fields.Field:
    return fields.Field(
        attribute=name, column_name=name, widget=NaturalKeyWidget(model, field=lookup)
    )


class NaturalKeyResource(resources.ModelResource):
    """Rows validated like an admin form; a file imported twice changes nothing the second time."""

    class Meta:
        abstract = True
        clean_model_instances = True
        skip_unchanged = True
        report_skipped = True

    def get_instance(self, instance_loader, row):
        try:
            return super().get_instance(instance_loader, row)
        except ValueError:
            # An unknown natural key matches no row; importing the row reports it on its column.
            return None


class SummitResource(NaturalKeyResource):
    organization = natural_key_field("organization", Organization, "slug")
    host_country = natural_key_field("host_country", Country, "code")
    start_date = PartialDateField(attribute="start_date", precision_attribute="date_precision")
    # Exported for reading; an import takes the precision from `start_date` (see above).
    date_precision = fields.Field(
        attribute="date_precision", column_name="date_precision", readonly=True
    )

    class Meta(NaturalKeyResource.Meta):
        model = Summit
        fields = (
            "slug",
            "name",
            "organization",
            "kind",
            "status",
            "host_country",
            "city",
            "start_date",
            "end_date",
            "date_precision",
        )
        import_id_fields = ("slug",)

    def get_queryset(self):
        return super().get_queryset().select_related("organization", "host_country")


class AttendanceResource(NaturalKeyResource):
    summit = natural_key_field("summit", Summit, "slug")
    country = natural_key_field("country", Country, "code")
    leader = natural_key_field("leader", Leader, "slug")
    role = fields.Field(attribute="role", column_name="role", widget=NullableChoiceWidget())
    # Exported for reading; an import never sets it (only the status timeline does).
    status = fields.Field(attribute="status", column_name="status", readonly=True)

    class Meta(NaturalKeyResource.Meta):
        model = Attendance
        fields = ("summit", "country", "leader", "role", "status", "note")
        import_id_fields = ("summit", "country")

    def get_queryset(self):
        return super().get_queryset().select_related("summit", "country", "leader__country")


# A cell that starts with one of these is a formula to a spreadsheet (OWASP: CSV injection).
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _needs_quote(value: object) -> bool:
    return isinstance(value, str) and (
        value.startswith(_FORMULA_START)
        or (value.startswith("'") and value[1:].startswith((*_FORMULA_START, "'")))
    )


def spreadsheet_safe(value: object) -> object:
    """A cell a spreadsheet shows as the text it is: one that would start a formula gets a
    leading apostrophe (which spreadsheets hide), as does one that already starts with an
    apostrophe before such a character, so that `spreadsheet_text` undoes it exactly."""
    return f"'{value}" if _needs_quote(value) else value


def spreadsheet_text(value: object) -> object:
    """The inverse of `spreadsheet_safe`, for a cell read back from a file."""
    if isinstance(value, str) and value.startswith("'") and _needs_quote(value[1:]):
        return value[1:]
    return value


def _map_cells(dataset: tablib.Dataset, function) -> tablib.Dataset:
    rows = [[function(cell) for cell in row] for row in dataset]
    return tablib.Dataset(*rows, headers=dataset.headers)


class CSV(base_formats.CSV):
    """CSV whose cells never start a formula in a spreadsheet, and read back as written."""

    def export_data(self, dataset, **kwargs):
        return super().export_data(_map_cells(dataset, spreadsheet_safe), **kwargs)

    def create_dataset(self, in_stream, **kwargs):
        return _map_cells(super().create_dataset(in_stream, **kwargs), spreadsheet_text)
