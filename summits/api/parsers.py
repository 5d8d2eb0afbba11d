"""Request bodies: JSON through orjson, read through Django so that its size cap applies."""

import orjson
from drf_orjson_renderer.parsers import ORJSONParser
from rest_framework import status
from rest_framework.exceptions import APIException, ParseError

MIB = 1024 * 1024
# A request body's limit; a view may raise it (`max_body_size`), as the sources' does for a
# text. DATA_UPLOAD_MAX_MEMORY_SIZE, Django's own cap, is the largest of them.
API_BODY_MAX_BYTES = 1 * MIB
SOURCE_BODY_MAX_BYTES = 2 * MIB


class PayloadTooLarge(APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_detail = "The request body is larger than 1 MiB."
    default_code = "payload_too_large"


class JSONParser(ORJSONParser):
    """orjson's parser, reading the body as `request.body` so that Django's cap applies before
    any of it is read into memory, then the view's own limit (1 MiB unless it says otherwise)
    before any of it is parsed: over either, 413."""

    def parse(self, stream, media_type=None, parser_context=None):
        context = parser_context or {}
        request = context.get("request")
        limit = getattr(context.get("view"), "max_body_size", API_BODY_MAX_BYTES)
        body = request.body if request is not None else stream.read()
        if len(body) > limit:
            raise PayloadTooLarge(f"The request body is larger than {limit // MIB} MiB.")
        try:
            return orjson.loads(body)
        except orjson.JSONDecodeError as error:
            raise ParseError(f"JSON parse error - {error}") from error
