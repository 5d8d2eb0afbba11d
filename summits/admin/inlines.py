"""Related rows shown on a parent's page: timelines, citations, attendees, other names."""

from django.contrib import admin
from django.db.models import Prefetch
from django.forms.models import BaseInlineFormSet
from django.utils.html import format_html_join
from django.utils.safestring import mark_safe

from summits.admin.base import AutocompleteLabelsMixin
from summits.languages import canonical_tag
from summits.models import (
    Attendance,
    Citation,
    LeaderName,
    OrganizationName,
    StatusChange,
    SummitName,
)


class ReadOnlyInline(admin.TabularInline):
    """A list of related rows shown on the parent's page, edited on their own pages."""

    extra = 0
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


def quote_display(citation: Citation) -> str:
    """The quote in quotation marks, or what stands for a citation that quotes nothing."""
    if not citation.quote:
        return f"({citation.get_basis_display().lower()}: no quote)"
    return f"“{citation.quote}”"


class CitationInline(ReadOnlyInline):
    model = Citation
    fields = readonly_fields = ("source", "field", "quote_display", "start", "end", "basis")
    ordering = ("source__key", "start", "id")

    def get_queryset(self, request):
        # Each row's title names the cited record, whichever kind it is.
        return (
            super()
            .get_queryset(request)
            .select_related(
                "source",
                "summit",
                "attendance__summit",
                "attendance__country",
                "status_change__attendance__summit",
                "status_change__attendance__country",
            )
        )

    @admin.display(description="Quote")
    def quote_display(self, citation: Citation) -> str:
        return quote_display(citation)


class StatusChangeInline(ReadOnlyInline):
    """The attendance's timeline, oldest first; the last row is its current status."""

    model = StatusChange
    verbose_name = "status change"
    verbose_name_plural = "status timeline"
    fields = readonly_fields = ("status", "as_of_display", "note", "evidence")
    ordering = ("as_of", "id")

    def get_queryset(self, request):
        citations = Citation.objects.select_related("source").order_by("source__key", "start", "id")
        return super().get_queryset(request).prefetch_related(Prefetch("citations", citations))

    @admin.display(description="As of")
    def as_of_display(self, change: StatusChange) -> str:
        return change.as_of_display

    @admin.display(description="Evidence")
    def evidence(self, change: StatusChange) -> str:
        return format_html_join(
            mark_safe("<br>"),
            "{}",
            (
                (
                    f"“{citation.quote}” ({citation.source}, {citation.get_basis_display()})"
                    if citation.quote
                    else f"{citation.source} {quote_display(citation)}",
                )
                for citation in change.citations.all()
            ),
        )


class OtherNamesFormSet(BaseInlineFormSet):
    """A record's other names as one form: two rows with one language tag (`ja` and `JA` are
    one), or one name twice, are errors on the rows, as the database would refuse them."""

    def clean(self) -> None:
        super().clean()
        languages: set[str] = set()
        names: set[tuple[str, str]] = set()
        for form in self._rows_kept():
            name = form.cleaned_data.get("name")
            given = form.cleaned_data.get("language") or ""
            language = canonical_tag(given) or given
            if not name:
                continue
            if language and language in languages:
                form.add_error("language", "Another row has a name in this language.")
            elif (name, language) in names:
                form.add_error("name", "Another row has this name.")
            if language:
                languages.add(language)
            names.add((name, language))

    def _rows_kept(self):
        """The rows that will be saved: shown with a value, and not marked for deletion."""
        for form in self.forms:
            data = getattr(form, "cleaned_data", None)
            if data and not data.get("DELETE"):
                yield form


class OtherNameInline(admin.TabularInline):
    """A record's other names: its name in other languages (by BCP 47 tag, one per tag) and
    spellings the records give (no tag). The API answers names in the language a client asks
    for, and searches find the record by any of them."""

    formset = OtherNamesFormSet
    fields = ("language", "name")
    extra = 1
    verbose_name = "other name"
    verbose_name_plural = "Names in other languages, and other spellings"


class LeaderNameInline(OtherNameInline):
    model = LeaderName


class OrganizationNameInline(OtherNameInline):
    model = OrganizationName


class SummitNameInline(OtherNameInline):
    model = SummitName


class AttendanceInline(AutocompleteLabelsMixin, admin.TabularInline):
    model = Attendance
    fields = ("country", "leader", "role", "status")
    readonly_fields = ("status",)
    autocomplete_fields = ("country", "leader")
    ordering = ("country__code",)
    extra = 1
    show_change_link = True

    def get_queryset(self, request):
        # The joins label each row's autocompletes and its title without a query per row.
        return super().get_queryset(request).select_related("summit", "country", "leader__country")
