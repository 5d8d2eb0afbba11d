"""Django's JSON fixture format, with load errors that say what is wrong.

Registered as the "json" serialization format. Differences from Django's own:

- invalid JSON, or bytes that are not UTF-8, fail with the parse error;
- each entry of this app is checked before Django reads it, because Django would otherwise store
  a number given for a text field as its digits, cut 44.7 to 44, skip `max_length` on SQLite and
  crash with a Python error on a malformed entry: an entry is an object with a known "model" and a
  "fields" object; each field is a concrete field of the model, given a value of its own JSON type
  (a string for text, a whole number for a number, a string for a date, the list of a natural key
  for a foreign key) with no NUL character, null only where the column allows it, and every
  required field is present; then each row passes `clean_fields()` (lengths, slugs, URLs,
  choices), and no two entries name the same row;
- a natural foreign key that matches no row fails at once with the key, instead of being put off
  as a forward reference (every fixture here lists a row after the rows it refers to, as
  `dumpdata` does).

Each message starts with the entry it is about: `Entry 12 (summits.summit): ...`.
"""

import json
from collections.abc import Iterator
from typing import Any

from django.apps import apps
from django.core.exceptions import FieldDoesNotExist, ObjectDoesNotExist, ValidationError
from django.core.serializers import base
from django.core.serializers.json import Serializer
from django.core.serializers.python import Deserializer as PythonDeserializer
from django.db import DEFAULT_DB_ALIAS, models

from summits.evidence import text_digest
from summits.models import Citation, NaturalKeyModel, Source

__all__ = ["Deserializer", "Serializer"]

CHECKED_APPS = {"summits"}
MAX_PK = 2**63 - 1


def _json_type(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "an array"
    return "an object"


def _text_problem(value: str) -> str | None:
    if "\x00" in value:
        return "contains a NUL character, which no text column stores."
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return "is not valid Unicode (it holds a lone surrogate)."
    return None


def _natural_key_arity(model: type[models.Model]) -> int | None:
    """How many parts the model's natural key has, or None where it varies (a citation's)."""
    fields = getattr(model, "natural_key_fields", None)
    return len(fields) if fields is not None else None


def _value_problem(field: models.Field, value: object) -> str | None:
    """What is wrong with a JSON value for a field, or None."""
    if value is None:
        return None if field.null else "may not be null."
    if field.is_relation and isinstance(field.related_model, type):
        return _natural_key_problem(field.related_model, value)
    if isinstance(field, models.IntegerField):
        if isinstance(value, bool) or not isinstance(value, int):
            return f"must be a whole number, not {_json_type(value)}."
        return None
    if isinstance(field, models.DateField | models.CharField | models.TextField):
        if not isinstance(value, str):
            kind = (
                "a date as a string, YYYY-MM-DD"
                if isinstance(field, models.DateField)
                else "a string"
            )
            return f"must be {kind}, not {_json_type(value)}."
        return _text_problem(value)
    return None


def _natural_key_problem(related: type[models.Model], value: object) -> str | None:
    """What is wrong with a JSON value for a foreign key to `related`, or None."""
    arity = _natural_key_arity(related)
    if (
        not isinstance(value, list)
        or not value
        or not all(isinstance(part, str | int) and not isinstance(part, bool) for part in value)
        or (arity is not None and len(value) != arity)
    ):
        return (
            f"must be the natural key of a {related._meta.label_lower}, a list of "
            f"{arity or 'its'} string(s) such as {_example_key(related)}, "
            f"or null where allowed; not {value!r:.80}."
        )
    for part in value:
        if isinstance(part, str) and (problem := _text_problem(part)):
            return f"its natural key {problem}"
    return None


def _example_key(model: type[models.Model]) -> str:
    instance = model._default_manager.order_by("pk").first()
    if not isinstance(instance, NaturalKeyModel):
        return "[...]"
    return json.dumps(list(_flat(instance.natural_key())))


def _flat(parts):
    for part in parts:
        if isinstance(part, list | tuple):
            yield from _flat(part)
        else:
            yield part


class Deserializer(base.Deserializer):
    """Reads a JSON fixture entry by entry: each is checked, then read by Django's own Python
    deserializer (through its public interface only: called with a list of entries, iterated)."""

    def __init__(self, stream_or_string: Any, **options: Any) -> None:
        super().__init__(stream_or_string, **options)
        self.entries = _parse(stream_or_string)
        self._rows: dict[tuple[str, object], int] = {}  # (model, pk): entry number
        self._objects = (
            deserialized
            for number, entry in enumerate(self.entries, start=1)
            for deserialized in self._entry(number, entry)
        )

    def __next__(self) -> base.DeserializedObject:
        return next(self._objects)

    def _entry(self, number: int, entry: object) -> Iterator[base.DeserializedObject]:
        model, entry, where = _checked_entry(f"Entry {number}", entry)
        fields = entry["fields"]
        checked = model._meta.app_label in CHECKED_APPS
        if checked:
            self._check_fields(where, model, fields)
        try:
            for deserialized in PythonDeserializer([entry], **self.options):
                _refuse_unknown_keys(deserialized)
                if checked:
                    self._check_row(deserialized.object)
                yield deserialized
                # loaddata has saved the row by now: a later entry that finds it is a repeat.
                self._rows.setdefault((model._meta.label_lower, deserialized.object.pk), number)
        except base.DeserializationError as error:
            raise base.DeserializationError(f"{where}: {error}") from error
        except ValidationError as error:
            raise base.DeserializationError(f"{where}: {_messages(error)}") from error
        except Exception as error:
            # A natural foreign key that matches no row fails as soon as Django builds the row.
            problem = _unresolved_key(model, fields, self.options.get("using", DEFAULT_DB_ALIAS))
            problem = problem or f"{type(error).__name__}: {error}"
            raise base.DeserializationError(f"{where}: {problem}") from error

    def _check_fields(self, where: str, model: type[models.Model], fields: dict) -> None:
        for name, value in fields.items():
            try:
                field = model._meta.get_field(name)
            except FieldDoesNotExist:
                raise base.DeserializationError(
                    f"{where}: {model._meta.label_lower} has no field {name!r}."
                ) from None
            if (
                not field.concrete
                or field.many_to_many
                or name in getattr(model, "kept_by_database", ())
            ):
                raise base.DeserializationError(
                    f"{where}: {name!r} is not a field of {model._meta.label_lower} that a "
                    "fixture sets."
                )
            if problem := _value_problem(field, value):
                raise base.DeserializationError(f"{where}: {name} {problem}")
        missing = [
            field.name
            for field in model._meta.concrete_fields
            if not (field.primary_key or field.null or field.blank or field.has_default())
            and field.name not in fields
        ]
        if missing:
            raise base.DeserializationError(f"{where}: required fields missing: {missing}.")

    def _check_row(self, instance: models.Model) -> None:
        instance.clean_fields(
            exclude=[field.name for field in instance._meta.concrete_fields if field.is_relation]
        )
        if isinstance(instance, Source) and instance.sha256 != (
            text_digest(instance.text) if instance.text else ""
        ):
            raise ValidationError({"sha256": "is not the sha256 of the text's UTF-8 bytes."})
        if isinstance(instance, Citation):
            instance.clean()  # the evidence rule: the quote is the source's text at its offsets
        earlier = self._rows.get((instance._meta.label_lower, instance.pk))
        if instance.pk is not None and earlier is not None:
            key = instance.natural_key() if isinstance(instance, NaturalKeyModel) else ()
            raise base.DeserializationError(
                f"it names the same row as entry {earlier} (natural key "
                f"{list(_flat(key))}); a fixture lists each row once."
            )


def _messages(error: ValidationError) -> str:
    if hasattr(error, "error_dict"):
        return "; ".join(
            f"{name}: {' '.join(messages)}" for name, messages in error.message_dict.items()
        )
    return " ".join(error.messages)


def _parse(stream_or_string: Any) -> list:
    """The fixture's list of entries; invalid JSON or UTF-8 fails with the parse error."""
    if not isinstance(stream_or_string, bytes | str):
        stream_or_string = stream_or_string.read()
    try:
        if isinstance(stream_or_string, bytes):
            stream_or_string = stream_or_string.decode()
        entries = json.loads(stream_or_string)
    except (ValueError, RecursionError) as error:  # JSONDecodeError and UnicodeDecodeError
        raise base.DeserializationError(f"Not valid JSON: {error}") from error
    if not isinstance(entries, list):
        raise base.DeserializationError(
            f"A fixture is a JSON array of objects, not {_json_type(entries)}."
        )
    return entries


def _checked_entry(where: str, entry: object) -> tuple[type[models.Model], dict, str]:
    """An entry whose shape is right, the model it is a row of, and how messages name it."""
    if not isinstance(entry, dict):
        raise base.DeserializationError(
            f'{where} is {_json_type(entry)}, not a JSON object with "model" and "fields".'
        )
    unknown = sorted(set(entry) - {"model", "pk", "fields"})
    if unknown:
        raise base.DeserializationError(
            f'{where} has unknown keys {unknown}: an entry has "model", "fields" and maybe "pk".'
        )
    label = entry.get("model")
    if not isinstance(label, str):
        raise base.DeserializationError(
            f'{where}: "model" must be a string such as "summits.summit", not {_json_type(label)}.'
        )
    try:
        model = apps.get_model(label)
    except (LookupError, ValueError):
        raise base.DeserializationError(f"{where}: no model is called {label!r}.") from None
    where = f"{where} ({model._meta.label_lower})"
    fields = entry.get("fields")
    if not isinstance(fields, dict):
        raise base.DeserializationError(
            f'{where}: "fields" must be a JSON object, not {_json_type(fields)}.'
        )
    pk = entry.get("pk")
    if pk is not None and (isinstance(pk, bool) or not isinstance(pk, int) or not 0 < pk <= MAX_PK):
        raise base.DeserializationError(f'{where}: "pk" must be a positive whole number.')
    return model, entry, where


def _refuse_unknown_keys(deserialized: base.DeserializedObject) -> None:
    """A natural foreign key that matches no row fails at once, instead of being put off as a
    forward reference (loaddata asks for those to be deferred)."""
    for field, value in (deserialized.deferred_fields or {}).items():
        raise base.DeserializationError(_no_such_key(field, value))


def _unresolved_key(model: type[models.Model], fields: dict, using: str) -> str | None:
    """What is wrong with the first natural foreign key of an entry that matches no row."""
    for name, value in fields.items():
        field = model._meta.get_field(name)
        related = field.related_model
        if not isinstance(value, list) or not isinstance(related, type):
            continue
        try:
            find = getattr(related._default_manager.db_manager(using), "get_by_natural_key", None)
            if find is not None:
                find(*value)
        except (ObjectDoesNotExist, TypeError, ValueError):
            return _no_such_key(field, value)
    return None


def _no_such_key(field: Any, value: object) -> str:
    return (
        f"{field.model._meta.label}.{field.name}: no {field.related_model._meta.label} "
        f"has the natural key {value!r}."
    )
