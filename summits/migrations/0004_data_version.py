"""A data version token that every write to a summits table replaces, in the same transaction.

API ETags carry it (summits.api.conditional): a GET whose If-None-Match holds the current token
is answered 304 without computing the body. Triggers keep it, so no writer can forget to: the
API, the admin, loaddata, bulk imports and raw SQL alike. The table is not a model, so `flush`
leaves it alone. The token is random, never a counter that a re-created table would repeat.
"""

from django.db import migrations

TABLES = [
    "summits_country",
    "summits_organization",
    "summits_leader",
    "summits_summit",
    "summits_attendance",
    "summits_statuschange",
    "summits_source",
    "summits_citation",
]

POSTGRESQL = {
    "forward": [
        "CREATE TABLE summits_dataversion (id integer PRIMARY KEY, token varchar(32) NOT NULL)",
        "INSERT INTO summits_dataversion (id, token) VALUES (1, md5(random()::text))",
        """
        CREATE FUNCTION summits_new_data_version() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            INSERT INTO summits_dataversion (id, token) VALUES (1, md5(random()::text))
            ON CONFLICT (id) DO UPDATE SET token = excluded.token;
            RETURN NULL;
        END
        $$
        """,
        *(
            f"CREATE TRIGGER {table}_new_data_version AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE"
            f" ON {table} FOR EACH STATEMENT EXECUTE FUNCTION summits_new_data_version()"
            for table in TABLES
        ),
    ],
    "backward": [
        *(f"DROP TRIGGER {table}_new_data_version ON {table}" for table in TABLES),
        "DROP FUNCTION summits_new_data_version()",
        "DROP TABLE summits_dataversion",
    ],
}

_SQLITE_NEW_TOKEN = (
    "INSERT INTO summits_dataversion (id, token) VALUES (1, lower(hex(randomblob(16)))) "
    "ON CONFLICT (id) DO UPDATE SET token = excluded.token;"
)
SQLITE = {
    "forward": [
        "CREATE TABLE summits_dataversion (id integer PRIMARY KEY, token varchar(32) NOT NULL)",
        "INSERT INTO summits_dataversion (id, token) VALUES (1, lower(hex(randomblob(16))))",
        # SQLite has row triggers only: one new token per row written.
        *(
            f"CREATE TRIGGER {table}_new_data_version_{event.lower()} AFTER {event} ON {table} "
            f"BEGIN {_SQLITE_NEW_TOKEN} END"
            for table in TABLES
            for event in ("INSERT", "UPDATE", "DELETE")
        ),
    ],
    "backward": [
        *(
            f"DROP TRIGGER {table}_new_data_version_{event.lower()}"
            for table in TABLES
            for event in ("INSERT", "UPDATE", "DELETE")
        ),
        "DROP TABLE summits_dataversion",
    ],
}


def _run(direction: str):
    def run(apps, schema_editor):
        statements = {"postgresql": POSTGRESQL, "sqlite": SQLITE}.get(
            schema_editor.connection.vendor
        )
        if statements is None:
            raise NotImplementedError(f"No data version triggers for {schema_editor.connection.vendor}.")
        for sql in statements[direction]:
            schema_editor.execute(sql)

    return run


class Migration(migrations.Migration):
    dependencies = [("summits", "0003_indexes_for_firsts_and_orderings")]

    operations = [migrations.RunPython(_run("forward"), _run("backward"))]
