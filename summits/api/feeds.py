"""The summits as an iCalendar feed, filtered, searched and ordered exactly like the summit list."""

from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import generics, renderers
from rest_framework.exceptions import ValidationError
from rest_framework.permissions import AllowAny
from rest_framework.response import Response

from summits.api import filters
from summits.api.schema import AutoSchema
from summits.api.views import SummitViewSet
from summits.calendar import LAST_EDITED, summit_last_edited, summits_calendar
from summits.models import Summit

MAX_EVENTS = 1_000


class ICalendarRenderer(renderers.BaseRenderer):
    """Passes through the bytes `summits_calendar()` built."""

    media_type = "text/calendar"
    format = "ics"
    charset = "utf-8"

    def render(self, data, accepted_media_type=None, renderer_context=None):
        return data


class CalendarSchema(AutoSchema):
    """The feed's schema: a calendar when it succeeds, the API's JSON error shape when it fails."""

    def get_filter_backends(self):
        # Not a list of objects to drf-spectacular, yet filtered like one.
        return self.view.filter_backends

    def _get_response_for_code(
        self, serializer, status_code, media_types=None, direction="response"
    ):
        if media_types is None and not str(status_code).startswith("2"):
            media_types = [renderers.JSONRenderer.media_type]
        return super()._get_response_for_code(serializer, status_code, media_types, direction)


class SummitCalendarView(generics.GenericAPIView):
    """Summits as all-day events (RFC 5545), up to 1,000; the summit list's filters apply."""

    queryset = Summit.objects.select_related("organization", "host_country").annotate(
        **{LAST_EDITED: summit_last_edited()}
    )
    filterset_class = filters.SummitFilter
    search_fields = SummitViewSet.search_fields
    ordering_fields = SummitViewSet.ordering_fields
    ordering = SummitViewSet.ordering
    pagination_class = None
    renderer_classes = [ICalendarRenderer]
    # Anonymous reads are public everywhere; here there is nothing to write, so others get 405.
    permission_classes = [AllowAny]
    schema = CalendarSchema()

    @extend_schema(
        operation_id="summits_calendar",
        responses={
            (200, ICalendarRenderer.media_type): OpenApiResponse(
                OpenApiTypes.STR, description="A VCALENDAR with one VEVENT per summit."
            )
        },
    )
    def get(self, request, *args, **kwargs):
        summits = list(self.filter_queryset(self.get_queryset())[: MAX_EVENTS + 1])
        if len(summits) > MAX_EVENTS:
            raise ValidationError(
                f"More than {MAX_EVENTS:,} summits match; narrow the filters "
                "(by year or organization, say).",
                code="too_many_events",
            )
        return Response(
            summits_calendar(
                summits=summits,
                detail_url=lambda summit: request.build_absolute_uri(
                    reverse("api:summit-detail", args=[summit.slug])
                ),
            )
        )

    def finalize_response(self, request, response, *args, **kwargs):
        # An error (or an OPTIONS answer) carries no calendar: it goes out in the API's JSON shape.
        if isinstance(response, Response) and not isinstance(response.data, bytes):
            request.accepted_renderer = renderers.JSONRenderer()
            request.accepted_media_type = renderers.JSONRenderer.media_type
        return super().finalize_response(request, response, *args, **kwargs)
