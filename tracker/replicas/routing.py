"""Which database each query reads from: a replica for the API's GETs, the primary otherwise.

`ReadReplicaMiddleware` chooses, once per request, where a GET or HEAD under /api/ reads: one
replica that is up, not lagging and (for a client that has just written) has replayed that
client's write; else the primary. The choice holds for the whole request, the data version the
ETag names and a streamed body's rows included, so every query of a response sees one server.
`ReadReplicaRouter` follows it; it sends every write, every other request, management commands
and any transaction opened on the primary inside the request to the primary, and reads who a
client is (users, tokens, sessions) from the primary, so that a revoked token stops working at
once. A replica that fails during a request (its connection lost, a query cancelled because it
conflicted with replay) has the request answered again by the primary.
"""

import random
from collections.abc import Callable
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.signals import request_finished, request_started
from django.db import DEFAULT_DB_ALIAS, Error, InterfaceError, OperationalError, connections
from django.db.models import Model
from django.http import HttpRequest, HttpResponse, HttpResponseBase

from tracker.replicas import written
from tracker.replicas.health import Replica, health

SAFE_METHODS = ("GET", "HEAD", "OPTIONS", "TRACE")
REPLICA_METHODS = ("GET", "HEAD")
REPLICA_PATHS = ("/api/",)
# Who a client is, read from the primary: a token made, revoked or a password changed a moment
# ago counts at once.
PRIMARY_APPS = frozenset({"auth", "authtoken", "sessions"})
# A statement past its timeout: the primary would spend as long on it, so it is not run again.
QUERY_CANCELED = "57014"


@dataclass
class Reading:
    """Where the current request reads."""

    alias: str
    # The primary's atomic blocks open around the view: a block beyond them is a transaction
    # the request opened itself, which reads from the primary what it may have written.
    own_atomic_blocks: int
    failure: Exception | None = None


_reading: ContextVar[Reading | None] = ContextVar("replicas_reading", default=None)


def reading_alias() -> str:
    """The database alias the current request reads summit data from: a replica's during an
    API GET that one serves, otherwise "default" (the primary)."""
    reading = _reading.get()
    if reading is None or reading.alias == DEFAULT_DB_ALIAS:
        return DEFAULT_DB_ALIAS
    if len(connections[DEFAULT_DB_ALIAS].atomic_blocks) > reading.own_atomic_blocks:
        return DEFAULT_DB_ALIAS
    return reading.alias


def _forget(**kwargs: Any) -> None:
    # A streamed body reads after the middleware has returned: the choice holds until the
    # response is closed.
    _reading.set(None)


request_started.connect(_forget, dispatch_uid="tracker.replicas.request_started")
request_finished.connect(_forget, dispatch_uid="tracker.replicas.request_finished")


class ReadReplicaRouter:
    """Reads where the request reads (`reading_alias()`), writes and migrations on the primary.
    Without replicas it leaves every choice to Django."""

    def db_for_read(self, model: type[Model], **hints: Any) -> str | None:
        if not settings.DATABASE_REPLICAS:
            return None
        if model._meta.app_label in PRIMARY_APPS:
            return DEFAULT_DB_ALIAS
        return reading_alias()

    def db_for_write(self, model: type[Model], **hints: Any) -> str | None:
        # Even for an object read from a replica, which Django would save where it came from.
        return DEFAULT_DB_ALIAS if settings.DATABASE_REPLICAS else None

    def allow_relation(self, obj1: Model, obj2: Model, **hints: Any) -> bool | None:
        # A replica holds the primary's rows: an object read from one may refer to the other's.
        same_data = {DEFAULT_DB_ALIAS, *settings.DATABASE_REPLICAS}
        if obj1._state.db in same_data and obj2._state.db in same_data:
            return True
        return None

    def allow_migrate(self, db: str, app_label: str, model_name: str | None = None, **hints):
        return False if db in settings.DATABASE_REPLICAS else None


class ReadReplicaMiddleware:
    """Chooses where each API GET reads, answers it from the primary if that replica fails
    during it, and remembers where each write left the primary's WAL for its client."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        if not settings.DATABASE_REPLICAS:
            return self.get_response(request)
        if request.method in REPLICA_METHODS and request.path.startswith(REPLICA_PATHS):
            return self._read(request)
        response = self.get_response(request)
        if request.method not in SAFE_METHODS and 200 <= response.status_code < 400:
            written.remember_write(request)
        return response

    def process_view(
        self, request: HttpRequest, view: Callable[..., Any], args: Any, kwargs: Any
    ) -> HttpResponse | None:
        reading = _reading.get()
        if reading is not None:
            # ATOMIC_REQUESTS wraps the view in a block of its own (django.core.handlers.base).
            wrapped = connections.settings[DEFAULT_DB_ALIAS]["ATOMIC_REQUESTS"] and (
                DEFAULT_DB_ALIAS not in getattr(view, "_non_atomic_requests", set())
            )
            reading.own_atomic_blocks = len(connections[DEFAULT_DB_ALIAS].atomic_blocks) + wrapped
        return None

    def _read(self, request: HttpRequest) -> HttpResponseBase:
        alias = choose(request)
        reading = Reading(alias, len(connections[DEFAULT_DB_ALIAS].atomic_blocks))
        _reading.set(reading)
        response = self.get_response(request)
        if alias == DEFAULT_DB_ALIAS or reading.failure is None or response.streaming:
            return response
        if lost_connection(reading.failure):
            health.mark_down(alias, reading.failure)
        # The first answer is dropped unsent (not closed: closing ends the request).
        reading.alias, reading.failure = DEFAULT_DB_ALIAS, None
        return self.get_response(request)


def choose(request: HttpRequest) -> str:
    """Where this GET reads: a replica that serves (and has replayed what the client wrote
    lately) and answers, else the primary."""
    found = written.credential(request)
    must_see = written.must_see(found) if found is not None else None
    candidates = health.serving()
    random.shuffle(candidates)
    for replica in candidates:
        if must_see is not None and not _has_replayed(replica, must_see):
            continue
        failure = _connect(replica.alias)
        if failure is None:
            return replica.alias
        health.mark_down(replica.alias, failure)
    return DEFAULT_DB_ALIAS


def _has_replayed(replica: Replica, position: int) -> bool:
    if replica.replayed is not None and replica.replayed >= position:
        return True
    if position >= written.EVERYTHING:
        return False
    replayed = health.replayed_now(replica)
    return replayed is not None and replayed >= position


def _connect(alias: str) -> Error | None:
    """Makes sure the replica's connection works (opened, or checked as CONN_HEALTH_CHECKS
    would check it at its first query), so that a replica gone since the last check costs no
    failed query; its failures from here on are noted for the request. The error if it fails."""
    connection = connections[alias]
    try:
        connection.close_if_health_check_failed()
        connection.ensure_connection()
    except Error as error:
        return error
    if _note_failure not in connection.execute_wrappers:
        connection.execute_wrappers.append(_note_failure)
    return None


def _note_failure(execute, sql, params, many, context):
    try:
        return execute(sql, params, many, context)
    except (OperationalError, InterfaceError) as error:
        reading = _reading.get()
        if (
            reading is not None
            and context["connection"].alias == reading.alias
            and getattr(error.__cause__, "sqlstate", None) != QUERY_CANCELED
        ):
            reading.failure = error
        raise


def lost_connection(error: Exception) -> bool:
    """Whether `error` says the server is gone (refused, cut, shut down), not that it refused
    one query."""
    sqlstate = getattr(error.__cause__, "sqlstate", None)
    # Class 08 is a connection exception, 57P an operator's shutdown or a crash.
    return (
        isinstance(error, InterfaceError) or sqlstate is None or sqlstate.startswith(("08", "57P"))
    )
