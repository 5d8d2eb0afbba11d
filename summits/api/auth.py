"""Signing in: `POST /api/auth/token/` for API clients, and the browsable API's login page."""

import base64
import hashlib
from typing import cast

from csp.decorators import csp_update
from django.contrib.auth import views as auth_views
from django.urls import path
from drf_spectacular.utils import extend_schema
from rest_framework.authtoken import serializers
from rest_framework.authtoken.views import ObtainAuthToken as BaseObtainAuthToken
from rest_framework.parsers import BaseParser
from rest_framework.settings import api_settings

from summits.api.errors import error_response
from summits.api.routing import slash_optional
from summits.api.strictness import StrictFieldsMixin, StrictQueryParametersMixin
from summits.api.throttling import AnonRateThrottle, LoginRateThrottle


class AuthTokenSerializer(StrictFieldsMixin, serializers.AuthTokenSerializer):
    """Signing in: a username and password, answered with the user's token."""


class ObtainAuthToken(StrictQueryParametersMixin, BaseObtainAuthToken):
    # JSON only, as everywhere (so the 1 MiB body limit holds), with its own budget of guesses
    # per client address and username (THROTTLE_LOGIN).
    parser_classes = cast("list[type[BaseParser]]", api_settings.DEFAULT_PARSER_CLASSES)
    throttle_classes = [LoginRateThrottle, AnonRateThrottle]
    serializer_class = AuthTokenSerializer

    @extend_schema(
        summary="Get a token",
        description="Your token, for a username and password: send it on writes as "
        "`Authorization: Token <token>`. The same user always gets the same token. Password "
        "guesses are limited per client address and username (429 with Retry-After).",
    )
    def post(self, request, *args, **kwargs):
        return super().post(request, *args, **kwargs)


obtain_auth_token = ObtainAuthToken.as_view()


class LoginView(auth_views.LoginView):
    """Django's login page, in the browsable API's look, with the token endpoint's budget of
    password guesses (as the admin's login has: tracker.admin_site)."""

    template_name = "rest_framework/login.html"

    def post(self, request, *args, **kwargs):
        throttle = LoginRateThrottle()
        if not throttle.allow_request(request, None):
            wait = max(1, round(throttle.wait() or 60))
            response = error_response(
                429,
                "throttled",
                f"Too many login attempts for this name from this address; try again in "
                f"{wait} seconds.",
            )
            response["Retry-After"] = str(wait)
            return response
        return super().post(request, *args, **kwargs)


def _style_hashes(*styles: str) -> list[str]:
    return [
        f"'sha256-{base64.b64encode(hashlib.sha256(style.encode()).digest()).decode()}'"
        for style in styles
    ]


# The login page's own style attributes, allowed on this page alone.
login_page = csp_update(
    {
        "style-src-attr": _style_hashes(
            "margin-top: 30px",
            "width: 320px; margin-left: auto; margin-right: auto",
            "margin: 0 0 20px;",
            "border: none",
        )
    }
)(LoginView.as_view())

# What the browsable API links as "Log in" and "Log out" (its `rest_framework` URL names).
browsable_api_login_urls = (
    slash_optional(
        [
            path("login/", login_page, name="login"),
            path("logout/", auth_views.LogoutView.as_view(), name="logout"),
        ]
    ),
    "rest_framework",
)
