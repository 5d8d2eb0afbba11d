"""`POST /api/auth/token/`: a token for a username and password."""

from rest_framework.authtoken.views import ObtainAuthToken as BaseObtainAuthToken
from rest_framework.settings import api_settings

from summits.api.throttling import AnonRateThrottle, LoginRateThrottle


class ObtainAuthToken(BaseObtainAuthToken):
    """DRF's token view, taking JSON only (so the 1 MiB body limit holds, as everywhere), with
    its own budget of guesses per client address and username (THROTTLE_LOGIN)."""

    parser_classes = api_settings.DEFAULT_PARSER_CLASSES
    throttle_classes = [LoginRateThrottle, AnonRateThrottle]


obtain_auth_token = ObtainAuthToken.as_view()
