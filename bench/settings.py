"""The benchmark's settings: the product's, plus the baseline views, with throttling off.

Nothing else changes: the same middleware, database settings (ATOMIC_REQUESTS included) and REST
framework configuration serve both the API and the baseline.
"""

import os
import warnings

from tracker.settings import *  # noqa: F403
from tracker.settings import DATABASES, REST_FRAMEWORK, STORAGES

ROOT_URLCONF = "bench.urls"

# Load tests would only measure the throttle; it is also a per-process cache here.
REST_FRAMEWORK = {**REST_FRAMEWORK, "DEFAULT_THROTTLE_CLASSES": []}

# No collectstatic for a benchmark of JSON endpoints, and no warning that there was none.
warnings.filterwarnings("ignore", "No directory at", UserWarning)
STORAGES = {
    **STORAGES,
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}

if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # A request the load tools gave up on (after 10 s) must not hold the database afterwards.
    DATABASES["default"].setdefault("OPTIONS", {})["options"] = "-c statement_timeout=10000"

# For an experiment only (not set by `make bench`): persistent connections, which the product's
# settings do not turn on (CONN_MAX_AGE defaults to 0, a new connection per request).
if os.environ.get("BENCH_CONN_MAX_AGE"):
    DATABASES["default"]["CONN_MAX_AGE"] = int(os.environ["BENCH_CONN_MAX_AGE"])
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
