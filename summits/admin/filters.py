"""The list filters of the app's changelists."""

import re

from django.contrib import admin

from summits.models import CITATION_TARGETS


class YearListFilter(admin.SimpleListFilter):
    """Filters by the calendar year of a date, which every precision knows."""

    title = "year"
    parameter_name = "year"
    date_field = ""

    def lookups(self, request, model_admin):
        years = model_admin.model._default_manager.dates(self.date_field, "year", order="DESC")
        return [(str(day.year), str(day.year)) for day in years]

    def queryset(self, request, queryset):
        value = self.value()
        if value is None:
            return queryset
        if not re.fullmatch(r"[0-9]{1,4}", value):
            return queryset.none()
        return queryset.filter(**{f"{self.date_field}__year": int(value)})


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
