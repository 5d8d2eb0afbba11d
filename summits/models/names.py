"""Other names of leaders, organizations and summits: a spelling a record gave ("Kishida
Fumio"), or the name in another language (岸田文雄, tagged `ja`). Searches find a record by any of
them, imports match leaders by them, and the API answers names in the language a client asks
for (summits.api.languages). Countries' names in other languages come from pycountry
(summits.languages), not from these tables.

One table per kind of record, so that each name has a real foreign key and the database keeps
its rules: a tag in canonical BCP 47 form, one name per record and language tag, no name twice.
"""

from typing import ClassVar

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from simple_history.models import HistoricalRecords

from summits import validators
from summits.languages import CANONICAL_TAG, canonical_tag
from summits.models.actors import Leader, Organization
from summits.models.base import NaturalKeyManager, NaturalKeyModel, natural_key_method
from summits.models.meetings import Summit


class OtherName(NaturalKeyModel):
    """Another name of the record `named` points to; its natural key is the record's slug, the
    name and the language tag."""

    named: ClassVar[str]  # the foreign key to the record

    name = models.CharField(max_length=200, validators=[validators.single_line])
    language = models.CharField(
        max_length=35,
        blank=True,
        help_text="BCP 47, e.g. ja or zh-Hant; blank for a spelling in the records' own "
        "language (English).",
        validators=[validators.single_line],
    )

    class Meta:
        abstract = True

    def __str__(self) -> str:
        return f"{self.name} [{self.language}]" if self.language else self.name

    def clean(self) -> None:
        if self.language:
            tag = canonical_tag(self.language)
            if tag is None:
                raise ValidationError(
                    {"language": ValidationError(LANGUAGE_TAG_MESSAGE, code="invalid_language")}
                )
            self.language = tag


LANGUAGE_TAG_MESSAGE = (
    "A BCP 47 language tag: an ISO 639 language, then optionally a script, a region and "
    "variants (ja, zh-Hant, pt-BR, sr-Latn)."
)


def other_name_constraints(named: str, table: str) -> list[models.BaseConstraint]:
    """An other-name table's rules: a canonical tag, one name per language tag, no name twice."""
    return [
        models.CheckConstraint(
            condition=Q(language="") | Q(language__regex=CANONICAL_TAG),
            name=f"{table}_language_tag",
            violation_error_code="invalid_language",
            violation_error_message=LANGUAGE_TAG_MESSAGE,
        ),
        models.UniqueConstraint(
            fields=[named, "language"],
            condition=~Q(language=""),
            name=f"{table}_one_per_language",
            violation_error_message="There is a name in this language already; change it.",
        ),
        models.UniqueConstraint(
            fields=[named, "name", "language"],
            name=f"{table}_once",
            violation_error_message="This name is there already.",
        ),
    ]


def _constraint_fields(table: str) -> dict[str, str]:
    return {
        f"{table}_language_tag": "language",
        f"{table}_one_per_language": "language",
        f"{table}_once": "name",
    }


class LeaderName(OtherName):
    leader = models.ForeignKey(Leader, on_delete=models.CASCADE, related_name="other_names")
    named = "leader"

    history = HistoricalRecords()
    objects = NaturalKeyManager["LeaderName"]()
    natural_key_fields = ("leader__slug", "name", "language")
    natural_key = natural_key_method(dependencies=["summits.leader"])
    constraint_fields = _constraint_fields("summits_leadername")

    class Meta:
        ordering = ["leader", "language", "name", "id"]
        constraints = other_name_constraints("leader", "summits_leadername")


class OrganizationName(OtherName):
    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="other_names"
    )
    named = "organization"

    history = HistoricalRecords()
    objects = NaturalKeyManager["OrganizationName"]()
    natural_key_fields = ("organization__slug", "name", "language")
    natural_key = natural_key_method(dependencies=["summits.organization"])
    constraint_fields = _constraint_fields("summits_organizationname")

    class Meta:
        ordering = ["organization", "language", "name", "id"]
        constraints = other_name_constraints("organization", "summits_organizationname")


class SummitName(OtherName):
    summit = models.ForeignKey(Summit, on_delete=models.CASCADE, related_name="other_names")
    named = "summit"

    history = HistoricalRecords()
    objects = NaturalKeyManager["SummitName"]()
    natural_key_fields = ("summit__slug", "name", "language")
    natural_key = natural_key_method(dependencies=["summits.summit"])
    constraint_fields = _constraint_fields("summits_summitname")

    class Meta:
        ordering = ["summit", "language", "name", "id"]
        constraints = other_name_constraints("summit", "summits_summitname")
