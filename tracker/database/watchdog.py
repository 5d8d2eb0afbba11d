"""One thread per process that cuts the connection of a database call waiting past its deadline.

A stopped server (SIGSTOP, a frozen VM) still has its kernel acknowledge every packet, so neither
TCP keepalives nor tcp_user_timeout ever fire, and its statement_timeout never runs: a call would
wait until gunicorn kills the worker. Shutting the call's socket down makes libpq see the end of
the stream at once, so the call fails now with an OperationalError.

Starting and ending a watched call costs a lock and a dict operation each: no thread or timer
per call. The thread wakes every `tick` seconds, so a call is cut at most that long after its
deadline.
"""

import contextlib
import itertools
import logging
import os
import socket
import threading
import time
from typing import Any

import psycopg

logger = logging.getLogger(__name__)


def shut_down(connection: psycopg.Connection[Any] | None) -> bool:
    """Shut down a psycopg connection's socket, so that the call waiting on it fails at once.

    False when there is no socket yet (the connection is still being opened: its
    connect_timeout bounds that wait), True once nothing can wait on it any longer.
    """
    if connection is None:
        return False
    try:
        fileno = connection.pgconn.socket
    except psycopg.OperationalError:
        return True  # already lost
    # A duplicate descriptor: closing it leaves libpq's own, but the shutdown is the socket's.
    with socket.socket(fileno=os.dup(fileno)) as sock, contextlib.suppress(OSError):
        sock.shutdown(socket.SHUT_RDWR)  # OSError: no longer connected, nothing waits on it
    return True


class Watchdog:
    """Cuts the connection of any watched call still running past its deadline.

    `start(wrapper, seconds)` watches a call on a Django DatabaseWrapper and returns a key for
    `stop(key)`. The thread is started by the first call it watches, so a process that never
    watches one (a management command) never has it.
    """

    def __init__(self, *, tick: float) -> None:
        self.tick = tick
        self._keys = itertools.count()
        self._reset()
        # A forked child has no thread, and may hold a copy of the lock taken mid-scan.
        os.register_at_fork(after_in_child=self._reset)

    def _reset(self) -> None:
        self._lock = threading.Lock()
        self._calls: dict[int, tuple[float, Any]] = {}
        self._thread: threading.Thread | None = None

    def start(self, wrapper: Any, seconds: float) -> int:
        key = next(self._keys)
        deadline = time.monotonic() + seconds
        with self._lock:
            self._calls[key] = (deadline, wrapper)
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._run, name="database-watchdog", daemon=True
                )
                self._thread.start()
        return key

    def stop(self, key: int) -> bool:
        """Ends watching a call: False if it had been cut."""
        with self._lock:
            return self._calls.pop(key, None) is not None

    def watching(self) -> int:
        """How many calls are watched right now."""
        with self._lock:
            return len(self._calls)

    def _run(self) -> None:
        while True:
            time.sleep(self.tick)
            try:
                self._cut_overdue_calls()
            except Exception:
                logger.exception("The database watchdog failed to check its calls")

    def _cut_overdue_calls(self) -> None:
        now = time.monotonic()
        cut: list[tuple[str, float]] = []
        # Under the lock: a call stops being watched before its connection can close, so the
        # socket shut down is still the one it waits on.
        with self._lock:
            for key, (deadline, wrapper) in list(self._calls.items()):
                if deadline <= now and shut_down(wrapper.connection):
                    del self._calls[key]
                    cut.append((wrapper.alias, now - deadline))
        for alias, late in cut:
            logger.warning(
                "Database %r did not answer within its deadline: connection cut %.2f s after it",
                alias,
                late,
            )
