"""The API's router."""

from django.urls import path
from rest_framework.routers import DefaultRouter

from summits.api import feeds, views
from summits.api.auth import obtain_auth_token

app_name = "api"

router = DefaultRouter()
router.register("countries", views.CountryViewSet)
router.register("organizations", views.OrganizationViewSet)
router.register("leaders", views.LeaderViewSet)
router.register("summits", views.SummitViewSet)
router.register("attendances", views.AttendanceViewSet)
router.register("sources", views.SourceViewSet)
router.register("citations", views.CitationViewSet)

urlpatterns = [
    path("auth/token/", obtain_auth_token, name="token"),
    path("summits/calendar.ics", feeds.SummitCalendarView.as_view(), name="summit-calendar"),
    *router.urls,
]
