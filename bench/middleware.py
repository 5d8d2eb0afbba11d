"""The product's ETag middleware, covering the baseline's paths as well as the API's."""

from django.http import HttpRequest, HttpResponse

from tracker import middleware


class RepresentationETagMiddleware(middleware.RepresentationETagMiddleware):
    paths = ("/api/", "/baseline/api/")

    def _response(self, request: HttpRequest, version: str | None) -> HttpResponse:
        # The baseline is the uncached cost of the same rows, in every mode: it never reads
        # from, nor writes to, the shared response cache.
        if request.path.startswith("/baseline/"):
            return self.get_response(request)
        return super()._response(request, version)
