"""Request bodies: JSON through orjson, read through Django so that its size cap applies."""

import orjson
from drf_orjson_renderer.parsers import ORJSONParser
from rest_framework.exceptions import ParseError


class JSONParser(ORJSONParser):
    """orjson's parser, reading the body as `request.body` so that DATA_UPLOAD_MAX_MEMORY_SIZE
    refuses a body over 1 MiB (RequestDataTooBig, answered 413) before any of it is parsed."""

    def parse(self, stream, media_type=None, parser_context=None):
        request = (parser_context or {}).get("request")
        body = request.body if request is not None else stream.read()
        try:
            return orjson.loads(body)
        except orjson.JSONDecodeError as error:
            raise ParseError(f"JSON parse error - {error}") from error
