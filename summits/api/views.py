"""Viewsets: a queryset with what it needs to render, a serializer, a filterset; no business rules."""

from typing import Any

from django.db.models import Prefetch
from django.http import HttpResponse
from django.utils.cache import patch_vary_headers
from django.utils.text import slugify
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.permissions import SAFE_METHODS, BasePermission
from rest_framework.response import Response

from summits.api import filters, record_serializers, rows, serializers
from summits.api.annotations import (
    AnnotationRenderer,
    annotation_page_response,
    annotation_response,
    annotation_rows,
    annotations_asked,
)
from summits.api.conditional import PreconditionFailed, if_match_holds, representation_etag
from summits.api.csv_export import CSVRenderer, csv_response, without_format
from summits.api.languages import Localizer
from summits.api.pagination import CursorPagination
from summits.api.parsers import SOURCE_BODY_MAX_BYTES
from summits.api.strictness import StrictQueryParametersMixin
from summits.api.throttling import spend_export_budget
from summits.models import (
    Attendance,
    Citation,
    Country,
    Leader,
    Organization,
    Source,
    StatusChange,
    Summit,
)
from summits.records import (
    AttendanceRecord,
    country_attendance_records,
    leader_attendance_records,
)
from summits.services import attendance_record_status, writers_turn


def with_citations() -> Prefetch:
    """A record's citations, each with its source, in one query for all the records."""
    return Prefetch(
        "citations", queryset=Citation.objects.select_related("source").defer("source__text")
    )


class CanRecordStatus(BasePermission):
    """Anyone may read a timeline; adding to it needs the permission to add status changes, and
    adding one with its evidence also the permission to add citations, as in the admin."""

    def has_permission(self, request, view) -> bool:
        if request.method in SAFE_METHODS:
            return True
        user = request.user
        if not (user and user.is_authenticated and user.has_perm("summits.add_statuschange")):
            return False
        cites = isinstance(request.data, dict) and "citation" in request.data
        return not cites or user.has_perm("summits.add_citation")


# Rows of a CSV file whose names are localized with one query per kind of record.
_LOCALIZED_PER_QUERY = 500


class TrackerModelViewSet(StrictQueryParametersMixin, viewsets.ModelViewSet):
    """A ModelViewSet with conditional writes, answering writes as a read would show the object,
    that refuses a query parameter it does not read.

    Reads get a strong ETag from RepresentationETagMiddleware (summits.api.conditional). A write
    may send If-Match with that ETag: the row is locked, its current representation hashed as
    the ETag hashes a body, and a stale tag answers 412 instead of silently overwriting a newer
    edit.
    """

    def get_renderers(self):
        renderers = super().get_renderers()
        # Every list also as CSV, whole. (A method no action takes, whatever its format, is
        # then a 405, not a 404 for a format the route would not have.)
        if self.action in ("list", None):
            renderers.append(CSVRenderer())
        return renderers

    def list(self, request, *args, **kwargs):
        if request.accepted_renderer.format == CSVRenderer.format:
            rows = self.filter_queryset(self.get_queryset())
            # A file holds every row, but a bad page size or cursor is refused as on a page.
            if isinstance(self.paginator, CursorPagination):
                self.paginator.check_parameters(request, rows, self)
            spend_export_budget(request, self)
            # Links in the file name the records themselves, not their CSV.
            serializer = self.get_serializer(context={"request": without_format(request)})
            name = slugify(rows.model._meta.verbose_name_plural)
            localizer = self.localizer()
            response = csv_response(
                request,
                serializer,
                rows,
                name=name,
                localize=lambda objects: localizer.localize_each(
                    objects, named_by_slug=self.named_by_slug, batch=_LOCALIZED_PER_QUERY
                ),
            )
            # The file's names are in the client's languages where known, English otherwise.
            response["Content-Language"] = localizer.accepted_before_english
            return response
        return super().list(request, *args, **kwargs)

    def finalize_response(self, request, response, *args, **kwargs):
        # An error answered to a CSV request goes out in the API's JSON shape.
        csv_asked = isinstance(getattr(request, "accepted_renderer", None), CSVRenderer)
        if csv_asked and isinstance(response, Response):
            request.accepted_renderer = json = self.renderer_classes[0]()
            request.accepted_media_type = json.media_type
        response = super().finalize_response(request, response, *args, **kwargs)
        answered = isinstance(response, Response) and not response.exception
        if answered and isinstance(response.data, dict | list):
            response["Content-Language"] = self.localized(response.data)
        patch_vary_headers(response, ["Accept-Language"])
        return response

    # What a row's `name` beside its `slug` names (summits.api.languages): the resource's own
    # kind; a leader's or country's record names summits.
    resource_named_by_slug: str | None = None

    @property
    def named_by_slug(self) -> str | None:
        return "summit" if self.action == "record" else self.resource_named_by_slug

    def localizer(self) -> Localizer:
        return Localizer.for_header(self.request.headers.get("Accept-Language", ""))

    def localized(self, data: Any) -> str:
        """Puts `data`'s names into the client's languages, once (a write's response is
        localized before its ETag is made); returns its Content-Language."""
        localized = self.__dict__.setdefault("_localized", {})
        if id(data) not in localized:
            localizer = self.localizer()
            localizer.localize(data, named_by_slug=self.named_by_slug)
            localized[id(data)] = (data, localizer.content_language)
        return localized[id(data)][1]

    def get_queryset(self):
        queryset = super().get_queryset()
        if self.detail and self.request.method not in SAFE_METHODS:
            # Hold the row from the If-Match check until the write commits, having first waited
            # for this request's turn to write (a lock taken after the row's could deadlock).
            writers_turn(using=queryset.db)
            queryset = queryset.select_for_update(of=("self",))
        return queryset

    def get_object(self):
        instance = super().get_object()
        if self.request.method not in SAFE_METHODS:
            self.check_if_match(instance)
        return instance

    def check_if_match(self, instance) -> None:
        header = self.request.headers.get("If-Match")
        if header is None:
            return
        # The representation the client read, in the languages it reads in.
        representation = self.read_representation(instance)
        self.localized(representation)
        if not if_match_holds(header, representation):
            raise PreconditionFailed()

    def read_representation(self, instance):
        """What a GET of the URL being written answers for `instance`: what If-Match names."""
        return self.get_serializer(instance).data

    def perform_create(self, serializer):
        serializer.save()
        serializer.instance = self.get_queryset().get(pk=serializer.instance.pk)

    def perform_update(self, serializer):
        serializer.save()
        serializer.instance = self.get_queryset().get(pk=serializer.instance.pk)

    def update(self, request, *args, **kwargs):
        response = super().update(request, *args, **kwargs)
        self.localized(response.data)
        response["ETag"] = representation_etag(request, response.data)
        return response


class AttendanceRecordViewSet(TrackerModelViewSet):
    """A viewset with a `record` action: the subject's record at each organization's ordinary
    summits, as `attendance_records` gives it."""

    def get_queryset(self):
        queryset = super().get_queryset()
        if self.action == "record":
            # The record reads the subject's attendances; of the subject itself, only its key.
            return queryset.select_related(None).only("pk", self.lookup_field)
        return queryset

    @extend_schema(
        summary="Attendance record",
        description="Summits attended and pending, runs of consecutive calendar years, and what "
        "the next pending summit would make the current run; one record per organization.",
        parameters=[
            OpenApiParameter(
                "organization", str, description="Only this organization's record (its slug)."
            )
        ],
        responses=record_serializers.AttendanceRecordSerializer(many=True),
    )
    @action(
        detail=True, pagination_class=None, filter_backends=[], query_parameters=("organization",)
    )
    def record(self, request, **kwargs):
        subject = self.get_object()
        # Blank, as an HTML form sends it, is no filter.
        organization = request.query_params.get("organization") or None
        if organization is not None and not Organization.objects.filter(slug=organization).exists():
            raise ValidationError(
                {"organization": [f"No organization has the slug {organization!r}."]},
                code="does_not_exist",
            )
        records = self.attendance_records(subject, organization=organization)
        return Response(record_serializers.AttendanceRecordSerializer(records, many=True).data)

    def attendance_records(
        self, subject: Any, *, organization: str | None
    ) -> list[AttendanceRecord]:
        raise NotImplementedError


class CountryViewSet(AttendanceRecordViewSet):
    """Countries, looked up by their ISO 3166-1 alpha-2 code."""

    queryset = Country.objects.all()
    serializer_class = serializers.CountrySerializer
    filterset_class = filters.CountryFilter
    lookup_field = "code"
    search_fields = ["name", "code"]
    ordering_fields = ["code", "name"]
    ordering = ["code"]

    def attendance_records(self, country, *, organization):
        return country_attendance_records(country=country, organization=organization)


class OrganizationViewSet(TrackerModelViewSet):
    """Organizations that hold summits, such as NATO."""

    queryset = Organization.objects.all()
    serializer_class = serializers.OrganizationSerializer
    lookup_field = "slug"
    search_fields = ["name", "short_name", "slug", "other_names__name"]
    resource_named_by_slug = "organization"
    ordering_fields = ["slug", "name"]
    ordering = ["slug"]


class LeaderViewSet(AttendanceRecordViewSet):
    """Heads of state or government, looked up by slug."""

    queryset = Leader.objects.select_related("country")
    serializer_class = serializers.LeaderSerializer
    filterset_class = filters.LeaderFilter
    lookup_field = "slug"
    search_fields = ["name", "slug", "other_names__name"]
    resource_named_by_slug = "leader"
    ordering_fields = ["name", "slug"]
    ordering = ["name"]

    def attendance_records(self, leader, *, organization):
        return leader_attendance_records(leader=leader, organization=organization)


class SummitViewSet(TrackerModelViewSet):
    """Summits, looked up by slug; a summit's page lists its attendees with their names."""

    queryset = Summit.objects.select_related("organization", "host_country").with_attendee_count()
    serializer_class = serializers.SummitSerializer
    filterset_class = filters.SummitFilter
    lookup_field = "slug"
    search_fields = ["name", "slug", "other_names__name", "city"]
    resource_named_by_slug = "summit"
    ordering_fields = ["start_date", "name", "slug"]
    ordering = ["start_date"]

    def get_queryset(self):
        queryset = super().get_queryset()
        if self.action == "list":
            # A page of a hundred summits as rows: no Summit, Organization or Country to build.
            return queryset.values(*rows.SUMMIT.columns)
        # The attendees are read by SummitDetailSerializer, as rows.
        return queryset.prefetch_related(with_citations())

    def get_serializer_class(self):
        if self.action == "list":
            return serializers.SummitSerializer
        return serializers.SummitDetailSerializer


class AttendanceViewSet(TrackerModelViewSet):
    """One country's participation in one summit; its status is the latest step of its timeline."""

    queryset = Attendance.objects.select_related("summit__organization", "country", "leader")
    serializer_class = serializers.AttendanceSerializer
    filterset_class = filters.AttendanceFilter
    search_fields = [
        "leader__name",
        "leader__other_names__name",
        "country__name",
        "summit__name",
        "summit__other_names__name",
    ]
    ordering_fields = ["id"]
    ordering = ["id"]

    def get_queryset(self):
        queryset = super().get_queryset()
        if self.action == "list":
            # A page of a hundred attendances as rows: no Attendance, Summit, Organization,
            # Country or Leader to build.
            queryset = queryset.values(*rows.ATTENDANCE.columns)
        else:
            queryset = queryset.prefetch_related(
                Prefetch(
                    "status_changes",
                    # The timeline's order within one attendance, without joining the tables
                    # that the model's default ordering (by attendance first) would join.
                    queryset=StatusChange.objects.order_by("as_of", "id").prefetch_related(
                        with_citations()
                    ),
                ),
                with_citations(),
            )
        return queryset

    def get_serializer_class(self):
        if self.action == "list":
            return serializers.AttendanceSerializer
        return serializers.AttendanceDetailSerializer

    def read_representation(self, attendance):
        if self.action == "statuses":
            # The timeline: a client adding a step names the timeline it read with If-Match.
            timeline = attendance.status_changes.all()
            return serializers.StatusChangeSerializer(timeline, many=True).data
        return super().read_representation(attendance)

    @extend_schema(
        methods=["GET"],
        summary="Status timeline",
        responses=serializers.StatusChangeSerializer(many=True),
    )
    @extend_schema(
        methods=["POST"],
        summary="Record a status change",
        request=serializers.NewStatusChangeSerializer,
        responses={201: serializers.StatusChangeSerializer},
    )
    @action(
        detail=True,
        methods=["get", "post"],
        permission_classes=[CanRecordStatus],
        serializer_class=serializers.NewStatusChangeSerializer,
        pagination_class=None,
        filter_backends=[],
    )
    def statuses(self, request, pk=None):
        """The attendance's status timeline; POST adds a step and refreshes the current status."""
        attendance = self.get_object()
        if request.method in SAFE_METHODS:
            return Response(self.read_representation(attendance))
        body = serializers.NewStatusChangeSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        change = attendance_record_status(attendance=attendance, **body.validated_data)
        change = StatusChange.objects.prefetch_related(with_citations()).get(pk=change.pk)
        return Response(
            serializers.StatusChangeSerializer(change).data, status=status.HTTP_201_CREATED
        )


class SourceViewSet(TrackerModelViewSet):
    """Where the evidence comes from: a text held verbatim (an article, a dataset record), or a
    page at a URL. `POST` adds one with its text, after which citations can quote it."""

    # A text may run to megabytes: read it only where it is written or served.
    queryset = Source.objects.defer("text")
    serializer_class = serializers.SourceSerializer
    lookup_field = "key"
    search_fields = ["title", "author", "publisher", "key"]
    ordering_fields = ["key", "title"]
    ordering = ["key"]
    max_body_size = SOURCE_BODY_MAX_BYTES

    @extend_schema(
        summary="The source's text",
        description="The text as stored, verbatim, as text/plain in UTF-8: what citations "
        "quote, offsets counting code points from 0. 404 for a source without text.",
        responses={(200, "text/plain"): OpenApiTypes.STR},
    )
    @action(detail=True, pagination_class=None, filter_backends=[])
    def text(self, request, key=None):
        source = self.get_object()
        if not source.text:
            raise NotFound("This source holds no text; see its url.")
        return HttpResponse(source.text, content_type="text/plain; charset=utf-8")


class CitationViewSet(TrackerModelViewSet):
    """Evidence for one field of one record: a verbatim quote from a source."""

    queryset = Citation.objects.select_related("source", "summit").defer("source__text")
    serializer_class = serializers.CitationSerializer
    filterset_class = filters.CitationFilter
    search_fields = ["quote"]
    ordering_fields = ["id", "start"]
    ordering = ["id"]

    def get_renderers(self):
        renderers = super().get_renderers()
        # A citation, and the list, also as W3C Web Annotations (summits.api.annotations).
        if self.action in ("list", "retrieve", None):
            renderers.append(AnnotationRenderer())
        return renderers

    def get_queryset(self):
        queryset = super().get_queryset()
        if annotations_asked(self.request):
            return annotation_rows(queryset)
        return queryset

    def list(self, request, *args, **kwargs):
        if annotations_asked(request):
            page = self.paginate_queryset(self.filter_queryset(self.get_queryset())) or []
            assert isinstance(self.paginator, CursorPagination)  # for its next and prev links
            return annotation_page_response(request, page, self.paginator)
        return super().list(request, *args, **kwargs)

    def retrieve(self, request, *args, **kwargs):
        if annotations_asked(request):
            return annotation_response(request, self.get_object())
        return super().retrieve(request, *args, **kwargs)

    def finalize_response(self, request, response, *args, **kwargs):
        # An error answered to a request for annotations goes out in the API's JSON shape.
        if annotations_asked(request) and getattr(response, "exception", False):
            request.accepted_renderer = json = self.renderer_classes[0]()
            request.accepted_media_type = json.media_type
        return super().finalize_response(request, response, *args, **kwargs)
