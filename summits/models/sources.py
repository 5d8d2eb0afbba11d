"""The evidence: sources, whose text is held verbatim, and citations that quote them."""

from django.core.exceptions import FieldDoesNotExist, ValidationError
from django.db import models
from django.db.models import Q, Value
from django.db.models.functions import Cast, Coalesce, Length
from simple_history.models import HistoricalRecords

from summits import validators
from summits.evidence import citation_verify, text_digest
from summits.models.attendances import Attendance, StatusChange
from summits.models.base import (
    SHA256_HEX,
    NaturalKey,
    NaturalKeyManager,
    NaturalKeyModel,
    choice_constraint,
    natural_key_method,
)
from summits.models.meetings import Summit


class Source(NaturalKeyModel):
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
    objects = NaturalKeyManager["Source"]()
    natural_key_fields = ("key",)

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


class CitationManager(NaturalKeyManager["Citation"]):
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

    def get_by_natural_key(self, *key: object) -> "Citation":
        """A citation's key: its source's key, its target's kind and key, its field and start."""
        source_key, target, *target_key, field, start = key
        if not isinstance(target, str) or target not in self.target_lookups:
            raise self.model.DoesNotExist(f"A citation cites no {target!r}.")
        lookups = dict(zip(self.target_lookups[target], target_key, strict=True))
        lookups.update(source__key=source_key, field=field, start=start)
        return self.get(**lookups)


class CitationBasis(models.TextChoices):
    STATED = "stated", "Stated"
    IMPLIED = "implied", "Implied"
    EXTERNAL = "external", "External"


CITATION_TARGETS = ("summit", "attendance", "status_change")


class Citation(NaturalKeyModel):
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
            choice_constraint(
                "basis", CitationBasis, name="summits_citation_basis_valid", what="citation basis"
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
            cited = target._meta.get_field(self.field)
        except FieldDoesNotExist:
            cited = None
        if isinstance(cited, models.Field):
            field = str(cited.verbose_name)
        else:
            field = self.field.replace("_", " ")
        field = self.FIELD_LABELS.get(self.field, field)
        if isinstance(target, Summit):
            return f"{by} on the {field} of {target.name}"
        attendance = target if isinstance(target, Attendance) else target.attendance
        of = f"{attendance.country.name} at {attendance.summit.name}"
        if isinstance(target, StatusChange):
            of = f"“{target}” for {of}"
        return f"{by} on the {field} of {of}"

    def key_values(self) -> NaturalKey:
        """Its source's key, its target's kind and key, its field and its start."""
        target = self.target
        target_key = target.natural_key() if target is not None else ()
        return (self.source.key, self.target_kind, *target_key, self.field, self.start)

    natural_key = natural_key_method(
        dependencies=[
            "summits.source",
            "summits.summit",
            "summits.attendance",
            "summits.statuschange",
        ]
    )

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
