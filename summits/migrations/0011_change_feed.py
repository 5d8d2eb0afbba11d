"""The change feed's log (summits.models.changes): triggers on every summits table write one
row per record created, updated or deleted, whoever writes (the API, the admin, loaddata,
imports, raw SQL).

What a write reports:

- a record's own row (country, organization, leader, summit, attendance, source, citation):
  created, updated or deleted under the key the API looks it up by; a key that changes is the
  old key deleted and the new one created, and the records that name it by that key (an
  attendance names its summit's slug) are updated;
- a row shown inside another record's representation reports that record updated: a status
  change its attendance (the timeline), an other name its leader, organization or summit, an
  attendance its summit (the attendee list and count: an attendance added or deleted, or its
  leader, role or status changed), a citation the record it cites (its evidence).

An UPDATE that writes a row as it was is no change. Values computed from other rows (an
attendance's "first" labels, a summit's anniversary, a leader's country name beside its code)
are not changes of their own.

Order: on PostgreSQL each statement's changes are written by a statement trigger (its
transition tables hold the rows) that first takes the data version's row lock (0004), which a
writer holds until it commits; the identity's sequence (cache 1) then numbers changes in commit
order. On SQLite one writer holds the database at a time, and row triggers write them. A
TRUNCATE (PostgreSQL) cannot say what it removed: it moves the horizon past every token given.

A later migration that rebuilds one of these tables on SQLite (an altered column) drops its
triggers, and one that adds a column leaves them comparing one column too few: it runs
`sqlite_triggers()` again (tests/test_change_feed.py checks both).
"""

from dataclasses import dataclass

from django.db import migrations, models

RECORD_TYPES = (
    "country",
    "organization",
    "leader",
    "summit",
    "attendance",
    "source",
    "citation",
)
KINDS = ("created", "updated", "deleted")
# As 0004 writes a new data version on SQLite.
_SQLITE_NEW_TOKEN = (
    "INSERT INTO summits_dataversion (id, token) VALUES (1, lower(hex(randomblob(16)))) "
    "ON CONFLICT (id) DO UPDATE SET token = excluded.token;"
)
_SQLITE_EVENTS = ("INSERT", "UPDATE", "DELETE")


@dataclass(frozen=True)
class Table:
    """What a write to one table reports. Each rule is (record type, a SELECT of the records'
    keys as `record_key` from `{rows} AS r`, the rows written, with `columns`)."""

    name: str
    columns: tuple[str, ...]
    record: str | None = None  # the record type the rows are
    key: str | None = None  # the column records elsewhere name a row by
    shown_in: tuple[tuple[str, str], ...] = ()
    named_by: tuple[tuple[str, str], ...] = ()
    # The columns the records in `shown_in` show of a row, where not all of them.
    shown_columns: tuple[str, ...] | None = None


def _slug_of(table: str, alias: str, column: str) -> str:
    return f"SELECT {alias}.slug AS record_key FROM {{rows}} AS r JOIN {table} AS {alias} ON {alias}.id = r.{column}"


def _naming(select: str, table: str, alias: str, column: str) -> str:
    """The records of `table` whose `column` names the written row."""
    return f"SELECT {alias}.{select} AS record_key FROM {{rows}} AS r JOIN {table} AS {alias} ON {alias}.{column} = r.id"


_SUMMITS_ATTENDED_BY = (
    "SELECT s.slug AS record_key FROM {rows} AS r"
    " JOIN summits_attendance AS a ON a.{column} = r.id JOIN summits_summit AS s ON s.id = a.summit_id"
)
_CITED_BY_SOURCE = "FROM {rows} AS r JOIN summits_citation AS c ON c.source_id = r.id"

TABLES = (
    Table(
        "summits_country",
        ("id", "code"),
        record="country",
        key="code",
        named_by=(
            ("leader", _naming("slug", "summits_leader", "l", "country_id")),
            ("summit", _naming("slug", "summits_summit", "s", "host_country_id")),
            ("attendance", _naming("id", "summits_attendance", "a", "country_id")),
            ("summit", _SUMMITS_ATTENDED_BY.replace("{column}", "country_id")),
        ),
    ),
    Table(
        "summits_organization",
        ("id", "slug"),
        record="organization",
        key="slug",
        named_by=(("summit", _naming("slug", "summits_summit", "s", "organization_id")),),
    ),
    Table(
        "summits_leader",
        ("id", "slug"),
        record="leader",
        key="slug",
        named_by=(
            ("attendance", _naming("id", "summits_attendance", "a", "leader_id")),
            ("summit", _SUMMITS_ATTENDED_BY.replace("{column}", "leader_id")),
        ),
    ),
    Table(
        "summits_summit",
        ("id", "slug"),
        record="summit",
        key="slug",
        named_by=(
            ("attendance", _naming("id", "summits_attendance", "a", "summit_id")),
            ("citation", _naming("id", "summits_citation", "c", "summit_id")),
        ),
    ),
    Table(
        "summits_attendance",
        ("id", "summit_id"),
        record="attendance",
        key="id",
        shown_in=(("summit", _slug_of("summits_summit", "s", "summit_id")),),
        named_by=(("citation", _naming("id", "summits_citation", "c", "attendance_id")),),
        # A summit's attendee list: who, for which country, in what role, with what status.
        shown_columns=("id", "summit_id", "country_id", "leader_id", "role", "status"),
    ),
    Table(
        "summits_statuschange",
        ("id", "attendance_id"),
        key="id",
        shown_in=(("attendance", "SELECT r.attendance_id AS record_key FROM {rows} AS r"),),
        named_by=(("citation", _naming("id", "summits_citation", "c", "status_change_id")),),
    ),
    Table(
        "summits_source",
        ("id", "key"),
        record="source",
        key="key",
        named_by=(
            ("citation", f"SELECT c.id AS record_key {_CITED_BY_SOURCE}"),
            (
                "summit",
                f"SELECT s.slug AS record_key {_CITED_BY_SOURCE}"
                " JOIN summits_summit AS s ON s.id = c.summit_id",
            ),
            ("attendance", f"SELECT c.attendance_id AS record_key {_CITED_BY_SOURCE}"),
            (
                "attendance",
                f"SELECT sc.attendance_id AS record_key {_CITED_BY_SOURCE}"
                " JOIN summits_statuschange AS sc ON sc.id = c.status_change_id",
            ),
        ),
    ),
    Table(
        "summits_citation",
        ("id", "summit_id", "attendance_id", "status_change_id"),
        record="citation",
        key="id",
        shown_in=(
            ("summit", _slug_of("summits_summit", "s", "summit_id")),
            ("attendance", "SELECT r.attendance_id AS record_key FROM {rows} AS r"),
            (
                "attendance",
                "SELECT sc.attendance_id AS record_key FROM {rows} AS r"
                " JOIN summits_statuschange AS sc ON sc.id = r.status_change_id",
            ),
        ),
    ),
    Table(
        "summits_leadername",
        ("leader_id",),
        shown_in=(("leader", _slug_of("summits_leader", "l", "leader_id")),),
    ),
    Table(
        "summits_organizationname",
        ("organization_id",),
        shown_in=(("organization", _slug_of("summits_organization", "o", "organization_id")),),
    ),
    Table(
        "summits_summitname",
        ("summit_id",),
        shown_in=(("summit", _slug_of("summits_summit", "s", "summit_id")),),
    ),
)


def _choices(column: str, values: tuple[str, ...]) -> str:
    return f"CHECK ({column} IN ({', '.join(repr(value) for value in values)}))"


_COLUMNS = (
    f'record_type varchar(20) NOT NULL {_choices("record_type", RECORD_TYPES)},'
    " record_key text NOT NULL,"
    f' kind varchar(10) NOT NULL {_choices("kind", KINDS)},'
)


class Dialect:
    """How one database writes the change rows."""

    def insert(self, record_type: str, kind: str, selects: list[str]) -> str:
        raise NotImplementedError

    def reports(self, rules: tuple[tuple[str, str], ...], rows: str) -> list[str]:
        """An INSERT per record type of `rules` (updated) over the relation `rows`."""
        by_type: dict[str, list[str]] = {}
        for record_type, select in rules:
            by_type.setdefault(record_type, []).append(select.replace("{rows}", rows))
        return [self.insert(record_type, "updated", selects) for record_type, selects in by_type.items()]


class PostgreSQL(Dialect):
    """Statement triggers, whose transition tables (`old_rows`, `new_rows`) hold the rows."""

    def insert(self, record_type, kind, selects):
        return (
            'INSERT INTO summits_change (record_type, record_key, kind, "time", transaction_id)'
            f" SELECT DISTINCT '{record_type}', CAST(shown.record_key AS text), '{kind}',"
            " statement_timestamp(), pg_current_xact_id()::text::bigint"
            f" FROM ({' UNION '.join(selects)}) AS shown WHERE shown.record_key IS NOT NULL;"
        )

    @staticmethod
    def rows(table: Table, *relations: str) -> str:
        columns = ", ".join(table.columns)
        return "(" + " UNION ALL ".join(f"SELECT {columns} FROM {relation} AS rows" for relation in relations) + ")"

    @staticmethod
    def changed(image: str, other: str, columns: tuple[str, ...] | None = None) -> str:
        """The rows of `image` whose other image differs (in `columns`, or in any column): an
        UPDATE that writes a row as it was is no change."""
        if columns is None:
            same = "other IS NOT DISTINCT FROM r"
        else:
            same = (
                f"({', '.join(f'other.{column}' for column in columns)}) IS NOT DISTINCT FROM"
                f" ({', '.join(f'r.{column}' for column in columns)})"
            )
        return (
            f"(SELECT * FROM {image} AS r WHERE NOT EXISTS"
            f" (SELECT 1 FROM {other} AS other WHERE other.id = r.id AND {same}))"
        )

    def own(self, table: Table, event: str) -> list[str]:
        """The record's own changes: keys that appear are created, keys that go deleted."""
        if table.record is None or table.key is None:
            return []
        key, record = table.key, table.record
        if event == "INSERT":
            return [self.insert(record, "created", [f"SELECT r.{key} AS record_key FROM new_rows AS r"])]
        if event == "DELETE":
            return [self.insert(record, "deleted", [f"SELECT r.{key} AS record_key FROM old_rows AS r"])]

        def among(image: str, other: str, exists: bool) -> str:
            return (
                f"SELECT r.{key} AS record_key FROM {image} AS r WHERE {'' if exists else 'NOT '}EXISTS"
                f" (SELECT 1 FROM {other} AS other WHERE other.{key} = r.{key})"
            )

        return [
            self.insert(record, "deleted", [among("old_rows", "new_rows", False)]),
            self.insert(record, "created", [among("new_rows", "old_rows", False)]),
            self.insert(record, "updated", [among(self.changed("new_rows", "old_rows"), "old_rows", True)]),
        ]

    def function(self, table: Table) -> str:
        shown = table.shown_columns
        changed = self.rows(
            table, self.changed("old_rows", "new_rows", shown), self.changed("new_rows", "old_rows", shown)
        )
        # The rows written under a key that was not theirs before.
        rekeyed = (
            f"(SELECT * FROM new_rows AS n WHERE NOT EXISTS"
            f" (SELECT 1 FROM old_rows AS o WHERE o.{table.key} = n.{table.key}))"
        )
        branches = {
            "INSERT": self.own(table, "INSERT") + self.reports(table.shown_in, self.rows(table, "new_rows")),
            "UPDATE": self.own(table, "UPDATE")
            + (self.reports(table.named_by, rekeyed) if table.key else [])
            + self.reports(table.shown_in, changed),
            "DELETE": self.own(table, "DELETE") + self.reports(table.shown_in, self.rows(table, "old_rows")),
        }
        body = "\n".join(
            f"            {'IF' if index == 0 else 'ELSIF'} TG_OP = '{event}' THEN\n"
            + "\n".join(f"                {statement}" for statement in statements or ["NULL;"])
            for index, (event, statements) in enumerate(branches.items())
        )
        return f"""
        CREATE FUNCTION {table.name}_changes() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            -- Number changes only while holding the data version's row, as a writer does until
            -- it commits: ids then follow commit order.
            PERFORM 1 FROM summits_dataversion WHERE id = 1 FOR UPDATE;
{body}
            END IF;
            RETURN NULL;
        END
        $$
        """

    def forward(self, connection) -> list[str]:
        statements = [
            "CREATE TABLE summits_change (id bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,"
            f' {_COLUMNS} "time" timestamptz NOT NULL, transaction_id bigint NULL)',
            "CREATE TABLE summits_changehorizon (id smallint PRIMARY KEY CHECK (id = 1),"
            ' "position" bigint NOT NULL, set_at timestamptz NOT NULL)',
            # A TRUNCATE cannot say which records it removed: every token given before it
            # expires, and a client re-syncs.
            """
            CREATE FUNCTION summits_changes_expire() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                PERFORM 1 FROM summits_dataversion WHERE id = 1 FOR UPDATE;
                INSERT INTO summits_changehorizon (id, "position", set_at)
                VALUES (1, nextval(pg_get_serial_sequence('summits_change', 'id')),
                        statement_timestamp())
                ON CONFLICT (id) DO UPDATE
                SET "position" = excluded."position", set_at = excluded.set_at;
                RETURN NULL;
            END
            $$
            """,
            # A page of the feed shows the horizon too: moving it makes a new data version.
            "CREATE TRIGGER summits_changehorizon_new_data_version AFTER INSERT OR UPDATE OR DELETE"
            " ON summits_changehorizon FOR EACH STATEMENT EXECUTE FUNCTION summits_new_data_version()",
        ]
        for table in TABLES:
            statements.append(self.function(table))
            for event, referencing in (
                ("INSERT", "NEW TABLE AS new_rows"),
                ("UPDATE", "OLD TABLE AS old_rows NEW TABLE AS new_rows"),
                ("DELETE", "OLD TABLE AS old_rows"),
            ):
                statements.append(
                    f"CREATE TRIGGER {table.name}_changes_{event.lower()} AFTER {event}"
                    f" ON {table.name} REFERENCING {referencing} FOR EACH STATEMENT"
                    f" EXECUTE FUNCTION {table.name}_changes()"
                )
            statements.append(
                f"CREATE TRIGGER {table.name}_changes_truncate AFTER TRUNCATE ON {table.name}"
                " FOR EACH STATEMENT EXECUTE FUNCTION summits_changes_expire()"
            )
        return statements

    def backward(self, connection) -> list[str]:
        statements = []
        for table in TABLES:
            for event in ("insert", "update", "delete", "truncate"):
                statements.append(f"DROP TRIGGER {table.name}_changes_{event} ON {table.name}")
            statements.append(f"DROP FUNCTION {table.name}_changes()")
        return [
            *statements,
            "DROP TRIGGER summits_changehorizon_new_data_version ON summits_changehorizon",
            "DROP FUNCTION summits_changes_expire()",
            "DROP TABLE summits_changehorizon",
            "DROP TABLE summits_change",
        ]


class SQLite(Dialect):
    """Row triggers, with the row's images `OLD` and `NEW`."""

    def insert(self, record_type, kind, selects):
        return (
            'INSERT INTO summits_change (record_type, record_key, kind, "time", transaction_id)'
            f" SELECT DISTINCT '{record_type}', CAST(shown.record_key AS TEXT), '{kind}',"
            " strftime('%Y-%m-%d %H:%M:%f', 'now'), NULL"
            f" FROM ({' UNION '.join(selects)}) AS shown WHERE shown.record_key IS NOT NULL;"
        )

    @staticmethod
    def rows(table: Table, *images: str, where: str = "") -> str:
        return "(" + " UNION ALL ".join(
            "SELECT " + ", ".join(f"{image}.{column} AS {column}" for column in table.columns) + where
            for image in images
        ) + ")"

    @staticmethod
    def differ(columns) -> str:
        return "(" + " OR ".join(f'OLD."{column}" IS NOT NEW."{column}"' for column in columns) + ")"

    def own(self, table: Table, kind: str, image: str) -> list[str]:
        if table.record is None:
            return []
        return [self.insert(table.record, kind, [f"SELECT {image}.{table.key} AS record_key"])]

    def triggers(self, table: Table, columns: list[str]) -> dict[str, tuple[str, list[str]]]:
        """Each trigger's name suffix, its event (and condition), and its statements.
        `columns` are all the table's columns: an UPDATE that writes a row as it was (every
        column the same) is no change."""
        on, both = f"ON {table.name}", self.rows(table, "OLD", "NEW")
        changed = self.differ(columns)
        if table.shown_columns is not None:
            shown = self.rows(table, "OLD", "NEW", where=f" WHERE {self.differ(table.shown_columns)}")
        else:
            shown = both
        created = self.own(table, "created", "NEW")
        deleted = self.own(table, "deleted", "OLD")
        triggers = {
            "insert": (f"INSERT {on}", created + self.reports(table.shown_in, self.rows(table, "NEW"))),
            "delete": (f"DELETE {on}", deleted + self.reports(table.shown_in, self.rows(table, "OLD"))),
        }
        if table.key is None:
            triggers["update"] = (f"UPDATE {on} WHEN {changed}", self.reports(table.shown_in, shown))
            return triggers
        triggers["update"] = (
            f"UPDATE {on} WHEN OLD.{table.key} IS NEW.{table.key} AND {changed}",
            self.own(table, "updated", "NEW") + self.reports(table.shown_in, shown),
        )
        triggers["rekey"] = (
            f"UPDATE {on} WHEN OLD.{table.key} IS NOT NEW.{table.key}",
            deleted
            + created
            + self.reports(table.named_by, self.rows(table, "NEW"))
            + self.reports(table.shown_in, both),
        )
        return triggers

    def forward(self, connection) -> list[str]:
        return [
            "CREATE TABLE summits_change (id integer NOT NULL PRIMARY KEY AUTOINCREMENT,"
            f' {_COLUMNS} "time" datetime NOT NULL, transaction_id bigint NULL)',
            "CREATE TABLE summits_changehorizon (id smallint NOT NULL PRIMARY KEY CHECK (id = 1),"
            ' "position" bigint NOT NULL, set_at datetime NOT NULL)',
            # A page of the feed shows the horizon too: moving it makes a new data version.
            *(
                f"CREATE TRIGGER summits_changehorizon_new_data_version_{event.lower()}"
                f" AFTER {event} ON summits_changehorizon BEGIN {_SQLITE_NEW_TOKEN} END"
                for event in _SQLITE_EVENTS
            ),
            *sqlite_triggers(connection),
        ]

    def backward(self, connection) -> list[str]:
        return [
            *(
                f"DROP TRIGGER {table.name}_changes_{name}"
                for table in TABLES
                for name in ("insert", "delete", "update", *(("rekey",) if table.key else ()))
            ),
            *(f"DROP TRIGGER summits_changehorizon_new_data_version_{event.lower()}" for event in _SQLITE_EVENTS),
            "DROP TABLE summits_changehorizon",
            "DROP TABLE summits_change",
        ]


def sqlite_triggers(connection) -> list[str]:
    """The SQLite triggers made again, for the tables' columns as they are now.

    A later migration that rebuilds one of these tables (an altered column) loses its
    triggers, and one that adds a column leaves them comparing a column too few: it runs these.
    """
    dialect = SQLite()
    statements = []
    with connection.cursor() as cursor:
        for table in TABLES:
            columns = [column.name for column in connection.introspection.get_table_description(cursor, table.name)]
            for name, (event, body) in dialect.triggers(table, columns).items():
                statements += [
                    f"DROP TRIGGER IF EXISTS {table.name}_changes_{name}",
                    f"CREATE TRIGGER {table.name}_changes_{name} AFTER {event} BEGIN {' '.join(body)} END",
                ]
    return statements


DIALECTS = {"postgresql": PostgreSQL, "sqlite": SQLite}


def _run(direction: str):
    def run(apps, schema_editor):
        dialect = DIALECTS.get(schema_editor.connection.vendor)
        if dialect is None:
            raise NotImplementedError(f"No change feed triggers for {schema_editor.connection.vendor}.")
        for sql in getattr(dialect(), direction)(schema_editor.connection):
            # No parameters: a `%` in the SQL is the SQL's own.
            schema_editor.execute(sql, params=None)

    return run


class Migration(migrations.Migration):
    dependencies = [("summits", "0010_other_names_in_languages")]

    operations = [
        migrations.CreateModel(
            name="Change",
            fields=[
                ("id", models.BigAutoField(primary_key=True, serialize=False)),
                (
                    "record_type",
                    models.CharField(
                        choices=[
                            ("country", "Country"),
                            ("organization", "Organization"),
                            ("leader", "Leader"),
                            ("summit", "Summit"),
                            ("attendance", "Attendance"),
                            ("source", "Source"),
                            ("citation", "Citation"),
                        ],
                        max_length=20,
                    ),
                ),
                ("record_key", models.TextField()),
                (
                    "kind",
                    models.CharField(
                        choices=[("created", "Created"), ("updated", "Updated"), ("deleted", "Deleted")],
                        max_length=10,
                    ),
                ),
                ("time", models.DateTimeField()),
                ("transaction_id", models.BigIntegerField(blank=True, null=True)),
            ],
            options={
                "db_table": "summits_change",
                "ordering": ["id"],
                "managed": False,
                "default_permissions": (),
            },
        ),
        migrations.CreateModel(
            name="ChangeHorizon",
            fields=[
                ("id", models.PositiveSmallIntegerField(default=1, primary_key=True, serialize=False)),
                ("position", models.BigIntegerField()),
                ("set_at", models.DateTimeField()),
            ],
            options={
                "db_table": "summits_changehorizon",
                "ordering": ["id"],
                "managed": False,
                "default_permissions": (),
            },
        ),
        migrations.RunPython(_run("forward"), _run("backward")),
    ]
