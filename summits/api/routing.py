"""The API's URLs: a router whose root says what the API is, and routes that answer with or
without their trailing slash."""

from django.urls import NoReverseMatch, URLPattern, path, re_path
from django.urls.resolvers import RegexPattern, RoutePattern
from rest_framework import routers
from rest_framework.response import Response
from rest_framework.reverse import reverse

from summits.api.strictness import StrictQueryParametersMixin

# Beside the resources: the other things a client of the API looks for, by URL name.
ROOT_LINKS = {
    "calendar": "api:summit-calendar",
    "popolo": "api:popolo",
    "changes": "api:changes",
    "token": "api:token",
    "schema": "schema",
    "docs": "swagger-ui",
    "redoc": "redoc",
}


class APIRootView(StrictQueryParametersMixin, routers.APIRootView):
    """The summit attendance tracker: which national leaders attend which summits, in what role,
    with what status, and on what evidence.

    Reads are public. Writes need a token (`POST /api/auth/token/` with a username and
    password, then `Authorization: Token <token>`) or a session, and the model's permission.
    Lists are cursor-paginated and take filters, `search` and `ordering`; the documentation
    (`docs`, `redoc`) and the OpenAPI schema (`schema`) say which, endpoint by endpoint.
    """

    def get_view_name(self) -> str:
        return "Summit attendance tracker API"

    def get(self, request, *args, **kwargs):
        links = {}
        for key, url_name in {
            **{prefix: f"api:{name}" for prefix, name in (self.api_root_dict or {}).items()},
            **ROOT_LINKS,
        }.items():
            try:
                links[key] = reverse(url_name, request=request, format=kwargs.get("format"))
            except NoReverseMatch:
                continue
        return Response(links)


class Router(routers.DefaultRouter):
    """DRF's default router, with the API's own root view."""

    APIRootView = APIRootView


def slash_optional(patterns: list) -> list:
    """The patterns, each followed by an unnamed twin without its trailing slash.

    `POST /api/summits` then creates, as `POST /api/summits/` does, instead of answering a
    redirect that clients follow as a GET. Links keep the slash: the named pattern is the one
    URLs are reversed from, and the schema lists only it (summits.api.schema).
    """
    result = []
    for pattern in patterns:
        result.append(pattern)
        twin = _without_trailing_slash(pattern)
        if twin is not None:
            result.append(twin)
    return result


def _without_trailing_slash(pattern) -> URLPattern | None:
    if not isinstance(pattern, URLPattern):
        return None
    if isinstance(pattern.pattern, RoutePattern):
        route = str(pattern.pattern)
        if len(route) > 1 and route.endswith("/"):
            return path(route[:-1], pattern.callback, pattern.default_args)
    elif isinstance(pattern.pattern, RegexPattern):
        regex = pattern.pattern.regex.pattern
        if regex.endswith("/$") and regex != "^/$":
            return re_path(regex[:-2] + "$", pattern.callback, pattern.default_args)
    return None
