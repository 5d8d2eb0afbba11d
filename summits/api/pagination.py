"""Cursor pagination whose ordering always ends in a unique key, with a validated page size."""

from rest_framework import filters, pagination
from rest_framework.exceptions import ValidationError

MAX_PAGE_SIZE = 500


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


class CursorPagination(pagination.CursorPagination):
    """Keyset pages: the deepest page costs what the first does, and pages hold still under inserts."""

    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = MAX_PAGE_SIZE
    ordering = "id"

    def get_page_size(self, request):
        raw = request.query_params.get(self.page_size_query_param)
        if raw is None:
            return self.page_size
        if not raw.isdigit() or not 1 <= int(raw) <= self.max_page_size:
            raise ValidationError(
                {self.page_size_query_param: [f"A whole number from 1 to {self.max_page_size}."]},
                code="invalid_page_size",
            )
        return int(raw)
