#!/usr/bin/env python
"""Django's command-line utility for administrative tasks."""

import os
import sys


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tracker.settings")
    # Commands run in a checkout read its .env (tracker/settings.py); the servers never do.
    os.environ.setdefault("TRACKER_DOTENV", os.path.join(os.path.dirname(__file__), ".env"))
    from django.conf import settings
    from django.core.exceptions import ImproperlyConfigured
    from django.core.management import execute_from_command_line

    try:
        settings.INSTALLED_APPS  # noqa: B018 (loading the settings reads the environment)
    except ImproperlyConfigured as error:
        # A setting the environment lacks is a one-line message, not a traceback.
        sys.exit(f"manage.py: {error}")
    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
