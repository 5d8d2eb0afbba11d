"""The baseline: plain Django views (no DRF) that answer the API's requests with the same bytes.

Each view runs the query the API needs, reads rows with `.values()` and renders them with orjson,
through the same middleware as the API (the benchmark's settings add these views, nothing else).
The figures of the API are read beside these: what is left is the cost of the framework on top
of the raw query. They handle the requests the benchmark sends (valid ones), and answer 400 to
anything else rather than imitate every error of the API.
"""

from collections.abc import Callable, Sequence

import orjson
from django.db.models import Q, QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest, HttpResponseNotFound

from bench.baseline_pages import BadRequest, CursorPage, decode_cursor, page_size, request_ordering
from summits.dates import display_date_range, display_partial_date, iso_partial_date
from summits.models import (
    Attendance,
    Citation,
    Country,
    Leader,
    Organization,
    StatusChange,
    Summit,
)
from summits.records import leader_attendance_records

PREFIX = "/baseline"


def json_response(data) -> HttpResponse:
    return HttpResponse(orjson.dumps(data), content_type="application/json")


def handles_bad_requests(view: Callable) -> Callable:
    def wrapped(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        try:
            return view(request, *args, **kwargs)
        except BadRequest as error:
            return HttpResponseBadRequest(str(error))

    return wrapped


def product_url(request: HttpRequest) -> str:
    """The absolute URL of the API request that this baseline request stands for."""
    return request.build_absolute_uri(request.get_full_path().removeprefix(PREFIX))


def cursor_page(request: HttpRequest, rows: QuerySet, ordering: Sequence[str], render: Callable):
    """`{"next", "previous", "results"}` for the request's cursor: DRF's algorithm, line by line."""
    offset, reverse, current = decode_cursor(request)
    page = CursorPage(
        rows, ordering, size=page_size(request), offset=offset, reverse=reverse, current=current
    )
    base_url = product_url(request)
    return {
        "next": page.next_link(base_url),
        "previous": page.previous_link(base_url),
        "results": render(page.rows),
    }


# -- Attendances ----------------------------------------------------------------------------------

ATTENDANCE_FIELDS = [
    "id",
    "summit__slug",
    "summit__name",
    "country__code",
    "country__name",
    "leader__slug",
    "leader__name",
    "role",
    "status",
    "note",
    # Kept on write by the database: read as columns.
    "first_for_country",
    "first_for_leader",
]


def _attendance(row: dict, url_prefix: str) -> dict:
    return {
        "id": row["id"],
        "url": f"{url_prefix}{row['id']}/",
        "summit": row["summit__slug"],
        "summit_name": row["summit__name"],
        "country": row["country__code"],
        "country_name": row["country__name"],
        "leader": row["leader__slug"],
        "leader_name": row["leader__name"],
        "role": row["role"],
        "status": row["status"],
        "note": row["note"],
        "first_for_country": row["first_for_country"],
        "first_for_leader": row["first_for_leader"],
    }


def _attendance_filters(request: HttpRequest) -> Q:
    """The AttendanceFilter's filters, for the values the benchmark sends: like the product, it
    looks each natural key up first and filters by the id (no id: no rows)."""
    query = request.GET
    condition = Q()
    for name, model, key, field in (
        ("summit", Summit, "slug", "summit_id"),
        ("country", Country, "code", "country_id"),
        ("leader", Leader, "slug", "leader_id"),
        ("organization", Organization, "slug", "summit__organization_id"),
    ):
        if query.get(name):
            pk = model.objects.filter(**{key: query[name]}).values_list("pk", flat=True).first()
            condition &= Q(**{field: pk}) if pk is not None else Q(pk__in=[])
    if query.get("year"):
        if not query["year"].isdigit():
            raise BadRequest("year")
        condition &= Q(summit__start_date__year=int(query["year"]))
    for name in ("status", "role"):
        values = [value for value in query.getlist(name) if value]
        if values:
            condition &= Q(**{f"{name}__in": values})
    return condition


@handles_bad_requests
def attendance_list(request: HttpRequest) -> HttpResponse:
    rows = Attendance.objects.filter(_attendance_filters(request)).values(*ATTENDANCE_FIELDS)
    url_prefix = request.build_absolute_uri("/api/attendances/")
    page = cursor_page(
        request,
        rows,
        request_ordering(request, {"id"}, "id"),
        lambda page: [_attendance(row, url_prefix) for row in page],
    )
    return json_response(page)


def _evidence(rows: list[dict]) -> list[dict]:
    return [
        {
            "id": row["id"],
            "source": row["source__key"],
            "field": row["field"],
            "quote": row["quote"],
            "start": row["start"],
            "end": row["end"],
            "basis": row["basis"],
        }
        for row in rows
    ]


EVIDENCE_FIELDS = ["id", "source__key", "field", "quote", "start", "end", "basis"]
# Citation's default ordering: source (by the source's own ordering, its key), start, id.
EVIDENCE_ORDER = ["source__key", "start", "id"]


def attendance_detail(request: HttpRequest, pk: int) -> HttpResponse:
    rows = Attendance.objects.filter(pk=pk).values(*ATTENDANCE_FIELDS)
    row = next(iter(rows), None)
    if row is None:
        return HttpResponseNotFound()
    body = _attendance(row, request.build_absolute_uri("/api/attendances/"))
    changes = list(
        StatusChange.objects.filter(attendance_id=pk)
        .order_by("as_of", "id")
        .values("id", "status", "as_of", "as_of_precision", "note")
    )
    citations: dict[str, dict[int, list]] = {"attendance": {}, "status_change": {}}
    evidence = Citation.objects.filter(
        Q(attendance_id=pk) | Q(status_change__in=[change["id"] for change in changes])
    ).order_by(*EVIDENCE_ORDER)
    for citation in evidence.values(*EVIDENCE_FIELDS, "attendance_id", "status_change_id"):
        target = "attendance" if citation["attendance_id"] else "status_change"
        key = citation["attendance_id"] or citation["status_change_id"]
        citations[target].setdefault(key, []).append(citation)
    body["status_changes"] = [
        {
            "id": change["id"],
            "status": change["status"],
            "as_of": iso_partial_date(change["as_of"], change["as_of_precision"]),
            "as_of_precision": change["as_of_precision"],
            "as_of_display": display_partial_date(change["as_of"], change["as_of_precision"]),
            "note": change["note"],
            "citations": _evidence(citations["status_change"].get(change["id"], [])),
        }
        for change in changes
    ]
    body["citations"] = _evidence(citations["attendance"].get(pk, []))
    return json_response(body)


# -- Summits --------------------------------------------------------------------------------------

SUMMIT_FIELDS = [
    "id",
    "slug",
    "name",
    "organization__slug",
    "organization__founded_on",
    "kind",
    "status",
    "host_country__code",
    "city",
    "start_date",
    "end_date",
    "date_precision",
    "attendee_count",
]


def _summit(row: dict, url_prefix: str) -> dict:
    start, precision = row["start_date"], row["date_precision"]
    founded = row["organization__founded_on"]
    return {
        "slug": row["slug"],
        "url": f"{url_prefix}{row['slug']}/",
        "name": row["name"],
        "organization": row["organization__slug"],
        "kind": row["kind"],
        "status": row["status"],
        "host_country": row["host_country__code"],
        "city": row["city"],
        "start_date": iso_partial_date(start, precision),
        "end_date": row["end_date"].isoformat() if row["end_date"] else None,
        "date_precision": precision,
        "dates": display_date_range(start, row["end_date"], precision),
        "anniversary": (
            start.year - founded.year if founded is not None and start.year > founded.year else None
        ),
        "attendee_count": row["attendee_count"],
    }


def _summit_filters(request: HttpRequest) -> Q:
    query = request.GET
    condition = Q()
    for name, lookup in (
        ("organization", "organization__slug"),
        ("host_country", "host_country__code"),
    ):
        if query.get(name):
            condition &= Q(**{lookup: query[name]})
    if query.get("year"):
        if not query["year"].isdigit():
            raise BadRequest("year")
        condition &= Q(start_date__year=int(query["year"]))
    return condition


@handles_bad_requests
def summit_list(request: HttpRequest) -> HttpResponse:
    rows = Summit.objects.filter(_summit_filters(request)).with_attendee_count()
    url_prefix = request.build_absolute_uri("/api/summits/")
    page = cursor_page(
        request,
        rows.values(*SUMMIT_FIELDS),
        request_ordering(request, {"start_date", "name", "slug"}, "start_date"),
        lambda page: [_summit(row, url_prefix) for row in page],
    )
    return json_response(page)


def summit_detail(request: HttpRequest, slug: str) -> HttpResponse:
    rows = Summit.objects.filter(slug=slug).with_attendee_count()
    row = next(iter(rows.values(*SUMMIT_FIELDS)), None)
    if row is None:
        return HttpResponseNotFound()
    body = _summit(row, request.build_absolute_uri("/api/summits/"))
    attendance_prefix = request.build_absolute_uri("/api/attendances/")
    attendees = (
        Attendance.objects.filter(summit_id=row["id"])
        .order_by("country__code", "id")
        .values(
            "id", "country__code", "country__name", "leader__slug", "leader__name", "role", "status"
        )
    )
    body["attendances"] = [
        {
            "id": attendee["id"],
            "url": f"{attendance_prefix}{attendee['id']}/",
            "country": attendee["country__code"],
            "country_name": attendee["country__name"],
            "leader": attendee["leader__slug"],
            "leader_name": attendee["leader__name"],
            "role": attendee["role"],
            "status": attendee["status"],
        }
        for attendee in attendees
    ]
    evidence = Citation.objects.filter(summit_id=row["id"]).order_by(*EVIDENCE_ORDER)
    body["citations"] = _evidence(list(evidence.values(*EVIDENCE_FIELDS)))
    return json_response(body)


# -- A leader's attendance record -----------------------------------------------------------------


def leader_record(request: HttpRequest, slug: str) -> HttpResponse:
    """The same computation as the API: the records come from summits.records."""
    leader = Leader.objects.filter(slug=slug).only("pk").first()
    if leader is None:
        return HttpResponseNotFound()
    organization = request.GET.get("organization")
    if organization is not None and not Organization.objects.filter(slug=organization).exists():
        return HttpResponseBadRequest("organization")
    return json_response(leader_attendance_records(leader=leader, organization=organization))
