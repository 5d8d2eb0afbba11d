"""Which read replicas may serve a read now: up, still replicas, and not lagging.

Each process checks at most once every CHECK_EVERY_SECONDS, inside the request that finds the
last check too old: the primary's flushed WAL position, then each replica's replayed position.
A replica is caught up when it has replayed everything the primary had flushed before it was
asked; otherwise it is at most as old as the last transaction it replayed (an upper bound: on
an idle primary that transaction may be old while nothing is missing, which is why the
positions are compared first). A replica that fails to answer is left alone for
DOWN_FOR_SECONDS, so that a stopped one costs one request a connection attempt now and then, not
every request.
"""

import logging
import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import cast

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, Error, connections

from tracker.database.base import HEALTH_CHECK_SECONDS, DatabaseWrapper

logger = logging.getLogger(__name__)

CHECK_EVERY_SECONDS = 1.0
DOWN_FOR_SECONDS = 5.0


def wal_position(text: str | None) -> int | None:
    """A WAL position as PostgreSQL writes it ("16/B374D848") as a number that compares."""
    if text is None:
        return None
    high, _, low = text.partition("/")
    return (int(high, 16) << 32) | int(low, 16)


@dataclass(frozen=True)
class Position:
    """How far a replica has replayed the primary's WAL."""

    replayed: int | None  # None: the server is not a replica (promoted, or never was one)
    replayed_age: float | None  # seconds since its last replayed transaction committed


def primary_flushed() -> int | None:
    """How far the primary's WAL is flushed: all that any replica can have received."""
    with connections[DEFAULT_DB_ALIAS].cursor() as cursor:
        cursor.execute("SELECT pg_current_wal_flush_lsn()::text")
        return wal_position(cursor.fetchone()[0])


def replica_position(alias: str) -> Position:
    # Every replica runs on the tracker's backend (tracker/settings.py).
    connection = cast("DatabaseWrapper", connections[alias])
    with connection.cursor() as cursor:
        # Within a health check's second, not a statement's timeout: a hung replica costs the
        # request that checks it that long.
        connection.within(
            HEALTH_CHECK_SECONDS,
            cursor.execute,
            "SELECT pg_last_wal_replay_lsn()::text, "
            "EXTRACT(EPOCH FROM now() - pg_last_xact_replay_timestamp())::float8",
        )
        replayed, age = cursor.fetchone()
    return Position(wal_position(replayed), age)


def lag_seconds(position: Position, flushed: int | None) -> float | None:
    """At most how many seconds of the primary's writes `position` lacks; None when that
    cannot be told or the server is no replica."""
    if position.replayed is None:
        return None
    if flushed is not None and position.replayed >= flushed:
        return 0.0
    if position.replayed_age is None:
        return None  # it has replayed no transaction since it started
    return max(position.replayed_age, 0.0)


@dataclass
class Replica:
    alias: str
    down_until: float = -math.inf
    replayed: int | None = None
    lag: float | None = None
    failing: bool = False  # since its last failure, no check has found it answering


class ReplicaHealth:
    """What this process knows of each replica in settings.DATABASE_REPLICAS."""

    def __init__(
        self,
        *,
        primary: Callable[[], int | None] = primary_flushed,
        replica: Callable[[str], Position] = replica_position,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.primary = primary
        self.replica = replica
        self.clock = clock
        self._lock = threading.Lock()
        self._checked_at = -math.inf
        self._replicas: dict[str, Replica] = {}

    def serving(self) -> list[Replica]:
        """The replicas that may serve a read now, after checking them again if the last check
        is older than CHECK_EVERY_SECONDS."""
        now = self.clock()
        # One thread checks; the others meanwhile go by the last check.
        if now - self._checked_at >= CHECK_EVERY_SECONDS and self._lock.acquire(blocking=False):
            try:
                self._check(now)
            finally:
                self._lock.release()
        limit = settings.REPLICA_MAX_LAG_SECONDS
        return [
            replica
            for replica in self._known()
            if replica.down_until <= now and replica.lag is not None and replica.lag <= limit
        ]

    def replayed_now(self, replica: Replica) -> int | None:
        """How far `replica` has replayed, asked now rather than at the last check."""
        try:
            replica.replayed = self.replica(replica.alias).replayed
        except Error as error:
            self.mark_down(replica.alias, error)
            return None
        return replica.replayed

    def mark_down(self, alias: str, error: Exception | None = None) -> None:
        """Leave `alias` alone for DOWN_FOR_SECONDS: it failed to connect or to answer."""
        replica = self._replicas.setdefault(alias, Replica(alias))
        if not replica.failing:
            logger.warning(
                "The read replica %r is not answering (%s); reads go elsewhere for %g s.",
                alias,
                error if error is not None else "connection lost",
                DOWN_FOR_SECONDS,
            )
        replica.failing = True
        replica.down_until = self.clock() + DOWN_FOR_SECONDS
        replica.replayed = replica.lag = None

    def _known(self) -> list[Replica]:
        return [
            self._replicas.setdefault(alias, Replica(alias)) for alias in settings.DATABASE_REPLICAS
        ]

    def _check(self, now: float) -> None:
        self._checked_at = now
        try:
            flushed = self.primary()  # first: a replica that reached it has everything before
        except Error:
            flushed = None
        for replica in self._known():
            if replica.down_until > now:
                continue
            try:
                position = self.replica(replica.alias)
            except Error as error:
                self.mark_down(replica.alias, error)
                continue
            if position.replayed is None and replica.replayed is not None:
                logger.warning(
                    "The read replica %r is no longer a replica; it serves no reads.", replica.alias
                )
            if replica.failing:
                logger.warning("The read replica %r answers again.", replica.alias)
            replica.failing = False
            replica.replayed = position.replayed
            replica.lag = lag_seconds(position, flushed)


# This process's knowledge: each gunicorn worker checks for itself.
health = ReplicaHealth()
