"""Import and export of summits and attendances (CSV, JSON) keyed on natural keys, not ids.

A summit is its slug and an attendance its (summit slug, country code), so importing a file
again updates the same rows instead of adding copies; related rows are written as their slug or
code. Every row is validated like an admin form (`full_clean`), so a row that breaks a
constraint is reported and the file is not imported. `Attendance.status` is exported but never
imported: it stays the copy of the latest status change.
"""

from django.db import models
from import_export import fields, resources, widgets

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
