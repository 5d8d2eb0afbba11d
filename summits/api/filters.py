"""django-filter FilterSets for the list endpoints."""

import copy
from collections.abc import Iterable

from django import forms
from django.core.exceptions import ImproperlyConfigured
from django.db.models import Exists, Model, OuterRef, QuerySet
from django.http import QueryDict
from django_filters import rest_framework as filters
from django_filters.constants import EMPTY_VALUES
from django_filters.utils import translate_validation
from drf_spectacular.utils import extend_schema_field
from rest_framework import filters as drf_filters
from rest_framework.exceptions import ValidationError

from summits.api.conditional import request_day
from summits.api.strictness import filter_parameters
from summits.models import (
    Attendance,
    AttendanceRole,
    AttendanceStatus,
    Citation,
    Country,
    Leader,
    Organization,
    Summit,
    SummitKind,
    SummitQuerySet,
    SummitStatus,
)
from summits.search import (
    MAX_TERM_LENGTH,
    MAX_TERMS,
    search_condition,
    search_terms_problem,
)


class _ChoicesField(forms.MultipleChoiceField):
    def clean(self, value):
        # `?status=` is a blank optional parameter, which the schema allows: it filters nothing.
        return super().clean([choice for choice in value or [] if choice != ""])


class MultipleChoiceFilter(filters.MultipleChoiceFilter):
    """Any of several values (`?status=held&status=announced`); a blank one filters nothing."""

    field_class = _ChoicesField


class SearchFilter(drf_filters.SearchFilter):
    """DRF's `?search=`, bounded (summits.search: a longer search is a 400 that says the limit),
    matching a related row's name in that row's own table."""

    search_description = (
        f'Words to look for in names: at most {MAX_TERMS} terms (words, or "quoted phrases") '
        f"of at most {MAX_TERM_LENGTH} characters each; a row matches when it holds every term."
    )

    def get_search_terms(self, request):
        terms = super().get_search_terms(request)
        problem = search_terms_problem(terms)
        if problem is not None:
            raise ValidationError({self.search_param: [problem]}, code="invalid_search")
        return list(dict.fromkeys(terms))

    def filter_queryset(self, request, queryset, view):
        search_fields = self.get_search_fields(view, request)
        terms = self.get_search_terms(request)
        if not search_fields or not terms:
            return queryset
        for term in terms:
            queryset = queryset.filter(
                search_condition(queryset.model, search_fields, term, self._lookup)
            )
        return queryset

    def _lookup(self, model, search_field: str) -> str:
        return self.construct_search(search_field, model._base_manager.all())


class FilterSet(filters.FilterSet):
    """django-filter's FilterSet, which builds its form class once, and can be made with only the
    filters a request names.

    django-filter deep-copies every filter and builds a new form class, with new fields, for every
    FilterSet it makes: about a millisecond of CPU per request for the attendance list's seven
    filters, more than reading and rendering a page of rows. Here each filter is copied
    shallowly, the form class is kept per FilterSet class and set of filters (none of these
    fields depends on the request), its form copies those fields shallowly too (`_Fields`), and
    `only` leaves out the filters a request does not name, which would filter nothing.
    """

    def __init__(self, data=None, queryset=None, *, request=None, prefix=None, only=None):
        # django-filter's __init__, but with each filter copied shallowly: a deep copy would also
        # copy the form field, its widget and its choices that every request shares.
        if queryset is None:
            queryset = self._meta.model._default_manager.all()
        self.is_bound = data is not None
        self.data = data or QueryDict()
        self.queryset = queryset
        self.request = request
        self.form_prefix = prefix
        self.filters = {
            name: self._own_copy(filter_, queryset.model)
            for name, filter_ in self.base_filters.items()
            if only is None or name in only
        }

    def _own_copy(self, filter_: filters.Filter, model: type[Model]) -> filters.Filter:
        """A copy of `filter_` that filters for this FilterSet, `filter_` left as it was."""
        copied = copy.copy(filter_)
        copied.model = model
        copied.parent = self
        if copied.method is not None:
            # Bound to this copy, whose parent holds the method, rather than to `filter_`.
            copied.method = copied.method
        return copied

    def get_form_class(self) -> type[forms.Form]:
        key = (type(self), tuple(self.filters))
        form_class = _FORM_CLASSES.get(key)
        if form_class is None:
            form_class = super().get_form_class()
            form_class.base_fields = _Fields(form_class.base_fields)
            form_class = _FORM_CLASSES.setdefault(key, form_class)
        return form_class

    @classmethod
    def named_by(cls, parameters: Iterable[str]) -> set[str]:
        """The filters that read any of these query parameters."""
        filters_by_parameter = filter_parameters(cls)
        return {filters_by_parameter[name] for name in parameters if name in filters_by_parameter}


class _Fields(dict[str, forms.Field]):
    """A filter form class's fields, which each of its forms copies one by one, shallowly.

    A Django form deep-copies its class's fields, so that a form may change its own: each
    field's widget, choices, validators and messages, for every request (3% of the filtered
    attendance list's CPU). No filter form changes a field: it validates the query and, in the
    browsable API, renders it. A field with a queryset is deep-copied all the same, as Django
    does it, so that no two forms share the rows it reads.
    """

    def __deepcopy__(self, memo: dict[int, object]) -> dict[str, forms.Field]:
        return {
            name: copy.deepcopy(field, memo) if hasattr(field, "queryset") else copy.copy(field)
            for name, field in self.items()
        }


# Built once per process, as each is first needed: see FilterSet.
_FORM_CLASSES: dict[tuple[type[FilterSet], tuple[str, ...]], type[forms.Form]] = {}


class FilterBackend(filters.DjangoFilterBackend):
    """django-filter's backend, with a FilterSet of only the filters the request names (see
    FilterSet), and none at all for a request that names none."""

    def get_filterset_class(self, view, queryset=None):
        if getattr(view, "filterset_fields", None):
            # django-filter would make a new class for each request, and FilterSet keeps its form
            # classes per class: the view declares a FilterSet instead.
            raise ImproperlyConfigured(f"{type(view).__name__}: set filterset_class, not fields.")
        return super().get_filterset_class(view, queryset)

    def filter_queryset(self, request, queryset, view):
        filterset_class = self.get_filterset_class(view, queryset)
        if filterset_class is None:
            return queryset
        named = filterset_class.named_by(request.query_params)
        if not named:
            return queryset
        kwargs = self.get_filterset_kwargs(request, queryset, view)
        filterset = filterset_class(**kwargs, only=named)
        if not filterset.is_valid():
            raise translate_validation(filterset.errors)
        return filterset.qs


@extend_schema_field({"type": "integer", "minimum": 1, "maximum": 9999})
class YearFilter(filters.NumberFilter):
    """A calendar year, 1 to 9999; anything else answers 400."""

    field_class = forms.IntegerField

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("lookup_expr", "year")
        kwargs.setdefault("min_value", 1)
        kwargs.setdefault("max_value", 9999)
        super().__init__(*args, **kwargs)


class NaturalKeyFilter(filters.CharFilter):
    """Rows related to the one row that has this natural key (a slug or an ISO code).

    The key is looked up first (one indexed query), and the rows are then filtered by that row's
    id: the database plans for the id it will actually look for, where a join on the key would
    be planned for an average one, and could walk a million rows in id order for a rare one. A
    key that names nothing answers an empty list.
    """

    def __init__(self, *, model, key: str, **kwargs):
        self.related_model = model
        self.key = key
        super().__init__(**kwargs)

    def filter(self, queryset: QuerySet, value: str) -> QuerySet:
        if value in EMPTY_VALUES:
            return queryset
        related = self.related_model._default_manager.filter(**{self.key: value})
        pk = related.values_list("pk", flat=True).first()
        if pk is None:
            return queryset.none()
        return queryset.filter(**{self.field_name: pk})


class CountryFilter(FilterSet):
    name = filters.CharFilter(lookup_expr="icontains")

    class Meta:
        model = Country
        fields = ["name"]


class LeaderFilter(FilterSet):
    country = filters.CharFilter(field_name="country__code", help_text="ISO code, e.g. JP.")
    office = filters.CharFilter(lookup_expr="iexact")

    class Meta:
        model = Leader
        fields = ["country", "office"]


class SummitFilter(FilterSet):
    year = YearFilter(field_name="start_date", help_text="Calendar year the summit starts in.")
    organization = filters.CharFilter(
        field_name="organization__slug", help_text="Organization slug."
    )
    host_country = filters.CharFilter(field_name="host_country__code", help_text="ISO code.")
    attending_country = filters.CharFilter(
        method="filter_attending_country",
        help_text="Summits with an attendance of this country (ISO code).",
    )
    attending_leader = filters.CharFilter(
        method="filter_attending_leader", help_text="Summits this leader (slug) attends."
    )
    # distinct=False: these are columns of the row itself, and DISTINCT would make PostgreSQL
    # compute every match before LIMIT (over 60 s at a million attendances).
    status = MultipleChoiceFilter(choices=SummitStatus.choices, distinct=False)
    kind = MultipleChoiceFilter(choices=SummitKind.choices, distinct=False)
    upcoming = filters.ChoiceFilter(
        choices=[("true", "true"), ("false", "false")],
        method="filter_upcoming",
        help_text="true: not over yet (a month or year counts until its last day); false: over.",
    )

    class Meta:
        model = Summit
        fields = ["year", "organization", "host_country", "status", "kind"]

    def filter_attending_country(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        attending = Attendance.objects.filter(summit=OuterRef("pk"), country__code=value)
        return queryset.filter(Exists(attending))

    def filter_attending_leader(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        attending = Attendance.objects.filter(summit=OuterRef("pk"), leader__slug=value)
        return queryset.filter(Exists(attending))

    def filter_upcoming(self, queryset: SummitQuerySet, name: str, value: str) -> QuerySet:
        today = request_day(self.request)
        return queryset.upcoming(on=today) if value == "true" else queryset.past(on=today)


class AttendanceFilter(FilterSet):
    summit = NaturalKeyFilter(
        field_name="summit", model=Summit, key="slug", help_text="Summit slug."
    )
    country = NaturalKeyFilter(
        field_name="country", model=Country, key="code", help_text="ISO code."
    )
    leader = NaturalKeyFilter(
        field_name="leader", model=Leader, key="slug", help_text="Leader slug."
    )
    organization = NaturalKeyFilter(
        field_name="summit__organization",
        model=Organization,
        key="slug",
        help_text="Organization slug.",
    )
    year = YearFilter(
        field_name="summit__start_date", help_text="Calendar year the summit starts in."
    )
    status = MultipleChoiceFilter(
        choices=AttendanceStatus.choices,
        distinct=False,
        help_text="Current status (the latest step of the timeline); repeat for any of several.",
    )
    role = MultipleChoiceFilter(
        choices=AttendanceRole.choices, distinct=False, help_text="Repeat for any of several."
    )

    class Meta:
        model = Attendance
        fields = ["summit", "country", "leader", "organization", "year", "status", "role"]


class CitationFilter(FilterSet):
    class Meta:
        model = Citation
        fields = ["basis", "field"]
