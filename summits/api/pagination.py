"""Cursor pagination whose ordering always ends in a unique key, with a validated page size."""

import re

from django.core.exceptions import FieldDoesNotExist
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models.constants import LOOKUP_SEP
from rest_framework import filters, pagination
from rest_framework.exceptions import NotFound, ValidationError

MAX_PAGE_SIZE = 500
# ASCII digits only: str.isdigit() also takes "²" and "٣", which int() then refuses.
_WHOLE_NUMBER = re.compile(r"[0-9]{1,9}")


class TieBreakingOrderingFilter(filters.OrderingFilter):
    """DRF's ordering filter, allow-listed per view, that rejects unknown fields and breaks ties by id."""

    def get_ordering(self, request, queryset, view):
        params = request.query_params.get(self.ordering_param)
        if params:
            fields = [param.strip() for param in params.split(",")]
            valid = self.remove_invalid_fields(queryset, fields, view, request)
            if len(valid) != len(fields):
                allowed = sorted(
                    name for name, _ in self.get_valid_fields(queryset, view, {"request": request})
                )
                raise ValidationError(
                    {
                        self.ordering_param: [
                            f"Order by one of: {', '.join(allowed)} (prefix - to reverse)."
                        ]
                    },
                    code="invalid_ordering",
                )
        ordering = list(super().get_ordering(request, queryset, view) or [])
        if not {"id", "-id", "pk", "-pk"} & set(ordering):
            descending = bool(ordering) and ordering[0].startswith("-")
            ordering.append("-id" if descending else "id")
        return ordering

    def get_schema_operation_parameters(self, view):
        parameters = super().get_schema_operation_parameters(view)
        fields = getattr(view, "ordering_fields", None)
        if not isinstance(fields, list | tuple):
            return parameters
        name = "(?:" + "|".join(re.escape(field) for field in fields) + ")"
        term = rf"\s*-?{name}\s*"
        for parameter in parameters:
            parameter["description"] = (
                f"Order by {', '.join(fields)}: prefix - to reverse, separate several with "
                "commas. Ties are broken by id."
            )
            parameter["schema"]["pattern"] = rf"^(?:{term}(?:,{term})*)?$"
        return parameters


class CursorPagination(pagination.CursorPagination):
    """Keyset pages: the deepest page costs what the first does, and pages hold still under inserts."""

    page_size = 50
    page_size_query_param = "page_size"
    page_size_query_description = (
        f"How many results a page holds: 1 to {MAX_PAGE_SIZE}, {page_size} when left out."
    )
    cursor_query_description = "Where the page starts: the cursor of a `next` or `previous` link."
    max_page_size = MAX_PAGE_SIZE
    ordering = "id"

    def get_schema_operation_parameters(self, view):
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            if parameter["name"] == self.page_size_query_param:
                parameter["schema"] = {
                    "type": "integer",
                    "minimum": 1,
                    "maximum": self.max_page_size,
                    "default": self.page_size,
                }
        return parameters

    def get_page_size(self, request):
        raw = request.query_params.get(self.page_size_query_param)
        if not raw:
            # Left out, or blank as an HTML form sends it.
            return self.page_size
        if not _WHOLE_NUMBER.fullmatch(raw) or not 1 <= int(raw) <= self.max_page_size:
            raise ValidationError(
                {self.page_size_query_param: [f"A whole number from 1 to {self.max_page_size}."]},
                code="invalid_page_size",
            )
        return int(raw)

    def check_parameters(self, request, queryset, view) -> None:
        """Refuse a bad page size or cursor as a page would, for a whole-list export (CSV),
        which reads neither."""
        self.get_page_size(request)
        ordering = self.get_ordering(request, queryset, view)
        cursor = super().decode_cursor(request)
        if cursor is not None:
            self._check_position(cursor.position, queryset.model, ordering[0])

    def paginate_queryset(self, queryset, request, view=None):
        self.model = queryset.model
        return super().paginate_queryset(queryset, request, view)

    def decode_cursor(self, request):
        """DRF's cursor, whose position must also be a value of the field it is compared with:
        a tampered cursor ("p=abc" against an id, a NUL byte) is an invalid cursor, not a query
        the database refuses."""
        cursor = super().decode_cursor(request)
        if cursor is not None:
            self._check_position(cursor.position, self.model, self.ordering[0])
        return cursor

    def _check_position(self, position: object, model: type, ordering: str) -> None:
        if position is None:
            return
        field = _ordering_field(model, ordering)
        try:
            if "\x00" in str(position):
                raise DjangoValidationError("NUL")
            if field is not None:
                field.run_validators(field.to_python(position))
        except DjangoValidationError:
            raise NotFound(self.invalid_cursor_message) from None


def _ordering_field(model, ordering: str):
    """The model field a cursor's position stands for (the first ordering key's)."""
    field = None
    for name in ordering.lstrip("-").split(LOOKUP_SEP):
        try:
            field = model._meta.get_field(name)
        except FieldDoesNotExist:
            return None
        model = field.related_model or model
    return field
