"""Conditional requests: the ETag of a representation, and the answer to a stale If-Match."""

from hashlib import md5

from django.utils.http import quote_etag
from rest_framework import exceptions, status
from rest_framework.settings import api_settings


class PreconditionFailed(exceptions.APIException):
    status_code = status.HTTP_412_PRECONDITION_FAILED
    default_detail = "The object changed since you read it (If-Match does not match its ETag)."
    default_code = "precondition_failed"


def representation_etag(data) -> str:
    """The strong ETag that ConditionalGetMiddleware gives the JSON body of `data`."""
    body = api_settings.DEFAULT_RENDERER_CLASSES[0]().render(data)
    return quote_etag(md5(body, usedforsecurity=False).hexdigest())
