"""`/healthz`: 200 when the database answers, 503 (with Retry-After) when it does not."""

from django.db import DatabaseError, connection, transaction
from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from summits.api.errors import database_unavailable


@never_cache
@require_safe
@transaction.non_atomic_requests
def healthz(request: HttpRequest) -> JsonResponse:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except DatabaseError:
        return database_unavailable()
    return JsonResponse({"status": "ok", "database": "ok"})
