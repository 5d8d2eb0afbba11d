"""The tests' settings: the product's, plus the synthetic data app (`generate_data`)."""

from tracker.settings import *  # noqa: F403
from tracker.settings import INSTALLED_APPS

INSTALLED_APPS = [*INSTALLED_APPS, "devdata"]
