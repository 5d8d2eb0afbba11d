"""What every model of the tracker shares: constraint errors reported on their field, and
natural keys declared once."""

import datetime as dt
from collections.abc import Callable
from typing import ClassVar, TypeVar

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import models, router
from django.db.models import Q

from summits.dates import DatePrecision

# ISO 3166-1 alpha-2 for a current country, ISO 3166-3 alpha-4 for one that no longer exists.
ISO_COUNTRY_CODE = r"^[A-Z]{2}([A-Z]{2})?$"
SHA256_HEX = r"^[0-9a-f]{64}$"

NaturalKey = tuple[object, ...]
_Model = TypeVar("_Model", bound="NaturalKeyModel")


def first_of_period(date_field: str, precision_field: str) -> Q:
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


def choice_constraint(
    field: str, choices: type[models.Choices], *, name: str, what: str, null: bool = False
) -> models.CheckConstraint:
    """A check that `field` holds one of `choices` (or null, where `null`): a value the model's
    choices do not list is refused by the database too, as "Unknown <what>."."""
    condition = Q(**{f"{field}__in": choices.values})
    if null:
        condition = Q(**{f"{field}__isnull": True}) | condition
    return models.CheckConstraint(
        condition=condition,
        name=name,
        violation_error_code="invalid_choice",
        violation_error_message=f"Unknown {what}.",
    )


def natural_key_method(*, dependencies: list[str]) -> Callable[["NaturalKeyModel"], NaturalKey]:
    """A model's `natural_key()` that names the models whose keys appear in its own, so that
    `dumpdata --natural-foreign` writes those first."""

    def natural_key(self: "NaturalKeyModel") -> NaturalKey:
        return self.key_values()

    natural_key.__dict__["dependencies"] = dependencies  # where Django's serializers look
    return natural_key


class NaturalKeyManager(models.Manager[_Model]):
    """Finds a record by its natural key: the values of its model's `natural_key_fields`."""

    def get_by_natural_key(self, *key: object) -> _Model:
        return self.get(**dict(zip(self.model.natural_key_fields, key, strict=True)))


class ConstraintFieldsModel(models.Model):
    """A model whose constraint violations are reported on the field they concern.

    Django reports a violated check constraint as a non-field error; `constraint_fields` maps a
    constraint's name to the field an editor or API client must change to satisfy it.
    """

    constraint_fields: ClassVar[dict[str, str]] = {}

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


def _value_at(record: models.Model, path: str) -> object:
    """The value at a `__` path from a record, a date as ISO 8601 (as fixtures write it)."""
    value: object = record
    for name in path.split("__"):
        value = getattr(value, name)
    return value.isoformat() if isinstance(value, dt.date) else value


class NaturalKeyModel(ConstraintFieldsModel):
    """A model whose records fixtures and imports name by a natural key, not by id."""

    # The fields (`__` paths through foreign keys) whose values make the key, in order.
    natural_key_fields: ClassVar[tuple[str, ...]]

    class Meta:
        abstract = True

    def key_values(self) -> NaturalKey:
        """The values of `natural_key_fields`, a date as ISO 8601 (as fixtures write it)."""
        return tuple(_value_at(self, path) for path in self.natural_key_fields)

    def natural_key(self) -> NaturalKey:
        return self.key_values()
