"""Resource limits: throttled clients get 429 with Retry-After; sizes and types are bounded."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient
from rest_framework.throttling import AnonRateThrottle, UserRateThrottle


@pytest.fixture
def low_rates(monkeypatch):
    monkeypatch.setattr(AnonRateThrottle, "rate", "3/minute", raising=False)
    monkeypatch.setattr(UserRateThrottle, "rate", "5/minute", raising=False)


def test_an_anonymous_client_over_its_rate_gets_429_with_retry_after(
    anonymous_client, world, low_rates
):
    url = reverse("api:summit-list")
    codes = [anonymous_client.get(url).status_code for _ in range(3)]

    response = anonymous_client.get(url)

    assert codes == [200, 200, 200]
    assert response.status_code == 429
    assert 0 < int(response["Retry-After"]) <= 60
    assert response.json()["errors"][0]["code"] == "throttled"


def test_an_authenticated_client_has_its_own_higher_rate(
    editor_client, anonymous_client, world, low_rates
):
    url = reverse("api:summit-list")
    for _ in range(3):
        anonymous_client.get(url)

    codes = [editor_client.get(url).status_code for _ in range(6)]

    assert codes == [200] * 5 + [429]


@pytest.mark.parametrize(
    "query",
    [
        "page_size=501",
        "page_size=abc",
        "year=-1",
        "year=1e3",
        "upcoming=yes",
        "ordering=password",
        "status=held,x",
    ],
)
def test_query_parameters_of_the_wrong_type_or_out_of_range_answer_400(
    anonymous_client, world, query
):
    response = anonymous_client.get(f"{reverse('api:summit-list')}?{query}")

    assert response.status_code == 400
    assert response.json()["type"] == "validation_error"


@pytest.mark.parametrize(
    "path", ["/api/attendances/99999999999999999999999/", "/api/attendances/-1/"]
)
def test_an_id_out_of_range_is_not_found(anonymous_client, world, path):
    assert anonymous_client.get(path).status_code == 404


def test_a_forwarded_for_header_buys_no_fresh_budget(anonymous_client, world, low_rates):
    url = reverse("api:summit-list")
    codes = [
        anonymous_client.get(url, HTTP_X_FORWARDED_FOR=f"203.0.113.{n}").status_code
        for n in range(4)
    ]

    assert codes == [200, 200, 200, 429]


def test_behind_a_trusted_proxy_each_forwarded_client_has_its_own_budget(
    anonymous_client, world, low_rates, settings
):
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "NUM_PROXIES": 1}
    url = reverse("api:summit-list")
    codes = [
        anonymous_client.get(url, HTTP_X_FORWARDED_FOR=f"203.0.113.{n}").status_code
        for n in range(4)
    ]

    assert codes == [200, 200, 200, 200]


def guess(client, username: str, password: str):
    return client.post(reverse("api:token"), {"username": username, "password": password})


def test_password_guesses_are_throttled_per_address_and_username(anonymous_client, editor):
    editor.set_password("a-long-enough-password")
    editor.save()

    wrong = [guess(anonymous_client, "editor", f"guess-{n}").status_code for n in range(5)]
    right = guess(anonymous_client, "Editor", "a-long-enough-password")
    other_user = guess(anonymous_client, "someone-else", "guess")

    assert wrong == [400] * 5
    assert right.status_code == 429
    assert 0 < int(right["Retry-After"]) <= 60
    assert right.json()["errors"][0]["code"] == "throttled"
    assert other_user.status_code == 400


@pytest.mark.parametrize(
    ("content_type", "body"),
    [
        ("application/x-www-form-urlencoded", b"username=editor&password=x"),
        ("multipart/form-data; boundary=b", b"--b\r\n" + b"x" * (20 * 1024 * 1024)),
    ],
)
def test_the_token_endpoint_takes_json_only(anonymous_client, editor, content_type, body):
    response = anonymous_client.generic("POST", reverse("api:token"), body, content_type)

    assert response.status_code == 415
    assert response.json()["errors"][0]["code"] == "unsupported_media_type"


def test_a_client_over_its_budget_gets_no_more_304s(anonymous_client, world, low_rates):
    url = reverse("api:summit-detail", args=["nato-2024-washington"])
    tag = anonymous_client.get(url)["ETag"]
    not_modified = [anonymous_client.get(url, HTTP_IF_NONE_MATCH=tag).status_code for _ in range(2)]

    response = anonymous_client.get(url, HTTP_IF_NONE_MATCH=tag)

    assert not_modified == [304, 304]
    assert response.status_code == 429
    assert 0 < int(response["Retry-After"]) <= 60
    assert response.json()["errors"][0]["code"] == "throttled"


def test_a_signed_in_clients_304s_count_against_its_own_budget(editor_client, world, low_rates):
    url = reverse("api:summit-detail", args=["nato-2024-washington"])
    tag = editor_client.get(url)["ETag"]

    codes = [editor_client.get(url, HTTP_IF_NONE_MATCH=tag).status_code for _ in range(5)]

    assert codes == [304] * 4 + [429]


def test_a_sessions_304s_count_against_its_users_budget(anonymous_client, editor, world, low_rates):
    url = reverse("api:summit-detail", args=["nato-2024-washington"])
    for _ in range(3):
        anonymous_client.get(url)  # the address's anonymous budget, spent
    signed_in = APIClient()
    signed_in.force_login(editor)
    tag = signed_in.get(url)["ETag"]

    with CaptureQueriesContext(connection) as queries:
        codes = [signed_in.get(url, HTTP_IF_NONE_MATCH=tag).status_code for _ in range(5)]

    assert codes == [304] * 4 + [429]
    # Answered before the view: the session's user read, but no summit.
    assert not [query for query in queries if "summits_summit" in query["sql"]]


def test_a_revoked_token_is_answered_401_not_304(editor, world):
    url = reverse("api:summit-detail", args=["nato-2024-washington"])
    token = Token.objects.create(user=editor)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    tag = client.get(url)["ETag"]
    token.delete()

    response = client.get(url, HTTP_IF_NONE_MATCH=tag)

    assert response.status_code == 401
    assert response.json()["errors"][0]["code"] == "authentication_failed"


def test_white_space_around_a_username_buys_no_fresh_budget(anonymous_client, editor):
    spellings = ["editor", "editor ", " editor", "editor\t", "editor\u2003", "EDITOR\u3000"]

    codes = [guess(anonymous_client, name, "wrong").status_code for name in spellings]

    assert codes == [400] * 5 + [429]


def test_the_admin_login_has_the_same_budget_of_guesses(client, staff):
    url = reverse("admin:login")
    codes = [
        client.post(url, {"username": "staff", "password": f"guess-{n}"}).status_code
        for n in range(5)
    ]

    refused = client.post(url, {"username": "staff", "password": "not-a-real-password"})

    assert codes == [200] * 5  # the login page again, with its error
    assert refused.status_code == 429
    assert 0 < int(refused["Retry-After"]) <= 60


def test_a_look_alike_letter_buys_no_fresh_budget_at_the_admin_login(client, staff):
    # The login form reads a fullwidth or a double-struck "s" as a plain one (Unicode's
    # compatibility form, NFKC): so must the budget, or each look-alike spelling
    # would be a fresh five guesses at the same account.
    url = reverse("admin:login")
    spellings = ["staff", "\uff53taff", "\U0001d564taff", "STAFF", " staff "]
    codes = [
        client.post(url, {"username": spelling, "password": f"guess-{n}"}).status_code
        for n, spelling in enumerate(spellings)
    ]

    refused = client.post(url, {"username": "\uff53\uff54aff", "password": "guess"})

    assert codes == [200] * 5
    assert refused.status_code == 429
