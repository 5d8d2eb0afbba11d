"""Serializer fields that take JSON at its word: a number is not a string, nor a string a number.

DRF coerces `0` to `"0"` for a CharField and `"5"` to `5` for an IntegerField; a client that sends
the wrong type has a bug, and a 400 tells it so instead of storing a guess.
"""

from rest_framework import serializers


class StrictTypeMixin:
    json_types: tuple[type, ...] = (str,)

    def to_internal_value(self, data):
        if isinstance(data, bool) or not isinstance(data, self.json_types):
            self.fail("invalid")
        if isinstance(data, str) and "\x00" in data:
            # No text column stores NUL; PostgreSQL refuses even to compare with it.
            raise serializers.ValidationError(
                "Null characters are not allowed.", code="null_characters_not_allowed"
            )
        return super().to_internal_value(data)


class CharField(StrictTypeMixin, serializers.CharField):
    default_error_messages = {"invalid": "Not a valid string."}


class SlugField(StrictTypeMixin, serializers.SlugField):
    default_error_messages = {"invalid": "Not a valid slug."}


class URLField(StrictTypeMixin, serializers.URLField):
    default_error_messages = {"invalid": "Enter a valid URL."}


class IntegerField(StrictTypeMixin, serializers.IntegerField):
    json_types = (int,)


class PrimaryKeyRelatedField(StrictTypeMixin, serializers.PrimaryKeyRelatedField):
    json_types = (int,)
    default_error_messages = {"invalid": "An id is a whole number."}


class SlugRelatedField(StrictTypeMixin, serializers.SlugRelatedField):
    pass
