"""The API's router: every route answers with or without its trailing slash."""

from django.urls import path

from summits.api import changes, feeds, popolo, views
from summits.api.auth import obtain_auth_token
from summits.api.routing import Router, slash_optional

app_name = "api"

router = Router()
router.register("countries", views.CountryViewSet)
router.register("organizations", views.OrganizationViewSet)
router.register("leaders", views.LeaderViewSet)
router.register("summits", views.SummitViewSet)
router.register("attendances", views.AttendanceViewSet)
router.register("sources", views.SourceViewSet)
router.register("citations", views.CitationViewSet)

# The API's root, for the project's URLs to serve at `/api` as well as `/api/`.
api_root = router.get_api_root_view()

urlpatterns = slash_optional(
    [
        path("auth/token/", obtain_auth_token, name="token"),
        path("summits/calendar.ics", feeds.SummitCalendarView.as_view(), name="summit-calendar"),
        path("popolo/", popolo.PopoloView.as_view(), name="popolo"),
        path("changes/", changes.ChangeFeedView.as_view(), name="changes"),
        *router.urls,
    ]
)
