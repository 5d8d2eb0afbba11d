"""The evidence: sources with their texts, the citations that quote them, and the import of
the State Department's records."""

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, models
from django.http import HttpRequest, HttpResponse
from django.urls import path
from django.utils.text import Truncator

from summits.admin.base import AutocompleteLabelsMixin, HistoryAdmin, form_page
from summits.admin.filters import CitationTargetFilter
from summits.admin.forms import HistoryAtStateImportForm, SourceForm
from summits.admin.inlines import quote_display
from summits.historyatstate.importer import ImportReport, historyatstate_import
from summits.historyatstate.records import RecordsRefused
from summits.models import Citation, Source

QUOTE_EXCERPT_CHARS = 80


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
        return form_page(
            self,
            request,
            self.historyatstate_import_template,
            title="Import State Department records",
            form=form,
            fieldsets=[(None, {"fields": ["file", "dry_run"]})],
            report=report,
            report_text="\n".join(report.lines()) if report is not None else "",
            file_name=file_name,
        )

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
