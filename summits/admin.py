"""The editors' workspace: every model with its edit history, dates at their precision.

`Attendance.status` is a copy of the latest status change and is never edited here: status
changes are added through `attendance_record_status`, and any other edit to a timeline refreshes
the copy through `attendance_refresh_status`.
"""

import re

from django.contrib import admin
from django.db import models, transaction
from django.db.models import Count, OuterRef, Prefetch, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe
from django.utils.text import Truncator
from simple_history.admin import SimpleHistoryAdmin

from summits.models import (
    CITATION_TARGETS,
    Attendance,
    Citation,
    Country,
    Leader,
    Organization,
    Source,
    StatusChange,
    Summit,
)
from summits.services import attendance_record_status, attendance_refresh_status

QUOTE_EXCERPT_CHARS = 80

# The choices behind autocomplete widgets, with what their `__str__` reads joined in.
_CHOICES_WITH_RELATED = {
    Leader: ("country",),
    Attendance: ("summit", "country", "leader"),
}


class RelatedChoicesMixin:
    """Builds foreign key choices with the joins their labels need, one query per widget."""

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        related = _CHOICES_WITH_RELATED.get(db_field.related_model)
        if related and "queryset" not in kwargs:
            kwargs["queryset"] = db_field.related_model._default_manager.select_related(*related)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


class YearListFilter(admin.SimpleListFilter):
    """Filters by the calendar year of a date, which every precision knows."""

    title = "year"
    parameter_name = "year"
    date_field = ""

    def lookups(self, request, model_admin):
        years = model_admin.model._default_manager.dates(self.date_field, "year", order="DESC")
        return [(str(day.year), str(day.year)) for day in years]

    def queryset(self, request, queryset):
        if self.value() is None:
            return queryset
        if not re.fullmatch(r"[0-9]{1,4}", self.value()):
            return queryset.none()
        return queryset.filter(**{f"{self.date_field}__year": int(self.value())})


class SummitYearFilter(YearListFilter):
    date_field = "start_date"


class AttendanceYearFilter(YearListFilter):
    date_field = "summit__start_date"


class CitationTargetFilter(admin.SimpleListFilter):
    title = "target"
    parameter_name = "target"

    def lookups(self, request, model_admin):
        return [(target, target.replace("_", " ").capitalize()) for target in CITATION_TARGETS]

    def queryset(self, request, queryset):
        if self.value() not in CITATION_TARGETS:
            return queryset
        return queryset.filter(**{f"{self.value()}__isnull": False})


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


class CitationInline(ReadOnlyInline):
    model = Citation
    fields = readonly_fields = ("source", "field", "quote", "start", "end", "basis")
    ordering = ("source__key", "start", "id")

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("source")


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
            "“{}” ({}, {})",
            (
                (citation.quote, citation.source, citation.get_basis_display())
                for citation in change.citations.all()
            ),
        )


class AttendanceInline(RelatedChoicesMixin, admin.TabularInline):
    model = Attendance
    fields = ("country", "leader", "role", "status")
    readonly_fields = ("status",)
    autocomplete_fields = ("country", "leader")
    ordering = ("country__code",)
    extra = 1
    show_change_link = True

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("summit", "country", "leader")


@admin.register(Country)
class CountryAdmin(SimpleHistoryAdmin):
    list_display = ("code", "name")
    search_fields = ("code", "name")
    ordering = ("code",)


@admin.register(Leader)
class LeaderAdmin(SimpleHistoryAdmin):
    list_display = ("name", "office", "country", "term_start", "term_end", "slug")
    list_filter = ("office", ("country", admin.RelatedOnlyFieldListFilter))
    list_select_related = ("country",)
    search_fields = ("name", "slug", "office", "country__name", "=country__code")
    ordering = ("name", "slug")
    autocomplete_fields = ("country",)
    prepopulated_fields = {"slug": ("name",)}

    def get_queryset(self, request):
        # Autocomplete labels read the country code; the changelist ignores
        # list_select_related once the queryset has a select_related of its own.
        return super().get_queryset(request).select_related(*self.list_select_related)


@admin.register(Organization)
class OrganizationAdmin(SimpleHistoryAdmin):
    list_display = ("name", "short_name", "founded_on", "records_complete_from", "slug")
    search_fields = ("name", "short_name", "slug")
    ordering = ("slug",)
    prepopulated_fields = {"slug": ("name",)}


@admin.register(Summit)
class SummitAdmin(SimpleHistoryAdmin):
    list_display = (
        "name",
        "dates",
        "status",
        "kind",
        "organization",
        "host_country",
        "city",
        "attendee_count",
    )
    list_filter = (
        "status",
        "kind",
        SummitYearFilter,
        "organization",
        ("host_country", admin.RelatedOnlyFieldListFilter),
        "date_precision",
    )
    list_select_related = ("organization", "host_country")
    search_fields = ("name", "slug", "city", "host_country__name", "organization__name")
    ordering = ("-start_date", "slug")
    autocomplete_fields = ("organization", "host_country")
    prepopulated_fields = {"slug": ("name",)}
    fieldsets = (
        (None, {"fields": ("name", "slug", "organization", "kind", "status")}),
        ("Place", {"fields": ("host_country", "city")}),
        ("Dates", {"fields": ("start_date", "end_date", "date_precision")}),
    )
    inlines = (AttendanceInline, CitationInline)

    def get_queryset(self, request):
        # A subquery rather than a join and GROUP BY, so the changelist's counts skip it.
        attendances = (
            Attendance.objects.filter(summit=OuterRef("pk"))
            .order_by()
            .values("summit")
            .annotate(count=Count("pk"))
            .values("count")
        )
        return (
            super()
            .get_queryset(request)
            .annotate(attendee_count=Coalesce(Subquery(attendances), 0))
        )

    @admin.display(description="Dates", ordering="start_date")
    def dates(self, summit: Summit) -> str:
        return summit.dates

    @admin.display(description="Attendees", ordering="attendee_count")
    def attendee_count(self, summit: Summit) -> int:
        return summit.attendee_count


@admin.register(Attendance)
class AttendanceAdmin(RelatedChoicesMixin, SimpleHistoryAdmin):
    list_display = ("summit", "country", "leader", "role", "status")
    list_filter = (
        "status",
        "role",
        AttendanceYearFilter,
        "summit__organization",
        ("country", admin.RelatedOnlyFieldListFilter),
    )
    list_select_related = ("summit", "country", "leader__country")
    search_fields = (
        "summit__name",
        "summit__slug",
        "country__name",
        "=country__code",
        "leader__name",
        "note",
    )
    ordering = ("-summit__start_date", "summit__slug", "country__code")
    autocomplete_fields = ("summit", "country", "leader")
    fields = ("summit", "country", "leader", "role", "status", "record_status_change", "note")
    readonly_fields = ("status", "record_status_change")
    inlines = (StatusChangeInline, CitationInline)

    def get_queryset(self, request):
        # Autocomplete labels read the summit, country and leader; the changelist ignores
        # list_select_related once the queryset has a select_related of its own.
        return super().get_queryset(request).select_related(*self.list_select_related)

    @admin.display(description="New status")
    def record_status_change(self, attendance: Attendance) -> str:
        if attendance.pk is None:
            return "Save the attendance first, then record its status."
        url = reverse("admin:summits_statuschange_add")
        return format_html(
            '<a href="{}?attendance={}">Record a status change</a>', url, attendance.pk
        )


@admin.register(StatusChange)
class StatusChangeAdmin(RelatedChoicesMixin, SimpleHistoryAdmin):
    """Adding goes through `attendance_record_status`; other edits refresh the current status."""

    list_display = ("attendance", "status", "as_of_display", "note")
    list_filter = ("status", "as_of_precision", "attendance__summit__organization")
    list_select_related = ("attendance__summit", "attendance__country", "attendance__leader")
    search_fields = (
        "attendance__summit__name",
        "attendance__summit__slug",
        "attendance__country__name",
        "=attendance__country__code",
        "attendance__leader__name",
        "note",
    )
    ordering = ("-as_of", "-id")
    autocomplete_fields = ("attendance",)
    fields = ("attendance", "status", "as_of", "as_of_precision", "note")
    inlines = (CitationInline,)

    @admin.display(description="As of", ordering="as_of")
    def as_of_display(self, change: StatusChange) -> str:
        return change.as_of_display

    def save_model(self, request, obj, form, change):
        if not change:
            recorded = attendance_record_status(
                attendance=obj.attendance,
                status=obj.status,
                as_of=obj.as_of,
                as_of_precision=obj.as_of_precision,
                note=obj.note,
            )
            # The admin goes on with `obj`: logging, inlines and the redirect need its key.
            obj.pk = recorded.pk
            obj._state.adding = False
            obj._state.db = recorded._state.db
            return
        # Moving a change to another attendance changes both timelines.
        previous = StatusChange.objects.filter(pk=obj.pk).values_list("attendance_id", flat=True)
        touched = {obj.attendance_id, *previous}
        super().save_model(request, obj, form, change)
        attendance_refresh_status(attendances=Attendance.objects.filter(pk__in=touched))

    def delete_model(self, request, obj):
        with transaction.atomic():
            super().delete_model(request, obj)
            attendance_refresh_status(attendances=Attendance.objects.filter(pk=obj.attendance_id))

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[StatusChange]) -> None:
        with transaction.atomic():
            touched = set(queryset.values_list("attendance_id", flat=True))
            super().delete_queryset(request, queryset)
            attendance_refresh_status(attendances=Attendance.objects.filter(pk__in=touched))


@admin.register(Source)
class SourceAdmin(SimpleHistoryAdmin):
    list_display = ("title", "author", "publisher", "language", "seed_file", "url", "key")
    list_filter = ("language", "publisher")
    search_fields = ("title", "author", "publisher", "key")
    ordering = ("key",)
    prepopulated_fields = {"key": ("title",)}
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}


@admin.register(Citation)
class CitationAdmin(RelatedChoicesMixin, SimpleHistoryAdmin):
    list_display = ("source", "target", "field", "quote_excerpt", "basis")
    list_filter = ("basis", CitationTargetFilter, "source", "field")
    list_select_related = (
        "source",
        "summit",
        "attendance__summit",
        "attendance__country",
        "attendance__leader",
        "status_change__attendance__summit",
        "status_change__attendance__country",
        "status_change__attendance__leader",
    )
    search_fields = (
        "quote",
        "field",
        "source__title",
        "source__key",
        "summit__name",
        "attendance__summit__name",
        "attendance__country__name",
        "status_change__attendance__summit__name",
        "status_change__attendance__country__name",
    )
    ordering = ("source__key", "start", "id")
    autocomplete_fields = ("source", "summit", "attendance", "status_change")
    fieldsets = (
        (None, {"fields": ("source", "basis")}),
        (
            "What it cites (exactly one)",
            {"fields": ("summit", "attendance", "status_change", "field")},
        ),
        ("Quote", {"fields": ("quote", "start", "end")}),
    )

    @admin.display(description="Target")
    def target(self, citation: Citation) -> str:
        if citation.status_change_id is not None:
            return f"{citation.status_change.attendance}: {citation.status_change}"
        return str(citation.target)

    @admin.display(description="Quote", ordering="quote")
    def quote_excerpt(self, citation: Citation) -> str:
        return Truncator(citation.quote).chars(QUOTE_EXCERPT_CHARS)
