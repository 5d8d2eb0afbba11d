"""The admin and the API's HTML pages in a real browser: Debian's headless Chromium, driven by
Playwright against the live server, with every step saved as a screenshot in
test-output/screenshots/, every request checked to stay on this machine and every page checked to
work under its Content-Security-Policy without a violation."""

import os
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from django.urls import reverse
from playwright.sync_api import Browser, ConsoleMessage, Page, Response, expect, sync_playwright

from summits.models import Attendance, Country, Leader, Summit

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SCREENSHOTS = Path(__file__).resolve().parent.parent / "test-output" / "screenshots"
TIMEOUT_MS = 10_000

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not CHROMIUM.exists(),
        reason=f"Debian's chromium is not installed at {CHROMIUM} "
        "(apt-get install -y chromium); these tests never download a browser.",
    ),
]


@dataclass
class Tab:
    """A browser page with what it asked for and what it complained about."""

    page: Page
    origin: str
    requests: list[str] = field(default_factory=list)
    console_errors: list[str] = field(default_factory=list)
    policy_violations: list[str] = field(default_factory=list)
    pages_without_policy: list[str] = field(default_factory=list)

    def screenshot(self, name: str, *, full_page: bool = True) -> None:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        self.page.screenshot(path=SCREENSHOTS / f"{name}.png", full_page=full_page)

    def requests_elsewhere(self) -> list[str]:
        """What the pages asked of any server but the test server (data: and blob: URLs are
        the page's own)."""
        return [
            url
            for url in self.requests
            if not url.startswith(("data:", "blob:"))
            and f"{urlsplit(url).scheme}://{urlsplit(url).netloc}" != self.origin
        ]

    def assert_offline_and_clean(self) -> None:
        assert self.requests_elsewhere() == []
        assert self.pages_without_policy == []
        assert self.policy_violations == []
        assert self.console_errors == []

    def record_console(self, message: ConsoleMessage) -> None:
        if message.type == "error":
            self.console_errors.append(message.text)
        if "Content Security Policy" in message.text:
            self.policy_violations.append(message.text)

    def record_response(self, response: Response) -> None:
        page_loaded = response.request.resource_type == "document" and response.ok
        if page_loaded and "content-security-policy" not in response.headers:
            self.pages_without_policy.append(response.url)


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    # Playwright's sync API keeps an event loop running in this thread, which Django would
    # otherwise take for async code and refuse the test's (and the teardown's) database calls.
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_FLAGS)
            yield browser
            browser.close()
    finally:
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


@pytest.fixture
def tab(browser, live_server) -> Iterator[Tab]:
    context = browser.new_context(base_url=live_server.url, viewport={"width": 1440, "height": 900})
    # Nothing leaves the machine, even when a page asks: such a request fails, and is recorded.
    context.route(
        re.compile(r"^https?://(?!(127\.0\.0\.1|localhost)[:/]).*"),
        lambda route: route.abort(),
    )
    # Every Content-Security-Policy violation reaches the console, whatever Chromium's own words.
    context.add_init_script(
        "document.addEventListener('securitypolicyviolation', (event) => console.error("
        "`Content Security Policy violation: ${event.effectiveDirective} ${event.blockedURI}`));"
    )
    page = context.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    tab = Tab(page, origin=live_server.url)
    # On the context, not the page: a worker's requests count too.
    context.on("request", lambda request: tab.requests.append(request.url))
    page.on("response", tab.record_response)
    page.on("console", tab.record_console)
    page.on("pageerror", lambda error: tab.console_errors.append(str(error)))
    yield tab
    context.close()


def log_in(tab: Tab, username: str, password: str) -> None:
    page = tab.page
    page.goto(reverse("admin:index"))
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    tab.screenshot("admin-01-login")
    page.click("input[type=submit]")
    page.wait_for_url(re.compile(r"/admin/$"))


def choose(tab: Tab, select_id: str, term: str, option: str) -> None:
    """Pick `option` in a select2 autocomplete by typing `term`, as an editor would."""
    page = tab.page
    page.click(f"#{select_id} + .select2-container .select2-selection")
    page.locator(".select2-container--open .select2-search__field").press_sequentially(term)
    page.locator(".select2-results__option", has_text=option).click()
    rendered = page.locator(f"#{select_id} + .select2-container .select2-selection__rendered")
    assert option in rendered.inner_text()


@pytest.fixture
def korea_leader(article) -> Leader:
    return Leader.objects.create(
        slug="yoon-suk-yeol",
        name="Yoon Suk Yeol",
        country=Country.objects.get(code="KR"),
        office="President",
    )


def test_an_editor_adds_an_attendance_records_its_status_and_meets_a_form_error(
    tab, staff, korea_leader
):
    page = tab.page
    log_in(tab, "staff", "not-a-real-password")
    tab.screenshot("admin-02-index")

    # Find the summit: the list by date, searched by slug.
    page.click("a[href$='/admin/summits/summit/']")
    page.fill("#searchbar", "nato-2024-washington")
    page.press("#searchbar", "Enter")
    expect(page.locator("#result_list tbody tr")).to_have_count(1)
    expect(page.locator("#result_list td.field-dates")).to_have_text("July 9–11, 2024")
    expect(page.locator("#result_list td.field-attendee_count")).to_have_text("1")
    tab.screenshot("admin-03-summit-list")
    page.click("#result_list a:text('NATO Summit 2024, Washington')")

    # Add South Korea through the inline, both autocompletes driven through the page.
    row = page.locator("#id_attendances-INITIAL_FORMS").input_value()
    choose(tab, f"id_attendances-{row}-country", "Korea", "South Korea (KR)")
    choose(tab, f"id_attendances-{row}-leader", "Yoon", "Yoon Suk Yeol (President, KR)")
    page.select_option(f"#id_attendances-{row}-role", "partner")
    tab.screenshot("admin-04-summit-with-new-attendance")
    page.click("input[name=_continue]")
    expect(page.locator("ul.messagelist")).to_contain_text("was changed successfully")
    korea_row = page.locator("tr.has_original", has_text="Yoon Suk Yeol at")
    expect(korea_row).to_contain_text("Partner")
    tab.screenshot("admin-05-summit-saved")

    # Record a status change with its evidence.
    korea_row.locator("a.inlinechangelink").click()
    page.click("text=Record a status change")
    page.select_option("#id_status", "invited")
    page.fill("#id_as_of", "2024-03")
    page.fill("#id_note", "Partners are expected in Washington.")
    choose(tab, "id_source", "Sakamoto", "Talks underway to invite Kishida")
    quote = "enhancing cooperation between Europe and the Indo-Pacific region"
    page.fill("#id_quote", quote)
    page.select_option("#id_basis", "implied")
    tab.screenshot("admin-06-record-status-form")
    page.click("input[name=_record]")
    expect(page.locator("ul.messagelist")).to_contain_text("Recorded Invited as of March 2024")
    timeline = page.locator("#status_changes-group")
    expect(timeline).to_contain_text("March 2024")
    expect(timeline).to_contain_text(quote)
    expect(page.locator(".field-status .readonly")).to_have_text("Invited")
    tab.screenshot("admin-07-attendance-timeline")

    # The step is in the attendance's history, with the editor who recorded it.
    page.click("a.historylink")
    history = page.locator("#timeline-history")
    expect(history).to_contain_text("Invited as of March 2024")
    expect(history).to_contain_text("staff")
    tab.screenshot("admin-08-attendance-history")

    # A summit that ends before it starts is a form error on its end date.
    page.goto(
        reverse(
            "admin:summits_summit_change", args=[Summit.objects.get(slug="nato-2024-washington").pk]
        )
    )
    page.fill("#id_end_date", "2024-07-01")
    page.click("input[name=_continue]")
    expect(page.locator(".errornote")).to_be_visible()
    expect(page.locator(".field-end_date .errorlist")).to_have_text(
        "A summit cannot end before it starts."
    )
    tab.screenshot("admin-09-end-before-start")

    # The export form's "Select all" (an inline handler the policy allows by its hash) clears
    # every field.
    page.goto(reverse("admin:summits_summit_export"))
    page.uncheck("input.select-toggle")
    checked = page.locator(".selectable-field-export-row input[type=checkbox]:checked")
    expect(checked).to_have_count(0)
    tab.screenshot("admin-10-export-fields-cleared")

    attendance = Attendance.objects.get(summit__slug="nato-2024-washington", country__code="KR")
    assert (attendance.leader, attendance.role, attendance.status) == (
        korea_leader,
        "partner",
        "invited",
    )
    assert Summit.objects.get(slug="nato-2024-washington").end_date.isoformat() == "2024-07-11"
    tab.assert_offline_and_clean()


@pytest.fixture
def long_names(article, korea_leader) -> None:
    """A visit as the State Department's records name one: long names in every column."""
    visit = Summit.objects.create(
        slug="visit-2024-manila",
        name="Official Working Visit of the President of the Republic of Korea to the Philippines",
        kind="bilateral",
        status="held",
        host_country=Country.objects.create(code="PH", name="Philippines"),
        city="Manila and the Municipality of Santo Tomas, Batangas",
        start_date="2024-10-06",
        end_date="2024-10-07",
    )
    Attendance.objects.create(
        summit=visit, country=korea_leader.country, leader=korea_leader, role="guest"
    )


@pytest.mark.parametrize(
    ("model", "columns"),
    [
        ("summit", ["Name", "Dates", "Place", "Organization", "Kind", "Status", "Attendees"]),
        ("attendance", ["Summit", "Country", "Leader", "Role", "Status"]),
    ],
)
def test_the_summit_and_attendance_lists_fit_a_1280_px_screen(
    tab, staff, long_names, model, columns
):
    page = tab.page
    page.set_viewport_size({"width": 1280, "height": 800})
    log_in(tab, "staff", "not-a-real-password")
    page.goto(reverse(f"admin:summits_{model}_changelist"))

    headers = page.locator("#result_list thead th:not(.action-checkbox-column)")
    expect(headers).to_have_text(columns, ignore_case=True)
    for header in headers.all():
        expect(header).to_be_in_viewport(ratio=1)
    results = page.locator("#changelist .results")
    assert results.evaluate("element => element.scrollWidth - element.clientWidth") == 0
    assert page.evaluate("document.documentElement.scrollWidth") <= 1280
    tab.screenshot(f"admin-11-{model}-list-at-1280px", full_page=False)
    tab.assert_offline_and_clean()


def test_the_swagger_ui_renders_offline_without_console_errors(tab, article):
    page = tab.page
    page.goto(reverse("swagger-ui"))
    expect(page.locator(".swagger-ui .info .title")).to_contain_text("Summit attendance tracker")
    expect(page.locator(".swagger-ui .opblock").first).to_be_visible()
    page.wait_for_load_state("networkidle")
    tab.screenshot("api-01-swagger-ui", full_page=False)

    assert any(urlsplit(url).path == reverse("schema") for url in tab.requests)
    tab.assert_offline_and_clean()


def test_the_browsable_api_renders_offline_without_console_errors(tab, article):
    page = tab.page
    response = page.goto(reverse("api:summit-list"))
    assert response.status == 200
    assert response.request.headers["accept"].startswith("text/html")
    assert response.headers["content-type"].startswith("text/html")
    expect(page.locator(".response-info")).to_contain_text("nato-2024-washington")
    page.wait_for_load_state("networkidle")
    tab.screenshot("api-02-browsable-summit-list")

    tab.assert_offline_and_clean()


def test_both_api_docs_load_everything_from_the_test_server_in_its_own_fonts(tab, article):
    page = tab.page
    page.goto(reverse("swagger-ui"))
    expect(page.locator(".swagger-ui .opblock").first).to_be_visible(timeout=TIMEOUT_MS)
    page.wait_for_load_state("networkidle")
    page.goto(reverse("redoc"))
    # Redoc reads the whole schema before it shows anything: allow it the page's timeout.
    expect(page.locator(".api-info h1")).to_contain_text(
        "Summit attendance tracker", timeout=TIMEOUT_MS
    )
    # The side menu's foot, where Redoc would show a logo from Redocly's servers.
    page.locator(".menu-content").evaluate("menu => menu.scrollTo(0, menu.scrollHeight)")
    page.wait_for_load_state("networkidle")

    assert tab.requests_elsewhere() == []
    assert {urlsplit(url).path for url in tab.requests} >= {
        reverse("swagger-ui"),
        reverse("redoc"),
        reverse("schema"),
    }
    for selector in (".api-info h1", ".api-content p"):
        font = page.locator(selector).first.evaluate(
            "element => getComputedStyle(element).fontFamily"
        )
        assert font.startswith("system-ui"), (selector, font)
    tab.assert_offline_and_clean()


def test_redoc_renders_offline_and_searches_without_console_errors(tab, article):
    page = tab.page
    page.goto(reverse("redoc"))
    # Redoc reads the whole schema before it shows anything: allow it the page's timeout.
    expect(page.locator(".api-info h1")).to_contain_text(
        "Summit attendance tracker", timeout=TIMEOUT_MS
    )
    expect(page.locator("[data-section-id='operation/summits_list']")).to_be_attached()
    # Redoc searches in a web worker, which the page's policy allows from a blob: URL.
    page.get_by_role("search").get_by_placeholder("Search...").fill("calendar")
    expect(page.locator("[data-role='search:results']")).to_contain_text("summits_calendar")
    expect(page.get_by_alt_text("redocly logo")).to_have_count(0)
    page.wait_for_load_state("networkidle")
    tab.screenshot("api-03-redoc", full_page=False)

    assert any(urlsplit(url).path == reverse("schema") for url in tab.requests)
    tab.assert_offline_and_clean()
