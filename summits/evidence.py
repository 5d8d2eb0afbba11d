"""The evidence rule: a quote is the cited source's text at its offsets, exactly.

One rule for every path that writes a citation (the API, the admin, fixtures, the bulk import):
each calls `citation_verify`, with the source's text read once. Nothing is normalised: a curly
apostrophe in the text stays curly in the quote. Offsets count code points from 0, end
exclusive, as Python slices a `str`.
"""

import hashlib

from django.core.exceptions import ValidationError

# How many places an ambiguous quote's error lists.
_SHOWN_PLACES = 10


def text_digest(text: str) -> str:
    """The lowercase hex sha256 of a text's UTF-8 bytes."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def quote_places(text: str, quote: str, *, at_most: int) -> list[int]:
    """The first `at_most` offsets where `quote` occurs in `text`, overlapping ones included.

    Bounded: "a" * 20,000 occurs two million times in "a" * 2,000,000, and listing them all
    held a worker for minutes; each `find` is linear in the text.
    """
    places: list[int] = []
    at = text.find(quote)
    while at != -1 and len(places) < at_most:
        places.append(at)
        at = text.find(quote, at + 1)
    return places


def quote_span(*, text: str, quote: str, start: int | None, end: int | None) -> tuple[int, int]:
    """The offsets of `quote` in `text`: the given ones, when the text holds the quote exactly
    there, or else the quote's only occurrence. Raises ValidationError keyed by field."""
    if start is not None or end is not None:
        if start is None or end is None:
            missing = "start" if start is None else "end"
            raise ValidationError(
                {missing: ValidationError("Give both offsets, or neither.", code="required")}
            )
        if not (0 <= start < end <= len(text) and text[start:end] == quote):
            raise ValidationError(
                {
                    "quote": ValidationError(
                        "The source's text from %(start)d to %(end)d is not this quote.",
                        code="quote_not_at_offsets",
                        params={"start": start, "end": end},
                    )
                }
            )
        return start, end
    places = quote_places(text, quote, at_most=_SHOWN_PLACES + 1)
    if not places:
        raise ValidationError(
            {
                "quote": ValidationError(
                    "The quote does not occur verbatim in the source's text.",
                    code="quote_not_in_source",
                )
            }
        )
    if len(places) > 1:
        shown = ", ".join(str(place) for place in places[:_SHOWN_PLACES])
        if len(places) > _SHOWN_PLACES:
            count, shown = f"more than {_SHOWN_PLACES}", f"{shown}, ..."
        else:
            count = f"{len(places)}"
        raise ValidationError(
            {
                "start": ValidationError(
                    "The quote occurs %(count)s times in the source's text (at %(places)s): "
                    "give its offsets to say which.",
                    code="quote_ambiguous",
                    params={"count": count, "places": shown},
                )
            }
        )
    return places[0], places[0] + len(quote)


def citable_fields(target_model) -> list[str]:
    """The names a citation of a `target_model` record may give as its `field`."""
    return sorted(
        field.name for field in target_model._meta.concrete_fields if not field.primary_key
    )


def citation_verify(citation, *, text: str, target=None) -> None:
    """Check `citation` against its source's `text` ("" for a source without one), filling in
    the offsets of a quote given without them; `target` is the cited record where it is not
    saved yet. Raises ValidationError keyed by field."""
    errors: dict[str, list[ValidationError]] = {}
    target = target if target is not None else citation.target
    if target is not None:
        allowed = citable_fields(type(target))
        if citation.field not in allowed:
            errors.setdefault("field", []).append(
                ValidationError(
                    "A %(kind)s has no field %(field)r; cite one of: %(allowed)s.",
                    code="not_a_field",
                    params={
                        "kind": type(target)._meta.verbose_name,
                        "field": citation.field,
                        "allowed": ", ".join(allowed),
                    },
                )
            )
    try:
        _verify_quote(citation, text=text)
    except ValidationError as error:
        for name, messages in error.error_dict.items():
            errors.setdefault(name, []).extend(messages)
    if errors:
        raise ValidationError(errors)


def _verify_quote(citation, *, text: str) -> None:
    if not text:
        if citation.basis != "external":
            raise ValidationError(
                {
                    "basis": ValidationError(
                        "This source holds no text to quote: cite it with basis "
                        '"external" and no quote.',
                        code="source_without_text",
                    )
                }
            )
        if citation.quote or citation.start is not None or citation.end is not None:
            raise ValidationError(
                {
                    "quote": ValidationError(
                        "This source holds no text to quote: leave the quote and offsets out.",
                        code="source_without_text",
                    )
                }
            )
        return
    if citation.basis == "external":
        raise ValidationError(
            {
                "basis": ValidationError(
                    "A quote of this source's text is stated or implied by it, not external.",
                    code="external_basis_with_text",
                )
            }
        )
    if not citation.quote:
        raise ValidationError(
            {"quote": ValidationError("Quote the source's text verbatim.", code="required")}
        )
    citation.start, citation.end = quote_span(
        text=text, quote=citation.quote, start=citation.start, end=citation.end
    )
