"""An attendance's "first" labels kept on write: `first_for_country` and `first_for_leader`.

An attended attendance at an organization's summit is labelled when no earlier summit of that
organization (by start date, then slug) was attended by the same country (or leader):
"first" when the organization's `records_complete_from` is on or before the summit's start
date, else "first recorded" (summits.records.first_label says the same in Python, and
`manage.py refresh_firsts` compares the two). Triggers keep the labels whoever writes, the ORM or
raw SQL, when:

- an attendance is inserted, deleted, or its status, summit, country or leader changes;
- a summit's start date, slug or organization changes;
- an organization's records_complete_from changes;
- a label itself is written (a raw UPDATE, a fixture's raw save): it is ranked again.

A write compares what it adds only with the labelled rows of the same organization and country
(or leader), through the partial indexes: adding an attended attendance costs a few index reads,
not a read of every earlier summit. Only a write that removes a labelled row (or moves a summit,
or changes an organization's completeness) ranks all of its groups' rows again. On PostgreSQL
the triggers are statement triggers over the transition tables (a COPY of a million rows ranks
once), run under the data version's row lock that every writer takes until it commits, so two
concurrent writers never both label their own row first; on SQLite they are row triggers.

A later migration that rebuilds summits_attendance, summits_summit or summits_organization on
SQLite (an altered column) drops these triggers: it runs `sqlite_statements()` again.
"""

import importlib

from django.db import migrations, models

WHO = ("country", "leader")
_LABEL = (
    "CASE WHEN c.status = 'attended' AND rank() OVER (PARTITION BY c.organization_id, c.who_id,"
    " c.status = 'attended' ORDER BY c.start_date, c.slug) = 1 THEN CASE WHEN"
    " c.records_complete_from <= c.start_date THEN 'first' ELSE 'first recorded' END END"
)
_NO_GROUPS = "SELECT CAST(NULL AS bigint), CAST(NULL AS bigint) WHERE 1 = 0"
_NOTHING = (
    "SELECT CAST(NULL AS bigint) AS id, CAST(NULL AS bigint) AS summit_id,"
    " CAST(NULL AS bigint) AS country_id, CAST(NULL AS bigint) AS leader_id WHERE 1 = 0"
)


def _candidates(who: str, where: str) -> str:
    return (
        f"SELECT a.id, a.status, a.{who}_id AS who_id, s.organization_id, s.start_date, s.slug,"
        " o.records_complete_from FROM summits_attendance AS a"
        " JOIN summits_summit AS s ON s.id = a.summit_id"
        f" JOIN summits_organization AS o ON o.id = s.organization_id WHERE {where}"
    )


def refresh(who: str, *, regroup: str | None, entering: str, distinct: str) -> list[str]:
    """The statements that put `first_for_<who>` right.

    `regroup`: a SELECT of (organization_id, <who>_id) groups whose every row is ranked again
    (None: every group, for the first fill). `entering`: a relation of rows written with
    (id, summit_id, country_id, leader_id): each is ranked with its group's labelled rows.
    `distinct`: the dialect's IS DISTINCT FROM.
    """
    column = f"first_for_{who}"
    entered_groups = (
        f"SELECT s.organization_id, e.{who}_id FROM {entering} AS e"
        " JOIN summits_summit AS s ON s.id = e.summit_id"
    )
    if regroup is None:
        candidates = _candidates(who, f"a.{who}_id IS NOT NULL")
    else:
        candidates = " UNION ".join(
            [
                _candidates(who, f"(s.organization_id, a.{who}_id) IN ({regroup})"),
                _candidates(who, f"a.id IN (SELECT e.id FROM {entering} AS e)"),
                _candidates(
                    who,
                    f"a.{column} IS NOT NULL AND (s.organization_id, a.{who}_id) IN ({entered_groups})",
                ),
            ]
        )
    ranked = (
        f"UPDATE summits_attendance SET {column} = x.label FROM (SELECT c.id, {_LABEL} AS label"
        f" FROM ({candidates}) AS c WHERE c.who_id IS NOT NULL) AS x"
        f" WHERE summits_attendance.id = x.id AND summits_attendance.{column} {distinct} x.label;"
    )
    # Rows no group ranks: at a summit of no organization, or (for a leader) with no leader.
    ungrouped = f"s.organization_id IS NULL{' OR e.leader_id IS NULL' if who == 'leader' else ''}"
    cleared = (
        f"UPDATE summits_attendance SET {column} = NULL WHERE {column} IS NOT NULL AND id IN"
        f" (SELECT e.id FROM {entering} AS e LEFT JOIN summits_summit AS s ON s.id = e.summit_id"
        f" WHERE {ungrouped});"
    )
    return [ranked] if regroup is None else [ranked, cleared]


def _labelled_groups(who: str, rows: str) -> str:
    """The groups of the labelled rows among `rows` (which have first_for_<who>)."""
    return (
        f"SELECT s.organization_id, r.{who}_id FROM {rows} AS r"
        f" JOIN summits_summit AS s ON s.id = r.summit_id WHERE r.first_for_{who} IS NOT NULL"
    )


def _summit_groups(who: str, summits: str) -> str:
    """The groups of the attendances at `summits` (id, organization_id): old or new images."""
    return (
        f"SELECT m.organization_id, a.{who}_id FROM {summits} AS m"
        " JOIN summits_attendance AS a ON a.summit_id = m.id"
    )


def _at_summits(summits: str) -> str:
    return (
        "(SELECT a.id, a.summit_id, a.country_id, a.leader_id FROM summits_attendance AS a"
        f" WHERE a.summit_id IN (SELECT m.id FROM {summits} AS m))"
    )


def _organization_groups(who: str, organizations: str) -> str:
    return (
        f"SELECT s.organization_id, a.{who}_id FROM summits_attendance AS a"
        " JOIN summits_summit AS s ON s.id = a.summit_id"
        f" WHERE a.first_for_{who} IS NOT NULL AND s.organization_id IN (SELECT g.id FROM {organizations} AS g)"
    )


# What a write changes that the labels depend on; and the labels themselves, so that a write of a
# label (a raw UPDATE, a fixture's raw save) is ranked again like any other.
ATTENDANCE_KEYS = ("status", "summit_id", "country_id", "leader_id", "first_for_country", "first_for_leader")
SUMMIT_KEYS = ("start_date", "slug", "organization_id")
ORGANIZATION_KEYS = ("records_complete_from",)


# PostgreSQL: statement triggers over the transition tables.


def _pg_changed(image: str, other: str, keys: tuple[str, ...]) -> str:
    """The rows of `image` that are new (no row of `other` with their id) or differ in `keys`."""
    return (
        f"(SELECT r.* FROM {image} AS r LEFT JOIN {other} AS other ON other.id = r.id"
        f" WHERE other.id IS NULL OR ({', '.join(f'r.{k}' for k in keys)}) IS DISTINCT FROM"
        f" ({', '.join(f'other.{k}' for k in keys)}))"
    )


# Transition tables above this many rows: statements planned for their size on each call.
PLANNED_PER_CALL_FROM = 100
# The rows a statement trigger's event wrote, counted once per call.
COUNT_WRITTEN = {
    "INSERT": "rows_written := (SELECT count(*) FROM new_rows);",
    "UPDATE": "rows_written := (SELECT count(*) FROM new_rows);",
    "DELETE": "rows_written := (SELECT count(*) FROM old_rows);",
}


def planned_for_size(statement: str) -> str:
    """`statement`, run with EXECUTE (planned on this call, for its transition tables' sizes)
    once they hold more than PLANNED_PER_CALL_FROM rows.

    A static statement in PL/pgSQL keeps the plan of its first call in the session, made for the
    sizes of that call's transition tables: after a one-row write, a write of thousands of rows
    ran through the one-row plan's nested loops, in time quadratic in the rows (8,000 rows: 41 s,
    not 0.2 s). Planning on every call instead costs a one-row write several milliseconds; a
    small write keeps its cached plan, which its size suits."""
    statement = statement.rstrip(";")
    return (
        f"IF rows_written > {PLANNED_PER_CALL_FROM} THEN EXECUTE $statement${statement}$statement$;"
        f" ELSE {statement}; END IF;"
    )


def _pg_function(name: str, branches: dict[str, list[str]], guard: dict[str, str]) -> str:
    # An UPDATE of summits_attendance inside a trigger is these triggers' own labelling: already
    # ranked.
    own = "        IF pg_trigger_depth() > 1 THEN RETURN NULL; END IF;\n" if name == "summits_attendance_firsts" else ""

    def guarded(event: str) -> str:
        if event not in guard:
            return ""
        return (
            f"        IF rows_written > {PLANNED_PER_CALL_FROM} THEN"
            f" EXECUTE $statement$SELECT EXISTS {guard[event]}$statement$ INTO written;"
            f" ELSE written := EXISTS {guard[event]}; END IF;\n"
            "        IF NOT written THEN RETURN NULL; END IF;\n"
        )

    body = "\n".join(
        f"    {'IF' if index == 0 else 'ELSIF'} TG_OP = '{event}' THEN\n"
        + (own if event == "UPDATE" else "")
        + f"        {COUNT_WRITTEN[event]}\n"
        + guarded(event)
        + "\n".join(f"        {planned_for_size(statement)}" for statement in statements)
        for index, (event, statements) in enumerate(branches.items())
    )
    return f"""
CREATE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    rows_written bigint;
    written boolean;
BEGIN
    -- As a writer does until it commits: concurrent writers rank one after the other, each
    -- seeing what the other committed.
    PERFORM 1 FROM summits_dataversion WHERE id = 1 FOR UPDATE;
{body}
    END IF;
    RETURN NULL;
END
$$
"""


def _pg_triggers(table: str, function: str, events: tuple[str, ...]) -> list[str]:
    referencing = {
        "INSERT": "NEW TABLE AS new_rows",
        "UPDATE": "OLD TABLE AS old_rows NEW TABLE AS new_rows",
        "DELETE": "OLD TABLE AS old_rows",
    }
    return [
        f"CREATE TRIGGER {table}_firsts_{event.lower()} AFTER {event} ON {table}"
        f" REFERENCING {referencing[event]} FOR EACH STATEMENT EXECUTE FUNCTION {function}()"
        for event in events
    ]


def postgresql_statements() -> list[str]:
    distinct = "IS DISTINCT FROM"
    left = _pg_changed("old_rows", "new_rows", ATTENDANCE_KEYS)
    entered = _pg_changed("new_rows", "old_rows", ATTENDANCE_KEYS)
    attendance = {
        "INSERT": [s for who in WHO for s in refresh(who, regroup=_NO_GROUPS, entering="new_rows", distinct=distinct)],
        "UPDATE": [
            s
            for who in WHO
            for s in refresh(who, regroup=_labelled_groups(who, left), entering=entered, distinct=distinct)
        ],
        "DELETE": [
            s
            for who in WHO
            for s in refresh(who, regroup=_labelled_groups(who, "old_rows"), entering=f"({_NOTHING})", distinct=distinct)
        ],
    }
    moved_old = _pg_changed("old_rows", "new_rows", SUMMIT_KEYS)
    moved_new = _pg_changed("new_rows", "old_rows", SUMMIT_KEYS)
    summit = {
        "UPDATE": [
            s
            for who in WHO
            for s in refresh(
                who,
                regroup=f"{_summit_groups(who, moved_old)} UNION {_summit_groups(who, moved_new)}",
                entering=_at_summits(moved_new),
                distinct=distinct,
            )
        ]
    }
    completed = _pg_changed("new_rows", "old_rows", ORGANIZATION_KEYS)
    organization = {
        "UPDATE": [
            s
            for who in WHO
            for s in refresh(who, regroup=_organization_groups(who, completed), entering=f"({_NOTHING})", distinct=distinct)
        ]
    }
    return [
        _pg_function("summits_attendance_firsts", attendance, {"UPDATE": f"(SELECT 1 FROM {left} AS l UNION ALL SELECT 1 FROM {entered} AS e)"}),
        *_pg_triggers("summits_attendance", "summits_attendance_firsts", ("INSERT", "UPDATE", "DELETE")),
        _pg_function("summits_summit_firsts", summit, {"UPDATE": f"(SELECT 1 FROM {moved_new} AS m)"}),
        *_pg_triggers("summits_summit", "summits_summit_firsts", ("UPDATE",)),
        _pg_function("summits_organization_firsts", organization, {"UPDATE": f"(SELECT 1 FROM {completed} AS g)"}),
        *_pg_triggers("summits_organization", "summits_organization_firsts", ("UPDATE",)),
    ]


POSTGRESQL_BACKWARD = [
    *(f"DROP TRIGGER summits_attendance_firsts_{event} ON summits_attendance" for event in ("insert", "update", "delete")),
    "DROP TRIGGER summits_summit_firsts_update ON summits_summit",
    "DROP TRIGGER summits_organization_firsts_update ON summits_organization",
    "DROP FUNCTION summits_attendance_firsts()",
    "DROP FUNCTION summits_summit_firsts()",
    "DROP FUNCTION summits_organization_firsts()",
]


# SQLite: row triggers, with the row's images OLD and NEW.


def _sqlite_row(image: str, columns: tuple[str, ...]) -> str:
    return "(SELECT " + ", ".join(f"{image}.{column} AS {column}" for column in columns) + ")"


def _sqlite_differ(keys: tuple[str, ...]) -> str:
    return "(" + " OR ".join(f"OLD.{key} IS NOT NEW.{key}" for key in keys) + ")"


SQLITE_TRIGGERS = {
    "summits_attendance_firsts_insert": "INSERT ON summits_attendance",
    "summits_attendance_firsts_update": f"UPDATE ON summits_attendance WHEN {_sqlite_differ(ATTENDANCE_KEYS)}",
    "summits_attendance_firsts_delete": "DELETE ON summits_attendance",
    "summits_summit_firsts_update": f"UPDATE ON summits_summit WHEN {_sqlite_differ(SUMMIT_KEYS)}",
    "summits_organization_firsts_update": f"UPDATE ON summits_organization WHEN {_sqlite_differ(ORGANIZATION_KEYS)}",
}


def sqlite_statements() -> list[str]:
    """The SQLite triggers, dropped first where they exist: what a later migration that rebuilds
    one of these tables runs again."""
    distinct = "IS NOT"
    row = ("id", "summit_id", "country_id", "leader_id")
    labelled = (*row, "first_for_country", "first_for_leader")
    new, old = _sqlite_row("NEW", row), _sqlite_row("OLD", labelled)
    nothing = f"({_NOTHING})"
    bodies = {
        "summits_attendance_firsts_insert": [
            s for who in WHO for s in refresh(who, regroup=_NO_GROUPS, entering=new, distinct=distinct)
        ],
        "summits_attendance_firsts_update": [
            s for who in WHO for s in refresh(who, regroup=_labelled_groups(who, old), entering=new, distinct=distinct)
        ],
        "summits_attendance_firsts_delete": [
            s for who in WHO for s in refresh(who, regroup=_labelled_groups(who, old), entering=nothing, distinct=distinct)
        ],
        "summits_summit_firsts_update": [
            s
            for who in WHO
            for s in refresh(
                who,
                regroup=(
                    f"{_summit_groups(who, _sqlite_row('OLD', ('id', 'organization_id')))} UNION"
                    f" {_summit_groups(who, _sqlite_row('NEW', ('id', 'organization_id')))}"
                ),
                entering=_at_summits(_sqlite_row("NEW", ("id",))),
                distinct=distinct,
            )
        ],
        "summits_organization_firsts_update": [
            s
            for who in WHO
            for s in refresh(who, regroup=_organization_groups(who, _sqlite_row("NEW", ("id",))), entering=nothing, distinct=distinct)
        ],
    }
    statements = []
    for name, event in SQLITE_TRIGGERS.items():
        statements += [
            f"DROP TRIGGER IF EXISTS {name}",
            f"CREATE TRIGGER {name} AFTER {event} BEGIN {' '.join(bodies[name])} END",
        ]
    return statements


def fill_statements(vendor: str) -> list[str]:
    """Every label computed from scratch (the first fill)."""
    distinct = "IS DISTINCT FROM" if vendor == "postgresql" else "IS NOT"
    return [s for who in WHO for s in refresh(who, regroup=None, entering="", distinct=distinct)]


def _restored_sqlite_triggers(connection) -> list[str]:
    """The data version's and the change feed's triggers, which a rebuild of summits_attendance
    drops, made again."""
    data_version = importlib.import_module("summits.migrations.0004_data_version")
    feed = importlib.import_module("summits.migrations.0011_change_feed")
    return [
        *(
            f"CREATE TRIGGER IF NOT EXISTS summits_attendance_new_data_version_{event.lower()}"
            f" AFTER {event} ON summits_attendance BEGIN {data_version._SQLITE_NEW_TOKEN} END"
            for event in ("INSERT", "UPDATE", "DELETE")
        ),
        *feed.sqlite_triggers(connection),
    ]


def _forward(apps, schema_editor):
    connection = schema_editor.connection
    if connection.vendor == "postgresql":
        # The first fill ranks every attendance: no request's statement timeout applies.
        statements = ["SET LOCAL statement_timeout = 0", *postgresql_statements()]
    elif connection.vendor == "sqlite":
        statements = [*_restored_sqlite_triggers(connection), *sqlite_statements()]
    else:
        raise NotImplementedError(f"No first labels for {connection.vendor}.")
    for sql in [*statements, *fill_statements(connection.vendor)]:
        schema_editor.execute(sql, params=None)


def _drop_sqlite_feed_triggers(apps, schema_editor):
    """On SQLite, adding the constraints rebuilds summits_attendance, which other tables' change
    feed triggers name: SQLite refuses to rename a table into place while they do. They are
    dropped here and made again by `_forward`."""
    connection = schema_editor.connection
    if connection.vendor != "sqlite":
        return
    feed = importlib.import_module("summits.migrations.0011_change_feed")
    for sql in feed.sqlite_triggers(connection):
        if sql.startswith("DROP TRIGGER"):
            schema_editor.execute(sql, params=None)


def _backward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        statements = POSTGRESQL_BACKWARD
    else:
        statements = [f"DROP TRIGGER IF EXISTS {name}" for name in SQLITE_TRIGGERS]
    for sql in statements:
        schema_editor.execute(sql, params=None)
    # Removing the constraints rebuilds summits_attendance again.
    _drop_sqlite_feed_triggers(apps, schema_editor)


def _restore_sqlite_triggers(apps, schema_editor):
    if schema_editor.connection.vendor == "sqlite":
        for sql in _restored_sqlite_triggers(schema_editor.connection):
            schema_editor.execute(sql, params=None)


class Migration(migrations.Migration):

    dependencies = [
        ('summits', '0012_change_feed_secret'),
    ]

    operations = [
        migrations.RunPython(_drop_sqlite_feed_triggers, _restore_sqlite_triggers),
        migrations.AddField(
            model_name='attendance',
            name='first_for_country',
            field=models.CharField(blank=True, choices=[('first', 'First'), ('first recorded', 'First recorded')], editable=False, help_text='Kept by the database: no earlier summit of the organization was attended by this country.', max_length=14, null=True),
        ),
        migrations.AddField(
            model_name='attendance',
            name='first_for_leader',
            field=models.CharField(blank=True, choices=[('first', 'First'), ('first recorded', 'First recorded')], editable=False, help_text='Kept by the database: the same, for the leader.', max_length=14, null=True),
        ),
        migrations.AddIndex(
            model_name='attendance',
            index=models.Index(condition=models.Q(('first_for_country__isnull', False)), fields=['country'], name='summits_att_country_first'),
        ),
        migrations.AddIndex(
            model_name='attendance',
            index=models.Index(condition=models.Q(('first_for_leader__isnull', False)), fields=['leader'], name='summits_att_leader_first'),
        ),
        migrations.AddConstraint(
            model_name='attendance',
            constraint=models.CheckConstraint(condition=models.Q(('first_for_country__isnull', True), ('first_for_country__in', ['first', 'first recorded']), _connector='OR'), name='summits_attendance_first_for_country_valid', violation_error_code='invalid_choice', violation_error_message='Unknown first label.'),
        ),
        migrations.AddConstraint(
            model_name='attendance',
            constraint=models.CheckConstraint(condition=models.Q(('first_for_leader__isnull', True), ('first_for_leader__in', ['first', 'first recorded']), _connector='OR'), name='summits_attendance_first_for_leader_valid', violation_error_code='invalid_choice', violation_error_message='Unknown first label.'),
        ),
        migrations.RunPython(_forward, _backward),
    ]
