"""`/healthz`: 503 (with Retry-After) when the database does not answer; otherwise 200, with
the cache "ok" or "degraded" (while it is away, throttles let requests through uncounted)."""

from django.db import DatabaseError, connection, transaction
from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from summits.api.errors import database_unavailable
from summits.api.throttling import cache_answers


@never_cache
@require_safe
@transaction.non_atomic_requests
def healthz(request: HttpRequest) -> JsonResponse:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except DatabaseError:
        return database_unavailable()
    if cache_answers():
        return JsonResponse({"status": "ok", "database": "ok", "cache": "ok"})
    # Still 200: the API serves without its cache, so a load balancer should keep this server.
    return JsonResponse({"status": "degraded", "database": "ok", "cache": "degraded"})
