"""Content negotiation: a `?format=` an endpoint does not answer in is a 406 that names the
formats it does, as an `Accept` it cannot meet is, rather than DRF's 404 for a record that
exists."""

from rest_framework.exceptions import NotAcceptable
from rest_framework.negotiation import DefaultContentNegotiation


class ContentNegotiation(DefaultContentNegotiation):
    def filter_renderers(self, renderers, format):
        matching = [renderer for renderer in renderers if renderer.format == format]
        if not matching:
            offered = ", ".join(dict.fromkeys(renderer.format for renderer in renderers))
            raise NotAcceptable(f"This endpoint answers ?format= {offered}; not {format!r}.")
        return matching
