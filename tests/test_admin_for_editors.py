"""The admin as an editor reads it: branded as the tracker, lists whose columns fit a laptop's
screen, citations titled in words, a citation without a quote saying so, and a status that the
"Record a status change" form never chooses for the editor."""

import lxml.html
import pytest
from django.urls import reverse
from model_bakery import baker

from summits.models import Attendance, Citation, Source, StatusChange

TRACKER = "Summit attendance tracker"


@pytest.fixture
def staff_client(client, staff):
    client.force_login(staff)
    return client


def page_text(response) -> str:
    """The page's words as a browser shows them, spaces collapsed."""
    return " ".join(lxml.html.fromstring(response.content.decode()).text_content().split())


def change_list(response) -> list[list[str]]:
    """The change list's table as an editor reads it: its header, then its rows, each without
    the selection checkbox."""
    table = lxml.html.fromstring(response.content.decode()).get_element_by_id("result_list")
    return [
        [" ".join(cell.text_content().split()) for cell in row.xpath("./th|./td")][1:]
        for row in table.xpath(".//tr")
    ]


def test_the_admin_is_branded_as_the_tracker(client, staff):
    login = client.get(reverse("admin:login"))
    client.force_login(staff)
    index = client.get(reverse("admin:index"))

    for response in (login, index):
        document = lxml.html.fromstring(response.content.decode())
        assert document.findtext(".//title").endswith(f"| {TRACKER}")
        assert document.get_element_by_id("site-name").text_content().strip() == TRACKER
        assert "Django" not in page_text(response)
    assert "Summits, attendances and their evidence" in page_text(index)


def test_the_summit_list_shows_the_place_in_one_column(staff_client, article):
    rows = change_list(staff_client.get(reverse("admin:summits_summit_changelist")))

    assert rows[:3] == [
        ["Name", "Dates", "Place", "Organization", "Kind", "Status", "Attendees"],
        [
            "NATO Summit 2024, Washington",
            "July 9–11, 2024",
            "Washington, DC, United States",
            "NATO",
            "Ordinary",
            "Scheduled",
            "1",
        ],
        ["Japan-U.S. summit", "April 10, 2024", "-", "-", "Bilateral", "Scheduled", "2"],
    ]
    assert rows[3][2] == "Lithuania"


def test_the_attendance_list_names_countries_and_leaders_without_codes(staff_client, article):
    rows = change_list(staff_client.get(reverse("admin:summits_attendance_changelist")))

    assert rows[:2] == [
        ["Summit", "Country", "Leader", "Role", "Status"],
        [
            "NATO Summit 2024, Washington (July 9–11, 2024)",
            "Japan",
            "Fumio Kishida",
            "-",
            "Proposed (invitation under discussion)",
        ],
    ]
    assert ["NATO Summit 2023, Lithuania (2023)", "Australia", "-", "-", "Attended"] in rows


@pytest.mark.parametrize(
    ("lookup", "title"),
    [
        (
            {"summit__slug": "nato-2024-washington", "field": "end_date", "start__isnull": False},
            "Kazuyuki Sakamoto on the end date of NATO Summit 2024, Washington",
        ),
        (
            {"attendance__summit__slug": "nato-2024-washington", "field": "leader"},
            "Kazuyuki Sakamoto on the leader of Japan at NATO Summit 2024, Washington",
        ),
        (
            {"status_change__attendance__summit__slug": "nato-2024-washington", "field": "as_of"},
            "Kazuyuki Sakamoto on the date of “Proposed (invitation under discussion) as of "
            "March 2024” for Japan at NATO Summit 2024, Washington",
        ),
    ],
    ids=["summit", "attendance", "status-change"],
)
def test_a_citation_is_titled_by_whose_words_on_which_field_of_which_record(
    staff_client, article, lookup, title
):
    citation = Citation.objects.filter(**lookup).order_by("start").first()

    listed = change_list(staff_client.get(reverse("admin:summits_citation_changelist")))
    page = staff_client.get(reverse("admin:summits_citation_change", args=[citation.pk]))

    assert title in [row[0] for row in listed]
    heading = lxml.html.fromstring(page.content.decode()).find(".//h2")
    assert heading.text_content() == title
    assert "_date" not in page_text(page).split("Quote:")[0]


@pytest.fixture
def external_citation(article) -> Citation:
    """The NATO 2024 attendance's latest step, cited to a page the tracker holds no text of."""
    page = baker.make(Source, key="nato-page", title="NATO's page", url="https://www.nato.int/")
    change = StatusChange.objects.filter(attendance__summit__slug="nato-2024-washington").get()
    return Citation.objects.create(
        source=page, status_change=change, field="status", basis=Citation.Basis.EXTERNAL
    )


def test_a_citation_without_a_quote_says_so(staff_client, external_citation):
    attendance = external_citation.status_change.attendance

    listed = change_list(staff_client.get(reverse("admin:summits_citation_changelist")))
    timeline = page_text(
        staff_client.get(reverse("admin:summits_attendance_change", args=[attendance.pk]))
    )

    assert [str(external_citation), "(external: no quote)", "External"] in listed
    assert "NATO's page (external: no quote)" in timeline
    assert "“”" not in timeline


def test_recording_a_status_change_starts_with_no_status_chosen(staff_client, article):
    attendance = Attendance.objects.get(summit__slug="nato-2024-washington", country__code="JP")
    url = reverse("admin:summits_attendance_record_status", args=[attendance.pk])

    form = lxml.html.fromstring(staff_client.get(url).content.decode())
    chosen = form.get_element_by_id("id_status").value
    response = staff_client.post(url, {"as_of": "2024-04", "basis": "stated"})

    assert chosen == ""
    assert response.status_code == 200
    assert response.context["form"].errors == {"status": ["This field is required."]}
    assert attendance.status_changes.count() == 1
