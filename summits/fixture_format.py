"""Django's JSON fixture format, with load errors that say what is wrong.

Registered as the "json" serialization format. Two differences from Django's own: invalid JSON
names the parse error, and a natural foreign key that matches no row fails at once with the key,
instead of being put off as a forward reference (every fixture here lists a row after the rows
it refers to, as `dumpdata` does).
"""

from django.core.serializers import base
from django.core.serializers.json import Deserializer as JSONDeserializer
from django.core.serializers.json import Serializer

__all__ = ["Deserializer", "Serializer"]


class Deserializer(JSONDeserializer):
    def __init__(self, stream_or_string, **options):
        try:
            super().__init__(stream_or_string, **options)
        except base.DeserializationError as error:
            raise base.DeserializationError(f"Not valid JSON: {error.__cause__}") from error

    def _handle_fk_field_node(self, field, field_value):
        value = super()._handle_fk_field_node(field, field_value)
        if value == base.DEFER_FIELD:
            raise base.DeserializationError(
                f"{field.model._meta.label}.{field.name}: no {field.related_model._meta.label} "
                f"has the natural key {field_value!r}."
            )
        return value
