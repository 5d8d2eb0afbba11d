"""Django's PostgreSQL backend, with a deadline on each request's database calls."""

from django.db.backends.postgresql import base


class DatabaseWrapper(base.DatabaseWrapper):
    pass
