"""The generator's SQL: bulk inserts, deleting a seed's rows, and what PostgreSQL and SQLite
each need around a large write.

Raw SQL throughout: Django's bulk_create and delete() would build (or load) a model instance per
row and, for delete(), record its history.
"""

from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from django.core.management.color import no_style
from django.db import models
from django.db.backends.base.base import BaseDatabaseWrapper

from devdata.rows import MODELS
from summits.models import Attendance, Citation, Leader, Organization, Source, StatusChange, Summit

# Called with a table's name and how many of its rows were just written.
Progress = Callable[[str, int], None]
# Rows written between two calls of `progress`.
PROGRESS_EVERY = 50_000


def table_insert(
    connection: BaseDatabaseWrapper,
    model: type[models.Model],
    columns: Sequence[models.Field],
    rows: Sequence[Sequence[Any]],
    progress: Progress | None = None,
) -> None:
    """Insert `rows` (values of `columns`, in order): COPY on PostgreSQL, executemany elsewhere."""
    quote = connection.ops.quote_name
    table = quote(model._meta.db_table)
    # A field's column, as Field.get_attname_column names it.
    names = ", ".join(quote(column.db_column or column.attname) for column in columns)
    label = str(model._meta.verbose_name_plural)
    report = progress or (lambda label, rows: None)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            with cursor.cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
                for number, row in enumerate(rows, start=1):
                    copy.write_row(row)
                    if number % PROGRESS_EVERY == 0:
                        report(label, PROGRESS_EVERY)
            report(label, len(rows) % PROGRESS_EVERY)
            return
        placeholders = ", ".join(["%s"] * len(columns))
        sql = f"INSERT INTO {table} ({names}) VALUES ({placeholders})"
        for start in range(0, len(rows), PROGRESS_EVERY):
            chunk = rows[start : start + PROGRESS_EVERY]
            cursor.executemany(sql, chunk)
            report(label, len(chunk))


def table_next_id(connection: BaseDatabaseWrapper, model: type[models.Model]) -> int:
    """The id after the table's largest."""
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT MAX(id) FROM {connection.ops.quote_name(model._meta.db_table)}")
        return (cursor.fetchone()[0] or 0) + 1


def generated_delete(connection: BaseDatabaseWrapper, prefix: str) -> int:
    """Delete this prefix's rows; a non-generated row that refers to one of them makes the whole
    run fail. How many rows were deleted."""
    deleted = 0
    with connection.cursor() as cursor:
        for sql in _delete_statements(connection):
            cursor.execute(sql, [prefix + "%"])
            deleted += max(cursor.rowcount, 0)
    return deleted


def _delete_statements(connection: BaseDatabaseWrapper) -> Iterable[str]:
    """Children first, each statement with one LIKE parameter: the prefix's pattern."""
    quote = connection.ops.quote_name
    table = {model: quote(model._meta.db_table) for model in MODELS}
    summits = f"SELECT id FROM {table[Summit]} WHERE slug LIKE %s"
    attendances = f"SELECT id FROM {table[Attendance]} WHERE summit_id IN ({summits})"
    changes = f"SELECT id FROM {table[StatusChange]} WHERE attendance_id IN ({attendances})"
    sources = f"SELECT id FROM {table[Source]} WHERE {quote('key')} LIKE %s"
    # One subquery per statement: PostgreSQL turns each into a hash semi-join, where an OR of
    # several would test every row against subplans too large to hash.
    yield f"DELETE FROM {table[Citation]} WHERE status_change_id IN ({changes})"
    yield f"DELETE FROM {table[Citation]} WHERE attendance_id IN ({attendances})"
    yield f"DELETE FROM {table[Citation]} WHERE summit_id IN ({summits})"
    yield f"DELETE FROM {table[Citation]} WHERE source_id IN ({sources})"
    yield f"DELETE FROM {table[StatusChange]} WHERE attendance_id IN ({attendances})"
    yield f"DELETE FROM {table[Attendance]} WHERE summit_id IN ({summits})"
    yield f"DELETE FROM {table[Summit]} WHERE slug LIKE %s"
    yield f"DELETE FROM {table[Leader]} WHERE slug LIKE %s"
    yield f"DELETE FROM {table[Organization]} WHERE slug LIKE %s"
    yield f"DELETE FROM {table[Source]} WHERE {quote('key')} LIKE %s"


def tables_lock(connection: BaseDatabaseWrapper) -> None:
    """On PostgreSQL, no timeout for this transaction (a million rows take longer than any
    request should), and the tables locked against other writers until it ends."""
    if connection.vendor != "postgresql":
        return
    tables = ", ".join(connection.ops.quote_name(model._meta.db_table) for model in MODELS)
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL statement_timeout = 0")
        cursor.execute(f"LOCK TABLE {tables} IN SHARE ROW EXCLUSIVE MODE")


def tables_settle(connection: BaseDatabaseWrapper) -> None:
    """Move the id sequences past the new rows and, on PostgreSQL, check the deferred
    constraints now rather than at commit."""
    with connection.cursor() as cursor:
        for statement in connection.ops.sequence_reset_sql(no_style(), MODELS):
            cursor.execute(statement)
        if connection.vendor == "postgresql":
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")


def tables_analyze(connection: BaseDatabaseWrapper) -> None:
    """ANALYZE the tables, on PostgreSQL, inside a transaction (for its timeout's sake)."""
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL statement_timeout = 0")
        for model in MODELS:
            cursor.execute(f"ANALYZE {connection.ops.quote_name(model._meta.db_table)}")


@contextmanager
def large_cache(connection: BaseDatabaseWrapper) -> Iterator[None]:
    """On SQLite, a 1 GiB page cache while writing: index upkeep for millions of rows thrashes
    the default 2 MiB one."""
    if connection.vendor != "sqlite":
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA cache_size")
        cache_size = int(cursor.fetchone()[0])
        cursor.execute("PRAGMA cache_size = -1048576")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f"PRAGMA cache_size = {cache_size}")
