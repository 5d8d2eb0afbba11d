"""Every kind of page answers with a strict Content-Security-Policy, and the few inline scripts
and styles that pages need carry the nonce their response allows."""

import re

import pytest
from django.urls import reverse

# What every page's policy says, whatever else it allows.
STRICT = {
    "default-src": ["'self'"],
    "img-src": ["'self'", "data:"],
    "font-src": ["'self'"],
    "connect-src": ["'self'"],
    "object-src": ["'none'"],
    "base-uri": ["'none'"],
    "frame-ancestors": ["'none'"],
    "form-action": ["'self'"],
}
# A <script> that runs code of its own (not a src, not a JSON data block).
INLINE_SCRIPT = re.compile(r'<script(?![^>]*\bsrc=)(?![^>]*\btype="application/json")[^>]*>')
INLINE_STYLE = re.compile(r"<style[^>]*>")
NONCE = re.compile(r'\bnonce="([^"]+)"')


def policy(response) -> dict[str, list[str]]:
    directives = (directive.split() for directive in response["Content-Security-Policy"].split(";"))
    return {name: sources for name, *sources in directives}


def assert_strict(directives: dict[str, list[str]]) -> None:
    assert {name: directives.get(name) for name in STRICT} == STRICT
    for name in ("script-src-attr", "style-src-attr"):
        unsafe, *hashes = directives[name]
        assert unsafe == "'unsafe-hashes'"
        assert hashes
        assert all(source.startswith("'sha256-") for source in hashes)


def page_nonces(page: str) -> set[str]:
    return {
        match
        for tag in INLINE_SCRIPT.findall(page) + INLINE_STYLE.findall(page)
        for match in NONCE.findall(tag)
    }


def test_the_admin_login_page_allows_nothing_inline(client, db):
    response = client.get(reverse("admin:login"))

    directives = policy(response)
    assert response.status_code == 200
    assert_strict(directives)
    assert directives["script-src"] == ["'self'"]
    assert directives["style-src"] == ["'self'"]


def test_an_admin_change_list_allows_nothing_inline(client, staff, article):
    client.force_login(staff)

    response = client.get(reverse("admin:summits_summit_changelist"))

    directives = policy(response)
    page = response.content.decode()
    assert response.status_code == 200
    assert_strict(directives)
    assert directives["script-src"] == ["'self'"]
    assert directives["style-src"] == ["'self'"]
    assert INLINE_SCRIPT.findall(page) == []
    assert INLINE_STYLE.findall(page) == []


def test_the_json_api_answers_with_the_policy_too(anonymous_client, article):
    response = anonymous_client.get(reverse("api:summit-list"))

    directives = policy(response)
    assert response["Content-Type"].startswith("application/json")
    assert_strict(directives)
    assert directives["script-src"] == ["'self'"]


def test_the_browsable_api_runs_no_inline_script_and_styles_only_with_the_nonce(client, article):
    response = client.get(reverse("api:summit-list"), HTTP_ACCEPT="text/html")

    directives = policy(response)
    page = response.content.decode()
    assert response["Content-Type"].startswith("text/html")
    assert_strict(directives)
    assert directives["script-src"] == ["'self'"]
    assert INLINE_SCRIPT.findall(page) == []
    # DRF writes Pygments' styles inline when Pygments is installed, as it is for the tests.
    assert [NONCE.search(tag) is not None for tag in INLINE_STYLE.findall(page)] == [True]
    assert directives["style-src"] == ["'self'", *(f"'nonce-{n}'" for n in page_nonces(page))]


def test_swagger_ui_runs_its_init_script_from_its_own_url(client, db):
    response = client.get(reverse("swagger-ui"))

    directives = policy(response)
    page = response.content.decode()
    [nonce] = page_nonces(page)
    assert_strict(directives)
    assert directives["script-src"] == ["'self'"]
    assert directives["style-src"] == ["'self'", f"'nonce-{nonce}'"]
    assert INLINE_SCRIPT.findall(page) == []

    [script_url] = re.findall(r'<script src="([^"]*\?script=[^"]*)"', page)
    script = client.get(script_url)
    assert script.status_code == 200
    assert script["Content-Type"].startswith("application/javascript")
    assert "SwaggerUIBundle(" in script.content.decode()
    assert '"validatorUrl": null' in script.content.decode()


def test_redoc_runs_one_inline_script_with_the_nonce_and_may_inject_styles(client, db):
    response = client.get(reverse("redoc"))

    directives = policy(response)
    page = response.content.decode()
    [nonce] = page_nonces(page)
    assert_strict(directives)
    assert directives["script-src"] == ["'self'", f"'nonce-{nonce}'"]
    assert len(INLINE_SCRIPT.findall(page)) == 1
    # Redoc's bundle injects a stylesheet as it loads, before it could be handed a nonce.
    assert directives["style-src"] == ["'self'", "'unsafe-inline'"]
    assert directives["worker-src"] == ["'self'", "blob:"]
    assert "googleapis" not in page


@pytest.mark.parametrize("name", ["swagger-ui", "redoc"])
def test_each_response_has_a_nonce_of_its_own(client, db, name):
    first, second = (page_nonces(client.get(reverse(name)).content.decode()) for _ in range(2))

    assert first
    assert second
    assert first.isdisjoint(second)


def test_a_revalidated_page_keeps_the_policy_its_browser_cached(client, db):
    """A 304 that skips the view carries no policy: a browser that kept the page keeps the
    policy that names the page's nonce, rather than taking one without it."""
    etag = client.get(reverse("redoc"))["ETag"]

    response = client.get(reverse("redoc"), HTTP_IF_NONE_MATCH=etag)

    assert response.status_code == 304
    assert "Content-Security-Policy" not in response
