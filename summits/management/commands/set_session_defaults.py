"""Make what the app's PostgreSQL sessions start with (DATABASE_SESSION_SETTINGS: the statement
timeout, jit off) the defaults of its role in its database, for connections that cannot send
them at connect: through PgBouncer, which refuses a startup packet's `options`."""

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import DEFAULT_DB_ALIAS, connections


class Command(BaseCommand):
    help = (
        "Set the database role's own defaults in its database to DATABASE_SESSION_SETTINGS "
        "(the statement timeout from DATABASE_STATEMENT_TIMEOUT, jit off): behind PgBouncer "
        "(DATABASE_POOLER=pgbouncer) they are how every session gets them. Run it again when "
        "DATABASE_STATEMENT_TIMEOUT changes."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--database", default=DEFAULT_DB_ALIAS, help="The database alias (default: default)."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        connection = connections[options["database"]]
        if connection.vendor != "postgresql":
            raise CommandError("Session defaults are PostgreSQL's; this database is not.")
        quote = connection.ops.quote_name
        with connection.cursor() as cursor:
            # The name PostgreSQL knows, which a pooler's own name for the database may not be.
            cursor.execute("SELECT current_user, current_database()")
            role, database = cursor.fetchone()
            for name, value in settings.DATABASE_SESSION_SETTINGS.items():
                cursor.execute(
                    f"ALTER ROLE CURRENT_USER IN DATABASE {quote(database)} "
                    f"SET {quote(name)} TO %s",
                    [value],
                )
        given = ", ".join(
            f"{name} = {value}" for name, value in settings.DATABASE_SESSION_SETTINGS.items()
        )
        self.stdout.write(
            f"Sessions of role {role} in database {database} now start with {given}. "
            "Connections already open keep what they had: restart PgBouncer (or RECONNECT on "
            "its console) so that its connections to the server start again."
        )
