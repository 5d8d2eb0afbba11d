"""The summits as an iCalendar feed, filtered, searched and ordered exactly like the summit list."""

from typing import cast

from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import generics, renderers
from rest_framework.generics import GenericAPIView
from rest_framework.permissions import AllowAny
from rest_framework.response import Response

from summits.api import filters
from summits.api.conditional import RESPONSE_VARY
from summits.api.schema import AutoSchema
from summits.api.streaming import rows_response
from summits.api.strictness import StrictQueryParametersMixin
from summits.api.views import SummitViewSet
from summits.calendar import LAST_EDITED, summit_last_edited, summits_calendar_stream
from summits.models import Summit


class ICalendarRenderer(renderers.BaseRenderer):
    """Chooses text/calendar in content negotiation; the view streams the bytes itself."""

    media_type = "text/calendar"
    format = "ics"
    charset = "utf-8"

    def render(self, data, accepted_media_type=None, renderer_context=None):
        return data


class CalendarSchema(AutoSchema):
    """The feed's schema: a calendar when it succeeds, the API's JSON error shape when it fails."""

    def get_filter_backends(self):
        # Not a list of objects to drf-spectacular, yet filtered like one.
        return cast(GenericAPIView, self.view).filter_backends


class SummitCalendarView(StrictQueryParametersMixin, generics.GenericAPIView):
    """Summits as all-day events (RFC 5545), as many as match the summit list's filters:
    streamed when one fetch does not hold them (summits.api.streaming.rows_response)."""

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

    def reads_a_list(self) -> bool:
        return True

    @extend_schema(
        operation_id="summits_calendar",
        responses={
            (200, ICalendarRenderer.media_type): OpenApiResponse(
                OpenApiTypes.STR, description="A VCALENDAR with one VEVENT per summit."
            )
        },
    )
    def get(self, request, *args, **kwargs):
        # Filters are checked here, so a bad one still answers a JSON 400 before any byte.
        summits = self.filter_queryset(self.get_queryset())
        return rows_response(
            request,
            summits,
            lambda rows: summits_calendar_stream(
                summits=rows,
                detail_url=lambda summit: request.build_absolute_uri(
                    reverse("api:summit-detail", args=[summit.slug])
                ),
            ),
            content_type=f"{ICalendarRenderer.media_type}; charset={ICalendarRenderer.charset}",
            vary=RESPONSE_VARY,
        )

    def finalize_response(self, request, response, *args, **kwargs):
        # An error (or an OPTIONS answer) carries no calendar: it goes out in the API's JSON shape.
        if isinstance(response, Response) and not isinstance(response.data, bytes):
            request.accepted_renderer = renderers.JSONRenderer()
            request.accepted_media_type = renderers.JSONRenderer.media_type
        return super().finalize_response(request, response, *args, **kwargs)
