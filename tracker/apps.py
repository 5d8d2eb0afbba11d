"""The project's own app configurations."""

from django.contrib.admin.apps import AdminConfig


class TrackerAdminConfig(AdminConfig):
    """django.contrib.admin, on the tracker's admin site (tracker.admin_site)."""

    default_site = "tracker.admin_site.TrackerAdminSite"
