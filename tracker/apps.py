"""The project's own app configurations."""

from django.apps import AppConfig
from django.contrib.admin.apps import AdminConfig


class TrackerAdminConfig(AdminConfig):
    """django.contrib.admin, on the tracker's admin site (tracker.admin_site)."""

    default_site = "tracker.admin_site.TrackerAdminSite"


class TrackerConfig(AppConfig):
    """The project's own checks (tracker.checks)."""

    name = "tracker"

    def ready(self) -> None:
        from tracker import checks  # noqa: F401 - registers the checks
