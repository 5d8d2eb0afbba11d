"""The OpenAPI schema's view of errors: one shape, documented for each status an operation answers."""

from types import SimpleNamespace
from typing import cast

from django.contrib.auth.models import AnonymousUser
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiParameter
from drf_standardized_errors.openapi import AutoSchema as StandardizedErrorsAutoSchema
from drf_standardized_errors.openapi_utils import get_example_from_exception
from rest_framework import renderers, serializers
from rest_framework.request import Request

from summits.api.annotations import MEDIA_TYPE as ANNOTATION_MEDIA_TYPE
from summits.api.annotations import AnnotationRenderer, annotation_schema
from summits.api.conditional import PreconditionFailed
from summits.api.csv_export import CSVRenderer
from summits.api.errors import DatabaseUnavailable
from summits.api.parsers import PayloadTooLarge

WRITE_METHODS = ("POST", "PUT", "PATCH", "DELETE")
IF_MATCH = OpenApiParameter(
    "If-Match",
    OpenApiTypes.STR,
    location=OpenApiParameter.HEADER,
    required=False,
    description="The ETag of the object as you read it: a stale one answers 412 and changes nothing.",
)
BODY_METHODS = ("POST", "PUT", "PATCH")
ACCEPT_LANGUAGE = OpenApiParameter(
    "Accept-Language",
    OpenApiTypes.STR,
    location=OpenApiParameter.HEADER,
    required=False,
    description="The languages to name countries, leaders, organizations and summits in, "
    "preferred first (RFC 9110, e.g. `ja, fr;q=0.5`): each name in the first of them it is "
    "known in, in English otherwise. Only names change.",
)
CONTENT_LANGUAGE = {
    "schema": {"type": "string"},
    "description": "The languages the names came out in, the client's order, English last "
    "(`ja, en`).",
}


class ErrorSerializer(serializers.Serializer):
    code = serializers.CharField(
        help_text='Short and stable, for programs: "required", "unique"...'
    )
    detail = serializers.CharField(help_text="For people.")
    attr = serializers.CharField(
        allow_null=True,
        help_text='The field at fault ("citation.end" inside a nested object), or null.',
    )


class ErrorResponseSerializer(serializers.Serializer):
    """Every error the API answers: 4xx and 5xx alike."""

    type = serializers.ChoiceField(choices=["validation_error", "client_error", "server_error"])

    def get_fields(self) -> dict[str, serializers.Field]:
        # Declared here: a class attribute named `errors` would hide Serializer.errors.
        return {**super().get_fields(), "errors": ErrorSerializer(many=True)}


# A list asked for as CSV (summits.api.csv_export): every matching row, not a page.
CSV_LIST = {
    "type": "string",
    "description": "Every row that matches the filters, in the list's order, as CSV (UTF-8): a "
    "header row of the JSON rows' keys, then one line per row. Null is empty; a cell that "
    "would start a spreadsheet formula starts with an apostrophe.",
}


class AutoSchema(StandardizedErrorsAutoSchema):
    """drf-standardized-errors' schema, told which operations can answer 400, 409 and 413."""

    def _should_add_error_response(self, responses: dict, status_code: str) -> bool:
        if status_code in responses:
            return False
        if status_code == "409":
            return self.method in WRITE_METHODS
        if status_code == "412":
            return self.method in WRITE_METHODS and getattr(self.view, "detail", False)
        if status_code == "413":
            return self.method in BODY_METHODS
        return super()._should_add_error_response(responses, status_code)

    def get_override_parameters(self):
        parameters = super().get_override_parameters()
        if self.method in WRITE_METHODS and getattr(self.view, "detail", False):
            parameters = [*parameters, IF_MATCH]
        if self._names_localized():
            parameters = [*parameters, ACCEPT_LANGUAGE]
        return parameters

    def _names_localized(self) -> bool:
        """Whether the operation answers names in the client's languages (summits.api.languages)."""
        named = getattr(self.view, "action", None) != "text"  # a source's text is verbatim
        return self.method == "GET" and hasattr(self.view, "localizer") and named

    def _get_response_for_code(
        self, serializer, status_code, media_types=None, direction="response"
    ):
        # Errors are JSON whatever was asked for (a CSV list, a calendar).
        if media_types is None and not str(status_code).startswith("2"):
            media_types = [renderers.JSONRenderer.media_type]
        response = super()._get_response_for_code(serializer, status_code, media_types, direction)
        if str(status_code) == "200" and self._names_localized():
            response.setdefault("headers", {})["Content-Language"] = CONTENT_LANGUAGE
        content = response.get("content", {})
        if CSVRenderer.media_type in content:
            content[CSVRenderer.media_type] = {"schema": CSV_LIST}
        if AnnotationRenderer.media_type in content:
            # Citations as W3C Web Annotations (summits.api.annotations), named by their profile.
            del content[AnnotationRenderer.media_type]
            many = self._is_list_view(serializer)
            content[ANNOTATION_MEDIA_TYPE] = {"schema": annotation_schema(many=many)}
        return response

    def _should_add_validation_error_response(self) -> bool:
        # Every operation answers 400 for a query parameter it does not take; lists also for a
        # bad page size, ordering or filter value.
        return True

    def _get_error_response_examples(self) -> list[OpenApiExample]:
        status_codes = set(self._get_allowed_error_status_codes())
        return [
            *super()._get_error_response_examples(),
            *(
                example
                for example in ERROR_EXAMPLES
                if status_codes & set(example.status_codes or ())
            ),
        ]

    def get_auth(self):
        """The security requirements, with `{}` (none) where an anonymous client is allowed:
        every read of public data, and signing in."""
        requirements = super().get_auth()
        if {} not in requirements and self._anonymous_allowed():
            requirements.append({})
        return requirements

    def _anonymous_allowed(self) -> bool:
        anonymous = SimpleNamespace(method=self.method, user=AnonymousUser(), data={}, auth=None)
        try:
            return all(
                permission.has_permission(cast(Request, anonymous), self.view)
                for permission in self.view.get_permissions()
            )
        except Exception:  # a permission that needs a real request: claim nothing
            return False


# Examples of the errors that drf-standardized-errors does not show, each with its real type
# (without one, a viewer shows the first of the schema's types, "validation_error", for all).
def _error_example(name: str, status: str, kind: str, **error: str) -> OpenApiExample:
    """An example error response: one error of `kind`, with its code, detail and attr."""
    return OpenApiExample(
        name,
        value={"type": kind, "errors": [error]},
        response_only=True,
        status_codes=[status],
    )


ERROR_EXAMPLES = [
    _error_example(
        "ValidationError",
        "400",
        "validation_error",
        code="unknown_parameter",
        detail="Unknown query parameter. This endpoint takes: format.",
        attr="colour",
    ),
    _error_example(
        "Conflict",
        "409",
        "client_error",
        code="unique",
        detail="Summit with this Slug already exists.",
        attr="slug",
    ),
    get_example_from_exception(PreconditionFailed()),
    get_example_from_exception(PayloadTooLarge()),
    get_example_from_exception(DatabaseUnavailable()),
]


def document_blank_query_parameters(result, generator, request, public):
    """A blank optional query parameter (`?status=`) means no filter, as in an HTML form: say so."""
    for path in result["paths"].values():
        for operation in path.values():
            for parameter in operation.get("parameters", []):
                if parameter["in"] == "query" and not parameter.get("required"):
                    parameter["allowEmptyValue"] = True
    return result


def drop_slashless_twins(endpoints):
    """Each route is listed once, at its canonical path (with the trailing slash): the twin
    without it (summits.api.routing.slash_optional) answers the same and is not listed."""
    paths = {(path, method) for path, _, method, _ in endpoints}
    return [
        (path, regex, method, callback)
        for path, regex, method, callback in endpoints
        if path.endswith("/") or (path + "/", method) not in paths
    ]
