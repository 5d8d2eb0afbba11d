"""Serializer fields that take JSON at its word: a number is not a string, nor a string a number.

DRF coerces `0` to `"0"` for a CharField and `"5"` to `5` for an IntegerField; a client that sends
the wrong type has a bug, and a 400 tells it so instead of storing a guess. And a hyperlink field
that resolves its URL pattern once per request rather than once per row.
"""

from typing import TYPE_CHECKING
from urllib.parse import quote

from django.urls import NoReverseMatch
from django.utils.http import RFC3986_SUBDELIMS
from rest_framework import serializers
from rest_framework.reverse import reverse

# Stands for the lookup value while the URL pattern is resolved; never a real slug, code or id.
_PLACEHOLDER = "lookup-placeholder-4f1c"


if TYPE_CHECKING:
    _Field = serializers.Field
else:
    _Field = object  # a mixin: the field class comes after it


class StrictTypeMixin(_Field):
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


class StrictCharField(StrictTypeMixin, serializers.CharField):
    default_error_messages = {"invalid": "Not a valid string."}


class StrictSlugField(StrictTypeMixin, serializers.SlugField):
    default_error_messages = {"invalid": "Not a valid slug."}


class StrictURLField(StrictTypeMixin, serializers.URLField):
    default_error_messages = {"invalid": "Enter a valid URL."}


class StrictIntegerField(StrictTypeMixin, serializers.IntegerField):
    json_types = (int,)


class StrictPrimaryKeyRelatedField(StrictTypeMixin, serializers.PrimaryKeyRelatedField):
    json_types = (int,)
    default_error_messages = {"invalid": "An id is a whole number."}


class StrictSlugRelatedField(StrictTypeMixin, serializers.SlugRelatedField):
    pass


def identity_url(request, view_name: str, lookup_url_kwarg: str, value) -> str | None:
    """The absolute URL `reverse()` builds for the object whose lookup value is `value`, from a
    template resolved once per request and view name; None where the placeholder cannot stand
    in for the value (a pattern that wants digits, say)."""
    templates = request.__dict__.setdefault("_identity_url_templates", {})
    key = (view_name, lookup_url_kwarg)
    if key not in templates:
        try:
            url = reverse(view_name, kwargs={lookup_url_kwarg: _PLACEHOLDER}, request=request)
        except NoReverseMatch:
            templates[key] = None
        else:
            before, found, after = url.partition(_PLACEHOLDER)
            templates[key] = (before, after) if found and _PLACEHOLDER not in after else None
    template = templates[key]
    if template is None:
        return None
    return f"{template[0]}{quote(str(value), safe=RFC3986_SUBDELIMS + '/~:@')}{template[1]}"


class TemplatedIdentityField(serializers.HyperlinkedIdentityField):
    """DRF's identity hyperlink, built from a template resolved once per request.

    `reverse()` and `build_absolute_uri()` cost more per row than everything else a list row
    renders; the URL differs between rows only in the lookup value, quoted as `reverse()` quotes
    it. Requests with a format suffix, and patterns the placeholder cannot stand in, take DRF's
    own path.
    """

    def get_url(self, obj, view_name, request, format):
        if format or request is None or obj.pk in (None, ""):
            return super().get_url(obj, view_name, request, format)
        value = getattr(obj, self.lookup_field)
        url = identity_url(request, view_name, self.lookup_url_kwarg, value)
        return url if url is not None else super().get_url(obj, view_name, request, format)
