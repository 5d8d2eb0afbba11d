"""Writing a summit's history replaces the data version, as every summits table does (0004): the
calendar's DTSTAMP and LAST-MODIFIED are the summit's latest recorded edit, so pruning its
history (`clean_old_history`), filling it in (`populate_history`) or raw SQL on it changes the
feed's bytes, and a feed kept under a data version (summits.api.response_cache) must never
outlive what it shows.
"""

import importlib

from django.db import migrations

_TABLE = "summits_historicalsummit"
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
                "backward": [
                    f"DROP TRIGGER {_TABLE}_new_data_version_{event.lower()}" for event in _EVENTS
                ],
            }
        for sql in statements[direction]:
            schema_editor.execute(sql, params=None)

    return run


class Migration(migrations.Migration):
    dependencies = [("summits", "0015_change_feed_secret_moves_the_data_version")]

    operations = [migrations.RunPython(_triggers("forward"), _triggers("backward"))]
