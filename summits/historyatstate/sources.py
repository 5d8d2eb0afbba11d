"""A record kept as a source: what makes a record's values unfit to store, and the source an
import creates for a record, or finds from an earlier import."""

import unicodedata

from django.core.exceptions import ValidationError
from django.db import models

from summits import validators
from summits.evidence import text_digest
from summits.historyatstate.records import PUBLISHER, Record
from summits.historyatstate.report import ImportReport
from summits.historyatstate.writing import save_checked
from summits.models import Leader, Source, Summit


def unusable(record: Record) -> str | None:
    """Why a record's values cannot be stored as they are, if they cannot: a control character
    (which XML 1.0 allows from U+007F to U+009F) or a name longer than a leader's name may be."""
    for name, value in record.fields.items():
        try:
            validators.single_line(value)
        except ValidationError as error:
            return f"its {name}: {error.messages[0]}"
        invisible = next((char for char in value if unicodedata.category(char) == "Cf"), None)
        if invisible is not None:
            # Bidirectional overrides and zero-width characters make one name look like another.
            return f"its {name} holds the invisible character U+{ord(invisible):04X}."
    limits = {
        "visitor": _max_length(Leader, "name"),
        "name": _max_length(Leader, "name"),
        "locale": _max_length(Summit, "city"),
    }
    for name, longest in limits.items():
        if len(record.fields.get(name, "")) > longest:
            return f"its {name} is longer than {longest} characters."
    return None


def _max_length(model: type[models.Model], name: str) -> int:
    declared = model._meta.get_field(name)
    assert isinstance(declared, models.CharField)
    assert declared.max_length is not None
    return declared.max_length


def record_source(record: Record, *, where: str, report: ImportReport) -> Source | None:
    """The record's source: created, or the one an earlier import created. None, reported as
    not placed, when another source holds the record's key or its text."""
    text = record.text
    held = Source.objects.filter(key=record.key).first()
    if held is not None:
        if held.sha256 != text_digest(text):
            report.unplaced.append(
                f"{where}: source {record.key} holds another text of this record (the "
                "dataset has changed it since); the record is left out."
            )
            return None
        return held
    # "Not empty" lets SQLite use the partial unique index on texts' digests.
    holder = (
        Source.objects.filter(sha256=text_digest(text))
        .exclude(sha256="")
        .values_list("key", flat=True)
    )
    if holder.exists():
        report.unplaced.append(
            f"{where}: source {holder.first()} holds this record's text already; the record "
            "is left out."
        )
        return None
    source = Source(
        key=record.key,
        title=record.title[:300],
        publisher=PUBLISHER,
        language="en",
        url=record.url,
        text=text,
        note=f"The {record.dataset} dataset of the Office of the Historian, record "
        f"{record.id}; public domain (CC0).",
    )
    save_checked(source)
    report.sources_created += 1
    return source
