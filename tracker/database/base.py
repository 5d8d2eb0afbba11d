"""Django's PostgreSQL backend, with a deadline on each request's database calls.

While a request is served, every call that waits on the server (opening the connection, a
query, commit, rollback) may wait the statement timeout plus a second, so that a live server's
own cancel comes first; the CONN_HEALTH_CHECKS probe (see `is_usable`) may wait a second, in a
request or not. A call past its deadline has its connection cut by the watchdog and fails with
an OperationalError, which the API answers 503, and the rest of that request opens no new
connection to that database (it would wait on the same hung server): a hung server costs a
request seconds, not gunicorn's worker timeout. Outside requests (management commands, which
may lift the statement timeout for their own transaction) only the probe has a deadline.

Behind a pooler in transaction mode (the alias's POOLER set), a queryset's `.iterator()` outside
a transaction reads its rows with an ordinary cursor: Django would declare the server-side
cursor WITH HOLD and fetch from it in later statements, which the pooler may send to another
server connection. Inside a transaction the cursor lives and dies on one server connection.
"""

import math
import select
import time
from collections.abc import Callable
from contextvars import ContextVar
from typing import Any

from django.conf import settings
from django.core.signals import request_finished, request_started
from django.db import OperationalError
from django.db.backends.postgresql import base
from psycopg.pq import TransactionStatus

from tracker.database.watchdog import Watchdog

# How long after the statement timeout a call is cut: the server cancels its own first.
SERVER_CANCEL_GRACE = 1.0
# `SELECT 1` on a live server takes well under a millisecond.
HEALTH_CHECK_SECONDS = 1.0
# A connection that answered this recently, and has received nothing since, is not asked again.
RECENT_SECONDS = 1.0

watchdog = Watchdog(tick=0.25)

# A context variable rather than a thread-local, so that it follows a request into
# sync_to_async under ASGI as well.
serving_request: ContextVar[bool] = ContextVar("serving_request", default=False)
# The databases (aliases) of which a call of the request being served was cut past its deadline:
# those servers hang, and the request waits on them no longer (a new connection would wait its
# connect_timeout too); it may still turn to another (a replica's read to the primary).
cut_in_request: ContextVar[frozenset[str]] = ContextVar("cut_in_request", default=frozenset())


def _request_started(sender: Any, **kwargs: Any) -> None:
    serving_request.set(True)
    cut_in_request.set(frozenset())


def _request_finished(sender: Any, **kwargs: Any) -> None:
    serving_request.set(False)


request_started.connect(_request_started, dispatch_uid="tracker.database.request_started")
request_finished.connect(_request_finished, dispatch_uid="tracker.database.request_finished")


def call_seconds() -> float | None:
    """How long a call may wait on the server now, or None for as long as it takes."""
    if not serving_request.get():
        return None
    timeout = settings.DATABASE_STATEMENT_TIMEOUT
    return timeout + SERVER_CANCEL_GRACE if timeout else None


class DatabaseWrapper(base.DatabaseWrapper):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.execute_wrappers.append(self._execute_within_deadline)
        # When the server last answered a call on this connection (time.monotonic()).
        self.answered_at = -math.inf

    def within(self, seconds: float | None, call: Callable[..., Any], *args: Any) -> Any:
        """`call(*args)`, its connection cut if it waits longer than `seconds` (None: no limit)."""
        if seconds is None:
            result = call(*args)
        else:
            key = watchdog.start(self, seconds)
            try:
                result = call(*args)
            finally:
                if not watchdog.stop(key) and serving_request.get():
                    cut_in_request.set(cut_in_request.get() | {self.alias})
        self.answered_at = time.monotonic()
        return result

    def _execute_within_deadline(
        self, execute: Callable[..., Any], sql: str, params: Any, many: bool, context: Any
    ) -> Any:
        return self.within(call_seconds(), execute, sql, params, many, context)

    def connect(self) -> None:
        if serving_request.get() and self.alias in cut_in_request.get():
            raise OperationalError("The database did not answer within this request's deadline.")
        # Opening waits connect_timeout at most; setting the new session up may wait too.
        self.within(call_seconds(), super().connect)

    def chunked_cursor(self) -> Any:
        if self.settings_dict.get("POOLER") and self.get_autocommit():
            return self.cursor()
        return super().chunked_cursor()

    def is_usable(self) -> bool:
        """Django's `SELECT 1`, unless the server answered on this connection within the last
        RECENT_SECONDS and has sent nothing since.

        A busy worker's requests then skip a round trip each (on a response from the shared
        cache, a third of its database time). A server that ended the connection (a restart,
        `pg_terminate_backend`, an idle timeout, a pooler's restart) sent its goodbye or closed
        the socket, which then polls readable. One that vanished without a word within that
        second (a failover that moved its address, say) costs one request a 503; an idle
        connection is asked, as Django asks, and a hung server is cut by the deadlines."""
        driver = self.connection
        if driver is None or driver.closed or driver.broken:
            return False
        if (
            driver.info.transaction_status == TransactionStatus.IDLE
            and time.monotonic() - self.answered_at < RECENT_SECONDS
        ):
            poller = select.poll()
            poller.register(driver.fileno(), select.POLLIN)
            if not poller.poll(0):
                return True
        # Idle a while, something arrived, or a transaction is open (a failed one takes no
        # query): ask.
        return self.within(HEALTH_CHECK_SECONDS, super().is_usable)

    def commit(self) -> None:
        self.within(call_seconds(), super().commit)

    def rollback(self) -> None:
        self.within(call_seconds(), super().rollback)
