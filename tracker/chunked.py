"""WSGI middleware that reads a chunked request body, so that Django sees it."""

import io
import json
from collections.abc import Callable, Iterable

from django.conf import settings

# The API's error shape (summits.api.errors), written here: this module loads before Django.
_TOO_LARGE = json.dumps(
    {
        "type": "client_error",
        "errors": [
            {"code": "payload_too_large", "detail": "The request body is too large.", "attr": None}
        ],
    },
    separators=(",", ":"),
).encode()


class ChunkedRequestBody:
    """WSGI middleware: a body sent chunked (no Content-Length) is read here, up to the body
    limit, and handed on with its length, since Django reads only Content-Length bytes and saw
    an empty body. Over the limit it answers 413 without reading further."""

    def __init__(self, application: Callable) -> None:
        self.application = application

    def __call__(self, environ: dict, start_response: Callable) -> Iterable[bytes]:
        chunked = "chunked" in environ.get("HTTP_TRANSFER_ENCODING", "").lower()
        if chunked and not environ.get("CONTENT_LENGTH"):
            limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
            body = environ["wsgi.input"].read(limit + 1)
            if len(body) > limit:
                return self._too_large(start_response)
            environ["wsgi.input"] = io.BytesIO(body)
            environ["CONTENT_LENGTH"] = str(len(body))
        return self.application(environ, start_response)

    @staticmethod
    def _too_large(start_response: Callable) -> list[bytes]:
        start_response(
            "413 Request Entity Too Large",
            [
                ("Content-Type", "application/json"),
                ("Content-Length", str(len(_TOO_LARGE))),
                ("Connection", "close"),
            ],
        )
        return [_TOO_LARGE]
