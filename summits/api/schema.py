"""The OpenAPI schema's view of errors: one shape, documented for each status an operation answers."""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter
from drf_standardized_errors.openapi import AutoSchema as StandardizedErrorsAutoSchema
from rest_framework import serializers

WRITE_METHODS = ("POST", "PUT", "PATCH", "DELETE")
IF_MATCH = OpenApiParameter(
    "If-Match",
    OpenApiTypes.STR,
    location=OpenApiParameter.HEADER,
    required=False,
    description="The ETag of the object as you read it: a stale one answers 412 and changes nothing.",
)
BODY_METHODS = ("POST", "PUT", "PATCH")


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
    errors = ErrorSerializer(many=True)


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
        return parameters

    def _should_add_validation_error_response(self) -> bool:
        # Lists also answer 400 for a bad page size, ordering or filter value.
        return self._is_list_view() or super()._should_add_validation_error_response()


def document_blank_query_parameters(result, generator, request, public):
    """A blank optional query parameter (`?status=`) means no filter, as in an HTML form: say so."""
    for path in result["paths"].values():
        for operation in path.values():
            for parameter in operation.get("parameters", []):
                if parameter["in"] == "query" and not parameter.get("required"):
                    parameter["allowEmptyValue"] = True
    return result
