"""Writing the change feed's secret (0012) replaces the data version, as every summits table
does (0004): the feed's pages show tokens checked with it, and a response stored under a data
version (summits.api.response_cache) must never outlive what it shows. A restored database
given a secret of its own then serves no page of the old secret's tokens.
"""

import importlib

from django.db import migrations

_TABLE = "summits_changefeed"
_EVENTS = ("INSERT", "UPDATE", "DELETE")


def _triggers(direction: str):
    def run(apps, schema_editor):
        vendor = schema_editor.connection.vendor
        if vendor == "postgresql":
            statements = {
                "forward": [
                    f"CREATE TRIGGER {_TABLE}_new_data_version AFTER INSERT OR UPDATE OR DELETE"
                    f" OR TRUNCATE ON {_TABLE} FOR EACH STATEMENT"
                    " EXECUTE FUNCTION summits_new_data_version()"
                ],
                "backward": [f"DROP TRIGGER {_TABLE}_new_data_version ON {_TABLE}"],
            }
        else:
            token = importlib.import_module("summits.migrations.0004_data_version")._SQLITE_NEW_TOKEN
            statements = {
                "forward": [
                    f"CREATE TRIGGER {_TABLE}_new_data_version_{event.lower()}"
                    f" AFTER {event} ON {_TABLE} BEGIN {token} END"
                    for event in _EVENTS
                ],
                "backward": [f"DROP TRIGGER {_TABLE}_new_data_version_{event.lower()}" for event in _EVENTS],
            }
        for sql in statements[direction]:
            schema_editor.execute(sql, params=None)

    return run


class Migration(migrations.Migration):
    dependencies = [("summits", "0014_change_feed_planned_per_call")]

    operations = [migrations.RunPython(_triggers("forward"), _triggers("backward"))]
