"""The forms of the admin's own pages (recording a status, importing records) and the
source's text form."""

from django import forms
from django.contrib import admin
from django.contrib.admin.widgets import AutocompleteSelect
from django.core.exceptions import ValidationError
from django.template.defaultfilters import filesizeformat

from summits.dates import parse_partial_date
from summits.models import AttendanceStatus, Citation, CitationBasis, Source


class RecordStatusForm(forms.Form):
    """A new step in one or more timelines, with its evidence: a verbatim quote from a source."""

    # No status is chosen for the editor: a slip of the mouse must not record "Proposed".
    status = forms.ChoiceField(choices=[("", "---------"), *AttendanceStatus.choices])
    as_of = forms.CharField(
        label="As of",
        max_length=10,
        help_text="As precisely as the source says: YYYY-MM-DD, YYYY-MM (2024-03 is "
        "“March 2024”) or YYYY.",
    )
    note = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), required=False)
    # Declared here for its place in the form; `__init__` gives it the admin's autocomplete.
    source = forms.ModelChoiceField(Source.objects.all(), required=False)
    quote = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
        strip=False,  # verbatim, spaces included
        help_text="Verbatim from the source.",
    )
    basis = forms.ChoiceField(choices=CitationBasis.choices, initial=CitationBasis.STATED)
    start = forms.IntegerField(
        label="Quote offset",
        min_value=0,
        required=False,
        help_text="Where the quote starts in the source's text, in characters from 0. "
        "Found for you unless the quote occurs more than once.",
    )

    def __init__(self, *args, admin_site: admin.AdminSite, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["source"] = forms.ModelChoiceField(
            Source.objects.all(),
            required=False,
            widget=AutocompleteSelect(Citation._meta.get_field("source"), admin_site),
            help_text="Leave empty to record the change without evidence.",
        )

    def clean_as_of(self):
        text = self.cleaned_data["as_of"].strip()
        try:
            return parse_partial_date(text)
        except ValueError:
            raise ValidationError(
                "“%(text)s” is not a date: use YYYY-MM-DD, YYYY-MM or YYYY.",
                code="invalid_date",
                params={"text": text},
            ) from None

    def clean(self):
        super().clean()
        cleaned = self.cleaned_data  # what Form.clean returns; the stubs allow None
        source, quote, start = cleaned.get("source"), cleaned.get("quote"), cleaned.get("start")
        if source is None:
            if quote:
                self.add_error("source", "Name the source of the quote.")
            if start is not None:
                self.add_error("start", "Only a quote from a source has an offset.")
        # The quote itself is checked against the source's text by the service, as on every
        # path that writes a citation (summits.evidence).
        return cleaned

    def citation(self) -> dict | None:
        """The evidence as `attendance_record_status` takes it."""
        data = self.cleaned_data
        if data.get("source") is None:
            return None
        start = data.get("start")
        offsets = {"start": start, "end": start + len(data["quote"])} if start is not None else {}
        return {"source": data["source"], "quote": data["quote"], "basis": data["basis"], **offsets}


def _line_breaks_as_lf(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\r", "\n")


class SourceForm(forms.ModelForm):
    """A source's text, pasted or uploaded as a .txt file in UTF-8."""

    url = forms.URLField(required=False, max_length=200, assume_scheme="https")
    text_file = forms.FileField(
        label="Or upload the text",
        required=False,
        help_text="A .txt file in UTF-8, kept character for character (pasting sends line "
        "breaks as the browser writes them; they are stored as \\n).",
    )

    class Meta:
        model = Source
        fields = ["key", "title", "author", "publisher", "language", "url", "note", "text"]
        field_classes = {"text": forms.CharField}
        widgets = {"text": forms.Textarea(attrs={"rows": 12})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        text = self.fields.get("text")
        if isinstance(text, forms.CharField):  # as Meta.field_classes makes it
            text.strip = False  # a leading space is part of the text

    def clean_text(self):
        text = self.cleaned_data.get("text", "")
        stored = self.instance.text if self.instance.pk else ""
        if stored and _line_breaks_as_lf(text) == _line_breaks_as_lf(stored):
            return stored  # sent back as the browser writes it: unchanged
        # Browsers send a textarea's line breaks as CRLF, whatever was pasted.
        return text.replace("\r\n", "\n")

    def clean(self):
        super().clean()
        cleaned = self.cleaned_data  # what ModelForm.clean returns; the stubs allow None
        upload = cleaned.get("text_file")
        if upload is None:
            return cleaned
        if cleaned.get("text"):
            self.add_error("text_file", "Paste the text or upload it, not both.")
        elif not upload.name.lower().endswith(".txt"):
            self.add_error("text_file", "Upload a plain text file (.txt).")
        else:
            try:
                cleaned["text"] = upload.read().decode("utf-8")
            except UnicodeDecodeError:
                self.add_error("text_file", "The file is not UTF-8 text.")
        return cleaned


class HistoryAtStateImportForm(forms.Form):
    """A file of the Office of the Historian's visits or travels, and whether only to report
    what importing it would do (the default: a first look changes nothing)."""

    # The largest of the datasets' files is under 1 MB, which imports in a few seconds; the
    # import runs inside the request, so a larger file is for the command, which no proxy or
    # worker timeout cuts short. Refused on its size before anything reads it.
    max_bytes = 2 * 1024 * 1024

    file = forms.FileField(
        label="XML file",
        help_text="A file of the visits (data/2020.xml …) or travels "
        "(president-travels/biden-joseph-r.xml …) datasets, as the Office of the Historian "
        "publishes it.",
    )
    dry_run = forms.BooleanField(
        label="Dry run",
        required=False,
        initial=True,
        help_text="Do everything and report it, then roll it back: nothing is written. "
        "Clear it to import.",
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > self.max_bytes:
            raise ValidationError(
                "The file is %(size)s; the page takes at most %(limit)s (no file of the datasets "
                "is larger). Import a larger file with manage.py import_historyatstate.",
                code="too_large",
                params={
                    "size": filesizeformat(upload.size),
                    "limit": filesizeformat(self.max_bytes),
                },
            )
        return upload
