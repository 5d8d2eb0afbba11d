"""Validators for free text: what a name or a note may hold, whichever path writes it."""

import re

from django.core.exceptions import ValidationError
from django.utils.deconstruct import deconstructible

# C0 controls, DEL and C1 controls: they mean nothing in a name or a note, and RFC 5545 (the
# calendar) and most terminals and spreadsheets forbid or act on them.
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
# In text of several lines, the three that lay it out.
_CONTROL_BUT_LAYOUT = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


@deconstructible
class NoControlCharacters:
    """Refuses control characters; `multiline` text may still hold tabs and line breaks."""

    code = "control_characters_not_allowed"

    def __init__(self, *, multiline: bool = False) -> None:
        self.multiline = multiline

    def __call__(self, value: str) -> None:
        pattern = _CONTROL_BUT_LAYOUT if self.multiline else _CONTROL
        found = pattern.search(value)
        if found is not None:
            allowed = " (tabs and line breaks are fine)" if self.multiline else ""
            raise ValidationError(
                f"Control characters are not allowed{allowed}: found U+%(code)04X.",
                code=self.code,
                params={"code": ord(found.group())},
            )

    def __eq__(self, other: object) -> bool:
        return isinstance(other, NoControlCharacters) and other.multiline == self.multiline


single_line = NoControlCharacters()
multiline = NoControlCharacters(multiline=True)
