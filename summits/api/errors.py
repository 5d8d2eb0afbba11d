"""One JSON error shape for every failure: `{"type": ..., "errors": [{"code", "detail", "attr"}]}`.

drf-standardized-errors formats the errors; this module teaches it the failures that come from
the database and from Django itself, so that none of them surfaces as a 500.
"""

from django.conf import settings
from django.core.exceptions import NON_FIELD_ERRORS, RequestDataTooBig, SuspiciousOperation
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import DataError, IntegrityError, InterfaceError, OperationalError
from django.db.models import ProtectedError, RestrictedError
from django.http import HttpRequest, JsonResponse
from drf_standardized_errors.formatter import ExceptionFormatter as BaseExceptionFormatter
from drf_standardized_errors.handler import ExceptionHandler as BaseExceptionHandler
from drf_standardized_errors.types import CLIENT_ERROR
from rest_framework import exceptions, status
from rest_framework.fields import get_error_detail
from rest_framework.settings import api_settings

from summits.api.parsers import PayloadTooLarge

# How long a client should wait before retrying while the database is away.
RETRY_AFTER_SECONDS = 5


# Validation errors that say the request clashes with stored data (409), not that it is malformed.
CONFLICT_CODES = {"unique", "source_text_cited"}


COLLIDED = "This write collided with another made at the same time; send it again."


def transaction_collided(exc: Exception) -> bool:
    """Whether the database rolled the request back for colliding with another transaction
    (a deadlock, a serialization failure): the client should retry, not wait for an outage."""
    # SQLSTATE class 40, "transaction rollback": 40001 serialization failure, 40P01 deadlock.
    sqlstate = getattr(exc.__cause__, "sqlstate", None) or ""
    return isinstance(exc, OperationalError) and sqlstate.startswith("40")


class Conflict(exceptions.ValidationError):
    """The request is well formed but clashes with data already stored (a duplicate, say)."""

    status_code = status.HTTP_409_CONFLICT
    default_code = "conflict"


class DatabaseUnavailable(exceptions.APIException):
    status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    default_detail = "The database is not answering; try again shortly."
    default_code = "database_unavailable"
    wait = RETRY_AFTER_SECONDS  # sent as Retry-After


def _codes(detail) -> set[str]:
    if isinstance(detail, dict):
        return set().union(*(_codes(value) for value in detail.values()))
    if isinstance(detail, list):
        return set().union(*(_codes(value) for value in detail))
    return {detail.code}


def _protected_detail(error: ProtectedError | RestrictedError) -> str:
    objects = (
        error.protected_objects if isinstance(error, ProtectedError) else error.restricted_objects
    )
    names = sorted({str(obj._meta.verbose_name_plural) for obj in objects})
    return f"It cannot be deleted while {', '.join(names)} refer to it; delete those first."


class ExceptionHandler(BaseExceptionHandler):
    def convert_known_exceptions(self, exc: Exception) -> Exception:
        if isinstance(exc, DjangoValidationError):
            exc = exceptions.ValidationError(detail=django_error_detail(exc))
        if isinstance(exc, exceptions.ValidationError) and _codes(exc.detail) <= CONFLICT_CODES:
            return Conflict(detail=exc.detail)
        if isinstance(exc, ProtectedError | RestrictedError):
            return Conflict(
                detail={api_settings.NON_FIELD_ERRORS_KEY: [_protected_detail(exc)]},
                code="protected",
            )
        if transaction_collided(exc):
            return Conflict(
                detail={api_settings.NON_FIELD_ERRORS_KEY: [COLLIDED]}, code="write_collided"
            )
        if isinstance(exc, OperationalError | InterfaceError):
            return DatabaseUnavailable()
        if isinstance(exc, DataError):
            # A value the database cannot even compare: a NUL byte in a path or a query, say.
            return exceptions.ValidationError(
                {api_settings.NON_FIELD_ERRORS_KEY: ["A value in the request is not valid."]},
                code="invalid",
            )
        if isinstance(exc, IntegrityError):
            return Conflict(
                detail={
                    api_settings.NON_FIELD_ERRORS_KEY: ["This change conflicts with stored data."]
                },
                code="conflict",
            )
        if isinstance(exc, RequestDataTooBig):
            limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE // (1024 * 1024)
            return PayloadTooLarge(f"The request body is larger than {limit} MiB.")
        if isinstance(exc, SuspiciousOperation):
            return exceptions.ParseError()
        return super().convert_known_exceptions(exc)


class ExceptionFormatter(BaseExceptionFormatter):
    def get_error_type(self):
        if isinstance(self.exc, Conflict):
            return CLIENT_ERROR
        return super().get_error_type()


def django_error_detail(error: DjangoValidationError):
    """A model's ValidationError as DRF detail, with NON_FIELD_ERRORS under DRF's key."""
    if hasattr(error, "error_dict"):
        return {
            (
                api_settings.NON_FIELD_ERRORS_KEY if field == NON_FIELD_ERRORS else field
            ): get_error_detail(DjangoValidationError(messages))
            for field, messages in error.error_dict.items()
        }
    return {api_settings.NON_FIELD_ERRORS_KEY: get_error_detail(error)}


def database_unavailable() -> JsonResponse:
    response = error_response(
        503, DatabaseUnavailable.default_code, str(DatabaseUnavailable.default_detail)
    )
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response


def error_response(status_code: int, code: str, detail: str) -> JsonResponse:
    kind = "server_error" if status_code >= 500 else "client_error"
    body = {"type": kind, "errors": [{"code": code, "detail": detail, "attr": None}]}
    return JsonResponse(body, status=status_code)


def bad_request(request: HttpRequest, exception: Exception | None = None) -> JsonResponse:
    return error_response(400, "bad_request", "Bad request.")


def permission_denied(request: HttpRequest, exception: Exception | None = None) -> JsonResponse:
    return error_response(403, "permission_denied", "You do not have permission to do this.")


def page_not_found(request: HttpRequest, exception: Exception | None = None) -> JsonResponse:
    return error_response(404, "not_found", "Not found.")


def server_error(request: HttpRequest) -> JsonResponse:
    return error_response(500, "error", "Server error.")
