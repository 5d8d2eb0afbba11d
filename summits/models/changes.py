"""The change feed's log: every create, update and delete of a record, as database triggers
(migration 0011) write it for every writer, numbered in the order the writes commit.

Neither table is Django's to create, flush, dump or load (`managed = False`, and
`ChangeLogRouter`): the triggers write `summits_change`, `prune_changes` and a TRUNCATE move
the horizon, and a fixture made with `dumpdata` holds the data, never its log.
"""

from django.db import connection, models


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

    class Meta:
        managed = False
        db_table = "summits_changehorizon"
        ordering = ["id"]
        default_permissions = ()

    def __str__(self) -> str:
        return f"changes before {self.position}"


def feed_bounds() -> tuple[int, int]:
    """The feed's horizon and its latest position (the horizon while no change is retained),
    in one query."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT (SELECT position FROM summits_changehorizon WHERE id = %s),"
            " (SELECT max(id) FROM summits_change)",
            [ChangeHorizon.ONLY],
        )
        horizon, latest = cursor.fetchone()
    horizon = horizon or 0
    return horizon, max(latest or 0, horizon)


class ChangeLogRouter:
    """A database router (settings.DATABASE_ROUTERS) that keeps the change log out of
    `dumpdata` and `loaddata`: it is the database's record of writes, not data to share, and a
    fixture's load writes its own changes."""

    models = frozenset({"change", "changehorizon"})

    def allow_migrate(self, db: str, app_label: str, model_name: str | None = None, **hints):
        if app_label == "summits" and model_name in self.models:
            return False
        return None
