"""Requests say only what the API reads: an unknown query parameter, or a body field that a write
does not take, answers 400 naming it, instead of being ignored without a word."""

from collections.abc import Mapping
from typing import TYPE_CHECKING

from django_filters.rest_framework import DjangoFilterBackend, FilterSet
from rest_framework import serializers
from rest_framework.exceptions import ErrorDetail, ValidationError
from rest_framework.settings import api_settings
from rest_framework.views import APIView

UNKNOWN_PARAMETER = "unknown_parameter"
UNKNOWN_FIELD = "unknown_field"
READ_ONLY_FIELD = "read_only_field"


if TYPE_CHECKING:
    _View = APIView
    _Serializer = serializers.Serializer
else:  # mixins: the class they extend comes after them
    _View = _Serializer = object


class StrictQueryParametersMixin(_View):
    """For API views: a query parameter the endpoint does not read answers 400, naming it and
    listing those it reads.

    A list reads its filters, `search`, `ordering` and its pagination's parameters, the names
    its schema documents, and an object's URL the same filters;
    every endpoint reads `format` (the browsable API's links use it); an action adds its own
    with `query_parameters`.
    """

    query_parameters: tuple[str, ...] = ()

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        allowed = self.allowed_query_parameters()
        unknown = [name for name in request.query_params if name not in allowed]
        if unknown:
            takes = ", ".join(sorted(allowed))
            message = f"Unknown query parameter. This endpoint takes: {takes}."
            raise ValidationError(
                {name: [ErrorDetail(message, code=UNKNOWN_PARAMETER)] for name in unknown}
            )

    def reads_a_list(self) -> bool:
        return getattr(self, "action", None) == "list"

    def allowed_query_parameters(self) -> set[str]:
        allowed = {api_settings.URL_FORMAT_OVERRIDE, *self.query_parameters}
        if self.reads_a_list() or getattr(self, "detail", False):
            # A detail reads the list's filters too: outside them, it answers 404.
            for backend in getattr(self, "filter_backends", ()):
                allowed.update(_parameter_names(backend(), self))
        if self.reads_a_list():
            paginator = getattr(self, "paginator", None)
            if paginator is not None:
                allowed.update(
                    parameter["name"]
                    for parameter in paginator.get_schema_operation_parameters(self)
                )
        return allowed


def _parameter_names(backend, view) -> list[str]:
    """The query parameters a filter backend reads for a view, as its schema documents them."""
    if isinstance(backend, DjangoFilterBackend):
        # The class the view names; without the queryset, which a list would build to no end.
        filterset = backend.get_filterset_class(view)
        return [] if filterset is None else list(filter_parameters(filterset))
    return [parameter["name"] for parameter in backend.get_schema_operation_parameters(view)]


def filter_parameters(filterset_class: type[FilterSet]) -> Mapping[str, str]:
    """The query parameters `filterset_class` reads, each with the name of the filter that reads
    it: a filter reads the parameter of its own name, or that name with each of its widget's
    suffixes (a range's `<name>_min` and `<name>_max`, say)."""
    parameters = _FILTER_PARAMETERS.get(filterset_class)
    if parameters is None:
        parameters = {}
        for name, filter_ in filterset_class.base_filters.items():
            suffixes = getattr(filter_.field.widget, "suffixes", None) or [""]
            for suffix in suffixes:
                parameters[f"{name}_{suffix}" if suffix else name] = name
        _FILTER_PARAMETERS[filterset_class] = parameters
    return parameters


# Filled in as each FilterSet is first read: its filters are fixed when its class is made.
_FILTER_PARAMETERS: dict[type[FilterSet], dict[str, str]] = {}


class StrictFieldsMixin(_Serializer):
    """For serializers that take writes: a body field the serializer does not take, or one it
    only shows (read-only), answers 400 naming it, with the other errors of the body.

    `field_hints` says, for a field name, what to do instead ("record a status change").
    """

    field_hints: Mapping[str, str] = {}

    def to_internal_value(self, data):
        unexpected = self.unexpected_fields(data) if isinstance(data, Mapping) else {}
        try:
            value = super().to_internal_value(data)
        except ValidationError as error:
            if unexpected and isinstance(error.detail, Mapping):
                raise ValidationError({**error.detail, **unexpected}) from error
            raise
        if unexpected:
            raise ValidationError(unexpected)
        return value

    def unexpected_fields(self, data: Mapping) -> dict[str, list[ErrorDetail]]:
        fields = self.fields
        writable = sorted(name for name, field in fields.items() if not field.read_only)
        errors = {}
        for name in data:
            field = fields.get(name)
            if field is not None and not field.read_only:
                continue
            hint = self.field_hints.get(name)
            if field is None:
                message = (
                    f"Unknown field. {hint or 'This body takes: ' + ', '.join(writable) + '.'}"
                )
                code = UNKNOWN_FIELD
            else:
                message = f"Read-only. {hint or 'The server sets it; leave it out of the body.'}"
                code = READ_ONLY_FIELD
            errors[name] = [ErrorDetail(message, code=code)]
        return errors
