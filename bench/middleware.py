"""The product's ETag and shared-cache middleware, covering the baseline's paths as well as the
API's."""

from django.http import HttpRequest

from tracker import middleware

PATHS = ("/api/", "/baseline/api/")


class SharedResponseMiddleware(middleware.SharedResponseMiddleware):
    paths = PATHS

    def cacheable(self, request: HttpRequest) -> bool:
        # The baseline is the uncached cost of the same rows, in every mode: it never reads
        # from, nor writes to, the shared response cache.
        return not request.path.startswith("/baseline/") and super().cacheable(request)


class RepresentationETagMiddleware(middleware.RepresentationETagMiddleware):
    paths = PATHS
