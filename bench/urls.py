"""The product's URLs, and the baseline's under /baseline/ (same paths after the prefix)."""

from django.urls import include, path

import tracker.urls
from bench import baseline

baseline_patterns = [
    path("api/attendances/", baseline.attendance_list),
    path("api/attendances/<int:pk>/", baseline.attendance_detail),
    path("api/summits/", baseline.summit_list),
    path("api/summits/<slug:slug>/", baseline.summit_detail),
    path("api/leaders/<slug:slug>/record/", baseline.leader_record),
]

urlpatterns = [path("baseline/", include(baseline_patterns)), *tracker.urls.urlpatterns]

handler400 = tracker.urls.handler400
handler403 = tracker.urls.handler403
handler404 = tracker.urls.handler404
handler500 = tracker.urls.handler500
