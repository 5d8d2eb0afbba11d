"""What every admin of the app shares: history pages, bounded searches, autocompletes without
a query per row, natural-key import and export, and pages of the admin's own around one form."""

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, cast

from django import forms
from django.contrib import messages
from django.contrib.admin import ModelAdmin, helpers
from django.contrib.admin.options import BaseModelAdmin
from django.contrib.admin.utils import unquote
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest
from django.template.response import TemplateResponse
from django.utils.text import smart_split, unescape_string_literal
from import_export.admin import ImportExportModelAdmin
from import_export.formats import base_formats
from simple_history.admin import SimpleHistoryAdmin

from summits.admin.widgets import KnownLabelsForm, LabelledAutocompleteSelect
from summits.models import Attendance, Leader
from summits.resources import CSV
from summits.search import search_terms_problem

# The choices behind autocomplete widgets, with what their `__str__` reads joined in.
_CHOICES_WITH_RELATED = {
    Leader: ("country",),
    Attendance: ("summit", "country", "leader"),
}


if TYPE_CHECKING:
    _Admin = BaseModelAdmin[Any]
else:  # a mixin: the admin or inline it extends comes after it
    _Admin = object


class AutocompleteLabelsMixin(_Admin):
    """Autocomplete widgets whose labels cost no query per row, and choices with their joins."""

    form: "type[forms.ModelForm[Any]]" = KnownLabelsForm  # ModelForm is generic in the stubs only

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


def form_page(
    model_admin: ModelAdmin,
    request: HttpRequest,
    template: str,
    *,
    title: str,
    form: forms.Form,
    fieldsets: Sequence[tuple[str | None, dict[str, Any]]],
    **context: Any,
) -> TemplateResponse:
    """A page of the admin's own under a model's list: one form laid out as a change form is
    (`fieldsets`), with the admin's context and whatever else the template reads."""
    context = {
        **model_admin.admin_site.each_context(request),
        "title": title,
        "opts": model_admin.opts,
        "form": form,
        # AdminForm lays out any form (Django's own password page hands it a plain Form); the
        # stubs ask for a ModelForm.
        "adminform": helpers.AdminForm(cast(forms.ModelForm, form), list(fieldsets), {}),
        **context,
    }
    request.current_app = model_admin.admin_site.name
    return TemplateResponse(request, template, context)
