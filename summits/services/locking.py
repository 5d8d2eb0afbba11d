"""Writers take turns: every write to a summits table takes the data version's row lock at its
first statement (migration 0004's trigger) and holds it until it commits."""

from django.db import DEFAULT_DB_ALIAS, connections


def writers_turn(*, using: str = DEFAULT_DB_ALIAS) -> None:
    """Wait for this transaction's turn to write, before it locks any row of its own.

    A transaction that locks a row (select_for_update) and only then writes would take the data
    version's lock second; meanwhile a writer holding that lock may need the row (the "first"
    labels' triggers re-rank other attendances), and each would wait for the other: a deadlock.
    Taken first, the lock orders them. Inside a transaction only; SQLite has one writer at a
    time already.
    """
    connection = connections[using]
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM summits_dataversion WHERE id = 1 FOR UPDATE")
