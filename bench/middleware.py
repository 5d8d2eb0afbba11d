"""The product's ETag middleware, covering the baseline's paths as well as the API's."""

from tracker import middleware


class RepresentationETagMiddleware(middleware.RepresentationETagMiddleware):
    paths = ("/api/", "/baseline/api/")
