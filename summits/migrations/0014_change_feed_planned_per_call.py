"""The change feed's triggers (0011) run a statement over more than a hundred rows with EXECUTE,
planned on that call for the sizes of its transition tables (0013's `planned_for_size`).

A static statement in PL/pgSQL keeps the plan of its first call in the session: after a one-row
write, a later write of thousands of rows in the same session (a bulk import's next batch, the
"first" labels that 0013's triggers move) ran through the one-row plan's nested loops, in time
quadratic in the rows (8,000 rows updated: 41 s instead of 0.2 s). PostgreSQL only: SQLite's row
triggers see one row at a time.
"""

import importlib

from django.db import migrations

_feed = importlib.import_module("summits.migrations.0011_change_feed")
_firsts = importlib.import_module("summits.migrations.0013_firsts_kept_on_write")


def _functions(per_call: bool) -> list[str]:
    functions = []
    for table in _feed.TABLES:
        text = _feed.PostgreSQL().function(table).replace("CREATE FUNCTION", "CREATE OR REPLACE FUNCTION", 1)
        if per_call:
            text = text.replace("        BEGIN\n", "        DECLARE\n            rows_written bigint;\n        BEGIN\n", 1)
            lines = []
            for line in text.splitlines():
                indent = line[: len(line) - len(line.lstrip())]
                if line.strip().startswith("INSERT INTO summits_change"):
                    line = indent + _firsts.planned_for_size(line.strip())
                lines.append(line)
                for event, count in _firsts.COUNT_WRITTEN.items():
                    if line.strip().endswith(f"TG_OP = '{event}' THEN"):
                        lines.append(f"{indent}    {count}")
            text = "\n".join(lines)
        functions.append(text)
    return functions


def _run(per_call: bool):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor != "postgresql":
            return
        for sql in _functions(per_call):
            schema_editor.execute(sql, params=None)

    return run


class Migration(migrations.Migration):
    dependencies = [("summits", "0013_firsts_kept_on_write")]

    operations = [migrations.RunPython(_run(per_call=True), _run(per_call=False))]
