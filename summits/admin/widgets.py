"""Autocomplete widgets that label their selected value from the rows a form has loaded, and
the form that hands them those labels."""

from django import forms
from django.contrib.admin.widgets import AutocompleteSelect


class LabelledAutocompleteSelect(AutocompleteSelect):
    """An autocomplete that labels its selected value from what the form already loaded.

    Django's widget runs a query per rendering to label the selected choice, which is a query
    per row in an inline; `known_labels` (set by `KnownLabelsForm`) spares it.
    """

    known_labels: dict[str, str] = {}

    def optgroups(self, name, value, attr=None):
        selected = {str(v) for v in value if str(v) not in self.choices.field.empty_values}
        if not selected or not selected <= self.known_labels.keys():
            return super().optgroups(name, value, attr)
        options = []
        if not self.is_required and not self.allow_multiple_selected:
            options.append(self.create_option(name, "", "", False, 0))
        for key in sorted(selected):
            options.append(
                self.create_option(name, key, self.known_labels[key], True, len(options))
            )
        return [(None, options, 0)]


class KnownLabelsForm(forms.ModelForm):
    """Hands each autocomplete the label of the related row its instance has already loaded."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name, field in self.fields.items():
            widget = getattr(field.widget, "widget", field.widget)
            # The autocomplete is given to a foreign key's field, which labels its choices.
            if not isinstance(widget, LabelledAutocompleteSelect) or not isinstance(
                field, forms.ModelChoiceField
            ):
                continue
            model_field = self.instance._meta.get_field(name)
            if not model_field.is_cached(self.instance):
                continue
            related = getattr(self.instance, name)
            if related is not None:
                widget.known_labels = {str(related.pk): field.label_from_instance(related)}
