"""Who attends: countries, leaders, organizations."""

from django.contrib import admin

from summits.admin.base import AutocompleteLabelsMixin, HistoryAdmin
from summits.admin.inlines import LeaderNameInline, OrganizationNameInline
from summits.models import Country, Leader, Organization


@admin.register(Country)
class CountryAdmin(HistoryAdmin):
    list_display = ("code", "name")
    search_fields = ("code", "name")
    ordering = ("code",)

    def get_search_results(self, request, queryset, search_term):
        # Also a country's name in another language (pycountry's): 日本 finds Japan.
        results, may_have_duplicates = super().get_search_results(request, queryset, search_term)
        if search_term.strip():
            named = queryset.filter(Country.names_matching(search_term.strip()))
            results = results | named
        return results, may_have_duplicates


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
    search_fields = ("name", "short_name", "slug", "other_names__name")
    ordering = ("slug",)
    prepopulated_fields = {"slug": ("name",)}
    inlines = (OrganizationNameInline,)
