"""Who takes part: countries, leaders and the organizations that hold summits."""

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, Q
from simple_history.models import HistoricalRecords

from summits import validators
from summits.languages import countries_named
from summits.models.base import (
    ISO_COUNTRY_CODE,
    NaturalKeyManager,
    NaturalKeyModel,
    natural_key_method,
)


class Country(NaturalKeyModel):
    """A sovereign state, identified by its ISO 3166-1 alpha-2 code, or by its ISO 3166-3
    alpha-4 code when it no longer exists (DDDE, the German Democratic Republic)."""

    code = models.CharField(
        max_length=4,
        unique=True,
        help_text="ISO 3166-1 alpha-2, e.g. JP; ISO 3166-3 alpha-4 for a former country, e.g. SUHH.",
    )
    name = models.CharField(max_length=100, validators=[validators.single_line])

    history = HistoricalRecords()
    objects = NaturalKeyManager["Country"]()
    natural_key_fields = ("code",)

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

    @staticmethod
    def names_matching(term: str) -> Q:
        """Countries whose name in another language (pycountry's) contains `term`: a search
        for 日本 finds Japan."""
        return Q(code__in=sorted(countries_named(term)))


class Leader(NaturalKeyModel):
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
    objects = NaturalKeyManager["Leader"]()
    natural_key_fields = ("slug",)

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

    natural_key = natural_key_method(dependencies=["summits.country"])

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


class Organization(NaturalKeyModel):
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
    objects = NaturalKeyManager["Organization"]()
    natural_key_fields = ("slug",)

    class Meta:
        ordering = ["slug"]

    def __str__(self) -> str:
        return self.short_name or self.name
