"""The editors' workspace: every model with its edit history, dates at their precision.

`Attendance.status` is a copy of the latest status change and is never edited here: status
changes are added through `attendance_record_status` (the "Record a status change" page and
action, with their evidence), and any other edit to a timeline refreshes the copy through
`attendance_refresh_status`. Summits and attendances are imported and exported on natural keys
(see `summits.resources`); files of the State Department's visits and travels are imported from
the Sources list (`summits.historyatstate`), a dry run first.
"""

import re

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.contrib.admin.utils import unquote
from django.contrib.admin.widgets import AutocompleteSelect
from django.core.exceptions import NON_FIELD_ERRORS, PermissionDenied, ValidationError
from django.db import IntegrityError, models, transaction
from django.db.models import Prefetch, QuerySet
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.defaultfilters import filesizeformat
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe
from django.utils.text import Truncator, smart_split, unescape_string_literal
from import_export.admin import ImportExportModelAdmin
from import_export.formats import base_formats
from simple_history.admin import SimpleHistoryAdmin

from summits.dates import parse_partial_date
from summits.historyatstate.importer import ImportReport, historyatstate_import
from summits.historyatstate.records import RecordsRefused
from summits.models import (
    CITATION_TARGETS,
    Attendance,
    AttendanceStatus,
    Citation,
    CitationBasis,
    Country,
    Leader,
    LeaderName,
    Organization,
    Source,
    StatusChange,
    Summit,
)
from summits.resources import CSV, AttendanceResource, SummitResource
from summits.search import search_terms_problem
from summits.services import attendance_record_status, attendance_refresh_status

QUOTE_EXCERPT_CHARS = 80
TIMELINE_HISTORY_ROWS = 100

# The choices behind autocomplete widgets, with what their `__str__` reads joined in.
_CHOICES_WITH_RELATED = {
    Leader: ("country",),
    Attendance: ("summit", "country", "leader"),
}


class LabelledAutocompleteSelect(AutocompleteSelect):
    """An autocomplete that labels its selected value from what the form already loaded.

    Django's widget runs a query per rendering to label the selected choice, which is a query
    per row in an inline; `known_labels` (set by `KnownLabelsForm`) spares it.
    """

    known_labels: dict[str, str] = {}

    def optgroups(self, name, value, attr=None):
        selected = {str(v) for v in value if str(v) not in self.choices.field.empty_values}
        if not selected or not selected <= self.known_labels.keys():
            return super().optgroups(name, value, attr)
        options = []
        if not self.is_required and not self.allow_multiple_selected:
            options.append(self.create_option(name, "", "", False, 0))
        for key in sorted(selected):
            options.append(
                self.create_option(name, key, self.known_labels[key], True, len(options))
            )
        return [(None, options, 0)]


class KnownLabelsForm(forms.ModelForm):
    """Hands each autocomplete the label of the related row its instance has already loaded."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name, field in self.fields.items():
            widget = getattr(field.widget, "widget", field.widget)
            if not isinstance(widget, LabelledAutocompleteSelect):
                continue
            model_field = self.instance._meta.get_field(name)
            if not model_field.is_cached(self.instance):
                continue
            related = getattr(self.instance, name)
            if related is not None:
                widget.known_labels = {str(related.pk): field.label_from_instance(related)}


class AutocompleteLabelsMixin:
    """Autocomplete widgets whose labels cost no query per row, and choices with their joins."""

    form = KnownLabelsForm

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if "widget" not in kwargs and db_field.name in self.get_autocomplete_fields(request):
            kwargs["widget"] = LabelledAutocompleteSelect(
                db_field, self.admin_site, using=kwargs.get("using")
            )
        related = _CHOICES_WITH_RELATED.get(db_field.related_model)
        if related and "queryset" not in kwargs:
            kwargs["queryset"] = db_field.related_model._default_manager.select_related(*related)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


class HistoryAdmin(SimpleHistoryAdmin):
    """simple-history's admin, whose history pages answer a malformed id with a 404, not a 500,
    and whose searches (lists and autocomplete) keep to the API's bounds (summits.search)."""

    def get_search_results(self, request, queryset, search_term):
        terms = [
            unescape_string_literal(bit) if bit[:1] in "\"'" else bit
            for bit in smart_split(search_term)
        ]
        problem = search_terms_problem(terms)
        if problem is not None:
            messages.error(request, f"{problem} Nothing was searched.")
            return queryset.none(), False
        return super().get_search_results(request, queryset, search_term)

    def history_view(self, request, object_id, extra_context=None):
        if not self._is_key(self.opts, object_id):
            return self._get_obj_does_not_exist_redirect(request, self.opts, object_id)
        return super().history_view(request, object_id, extra_context)

    def history_form_view(self, request, object_id, version_id, extra_context=None):
        history_opts = self.model.history.model._meta
        if not (self._is_key(self.opts, object_id) and self._is_key(history_opts, version_id)):
            raise Http404
        return super().history_form_view(request, object_id, version_id, extra_context)

    @staticmethod
    def _is_key(opts, value: str) -> bool:
        try:
            opts.pk.to_python(unquote(value))
        except ValidationError:
            return False
        return True


class NaturalKeyImportExportAdmin(ImportExportModelAdmin):
    """CSV and JSON import and export; importing needs the rights to add and change rows."""

    formats = (CSV, base_formats.JSON)

    def has_import_permission(self, request):
        return self.has_add_permission(request) and self.has_change_permission(request)

    def has_export_permission(self, request):
        return self.has_view_permission(request)

    def get_import_data_kwargs(self, **kwargs):
        # A row that fails validation rolls back the whole file, on every path to the import.
        kwargs = super().get_import_data_kwargs(**kwargs)
        kwargs["rollback_on_validation_errors"] = True
        return kwargs


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


class LeaderNameInline(admin.TabularInline):
    """The other names a leader is known by: spellings the records give, names in other
    languages."""

    model = LeaderName
    fields = ("name", "language")
    extra = 0


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


class RecordStatusForm(forms.Form):
    """A new step in one or more timelines, with its evidence: a verbatim quote from a source."""

    # No status is chosen for the editor: a slip of the mouse must not record "Proposed".
    status = forms.ChoiceField(choices=[("", "---------"), *AttendanceStatus.choices])
    as_of = forms.CharField(
        label="As of",
        max_length=10,
        help_text="As precisely as the source says: YYYY-MM-DD, YYYY-MM (2024-03 is "
        "“March 2024”) or YYYY.",
    )
    note = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), required=False)
    # Declared here for its place in the form; `__init__` gives it the admin's autocomplete.
    source = forms.ModelChoiceField(Source.objects.all(), required=False)
    quote = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
        strip=False,  # verbatim, spaces included
        help_text="Verbatim from the source.",
    )
    basis = forms.ChoiceField(choices=CitationBasis.choices, initial=CitationBasis.STATED)
    start = forms.IntegerField(
        label="Quote offset",
        min_value=0,
        required=False,
        help_text="Where the quote starts in the source's text, in characters from 0. "
        "Found for you unless the quote occurs more than once.",
    )

    def __init__(self, *args, admin_site: admin.AdminSite, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["source"] = forms.ModelChoiceField(
            Source.objects.all(),
            required=False,
            widget=AutocompleteSelect(Citation._meta.get_field("source"), admin_site),
            help_text="Leave empty to record the change without evidence.",
        )

    def clean_as_of(self):
        text = self.cleaned_data["as_of"].strip()
        try:
            return parse_partial_date(text)
        except ValueError:
            raise ValidationError(
                "“%(text)s” is not a date: use YYYY-MM-DD, YYYY-MM or YYYY.",
                code="invalid_date",
                params={"text": text},
            ) from None

    def clean(self):
        cleaned = super().clean()
        source, quote, start = cleaned.get("source"), cleaned.get("quote"), cleaned.get("start")
        if source is None:
            if quote:
                self.add_error("source", "Name the source of the quote.")
            if start is not None:
                self.add_error("start", "Only a quote from a source has an offset.")
        # The quote itself is checked against the source's text by the service, as on every
        # path that writes a citation (summits.evidence).
        return cleaned

    def citation(self) -> dict | None:
        """The evidence as `attendance_record_status` takes it."""
        data = self.cleaned_data
        if data.get("source") is None:
            return None
        start = data.get("start")
        offsets = {"start": start, "end": start + len(data["quote"])} if start is not None else {}
        return {"source": data["source"], "quote": data["quote"], "basis": data["basis"], **offsets}


def _line_breaks_as_lf(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\r", "\n")


class SourceForm(forms.ModelForm):
    """A source's text, pasted or uploaded as a .txt file in UTF-8."""

    url = forms.URLField(required=False, max_length=200, assume_scheme="https")
    text_file = forms.FileField(
        label="Or upload the text",
        required=False,
        help_text="A .txt file in UTF-8, kept character for character (pasting sends line "
        "breaks as the browser writes them; they are stored as \\n).",
    )

    class Meta:
        model = Source
        fields = ["key", "title", "author", "publisher", "language", "url", "note", "text"]
        field_classes = {"text": forms.CharField}
        widgets = {"text": forms.Textarea(attrs={"rows": 12})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "text" in self.fields:
            self.fields["text"].strip = False  # a leading space is part of the text

    def clean_text(self):
        text = self.cleaned_data.get("text", "")
        stored = self.instance.text if self.instance.pk else ""
        if stored and _line_breaks_as_lf(text) == _line_breaks_as_lf(stored):
            return stored  # sent back as the browser writes it: unchanged
        # Browsers send a textarea's line breaks as CRLF, whatever was pasted.
        return text.replace("\r\n", "\n")

    def clean(self):
        cleaned = super().clean()
        upload = cleaned.get("text_file")
        if upload is None:
            return cleaned
        if cleaned.get("text"):
            self.add_error("text_file", "Paste the text or upload it, not both.")
        elif not upload.name.lower().endswith(".txt"):
            self.add_error("text_file", "Upload a plain text file (.txt).")
        else:
            try:
                cleaned["text"] = upload.read().decode("utf-8")
            except UnicodeDecodeError:
                self.add_error("text_file", "The file is not UTF-8 text.")
        return cleaned


# An import of the State Department's records may write a row of every one of these kinds.
HISTORYATSTATE_IMPORT_PERMISSIONS = (
    "summits.add_source",
    "summits.add_summit",
    "summits.add_attendance",
    # An attended step refreshes the attendance's current status.
    "summits.change_attendance",
    "summits.add_statuschange",
    "summits.add_citation",
    "summits.add_leader",
    "summits.add_leadername",
    "summits.add_organization",
    "summits.add_country",
)


class HistoryAtStateImportForm(forms.Form):
    """A file of the Office of the Historian's visits or travels, and whether only to report
    what importing it would do (the default: a first look changes nothing)."""

    # The largest of the datasets' files is under 1 MB, which imports in a few seconds; the
    # import runs inside the request, so a larger file is for the command, which no proxy or
    # worker timeout cuts short. Refused on its size before anything reads it.
    max_bytes = 2 * 1024 * 1024

    file = forms.FileField(
        label="XML file",
        help_text="A file of the visits (data/2020.xml …) or travels "
        "(president-travels/biden-joseph-r.xml …) datasets, as the Office of the Historian "
        "publishes it.",
    )
    dry_run = forms.BooleanField(
        label="Dry run",
        required=False,
        initial=True,
        help_text="Do everything and report it, then roll it back: nothing is written. "
        "Clear it to import.",
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > self.max_bytes:
            raise ValidationError(
                "The file is %(size)s; the page takes at most %(limit)s (no file of the datasets "
                "is larger). Import a larger file with manage.py import_historyatstate.",
                code="too_large",
                params={
                    "size": filesizeformat(upload.size),
                    "limit": filesizeformat(self.max_bytes),
                },
            )
        return upload


class _RecordFailed(Exception):
    """`attendance_record_status` refused a change: (attendance, ValidationError)."""


# Where each error of `attendance_record_status` belongs on the form (None: above the form).
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


@admin.register(Country)
class CountryAdmin(HistoryAdmin):
    list_display = ("code", "name")
    search_fields = ("code", "name")
    ordering = ("code",)


@admin.register(Leader)
class LeaderAdmin(AutocompleteLabelsMixin, HistoryAdmin):
    list_display = ("name", "office", "country", "term_start", "term_end", "slug")
    list_filter = ("office", ("country", admin.RelatedOnlyFieldListFilter))
    list_select_related = ("country",)
    search_fields = (
        "name",
        "slug",
        "other_names__name",
        "office",
        "country__name",
        "=country__code",
    )
    ordering = ("name", "slug")
    autocomplete_fields = ("country",)
    prepopulated_fields = {"slug": ("name",)}
    inlines = (LeaderNameInline,)

    def get_queryset(self, request):
        # Autocomplete labels read the country code; the changelist ignores
        # list_select_related once the queryset has a select_related of its own.
        return super().get_queryset(request).select_related(*self.list_select_related)


@admin.register(Organization)
class OrganizationAdmin(HistoryAdmin):
    list_display = ("name", "short_name", "founded_on", "records_complete_from", "slug")
    search_fields = ("name", "short_name", "slug")
    ordering = ("slug",)
    prepopulated_fields = {"slug": ("name",)}


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
    inlines = (AttendanceInline, CitationInline)

    def get_queryset(self, request):
        return super().get_queryset(request).with_attendee_count()

    @admin.display(description="Dates", ordering="start_date")
    def dates(self, summit: Summit) -> str:
        # A form with errors shows the dates an editor typed, which may not make a span yet.
        if summit.start_date is None or (summit.end_date or summit.start_date) < summit.start_date:
            return "-"
        return summit.dates

    @admin.display(description="Place", ordering="host_country__name")
    def place(self, summit: Summit) -> str:
        country = summit.host_country.name if summit.host_country_id else ""
        return ", ".join(part for part in (summit.city, country) if part) or "-"

    @admin.display(description="Attendees", ordering="attendee_count")
    def attendee_count(self, summit: Summit) -> int:
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
        return attendance.leader.name if attendance.leader_id else "-"

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
            with transaction.atomic():
                changes = [
                    self._record_one(request, form, attendance, as_of, precision)
                    for attendance in attendances
                ]
        except IntegrityError:
            form.add_error(None, "Someone recorded this change meanwhile; reload and check.")
            return False
        except _RecordFailed as failure:
            attendance, error = failure.args
            prefix = f"{attendance}: " if len(attendances) > 1 else ""
            for key, messages_ in error.message_dict.items():
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

    def _record_one(self, request, form, attendance, as_of, precision) -> StatusChange:
        try:
            return attendance_record_status(
                attendance=attendance,
                status=form.cleaned_data["status"],
                as_of=as_of,
                as_of_precision=precision,
                note=form.cleaned_data["note"],
                citation=form.citation(),
            )
        except ValidationError as error:
            if not hasattr(error, "error_dict"):
                error = ValidationError({NON_FIELD_ERRORS: error.messages})
            raise _RecordFailed(attendance, error) from error

    def _record_status_page(self, request, form, attendances, *, from_action: bool):
        timelines = (
            Attendance.objects.filter(pk__in=[attendance.pk for attendance in attendances])
            .select_related("summit", "country", "leader")
            .prefetch_related(Prefetch("status_changes", StatusChange.objects.order_by("as_of")))
        )
        context = {
            **self.admin_site.each_context(request),
            "title": "Record a status change",
            "opts": self.opts,
            "form": form,
            "adminform": helpers.AdminForm(form, self.record_status_fieldsets, {}),
            "attendances": timelines,
            "from_action": from_action,
            "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
            "media": self.media + form.media,
        }
        request.current_app = self.admin_site.name
        return TemplateResponse(request, self.record_status_template, context)

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
    """Adding goes through `attendance_record_status`; other edits refresh the current status."""

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
class SourceAdmin(HistoryAdmin):
    form = SourceForm
    list_display = ("title", "author", "publisher", "language", "length", "url", "key")
    list_filter = ("language", "publisher")
    search_fields = ("title", "author", "publisher", "key")
    ordering = ("key",)
    prepopulated_fields = {"key": ("title",)}
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}
    fieldsets = (
        (None, {"fields": ("key", "title", "author", "publisher", "language", "url", "note")}),
        ("Text", {"fields": ("text", "text_file", "sha256", "length", "seed_file")}),
    )
    change_list_template = "admin/summits/source/change_list.html"
    historyatstate_import_template = "admin/summits/source/import_historyatstate.html"

    def get_queryset(self, request):
        # The list shows each source's length, never its text.
        return super().get_queryset(request).defer("text")

    def get_urls(self):
        import_records = path(
            "import-historyatstate/",
            self.admin_site.admin_view(self.historyatstate_import_view),
            name="summits_source_historyatstate_import",
        )
        return [import_records, *super().get_urls()]

    def changelist_view(self, request, extra_context=None):
        may_import = self.has_historyatstate_import_permission(request)
        extra_context = {**(extra_context or {}), "may_import_historyatstate": may_import}
        return super().changelist_view(request, extra_context)

    def has_historyatstate_import_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perms(HISTORYATSTATE_IMPORT_PERMISSIONS)

    def historyatstate_import_view(self, request: HttpRequest) -> HttpResponse:
        """Import a file of the State Department's visits or travels, or (a dry run) show what
        importing it would do; either way the page shows the import's report."""
        if not self.has_historyatstate_import_permission(request):
            raise PermissionDenied
        report, file_name = None, ""
        if request.method == "POST":
            form = HistoryAtStateImportForm(request.POST, request.FILES)
            report = self._historyatstate_import(request, form)
            if report is not None:
                file_name = form.cleaned_data["file"].name
                if not report.dry_run:
                    form = HistoryAtStateImportForm()  # the next file starts with a dry run
        else:
            form = HistoryAtStateImportForm()
        context = {
            **self.admin_site.each_context(request),
            "title": "Import State Department records",
            "opts": self.opts,
            "form": form,
            "adminform": helpers.AdminForm(form, [(None, {"fields": ["file", "dry_run"]})], {}),
            "report": report,
            "report_text": "\n".join(report.lines()) if report is not None else "",
            "file_name": file_name,
        }
        request.current_app = self.admin_site.name
        return TemplateResponse(request, self.historyatstate_import_template, context)

    def _historyatstate_import(
        self, request: HttpRequest, form: HistoryAtStateImportForm
    ) -> ImportReport | None:
        """The form's file imported (or dry-run), all or nothing; None if it was refused."""
        if not form.is_valid():
            return None
        upload, dry_run = form.cleaned_data["file"], form.cleaned_data["dry_run"]
        refused = "Refused, nothing was imported"
        try:
            report = historyatstate_import(upload, dry_run=dry_run)
        except RecordsRefused as error:
            form.add_error("file", f"{refused}: {error}")
            return None
        except ValidationError as error:
            # A record whose values no row can hold (a name past its field's length).
            form.add_error("file", f"{refused}: {'; '.join(error.messages)}")
            return None
        except IntegrityError:
            form.add_error(
                None, f"{refused}: someone imported some of these records meanwhile; try again."
            )
            return None
        if not dry_run:
            records = f"{report.records:,} record{'' if report.records == 1 else 's'}"
            self.message_user(
                request,
                f"Imported {upload.name}: {records} read; nothing was overwritten.",
                messages.SUCCESS,
            )
        return report

    def get_readonly_fields(self, request, obj=None):
        readonly = ["sha256", "length", "seed_file"]
        if obj is not None and obj.citations.exists():
            readonly.append("text")  # citations quote it: a corrected text is a new source
        return readonly

    def get_fieldsets(self, request, obj=None):
        fieldsets = super().get_fieldsets(request, obj)
        if "text" in self.get_readonly_fields(request, obj):
            # Nothing to upload where the text can no longer change.
            return [
                (name, {**options, "fields": [f for f in options["fields"] if f != "text_file"]})
                for name, options in fieldsets
            ]
        return fieldsets


@admin.register(Citation)
class CitationAdmin(AutocompleteLabelsMixin, HistoryAdmin):
    list_display = ("title", "quote_excerpt", "basis")
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

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        if db_field.name == "quote":
            kwargs["strip"] = False  # verbatim, spaces included
        return super().formfield_for_dbfield(db_field, request, **kwargs)

    @admin.display(description="Citation", ordering="source__key")
    def title(self, citation: Citation) -> str:
        return str(citation)

    @admin.display(description="Quote", ordering="quote")
    def quote_excerpt(self, citation: Citation) -> str:
        return Truncator(quote_display(citation)).chars(QUOTE_EXCERPT_CHARS)
