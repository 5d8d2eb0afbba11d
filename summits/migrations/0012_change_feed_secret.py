"""The change feed's tokens name a position in this database's history, not just a number
(summits.api.changes): each carries a check keyed by a secret of this database, made here at
random, over the change at its position. A token from another database, or from before a backup
was restored (whose positions then hold other changes), does not verify.

- `summits_changefeed` holds the secret: one row, never shown, left out of dumpdata and loaddata
  (`ChangeLogRouter`), and kept by a backup restored (its history up to the backup is the same).
- `summits_changehorizon.token_check`: the check of a token at the horizon, as `prune_changes`
  sets it (the last change it deleted had it, so a client that had read up to it goes on); empty
  when a TRUNCATE moved the horizon, which then checks over the horizon itself.
"""

import secrets

from django.db import migrations, models

_EXPIRE = """
CREATE OR REPLACE FUNCTION summits_changes_expire() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM 1 FROM summits_dataversion WHERE id = 1 FOR UPDATE;
    INSERT INTO summits_changehorizon (id, "position", set_at)
    VALUES (1, nextval(pg_get_serial_sequence('summits_change', 'id')),
            statement_timestamp())
    ON CONFLICT (id) DO UPDATE
    SET "position" = excluded."position", set_at = excluded.set_at{also};
    RETURN NULL;
END
$$
"""
# A TRUNCATE's horizon has no change of its own: a token there is checked over the horizon.
_EXPIRE_CHECKED = _EXPIRE.replace("{also}", ", token_check = ''")
_EXPIRE_0011 = _EXPIRE.replace("{also}", "")


def forward(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    statements = [
        "CREATE TABLE summits_changefeed (id smallint NOT NULL PRIMARY KEY CHECK (id = 1),"
        " secret varchar(32) NOT NULL)",
        "ALTER TABLE summits_changehorizon ADD COLUMN token_check varchar(16) NOT NULL DEFAULT ''",
    ]
    if vendor == "postgresql":
        statements.append(_EXPIRE_CHECKED)
    for sql in statements:
        schema_editor.execute(sql, params=None)
    schema_editor.execute(
        "INSERT INTO summits_changefeed (id, secret) VALUES (1, %s)", [secrets.token_hex(16)]
    )


def backward(apps, schema_editor):
    statements = []
    if schema_editor.connection.vendor == "postgresql":
        statements.append(_EXPIRE_0011)
    statements += [
        "ALTER TABLE summits_changehorizon DROP COLUMN token_check",
        "DROP TABLE summits_changefeed",
    ]
    for sql in statements:
        schema_editor.execute(sql, params=None)


class Migration(migrations.Migration):
    dependencies = [("summits", "0011_change_feed")]

    operations = [
        migrations.CreateModel(
            name="ChangeFeed",
            fields=[
                ("id", models.PositiveSmallIntegerField(default=1, primary_key=True, serialize=False)),
                ("secret", models.CharField(max_length=32)),
            ],
            options={
                "db_table": "summits_changefeed",
                "ordering": ["id"],
                "managed": False,
                "default_permissions": (),
            },
        ),
        migrations.AddField(
            model_name="changehorizon",
            name="token_check",
            field=models.CharField(blank=True, default="", max_length=16),
        ),
        migrations.RunPython(forward, backward),
    ]
