"""The change feed's log: every create, update and delete of a record, as database triggers
(migration 0011) write it for every writer, numbered in the order the writes commit; and what
makes a position this database's: a check keyed by its secret (migration 0012).

No table here is Django's to create, flush, dump or load (`managed = False`, and
`ChangeLogRouter`): the triggers write `summits_change`, `prune_changes` and a TRUNCATE move
the horizon, and a fixture made with `dumpdata` holds the data, never its log or its secret.
"""

import datetime as dt
import hashlib
import hmac
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.db import models


class RecordType(models.TextChoices):
    """The kinds of record the feed reports, each found at `/api/<plural>/<key>/`."""

    COUNTRY = "country", "Country"
    ORGANIZATION = "organization", "Organization"
    LEADER = "leader", "Leader"
    SUMMIT = "summit", "Summit"
    ATTENDANCE = "attendance", "Attendance"
    SOURCE = "source", "Source"
    CITATION = "citation", "Citation"


class ChangeKind(models.TextChoices):
    CREATED = "created", "Created"
    UPDATED = "updated", "Updated"
    DELETED = "deleted", "Deleted"


class ChangeQuerySet(models.QuerySet["Change"]):
    def after(self, position: int) -> "ChangeQuerySet":
        """The changes past `position` (a change's id), in commit order, each annotated with
        the horizon as the same statement saw it: a prune that passed `position` while the
        page was read shows there, not as changes silently missing."""
        horizon = ChangeHorizon.objects.filter(pk=ChangeHorizon.ONLY).values("position")
        return (
            self.filter(id__gt=position)
            .order_by("id")
            .annotate(horizon=models.Subquery(horizon, output_field=models.BigIntegerField()))
        )


class Change(models.Model):
    """One record created, updated or deleted, by any writer: the API, the admin, fixtures,
    imports or raw SQL.

    Its id is its position in the feed. Ids follow commit order: on PostgreSQL the triggers
    number a transaction's changes only once it holds the data version's row lock (migration
    0004), which it keeps until it commits, so a reader that has seen a change never later finds
    one with a lower id appear; on SQLite one writer at a time holds the database.
    """

    Kind = ChangeKind
    RecordType = RecordType

    id = models.BigAutoField(primary_key=True)
    record_type = models.CharField(max_length=20, choices=RecordType.choices)
    record_key = models.TextField(
        help_text="As the API looks the record up: code, slug, key or id."
    )
    kind = models.CharField(max_length=10, choices=ChangeKind.choices)
    time = models.DateTimeField(help_text="The database's clock when the writing statement began.")
    transaction_id = models.BigIntegerField(
        null=True,
        blank=True,
        help_text="The writing transaction's id on PostgreSQL (which changes were made "
        "together); empty on SQLite.",
    )

    objects = ChangeQuerySet.as_manager()

    class Meta:
        managed = False
        db_table = "summits_change"
        ordering = ["id"]
        default_permissions = ()

    def __str__(self) -> str:
        return f"{self.record_type} {self.record_key} {self.kind}"


class ChangeHorizon(models.Model):
    """Where the feed begins: changes up to `position` were pruned (`prune_changes`) or a
    table was truncated, so a token before it is expired. One row, or none before the first."""

    ONLY = 1

    id = models.PositiveSmallIntegerField(primary_key=True, default=ONLY)
    position = models.BigIntegerField(help_text="A token before this position is expired.")
    set_at = models.DateTimeField()
    token_check = models.CharField(
        max_length=16,
        blank=True,
        default="",
        help_text="The check of a token at the horizon when a prune set it: the last change it "
        "deleted had it, so a client that had read up to that change goes on. Empty when a "
        "TRUNCATE set it: the check is then over the horizon itself.",
    )

    class Meta:
        managed = False
        db_table = "summits_changehorizon"
        ordering = ["id"]
        default_permissions = ()

    def __str__(self) -> str:
        return f"changes before {self.position}"


class ChangeFeed(models.Model):
    """This database's change feed: the secret that keys its tokens' checks. Made at random
    (migration 0012) and never shown: a backup restored keeps it (its history up to the backup
    is the same), another database has its own, so none of its tokens verifies here."""

    ONLY = 1

    id = models.PositiveSmallIntegerField(primary_key=True, default=ONLY)
    secret = models.CharField(max_length=32)

    class Meta:
        managed = False
        db_table = "summits_changefeed"
        ordering = ["id"]
        default_permissions = ()

    def __str__(self) -> str:
        return "the change feed's secret"


# A check: this many hex digits of an HMAC-SHA256 keyed by the feed's secret.
CHECK_DIGITS = 16
# What a change's check covers, as a page reads it.
CHECKED_COLUMNS = ("id", "time", "record_type", "record_key", "kind")


def _keyed(secret: str, *facts: object) -> str:
    message = "\x1f".join(str(fact) for fact in facts)
    digest = hmac.new(secret.encode(), message.encode(), hashlib.sha256).hexdigest()
    return digest[:CHECK_DIGITS]


def _utc(time: dt.datetime) -> str:
    return time.astimezone(dt.UTC).isoformat()


def change_check(secret: str, change: Mapping[str, Any]) -> str:
    """The check of a token at `change` (its CHECKED_COLUMNS): another change at the same
    position (another database's, or a restored backup's next) has another."""
    return _keyed(
        secret,
        "change",
        change["id"],
        _utc(change["time"]),
        change["record_type"],
        change["record_key"],
        change["kind"],
    )


def feed_secret() -> str:
    """This database's secret; made anew if it was deleted (no token given before verifies)."""
    feed, _ = ChangeFeed.objects.get_or_create(
        pk=ChangeFeed.ONLY, defaults={"secret": secrets.token_hex(16)}
    )
    return feed.secret


@dataclass(frozen=True)
class FeedBounds:
    """Where the feed stands, as one query saw it, and the checks of tokens at its ends."""

    secret: str
    horizon: int  # a token before it is expired
    latest: int  # the newest position: the newest change's, or the horizon while none is kept
    horizon_check: str
    # The change read with the bounds (the one asked for, or the newest): its id and check.
    change: tuple[int, str] | None

    def check_at(self, position: int) -> str | None:
        """The check of a token at `position`, if it is the horizon or the change read."""
        if position == self.horizon:
            return self.horizon_check
        if self.change is not None and self.change[0] == position:
            return self.change[1]
        return None

    def check_of(self, change: Mapping[str, Any]) -> str:
        return change_check(self.secret, change)


def _one(queryset: models.QuerySet[Any], column: str) -> models.Subquery:
    return models.Subquery(queryset.values(column)[:1])


def _bounds(at: int | None) -> Mapping[str, Any] | None:
    horizon = ChangeHorizon.objects.filter(pk=ChangeHorizon.ONLY)
    newest = Change.objects.order_by("-id")
    change = newest if at is None else Change.objects.filter(id=at)
    return (
        ChangeFeed.objects.filter(pk=ChangeFeed.ONLY)
        .annotate(
            horizon=_one(horizon, "position"),
            horizon_set_at=_one(horizon, "set_at"),
            horizon_check=_one(horizon, "token_check"),
            latest=_one(newest, "id"),
            **{f"change_{column}": _one(change, column) for column in CHECKED_COLUMNS},
        )
        .values()
        .first()
    )


def feed_bounds(*, at: int | None = None) -> FeedBounds:
    """The feed's horizon, its latest position and the change at position `at` (the newest
    change without it), in one query."""
    row = _bounds(at)
    if row is None:  # the secret deleted by hand: a new one, and no token given before verifies
        feed_secret()
        return feed_bounds(at=at)
    secret = row["secret"]
    if row["horizon"] is None:  # the feed's origin: only this database's secret tells it
        horizon, horizon_check = 0, _keyed(secret, "origin")
    else:
        horizon = row["horizon"]
        horizon_check = row["horizon_check"] or _keyed(
            secret, "horizon", horizon, _utc(row["horizon_set_at"])
        )
    change = None
    if row["change_id"] is not None:
        read = {column: row[f"change_{column}"] for column in CHECKED_COLUMNS}
        change = (read["id"], change_check(secret, read))
    return FeedBounds(
        secret=secret,
        horizon=horizon,
        latest=max(row["latest"] or 0, horizon),
        horizon_check=horizon_check,
        change=change,
    )


class ChangeLogRouter:
    """A database router (settings.DATABASE_ROUTERS) that keeps the change log and the feed's
    secret out of `dumpdata` and `loaddata`: they are the database's record of writes, not data
    to share, and a fixture's load writes its own changes."""

    models = frozenset({"change", "changehorizon", "changefeed"})

    def allow_migrate(self, db: str, app_label: str, model_name: str | None = None, **hints):
        if app_label == "summits" and model_name in self.models:
            return False
        return None
