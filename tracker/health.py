"""`/healthz`: 200 when the database answers, 503 (with Retry-After) when it does not."""

from django.db import DatabaseError, connection, transaction
from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

RETRY_AFTER_SECONDS = 5


@never_cache
@require_safe
@transaction.non_atomic_requests
def healthz(request: HttpRequest) -> JsonResponse:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except DatabaseError:
        response = JsonResponse(
            {
                "type": "server_error",
                "errors": [
                    {
                        "code": "database_unavailable",
                        "detail": "The database does not answer.",
                        "attr": None,
                    }
                ],
            },
            status=503,
        )
        response["Retry-After"] = str(RETRY_AFTER_SECONDS)
        return response
    return JsonResponse({"status": "ok", "database": "ok"})
