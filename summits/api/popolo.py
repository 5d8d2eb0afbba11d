"""`GET /api/popolo/`: the data set as one Popolo JSON document (summits.popolo), streamed, with
the summit list's filters and search.

With no filter it holds every leader, country and organization; with filters, the summits they
match and only the leaders, countries and organizations those summits refer to. Before the first
byte the filters are checked (a bad one is a JSON 400) and the first row of the document's first
table is read as the document reads it, so that a database that does not answer, or not in
time, is a JSON 503 rather than a 200 whose body stops; the document itself is read as the body
is sent, in a transaction of its own. A HEAD stops before the document.

The ETag names the data version, the URL and the release, not the request headers the API's
other tags hash (summits.api.conditional.VARIANT_HEADERS): the document is the same JSON
whatever the client accepts, prefers (every name in every language is in it) or is, so a client
or a cache that asks again with another Accept-Language or another session still gets a 304.
"""

from typing import cast

from django.http import HttpResponseBase
from django_filters.constants import EMPTY_VALUES
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import generics
from rest_framework.generics import GenericAPIView
from rest_framework.permissions import AllowAny
from rest_framework.renderers import BaseRenderer
from rest_framework.request import Request
from rest_framework.reverse import reverse
from rest_framework.settings import api_settings

from summits.api import filters
from summits.api.conditional import streamed_etag
from summits.api.csv_export import without_format
from summits.api.fields import identity_url
from summits.api.popolo_schema import POPOLO_DESCRIPTION, POPOLO_DOCUMENT
from summits.api.schema import AutoSchema
from summits.api.streaming import not_modified, streamed_response
from summits.api.strictness import StrictQueryParametersMixin
from summits.api.throttling import spend_export_budget
from summits.api.views import SummitViewSet
from summits.models import Summit
from summits.popolo import Link, PopoloSelection, popolo_document

MEDIA_TYPE = "application/json"

# The URL of each kind of record the document links to: its route and lookup argument.
RECORD_ROUTES = {
    "leader": ("api:leader-detail", "slug"),
    "country": ("api:country-detail", "code"),
    "organization": ("api:organization-detail", "slug"),
    "summit": ("api:summit-detail", "slug"),
    "attendance": ("api:attendance-detail", "pk"),
    "source_text": ("api:source-text", "key"),
}


class PopoloSchema(AutoSchema):
    """The export's schema: one document when it succeeds, the API's JSON error shape when not."""

    def get_filter_backends(self):
        # Not a list of objects to drf-spectacular, yet filtered like the summit list.
        return cast(GenericAPIView, self.view).filter_backends


class PopoloView(StrictQueryParametersMixin, generics.GenericAPIView):
    """The data set, or the summits a filter matches, as Popolo JSON."""

    queryset = Summit.objects.all()
    filterset_class = filters.SummitFilter
    # The summit list's filters and search; the document has an order of its own.
    filter_backends = [filters.FilterBackend, filters.SearchFilter]
    search_fields = SummitViewSet.search_fields
    pagination_class = None
    # JSON only: the document is JSON whatever the client accepts, and so is every error.
    renderer_classes = cast("list[type[BaseRenderer]]", api_settings.DEFAULT_RENDERER_CLASSES[:1])
    # Anonymous reads are public everywhere; here there is nothing to write, so others get 405.
    permission_classes = [AllowAny]
    schema = PopoloSchema()

    def reads_a_list(self) -> bool:
        return True

    @extend_schema(
        operation_id="popolo",
        summary="Popolo JSON",
        description=POPOLO_DESCRIPTION,
        responses={
            (200, MEDIA_TYPE): OpenApiResponse(
                POPOLO_DOCUMENT, description="One Popolo document, streamed."
            )
        },
    )
    def get(self, request: Request, *args, **kwargs) -> HttpResponseBase:
        summits = self.filter_queryset(self.get_queryset())
        selection = PopoloSelection(summits=summits, whole=not self._narrowed(request))
        # Read before the document's first row, so that the body is never older than its tag.
        etag = streamed_etag(request, headers=())
        unchanged = not_modified(request, etag)
        if unchanged is not None:
            return unchanged
        # The whole data set may hold a worker for minutes: the budget of whole-list exports.
        spend_export_budget(request, self)
        selection.probe()
        body = popolo_document(selection=selection, link=_links(request))
        return streamed_response(request, body, content_type=MEDIA_TYPE, etag=etag)

    def _narrowed(self, request: Request) -> bool:
        """Whether the search or a filter narrows the summits: a blank one (`?status=`,
        `?search=%20`) does not, as on the summit list."""
        if filters.SearchFilter().get_search_terms(request):
            return True
        filterset = filters.FilterBackend().get_filterset(request, self.get_queryset(), self)
        return (
            filterset is not None
            and filterset.is_valid()
            and any(value not in EMPTY_VALUES for value in filterset.form.cleaned_data.values())
        )


def _links(request: Request) -> Link:
    """The absolute URLs of the tracker's records, without the `format` of this request."""
    plain = without_format(request)

    def link(kind: str, key: object) -> str:
        route, argument = RECORD_ROUTES[kind]
        url = identity_url(plain, route, argument, key)
        return url if url is not None else reverse(route, kwargs={argument: key}, request=plain)

    return link
