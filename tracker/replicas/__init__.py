"""Read replicas: PostgreSQL streaming replicas answer the API's reads, the primary everything
else (DATABASE_REPLICA_URLS; the README's "Read replicas").

- `routing`: which database each query of a request reads from (the router, the middleware
  that chooses one replica per request, and `reading_alias()`);
- `health`: which replicas may serve now (up, still replicas, not lagging);
- `written`: read-your-writes, the WAL position each client that wrote must see.
"""
