"""Cursor pages for the baseline, as DRF's CursorPagination makes them: the cursor's encoding,
one page of rows from its position and the links to its neighbours, and the page_size and
ordering parameters (an invalid one is a BadRequest)."""

from base64 import b64decode, b64encode
from collections.abc import Sequence
from urllib import parse

from django.db.models import QuerySet
from django.http import HttpRequest

MAX_PAGE_SIZE = 500
OFFSET_CUTOFF = 1000  # DRF's CursorPagination.offset_cutoff


class BadRequest(Exception):
    pass


def _replace_query_param(url: str, key: str, value: str) -> str:
    scheme, netloc, path, query, fragment = parse.urlsplit(url)
    query_dict = parse.parse_qs(query, keep_blank_values=True)
    query_dict[key] = [value]
    query = parse.urlencode(sorted(query_dict.items()), doseq=True)
    return parse.urlunsplit((scheme, netloc, path, query, fragment))


def _encode_cursor(base_url: str, *, offset: int, reverse: bool, position: str | None) -> str:
    tokens = {}
    if offset != 0:
        tokens["o"] = str(offset)
    if reverse:
        tokens["r"] = "1"
    if position is not None:
        tokens["p"] = position
    encoded = b64encode(parse.urlencode(tokens, doseq=True).encode("ascii")).decode("ascii")
    return _replace_query_param(base_url, "cursor", encoded)


def decode_cursor(request: HttpRequest) -> tuple[int, bool, str | None]:
    encoded = request.GET.get("cursor")
    if encoded is None:
        return 0, False, None
    try:
        tokens = parse.parse_qs(b64decode(encoded.encode("ascii")).decode("ascii"))
        offset = min(max(int(tokens.get("o", ["0"])[0]), 0), OFFSET_CUTOFF)
        reverse = bool(int(tokens.get("r", ["0"])[0]))
    except (TypeError, ValueError) as error:
        raise BadRequest("Invalid cursor") from error
    return offset, reverse, tokens.get("p", [None])[0]


def page_size(request: HttpRequest, default: int = 50) -> int:
    raw = request.GET.get("page_size")
    if raw is None:
        return default
    if not raw.isdigit() or not 1 <= int(raw) <= MAX_PAGE_SIZE:
        raise BadRequest("page_size")
    return int(raw)


def _reversed(ordering: Sequence[str]) -> list[str]:
    return [field[1:] if field.startswith("-") else f"-{field}" for field in ordering]


class CursorPage:
    """One page of rows in `ordering` from the cursor's position, and where its neighbours are:
    CursorPagination.paginate_queryset, get_next_link and get_previous_link."""

    def __init__(
        self,
        rows: QuerySet,
        ordering: Sequence[str],
        *,
        size: int,
        offset: int,
        reverse: bool,
        current: str | None,
    ) -> None:
        self.size, self.offset, self.reverse = size, offset, reverse
        self.field = ordering[0].lstrip("-")
        rows = rows.order_by(*(_reversed(ordering) if reverse else ordering))
        if current is not None:
            descending = ordering[0].startswith("-")
            lookup = "lt" if reverse != descending else "gt"
            rows = rows.filter(**{f"{self.field}__{lookup}": current})
        results = list(rows[offset : offset + size + 1])
        self.rows = results[:size]
        following = self.position(results[-1]) if len(results) > len(self.rows) else None
        if reverse:
            self.rows.reverse()
            self.has_next = current is not None or offset > 0
            self.has_previous = following is not None
            self.next_position = current if self.has_next else None
            self.previous_position = following
        else:
            self.has_next = following is not None
            self.has_previous = current is not None or offset > 0
            self.next_position = following
            self.previous_position = current if self.has_previous else None

    def position(self, row) -> str:
        return str(row[self.field])

    def next_link(self, base_url: str) -> str | None:
        if not self.has_next:
            return None
        page = self.rows
        compare: str | None
        if page and self.reverse and self.offset != 0:
            compare = self.position(page[-1])
        else:
            compare = self.next_position
        offset, unique, position = _scan(reversed(page), compare, self.position)
        if page and not unique:
            if not self.has_previous:
                offset, position = self.size, None
            elif self.reverse:
                offset, position = 0, self.previous_position
            else:
                offset, position = self.offset + self.size, self.previous_position
        if not page:
            position = self.next_position
        return _encode_cursor(base_url, offset=offset, reverse=False, position=position)

    def previous_link(self, base_url: str) -> str | None:
        if not self.has_previous:
            return None
        page = self.rows
        compare: str | None
        if page and not self.reverse and self.offset != 0:
            compare = self.position(page[0])
        else:
            compare = self.previous_position
        offset, unique, position = _scan(page, compare, self.position)
        if page and not unique:
            if not self.has_next:
                offset, position = self.size, None
            elif self.reverse:
                offset, position = self.offset + self.size, self.next_position
            else:
                offset, position = 0, self.next_position
        if not page:
            position = self.previous_position
        return _encode_cursor(base_url, offset=offset, reverse=True, position=position)


def _scan(rows, compare, position) -> tuple[int, bool, str | None]:
    """DRF's search for a marker: how many rows at the page's edge share the compared position,
    whether one differs, and the last position looked at."""
    row_position = None
    for offset, row in enumerate(rows):
        row_position = position(row)
        if row_position != compare:
            return offset, True, row_position
        compare = row_position
    return offset + 1 if row_position is not None else 0, False, row_position


def request_ordering(request: HttpRequest, allowed: set[str], default: str) -> list[str]:
    """The ordering parameter, with id as the tie-breaker (TieBreakingOrderingFilter)."""
    raw = request.GET.get("ordering")
    fields = [field.strip() for field in raw.split(",")] if raw else [default]
    if any(field.lstrip("-") not in allowed for field in fields):
        raise BadRequest("ordering")
    if not {"id", "-id", "pk", "-pk"} & set(fields):
        fields.append("-id" if fields[0].startswith("-") else "id")
    return fields
