"""Text search: how many terms a search may hold, and how a term finds related rows cheaply.

Each term of a search is matched with `icontains` against every search field, so a query's
cost grows with its terms: a thousand of them held a database core for seconds. A search takes
at most MAX_TERMS terms (repeats count) of at most MAX_TERM_LENGTH characters each, in the API
and the admin alike.
"""

import operator
from collections.abc import Callable, Iterable
from functools import reduce

from django.db import models
from django.db.models import Q

MAX_TERMS = 8
MAX_TERM_LENGTH = 64


def search_terms_problem(terms: Iterable[str]) -> str | None:
    """Why these search terms are refused, or None when they are within the limits."""
    terms = list(terms)
    if len(terms) > MAX_TERMS:
        return f"A search takes at most {MAX_TERMS} terms; this one has {len(terms)}."
    if any(len(term) > MAX_TERM_LENGTH for term in terms):
        return f"A search term is at most {MAX_TERM_LENGTH} characters long."
    if any("\x00" in term for term in terms):
        return "A search term cannot hold a NUL character."
    return None


def search_condition(
    model: type[models.Model],
    search_fields: Iterable[str],
    term: str,
    lookup_for: Callable[[type[models.Model], str], str],
) -> Q:
    """Rows of `model` where any of `search_fields` matches `term`.

    A field across a foreign key ("leader__name") matches through the related table alone,
    `leader__in=(leaders whose name matches)`: the term is compared with the few rows of that
    table, not once per row of the (much larger) table searched. `lookup_for(model, field)` is the
    ORM lookup of a field of `model` (DRF's `construct_search`, say).
    """
    return reduce(
        operator.or_, (_field_condition(model, field, term, lookup_for) for field in search_fields)
    )


def _field_condition(model, search_field: str, term: str, lookup_for) -> Q:
    prefix = search_field[0] if search_field[0] in "^=@$" else ""
    relation, _, rest = search_field.removeprefix(prefix).partition(models.constants.LOOKUP_SEP)
    field = model._meta.get_field(relation) if rest else None
    if field is not None and field.many_to_one:
        related = field.related_model
        matching = related._base_manager.filter(
            _field_condition(related, prefix + rest, term, lookup_for)
        ).values("pk")
        return Q(**{f"{relation}__in": matching})
    if field is not None and field.one_to_many:
        # A leader's other names: rows of `model` that some matching related row points to,
        # without joining (a join repeats a row per match).
        related = field.related_model
        matching = related._base_manager.filter(
            _field_condition(related, prefix + rest, term, lookup_for)
        ).values(field.field.attname)
        return Q(pk__in=matching)
    condition = Q(**{lookup_for(model, search_field): term})
    names_matching = getattr(model, "names_matching", None)
    if not prefix and search_field == "name" and names_matching is not None:
        # Names kept outside the table (a country's in other languages).
        condition |= names_matching(term)
    return condition
