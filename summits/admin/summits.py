"""Summits, their attendances and the attendances' status timelines, with the "Record a
status change" page and action."""

from typing import Protocol, cast

from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError
from django.db.models import Prefetch, QuerySet
from django.forms import ModelForm
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html

from summits.admin.base import (
    AutocompleteLabelsMixin,
    HistoryAdmin,
    NaturalKeyImportExportAdmin,
    form_page,
)
from summits.admin.filters import AttendanceYearFilter, SummitYearFilter
from summits.admin.forms import RecordStatusForm
from summits.admin.inlines import (
    AttendanceInline,
    CitationInline,
    StatusChangeInline,
    SummitNameInline,
)
from summits.models import Attendance, StatusChange, Summit, SummitQuerySet
from summits.resources import AttendanceResource, SummitResource
from summits.services import (
    StatusRefused,
    attendances_record_status,
    status_change_delete,
    status_change_save,
    status_changes_delete,
)

TIMELINE_HISTORY_ROWS = 100


class _CountedSummit(Protocol):
    """A summit of `Summit.objects.with_attendee_count()`, as the summits' list reads them."""

    attendee_count: int


# Where each error of `attendances_record_status` belongs on the form (None: above the form).
_SERVICE_ERROR_FIELDS = {
    "status": "status",
    "as_of": "as_of",
    "as_of_precision": "as_of",
    "note": "note",
    "citation.source": "source",
    "citation.quote": "quote",
    "citation.start": "start",
    "citation.end": "quote",
    "citation.basis": "basis",
}


@admin.register(Summit)
class SummitAdmin(AutocompleteLabelsMixin, NaturalKeyImportExportAdmin, HistoryAdmin):
    resource_classes = (SummitResource,)
    # Narrow columns, so that the list and its filters fit a 1280 px screen.
    list_display = ("name", "dates", "place", "organization", "kind", "status", "attendee_count")
    list_filter = (
        "status",
        "kind",
        SummitYearFilter,
        "organization",
        ("host_country", admin.RelatedOnlyFieldListFilter),
        "date_precision",
    )
    list_select_related = ("organization", "host_country")
    search_fields = (
        "name",
        "slug",
        "other_names__name",
        "city",
        "host_country__name",
        "=host_country__code",
        "organization__name",
        "organization__short_name",
    )
    ordering = ("-start_date", "slug")
    autocomplete_fields = ("organization", "host_country")
    prepopulated_fields = {"slug": ("name",)}
    readonly_fields = ("dates",)
    fieldsets = (
        (None, {"fields": ("name", "slug", "organization", "kind", "status")}),
        ("Place", {"fields": ("host_country", "city")}),
        ("Dates", {"fields": ("start_date", "end_date", "date_precision", "dates")}),
    )
    inlines = (AttendanceInline, SummitNameInline, CitationInline)

    def get_queryset(self, request):
        # Summit's default manager makes a SummitQuerySet; the stubs know it only as a QuerySet.
        summits = cast(SummitQuerySet, super().get_queryset(request))
        return summits.with_attendee_count()

    @admin.display(description="Dates", ordering="start_date")
    def dates(self, summit: Summit) -> str:
        # A form with errors shows the dates an editor typed, which may not make a span yet.
        if summit.start_date is None or (summit.end_date or summit.start_date) < summit.start_date:
            return "-"
        return summit.dates

    @admin.display(description="Place", ordering="host_country__name")
    def place(self, summit: Summit) -> str:
        host = summit.host_country  # no query when there is none, joined by the list
        country = host.name if host is not None else ""
        return ", ".join(part for part in (summit.city, country) if part) or "-"

    @admin.display(description="Attendees", ordering="attendee_count")
    def attendee_count(self, summit: _CountedSummit) -> int:
        return summit.attendee_count


@admin.register(Attendance)
class AttendanceAdmin(AutocompleteLabelsMixin, NaturalKeyImportExportAdmin, HistoryAdmin):
    resource_classes = (AttendanceResource,)
    # Names alone, in columns that wrap (Django keeps a foreign key's column on one line), so
    # that the list and its filters fit a 1280 px screen.
    list_display = ("summit_title", "country_name", "leader_name", "role", "status")
    list_filter = (
        "status",
        "role",
        AttendanceYearFilter,
        "summit__organization",
        ("summit__host_country", admin.RelatedOnlyFieldListFilter),
        ("country", admin.RelatedOnlyFieldListFilter),
    )
    list_select_related = ("summit", "country", "leader__country")
    search_fields = (
        "summit__name",
        "summit__slug",
        "country__name",
        "=country__code",
        "leader__name",
        "leader__other_names__name",
        "leader__slug",
        "note",
    )
    ordering = ("-summit__start_date", "summit__slug", "country__code")
    autocomplete_fields = ("summit", "country", "leader")
    fields = ("summit", "country", "leader", "role", "status", "record_status_change", "note")
    readonly_fields = ("status", "record_status_change")
    inlines = (StatusChangeInline, CitationInline)
    actions = ("record_status_change_action",)
    object_history_template = "admin/summits/attendance/object_history.html"
    record_status_template = "admin/summits/attendance/record_status.html"
    record_status_fieldsets = (
        (None, {"fields": ("status", "as_of", "note")}),
        ("Evidence", {"fields": ("source", "quote", "basis", "start")}),
    )

    def get_queryset(self, request):
        # Autocomplete labels read the summit, country and leader; the changelist ignores
        # list_select_related once the queryset has a select_related of its own.
        return super().get_queryset(request).select_related(*self.list_select_related)

    def get_urls(self):
        record_status = path(
            "<path:object_id>/record-status/",
            self.admin_site.admin_view(self.record_status_view),
            name="summits_attendance_record_status",
        )
        return [record_status, *super().get_urls()]

    @admin.display(description="Summit", ordering="summit__start_date")
    def summit_title(self, attendance: Attendance) -> str:
        return str(attendance.summit)

    @admin.display(description="Country", ordering="country__name")
    def country_name(self, attendance: Attendance) -> str:
        return attendance.country.name

    @admin.display(description="Leader", ordering="leader__name")
    def leader_name(self, attendance: Attendance) -> str:
        leader = attendance.leader  # no query when there is none, joined by the list
        return leader.name if leader is not None else "-"

    @admin.display(description="New status")
    def record_status_change(self, attendance: Attendance) -> str:
        if attendance.pk is None:
            return "Save the attendance first, then record its status."
        url = reverse("admin:summits_attendance_record_status", args=[attendance.pk])
        return format_html('<a href="{}">Record a status change</a>', url)

    def has_record_status_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("summits.add_statuschange")

    def record_status_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        """Add a step to one attendance's timeline, with a citation."""
        attendance = self.get_object(request, unquote(object_id))
        if attendance is None:
            return self._get_obj_does_not_exist_redirect(request, self.opts, object_id)
        if not self.has_record_status_permission(request):
            raise PermissionDenied
        form = RecordStatusForm(request.POST or None, admin_site=self.admin_site)
        if request.method == "POST" and self._record_status(request, form, [attendance]):
            return HttpResponseRedirect(
                reverse("admin:summits_attendance_change", args=[attendance.pk])
            )
        return self._record_status_page(request, form, [attendance], from_action=False)

    @admin.action(
        description="Record a status change for the selected attendances",
        permissions=["record_status"],
    )
    def record_status_change_action(
        self, request: HttpRequest, queryset: QuerySet[Attendance]
    ) -> HttpResponse | None:
        attendances = list(queryset)
        if "apply" not in request.POST:
            form = RecordStatusForm(admin_site=self.admin_site)
        else:
            form = RecordStatusForm(request.POST, admin_site=self.admin_site)
            if self._record_status(request, form, attendances):
                return None
        return self._record_status_page(request, form, attendances, from_action=True)

    def _record_status(
        self, request: HttpRequest, form: RecordStatusForm, attendances: list[Attendance]
    ) -> bool:
        """Record the form's change on every attendance, or on none; False if it failed."""
        if not form.is_valid():
            return False
        if form.citation() and not request.user.has_perm("summits.add_citation"):
            form.add_error("source", "You may record a status, but not add a citation.")
            return False
        as_of, precision = form.cleaned_data["as_of"]
        try:
            changes = attendances_record_status(
                attendances=attendances,
                status=form.cleaned_data["status"],
                as_of=as_of,
                as_of_precision=precision,
                note=form.cleaned_data["note"],
                citation=form.citation(),
            )
        except IntegrityError:
            form.add_error(None, "Someone recorded this change meanwhile; reload and check.")
            return False
        except StatusRefused as refused:
            prefix = f"{refused.attendance}: " if len(attendances) > 1 else ""
            for key, messages_ in refused.message_dict.items():
                field = _SERVICE_ERROR_FIELDS.get(key)
                for message in messages_:
                    form.add_error(field, f"{prefix}{message}")
            return False
        for attendance, change in zip(attendances, changes, strict=True):
            self.log_addition(request, change, [{"added": {}}])
            self.log_change(request, attendance, f"Recorded the status {change}.")
        summary = (
            changes[0] if len(changes) == 1 else f"{changes[0]} for {len(changes)} attendances"
        )
        self.message_user(request, f"Recorded {summary}.", messages.SUCCESS)
        return True

    def _record_status_page(
        self,
        request: HttpRequest,
        form: RecordStatusForm,
        attendances: list[Attendance],
        *,
        from_action: bool,
    ) -> TemplateResponse:
        timelines = (
            Attendance.objects.filter(pk__in=[attendance.pk for attendance in attendances])
            .select_related("summit", "country", "leader")
            .prefetch_related(Prefetch("status_changes", StatusChange.objects.order_by("as_of")))
        )
        return form_page(
            self,
            request,
            self.record_status_template,
            title="Record a status change",
            form=form,
            fieldsets=self.record_status_fieldsets,
            attendances=timelines,
            from_action=from_action,
            action_checkbox_name=helpers.ACTION_CHECKBOX_NAME,
            media=self.media + form.media,
        )

    def history_view(self, request, object_id, extra_context=None):
        # The timeline's edits (added, moved, deleted steps) belong to the attendance's history.
        attendance_id = unquote(object_id) if self._is_key(self.opts, object_id) else None
        timeline = (
            StatusChange.history.filter(attendance_id=attendance_id)
            .select_related("history_user")
            .order_by("-history_date", "-history_id")[:TIMELINE_HISTORY_ROWS]
        )
        extra_context = {**(extra_context or {}), "timeline_history": timeline}
        return super().history_view(request, object_id, extra_context)


@admin.register(StatusChange)
class StatusChangeAdmin(AutocompleteLabelsMixin, HistoryAdmin):
    """Every write goes through the status services, which keep the current status."""

    list_display = ("attendance_title", "status", "as_of_display", "note")
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

    @admin.display(description="Attendance", ordering="attendance__summit__start_date")
    def attendance_title(self, change: StatusChange) -> str:
        # A method, not the foreign key: Django keeps a foreign key's column on one line.
        return str(change.attendance)

    @admin.display(description="As of", ordering="as_of")
    def as_of_display(self, change: StatusChange) -> str:
        return change.as_of_display

    def save_model(
        self, request: HttpRequest, obj: StatusChange, form: ModelForm, change: bool
    ) -> None:
        # The admin goes on with `obj`: logging, inlines and the redirect need its key.
        status_change_save(change=obj)

    def delete_model(self, request: HttpRequest, obj: StatusChange) -> None:
        status_change_delete(change=obj)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[StatusChange]) -> None:
        status_changes_delete(status_changes=queryset)
