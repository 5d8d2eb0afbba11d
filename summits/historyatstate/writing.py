"""The writes every step of an import shares: a row saved after the model's own checks, a
citation of the record's words, a slug no row has yet."""

from django.db import models

from summits.historyatstate.report import ImportReport
from summits.models import Attendance, Citation, CitationBasis, Source, StatusChange, Summit

# The Citation field that points to each kind of row a citation may cite.
_CITED = {Summit: "summit", Attendance: "attendance", StatusChange: "status_change"}


def save_checked(row: models.Model) -> None:
    """Save `row` after its field checks; the constraints are the database's to enforce."""
    row.full_clean(validate_constraints=False)
    row.save()


def cite(
    report: ImportReport,
    source: Source,
    target: Summit | Attendance | StatusChange,
    field_name: str,
    span: tuple[int, int],
    *,
    basis: str = CitationBasis.STATED,
) -> None:
    """Cite the words of `source` at `span` for `target`'s field, unless it cites them already."""
    kind = _CITED[type(target)]
    start, end = span
    if start == end:
        return  # the record leaves the field empty: there is nothing to quote
    if Citation.objects.filter(
        source=source, field=field_name, start=start, **{kind: target}
    ).exists():
        return
    citation = Citation(
        source=source,
        field=field_name,
        quote=source.text[start:end],
        start=start,
        end=end,
        basis=basis,
        **{kind: target},
    )
    save_checked(citation)
    report.citations_added += 1


def unique_slug(model: type[models.Model], base: str, max_length: int) -> str:
    """`base`, or `base-2`, `base-3`...: the first no row has, found with one query."""
    base = base[: max_length - 8]
    taken = set(model._base_manager.filter(slug__startswith=base).values_list("slug", flat=True))
    slug, number = base, 2
    while slug in taken:
        slug, number = f"{base}-{number}", number + 1
    return slug
