"""The benchmark's settings: the product's, plus the baseline views and the synthetic data app,
with throttling off.

Nothing else changes: the same middleware (the shared-cache and ETag middleware also covering the baseline), database settings (ATOMIC_REQUESTS included) and REST
framework configuration serve both the API and the baseline.
"""

import os
import warnings

from tracker.settings import *  # noqa: F403
from tracker.settings import DATABASES, INSTALLED_APPS, MIDDLEWARE, REST_FRAMEWORK, STORAGES

ROOT_URLCONF = "bench.urls"

# The synthetic data set (`generate_data`), which the product does not install.
INSTALLED_APPS = [*INSTALLED_APPS, "devdata"]

# The baseline's answers get the API's ETags and 304s from the same middleware, told its paths.
MIDDLEWARE = [
    name.replace("tracker.middleware.", "bench.middleware.")
    if name
    in (
        "tracker.middleware.SharedResponseMiddleware",
        "tracker.middleware.RepresentationETagMiddleware",
    )
    else name
    for name in MIDDLEWARE
]

# The API's reads are measured cold, against the baseline's: the shared response cache
# (summits.api.response_cache) stays off unless the environment sets RESPONSE_CACHE_SECONDS, as
# `python -m bench.run --response-cache` does. The baseline never uses it (bench/middleware.py).
if "RESPONSE_CACHE_SECONDS" not in os.environ:
    RESPONSE_CACHE_SECONDS = 0

# Load tests would only measure the throttle; it is also a per-process cache here.
REST_FRAMEWORK = {**REST_FRAMEWORK, "DEFAULT_THROTTLE_CLASSES": []}

# No collectstatic for a benchmark of JSON endpoints, and no warning that there was none.
warnings.filterwarnings("ignore", "No directory at", UserWarning)
STORAGES = {
    **STORAGES,
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}

if DATABASES["default"]["ENGINE"] == "tracker.database" and not DATABASES["default"].get("POOLER"):
    # A request the load tools gave up on (after 10 s) must not hold the database afterwards.
    # (Behind a pooler the role's defaults hold it to DATABASE_STATEMENT_TIMEOUT instead.)
    _options = DATABASES["default"].setdefault("OPTIONS", {})
    _options["options"] = f"{_options.get('options', '')} -c statement_timeout=10000".strip()
