"""A source holds the text it was read from; the database checks every quote against it.

Existing sources read from a seed file get that file's text (its sha256 now of the text's UTF-8
bytes, the same bytes for a UTF-8 file), so every existing citation stays valid. Two triggers,
on PostgreSQL and SQLite alike, make the evidence rule hold for every writer, raw SQL and
`loaddata` included: a citation's quote is its source's text at its offsets (or, for a source
without text, there is no quote and the basis is "external"); and a cited text never changes.
"""

import hashlib
from pathlib import Path

import django.db.models.functions.text
import summits.validators
from django.conf import settings
from django.db import migrations, models

_QUOTE_RULE_SQL = """
    CASE WHEN {text} = '' THEN {row}.basis <> 'external' OR {row}.quote <> ''
                               OR {row}.start IS NOT NULL
         ELSE {row}.basis = 'external' OR {row}.quote = ''
              OR {row}.start IS NULL OR {row}."end" IS NULL
              OR substr({text}, {row}.start + 1, {row}."end" - {row}.start) {distinct} {row}.quote
    END
"""
_BAD_QUOTE = "summits_citation_quotes_its_source: the quote is not the text of its source at its offsets"
_CITED_TEXT = "summits_source_cited_text_is_fixed: citations quote this text"

POSTGRESQL = {
    "forward": [
        f"""
        CREATE FUNCTION summits_citation_quotes_its_source() RETURNS trigger
        LANGUAGE plpgsql AS $$
        DECLARE
            source_text text;
        BEGIN
            -- FOR SHARE: a concurrent change of the text waits for this citation to commit
            -- (and is then refused, the text being cited), or this reads the changed text.
            SELECT text INTO source_text FROM summits_source WHERE id = NEW.source_id FOR SHARE;
            IF FOUND AND ({_QUOTE_RULE_SQL.format(text="source_text", row="NEW", distinct="IS DISTINCT FROM")}) THEN
                RAISE EXCEPTION '{_BAD_QUOTE}' USING ERRCODE = 'check_violation';
            END IF;
            RETURN NEW;
        END
        $$
        """,
        "CREATE TRIGGER summits_citation_quotes_its_source BEFORE INSERT OR UPDATE"
        " ON summits_citation FOR EACH ROW EXECUTE FUNCTION summits_citation_quotes_its_source()",
        f"""
        CREATE FUNCTION summits_source_cited_text_is_fixed() RETURNS trigger
        LANGUAGE plpgsql AS $$
        BEGIN
            IF EXISTS (SELECT 1 FROM summits_citation WHERE source_id = OLD.id) THEN
                RAISE EXCEPTION '{_CITED_TEXT}' USING ERRCODE = 'check_violation';
            END IF;
            RETURN NEW;
        END
        $$
        """,
        "CREATE TRIGGER summits_source_cited_text_is_fixed BEFORE UPDATE OF text ON summits_source"
        " FOR EACH ROW WHEN (OLD.text IS DISTINCT FROM NEW.text)"
        " EXECUTE FUNCTION summits_source_cited_text_is_fixed()",
    ],
    "backward": [
        "DROP TRIGGER summits_source_cited_text_is_fixed ON summits_source",
        "DROP FUNCTION summits_source_cited_text_is_fixed()",
        "DROP TRIGGER summits_citation_quotes_its_source ON summits_citation",
        "DROP FUNCTION summits_citation_quotes_its_source()",
    ],
}

SQLITE = {
    "forward": [
        *(
            f"""
            CREATE TRIGGER summits_citation_quotes_its_source_{event.lower()}
            BEFORE {event} ON summits_citation
            WHEN (SELECT {_QUOTE_RULE_SQL.format(text="s.text", row="NEW", distinct="IS NOT")}
                  FROM summits_source s WHERE s.id = NEW.source_id)
            BEGIN SELECT RAISE(ABORT, '{_BAD_QUOTE}'); END
            """
            for event in ("INSERT", "UPDATE")
        ),
        f"""
        CREATE TRIGGER summits_source_cited_text_is_fixed BEFORE UPDATE OF text ON summits_source
        WHEN OLD.text IS NOT NEW.text
             AND EXISTS (SELECT 1 FROM summits_citation WHERE source_id = OLD.id)
        BEGIN SELECT RAISE(ABORT, '{_CITED_TEXT}'); END
        """,
    ],
    "backward": [
        "DROP TRIGGER summits_source_cited_text_is_fixed",
        "DROP TRIGGER summits_citation_quotes_its_source_insert",
        "DROP TRIGGER summits_citation_quotes_its_source_update",
    ],
}


def _triggers(direction: str):
    def run(apps, schema_editor):
        statements = {"postgresql": POSTGRESQL, "sqlite": SQLITE}.get(
            schema_editor.connection.vendor
        )
        if statements is None:
            raise NotImplementedError(
                f"No evidence triggers for {schema_editor.connection.vendor}."
            )
        for sql in statements[direction]:
            schema_editor.execute(sql)

    return run


def read_seed_texts(apps, schema_editor):
    """Each source read from a seed file takes the file's text, its digest and length."""
    Source = apps.get_model("summits", "Source")
    for source in Source.objects.using(schema_editor.connection.alias).exclude(seed_file=""):
        path = Path(settings.SEEDS_DIR) / Path(source.seed_file).name
        try:
            data = path.read_bytes()
        except OSError as error:
            raise RuntimeError(
                f"Source {source.key!r} was read from {path}, which cannot be read ({error}): "
                "put the seed file back and migrate again."
            ) from error
        source.text = data.decode("utf-8")
        source.sha256 = hashlib.sha256(source.text.encode("utf-8")).hexdigest()
        source.length = len(source.text)
        source.save(update_fields=["text", "sha256", "length"])


def forget_texts(apps, schema_editor):
    Source = apps.get_model("summits", "Source")
    Source.objects.using(schema_editor.connection.alias).filter(seed_file="").exclude(
        text=""
    ).update(sha256="")


class Migration(migrations.Migration):
    dependencies = [
        ("summits", "0006_text_without_control_characters"),
    ]

    operations = [
        migrations.RemoveConstraint(
            model_name="source",
            name="summits_source_has_origin",
        ),
        migrations.RemoveConstraint(
            model_name="source",
            name="summits_source_seed_file_has_sha256",
        ),
        migrations.AddField(
            model_name="historicalsource",
            name="length",
            field=models.PositiveIntegerField(
                blank=True, editable=False, help_text="Of the text, in code points.", null=True
            ),
        ),
        migrations.AddField(
            model_name="source",
            name="length",
            field=models.PositiveIntegerField(
                blank=True, editable=False, help_text="Of the text, in code points.", null=True
            ),
        ),
        migrations.AddField(
            model_name="source",
            name="text",
            field=models.TextField(
                blank=True, help_text="The text, verbatim: what citations of this source quote."
            ),
        ),
        migrations.AlterField(
            model_name="citation",
            name="start",
            field=models.PositiveIntegerField(
                blank=True, help_text="0-based code point offset in the source's text.", null=True
            ),
        ),
        migrations.AlterField(
            model_name="historicalcitation",
            name="start",
            field=models.PositiveIntegerField(
                blank=True, help_text="0-based code point offset in the source's text.", null=True
            ),
        ),
        migrations.AlterField(
            model_name="historicalsource",
            name="seed_file",
            field=models.CharField(
                blank=True,
                help_text="The file in seeds/ the text was read from, if any.",
                max_length=200,
                validators=[summits.validators.NoControlCharacters()],
            ),
        ),
        migrations.AlterField(
            model_name="historicalsource",
            name="sha256",
            field=models.CharField(
                blank=True, editable=False, help_text="Of the text's UTF-8 bytes.", max_length=64
            ),
        ),
        migrations.AlterField(
            model_name="source",
            name="seed_file",
            field=models.CharField(
                blank=True,
                help_text="The file in seeds/ the text was read from, if any.",
                max_length=200,
                validators=[summits.validators.NoControlCharacters()],
            ),
        ),
        migrations.AlterField(
            model_name="source",
            name="sha256",
            field=models.CharField(
                blank=True, editable=False, help_text="Of the text's UTF-8 bytes.", max_length=64
            ),
        ),
        migrations.RunPython(read_seed_texts, forget_texts),
        migrations.AddConstraint(
            model_name="source",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    models.Q(("url", ""), _negated=True),
                    models.Q(("text", ""), _negated=True),
                    _connector="OR",
                ),
                name="summits_source_has_origin",
                violation_error_code="no_origin",
                violation_error_message="A source needs a URL or a text.",
            ),
        ),
        migrations.AddConstraint(
            model_name="source",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    models.Q(("length__isnull", True), ("sha256", ""), ("text", "")),
                    models.Q(
                        models.Q(("text", ""), _negated=True),
                        ("sha256__regex", "^[0-9a-f]{64}$"),
                        ("length", django.db.models.functions.text.Length("text")),
                    ),
                    _connector="OR",
                ),
                name="summits_source_text_digest",
                violation_error_code="bad_digest",
                violation_error_message="A text comes with the lowercase hex sha256 of its UTF-8 bytes and its length in code points, and only a text has them.",
            ),
        ),
        migrations.AddConstraint(
            model_name="source",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    ("seed_file", ""), models.Q(("text", ""), _negated=True), _connector="OR"
                ),
                name="summits_source_seed_file_has_text",
                violation_error_code="seed_file_without_text",
                violation_error_message="A source read from a seed file holds its text.",
            ),
        ),
        migrations.AddConstraint(
            model_name="source",
            constraint=models.UniqueConstraint(
                condition=models.Q(("sha256", ""), _negated=True),
                fields=("sha256",),
                name="summits_source_unique_text",
                violation_error_message="Another source holds this text already.",
            ),
        ),
        migrations.RunPython(_triggers("forward"), _triggers("backward")),
    ]
