"""Settings for the tracker, every knob read from the environment.

Development defaults make a first run work with no configuration at all when DEBUG is on;
with DEBUG off (the default) the settings refuse to start without their production secrets.
"""

import base64
import hashlib
import os
import warnings
from pathlib import Path

import environ
from csp.constants import NONCE, NONE, SELF, UNSAFE_HASHES
from django.core.exceptions import ImproperlyConfigured

from tracker.release import git_commit

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
# The checkout's .env (DEBUG=1, which `make run` writes) is for manage.py alone: manage.py names
# it here. The WSGI and ASGI apps read the environment only, so a .env left in a deployed
# checkout can never turn DEBUG on in production.
if dotenv := os.environ.get("TRACKER_DOTENV"):
    environ.Env.read_env(dotenv)

DEBUG = env.bool("DEBUG", default=False)

SECRET_KEY = env.str("SECRET_KEY", default="")
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=[])
if DEBUG:
    SECRET_KEY = SECRET_KEY or "django-insecure-development-only-key"
    ALLOWED_HOSTS = ALLOWED_HOSTS or ["localhost", "127.0.0.1", "[::1]"]
else:
    for name, value in (("SECRET_KEY", SECRET_KEY), ("ALLOWED_HOSTS", ALLOWED_HOSTS)):
        if not value:
            raise ImproperlyConfigured(
                f"{name} must be set in the environment when DEBUG is off "
                "(for local development, DEBUG=1 in .env, as `make run` writes it)."
            )

# The browsable API's login page sends a user with no `next` to the API's root, not to Django's
# /accounts/profile/, which the tracker does not have.
LOGIN_REDIRECT_URL = "/api/"

# HTTPS, as served in production behind a proxy that terminates TLS and says so in a header.
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=not DEBUG)
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]  # load balancers probe over plain HTTP
SESSION_COOKIE_SECURE = env.bool("SESSION_COOKIE_SECURE", default=not DEBUG)
CSRF_COOKIE_SECURE = env.bool("CSRF_COOKIE_SECURE", default=not DEBUG)
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=0 if DEBUG else 60 * 60 * 24 * 365)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=not DEBUG)
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=not DEBUG)
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])
X_FRAME_OPTIONS = "DENY"


def _whole_number(name: str, default: int, *, maximum: int) -> int:
    """A whole number from 0 to `maximum` from the environment; anything else stops start-up
    with a line that names the setting."""
    given = env.str(name, default=str(default))
    if not given.strip().isdigit() or int(given) > maximum:
        raise ImproperlyConfigured(
            f"{name} must be a whole number from 0 to {maximum}, not {given!r}."
        )
    return int(given)


def _rate(name: str, default: str) -> str:
    """A throttle rate from the environment, as DRF reads it ("30/minute"); anything else stops
    start-up with a line that names the setting, rather than failing every request."""
    given = env.str(name, default=default)
    number, _, period = given.partition("/")
    if not number.isdigit() or not period or period[0] not in "smhd":
        raise ImproperlyConfigured(
            f"{name} must be a rate such as 30/minute (a number, then /second, /minute, /hour "
            f"or /day), not {given!r}."
        )
    return given


def _replica_databases(name: str, primary: dict) -> dict[str, dict]:
    """The databases of the comma-separated replica URLs in `name`, as "replica1", "replica2"...:
    each read as DATABASE_URL is, connected as the primary is, outside the request's
    transaction. A URL that cannot be a PostgreSQL replica stops start-up with a line that names
    the setting (not the URL, which may hold a password)."""
    urls = [url.strip() for url in env.str(name, default="").split(",") if url.strip()]
    if urls and primary["ENGINE"] != "django.db.backends.postgresql":
        raise ImproperlyConfigured(
            f"{name} needs a PostgreSQL DATABASE_URL: it lists streaming replicas of it."
        )
    replicas = {}
    for number, url in enumerate(urls, start=1):
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # django-environ warns of an unknown scheme
                config = environ.Env.db_url_config(url)
        except ValueError:
            config = {}
        if config.get("ENGINE") != "django.db.backends.postgresql" or not config.get("NAME"):
            raise ImproperlyConfigured(
                f"{name} must list postgres:// URLs with a database name, as DATABASE_URL is "
                f"(postgres://user@host:5432/tracker); its URL number {number} is not one."
            )
        alias = f"replica{number}"
        replicas[alias] = {
            **config,
            # Its own name, so that the replica's pg_stat_activity tells which connections are
            # the tracker's.
            "OPTIONS": {"application_name": f"tracker {alias}", **config.get("OPTIONS", {})},
            "CONN_MAX_AGE": config.get("CONN_MAX_AGE", primary["CONN_MAX_AGE"]),
            "CONN_HEALTH_CHECKS": primary["CONN_HEALTH_CHECKS"],
            # A GET must not open a transaction on every replica.
            "ATOMIC_REQUESTS": False,
            # The test suite reads its one test database through it.
            "TEST": {"MIRROR": "default"},
        }
    return replicas


def _sha256_sources(*texts: str) -> list[str]:
    """CSP hash sources that allow exactly these inline texts."""
    return [
        f"'sha256-{base64.b64encode(hashlib.sha256(text.encode()).digest()).decode()}'"
        for text in texts
    ]


# Content-Security-Policy (django-csp): every page loads its scripts, styles, images, fonts and
# data from this site only. An inline <style> applies only with the response's nonce, an inline
# <script> not at all (Redoc's page, in tracker/urls.py, is the one exception), and an inline
# style or event handler attribute only if it is one that a third-party template writes, allowed
# by its exact text below.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "script-src-attr": [
            UNSAFE_HASHES,
            # django-import-export's export form: its "Select all" checkbox.
            *_sha256_sources("onSelectToggleChange(event)"),
        ],
        "style-src": [SELF, NONCE],
        "style-src-attr": [
            UNSAFE_HASHES,
            *_sha256_sources(
                # DRF's browsable API: its Filters and Extra Actions buttons, search filter and
                # chosen ordering.
                "float: right; margin-right: 10px",
                "width: 350px",
                "float: right",
                # django-simple-history's history list: its paginator.
                "border-top: 0",
                # django-import-export's export form: its field list.
                "padding: 0;",
                "font-weight: bold;",
            ),
        ],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [NONE],
        "frame-ancestors": [NONE],
        "form-action": [SELF],
    },
}

INSTALLED_APPS = [
    "tracker.apps.TrackerAdminConfig",  # django.contrib.admin, its login throttled
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework.authtoken",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "drf_standardized_errors",
    "simple_history",
    "import_export",
    "csp",
    "summits",
    "tracker.apps.TrackerConfig",  # the deployment's own checks (tracker.checks)
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "tracker.middleware.JsonErrorMiddleware",
    "tracker.middleware.RejectNulMiddleware",
    # Where each API GET reads (a replica, or the primary), chosen before anything reads; it
    # needs only the request's headers and cookies.
    "tracker.replicas.routing.ReadReplicaMiddleware",
    # Answers from the shared response cache, and 304s while the data is unchanged, before the
    # middleware below runs (but for a session's request); it keeps a response as it leaves
    # them, their headers included, and answers a hit with it as is.
    "tracker.middleware.SharedResponseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    "tracker.middleware.DatabaseUnavailableMiddleware",
    # A strong ETag on the API's GET responses, the view run in one snapshot of the data, and a
    # session's early 304s, where its user is known.
    "tracker.middleware.RepresentationETagMiddleware",
    # Innermost, so a 304 answered without the view carries no policy: the browser keeps the
    # one whose nonce matches the page it has cached.
    "csp.middleware.CSPMiddleware",
]

ROOT_URLCONF = "tracker.urls"
WSGI_APPLICATION = "tracker.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        # The project's overrides of third-party pages (the API docs and the browsable API),
        # found before the apps' own templates.
        "DIRS": [BASE_DIR / "tracker" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
}
# The change feed's log is the database's record of writes: dumpdata and loaddata skip it.
DATABASE_ROUTERS = ["summits.models.changes.ChangeLogRouter"]
# A request's writes land together or not at all.
DATABASES["default"]["ATOMIC_REQUESTS"] = True
# A connection outlives its request (opening one costs ~3 ms on PostgreSQL, more than most
# queries here), and each request checks it before use, so a restarted server costs no errors.
# Not psycopg's pool: after an outage it retries with a backoff of up to 10 s, during which a
# worker keeps answering 503 with the server back.
DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("CONN_MAX_AGE", default=600))
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
# No statement runs longer than this (seconds; 0 for no limit): a query that would is cancelled
# and its request answers 503, instead of one client holding a database core for as long as it
# likes. A command that must run longer lifts it for its own transaction (SET LOCAL).
DATABASE_STATEMENT_TIMEOUT = env.float("DATABASE_STATEMENT_TIMEOUT", default=3.0)
# What every PostgreSQL session starts with: sent at connect, or, behind a pooler that cannot
# carry them, the role's own defaults in the database (`manage.py set_session_defaults`).
# JIT compiling spends 30-60 ms on a plan as costly as a page with its "first" labels: worth
# it for a report over millions of rows, never for a request that reads a hundred.
DATABASE_SESSION_SETTINGS = {
    "jit": "off",
    "statement_timeout": f"{round(DATABASE_STATEMENT_TIMEOUT * 1000)}ms",
}
# What stands between the app servers and PostgreSQL: nothing (empty, the default), or
# "pgbouncer" in transaction pooling mode, which hands each transaction whichever server
# connection is free, so no state may outlive a transaction (README: Connection pooling).
DATABASE_POOLER = env.str("DATABASE_POOLER", default="")
if DATABASE_POOLER not in {"", "pgbouncer"}:
    raise ImproperlyConfigured(
        f"DATABASE_POOLER must be pgbouncer, or empty for none, not {DATABASE_POOLER!r}."
    )


def _postgresql(database: dict) -> None:
    """A PostgreSQL alias's settings: the tracker's backend, its timeouts, and what its
    sessions start with."""
    # PostgreSQL's backend, with a deadline on each request's database calls: a server that
    # hangs (stopped, not refusing) answers 503 within seconds, below gunicorn's worker timeout.
    database["ENGINE"] = "tracker.database"
    options = database.setdefault("OPTIONS", {})
    # An unreachable server is reported within seconds, not after the operating system gives up.
    options.setdefault("connect_timeout", 2)
    # A peer that vanished from the network is noticed in seconds, not after TCP's minutes.
    options.setdefault("keepalives", 1)
    options.setdefault("keepalives_idle", 5)
    options.setdefault("keepalives_interval", 1)
    options.setdefault("keepalives_count", 3)
    options.setdefault("tcp_user_timeout", 5000)
    if not DATABASE_POOLER:
        options.setdefault(
            "options",
            " ".join(f"-c {name}={value}" for name, value in DATABASE_SESSION_SETTINGS.items()),
        )
        return
    # PgBouncer refuses a startup packet's `options`: the sessions' settings are the role's
    # defaults instead. A statement prepared on one server connection is unknown on the next
    # (Django prepares none by default; this keeps it so).
    database["POOLER"] = DATABASE_POOLER
    options["prepare_threshold"] = None


# PostgreSQL streaming replicas of DATABASE_URL that answer the API's GETs (comma-separated
# URLs; none by default): writes, the admin and commands use the primary, and a client that
# has just written reads its write (tracker/replicas/; the README's "Read replicas").
_replicas = _replica_databases("DATABASE_REPLICA_URLS", DATABASES["default"])
DATABASES.update(_replicas)
DATABASE_REPLICAS = list(_replicas)
DATABASE_ROUTERS.append("tracker.replicas.routing.ReadReplicaRouter")
# A replica further behind the primary than this (seconds) serves no reads until it catches up.
REPLICA_MAX_LAG_SECONDS = _whole_number("REPLICA_MAX_LAG_SECONDS", 5, maximum=3600)

for _database in DATABASES.values():
    if _database["ENGINE"] == "django.db.backends.postgresql":
        _postgresql(_database)
# SQLite builds the summits' covering index without its INCLUDE column and warns so
# (models.W040) on every command; the INCLUDE is a PostgreSQL optimisation, so on SQLite, and
# only there, that one warning says nothing worth reading.
SILENCED_SYSTEM_CHECKS = (
    ["models.W040"] if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3" else []
)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}

# What is deployed, e.g. its git commit or version: part of every API ETag, so a deployment that
# may render other bytes for the same data never answers 304 to a tag of the last one, while
# every worker and app server of one deployment agrees. Unset, the git commit of the checkout
# the server runs from; with DEBUG on, each server start (each code reload) instead.
RELEASE = env.str("RELEASE", default="")
if not RELEASE and not DEBUG:
    RELEASE = git_commit(BASE_DIR)
    if not RELEASE:
        raise ImproperlyConfigured(
            "RELEASE must be set in the environment when DEBUG is off outside a git checkout "
            "(e.g. the deployed commit or version)."
        )

# How long the change feed (/api/changes/) keeps a change: `manage.py prune_changes` deletes
# older ones, and a client whose token is older re-syncs.
CHANGE_FEED_RETENTION_DAYS = _whole_number("CHANGE_FEED_RETENTION_DAYS", 30, maximum=36_500)

# Shared by every app server: throttle counters and the replicas' read-your-writes positions
# live here. Redis in production (CACHE_URL=redis://127.0.0.1:6379/0); one process's memory for
# a first run.
CACHES = {"default": env.cache("CACHE_URL", default="locmemcache://")}
# The API's cached responses (summits.api.response_cache): each process's own memory unless
# RESPONSE_CACHE_URL names a shared cache. In production, with several app servers, give them a
# Redis of their own, with a `maxmemory` and `maxmemory-policy allkeys-lru`: clients choose what
# is kept (every distinct URL and header is a key), and a Redis they fill must neither refuse
# nor evict the throttles' counters. Never CACHE_URL's by default, for that reason.
CACHES["responses"] = env.cache("RESPONSE_CACHE_URL", default="locmemcache://responses")
for _cache in CACHES.values():
    # Deployments (and test runs) sharing one Redis keep apart by a prefix of their own. Set
    # here: django-environ lowercases CACHE_URL's query keys, so `?key_prefix=` never arrives.
    _cache["KEY_PREFIX"] = env.str("CACHE_KEY_PREFIX", default="")
    if _cache["BACKEND"] == "django.core.cache.backends.redis.RedisCache":
        # Django's, keeping one redis-py client per connection pool (tracker.cache).
        _cache["BACKEND"] = "tracker.cache.RedisCache"
        # A refused or hung Redis costs a request 0.2 s, not redis-py's 5 s: the throttles then
        # fail open and responses are not cached (summits.api.throttling). The URL's own query
        # parameters win.
        _cache["OPTIONS"] = {
            "socket_connect_timeout": 0.2,
            "socket_timeout": 0.2,
            **_cache.get("OPTIONS", {}),
        }

# How long (seconds) an anonymous API GET's response is kept in that cache under the data version
# it shows (summits.api.response_cache); 0 keeps none. A write changes the version, and so the
# key: this bounds only the memory an unchanged version's responses hold, never staleness.
RESPONSE_CACHE_SECONDS = _whole_number("RESPONSE_CACHE_SECONDS", 600, maximum=86_400)
# Larger bodies (a page of 500 attendances is ~170 KB) are served from the database each time.
RESPONSE_CACHE_MAX_BYTES = _whole_number("RESPONSE_CACHE_MAX_BYTES", 512 * 1024, maximum=2**30)

FIXTURE_DIRS = [BASE_DIR / "fixtures"]
SERIALIZATION_MODULES = {"json": "summits.fixture_format"}
SEEDS_DIR = BASE_DIR / "seeds"

# Requests larger than this are refused before they reach a view: 2 MiB, a source's text with
# its JSON; every other API view keeps to 1 MiB (summits.api.parsers).
DATA_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        # Token first: an anonymous write then answers 401 with WWW-Authenticate, not 403.
        "rest_framework.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": [
        "summits.api.permissions.ModelPermissionsOrAnonReadOnly",
    ],
    # JSON through orjson, both ways: request bodies are JSON only (the browsable API's
    # raw-data form sends JSON too).
    "DEFAULT_CONTENT_NEGOTIATION_CLASS": "summits.api.negotiation.ContentNegotiation",
    "DEFAULT_RENDERER_CLASSES": [
        "drf_orjson_renderer.renderers.ORJSONRenderer",
        "rest_framework.renderers.BrowsableAPIRenderer",
    ],
    "DEFAULT_PARSER_CLASSES": ["summits.api.parsers.JSONParser"],
    "DEFAULT_FILTER_BACKENDS": [
        "summits.api.filters.FilterBackend",
        "summits.api.filters.SearchFilter",
        "summits.api.pagination.TieBreakingOrderingFilter",
    ],
    "DEFAULT_PAGINATION_CLASS": "summits.api.pagination.CursorPagination",
    "DEFAULT_THROTTLE_CLASSES": [
        "summits.api.throttling.AnonRateThrottle",
        "summits.api.throttling.UserRateThrottle",
    ],
    "DEFAULT_THROTTLE_RATES": {
        "anon": _rate("THROTTLE_ANON", "600/minute"),
        "user": _rate("THROTTLE_USER", "3000/minute"),
        "login": _rate("THROTTLE_LOGIN", "5/minute"),
        "export": _rate("THROTTLE_EXPORT", "30/minute"),
    },
    # Throttles count by REMOTE_ADDR; behind N reverse proxies, the address the Nth from the
    # end of X-Forwarded-For names. With none (the default) the header is ignored, so a client
    # cannot buy itself a fresh budget by sending a new one.
    "NUM_PROXIES": env.int("NUM_PROXIES", default=0),
    "EXCEPTION_HANDLER": "drf_standardized_errors.handler.exception_handler",
    "DEFAULT_SCHEMA_CLASS": "summits.api.schema.AutoSchema",
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
}

# Every status an operation can answer with an error, each in the one error shape.
ERROR_STATUS_CODES = [
    "400",
    "401",
    "403",
    "404",
    "405",
    "406",
    "409",
    "412",
    "413",
    "415",
    "429",
    "500",
    "503",
]
DRF_STANDARDIZED_ERRORS = {
    "EXCEPTION_HANDLER_CLASS": "summits.api.errors.ExceptionHandler",
    "EXCEPTION_FORMATTER_CLASS": "summits.api.errors.ExceptionFormatter",
    "ENABLE_IN_DEBUG_FOR_UNHANDLED_EXCEPTIONS": True,
    "ALLOWED_ERROR_STATUS_CODES": ERROR_STATUS_CODES,
    "ERROR_SCHEMAS": dict.fromkeys(
        ERROR_STATUS_CODES, "summits.api.schema.ErrorResponseSerializer"
    ),
}

SPECTACULAR_SETTINGS = {
    "TITLE": "Summit attendance tracker",
    "DESCRIPTION": "Which national leaders attend which summits, in what role, with what status, "
    "and on what evidence.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "SWAGGER_UI_SETTINGS": {"validatorUrl": None},
    "COMPONENT_SPLIT_REQUEST": True,
    "PREPROCESSING_HOOKS": ["summits.api.schema.drop_slashless_twins"],
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "summits.api.schema.document_blank_query_parameters",
    ],
    "ENUM_NAME_OVERRIDES": {
        "AttendanceStatusEnum": "summits.models.AttendanceStatus",
        "ChangeKindEnum": "summits.models.ChangeKind",
        "RecordTypeEnum": "summits.models.RecordType",
        "DatePrecisionEnum": "summits.dates.DatePrecision",
        "FirstLabelEnum": "summits.models.FirstLabel",
        "KindEnum": "summits.models.SummitKind",
        "SummitStatusEnum": "summits.models.SummitStatus",
    },
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="WARNING")},
    "loggers": {"django": {"handlers": ["console"], "level": "INFO", "propagate": False}},
}
