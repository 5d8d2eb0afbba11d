"""The admin's "Import State Department records" page: offered on the Sources list to who may
import, a dry run first, the import's report on the page, and every refused file a form error
that leaves the data as it was."""

import re
from pathlib import Path

import pytest
from django.contrib.auth.models import Permission, User
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import IntegrityError
from django.urls import reverse

from summits.admin.forms import HistoryAtStateImportForm
from summits.admin.sources import HISTORYATSTATE_IMPORT_PERMISSIONS
from summits.api.conditional import data_version
from summits.models import Source
from tests.helpers import table_counts
from tests.test_csp import INLINE_SCRIPT, INLINE_STYLE, policy

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data" / "historyatstate"
VISITS_2020 = SHARED / "visits-2020.xml"

IMPORT_URL = reverse("admin:summits_source_historyatstate_import")
SOURCES_URL = reverse("admin:summits_source_changelist")
BUTTON = "Import State Department records</a>"


def visits_file(*records: str, name: str = "visits.xml") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, f"<visits>{''.join(records)}</visits>".encode())


def visit(
    id: int,
    description: str = "Attended NATO 75th Anniversary Summit in Washington, DC.",
    *,
    visitor: str = "Prime Minister Kishida Fumio",
    slug: str = "japan",
    label: str = "Japan",
) -> str:
    return (
        f"<visit><id>{id}</id><start-date>2024-07-10</start-date><end-date>2024-07-11</end-date>"
        f'<visitor>{visitor}</visitor><from id="{slug}">{label}</from>'
        f"<description>{description}</description></visit>"
    )


def upload(client, file: SimpleUploadedFile | None, *, dry_run: bool):
    """The page's form as a browser sends it: an unchecked box is not sent at all."""
    data: dict[str, object] = {"_import": "Import"}
    if file is not None:
        data["file"] = file
    if dry_run:
        data["dry_run"] = "on"
    return client.post(IMPORT_URL, data)


def report(response) -> str:
    """The report the page shows, as its lines."""
    found = re.search(
        r'<div class="module" id="import-report">.*?<pre[^>]*>(.*?)</pre>', page(response), re.S
    )
    assert found, "the page shows no report"
    return found.group(1)


def page(response) -> str:
    return response.content.decode()


def file_errors(response) -> list[str]:
    return response.context["form"].errors.get("file", [])


def dry_run_is_checked(response) -> bool:
    return bool(re.search(r'<input type="checkbox" name="dry_run"[^>]*\bchecked\b', page(response)))


@pytest.fixture
def staff_client(client, staff):
    client.force_login(staff)
    return client


@pytest.fixture
def clerk(db) -> User:
    """Staff who may see and edit sources, but not import records."""
    clerk = User.objects.create_user("clerk", password="not-a-real-password", is_staff=True)
    clerk.user_permissions.set(
        Permission.objects.filter(codename__in=["view_source", "change_source"])
    )
    return clerk


def permissions(*names: str) -> list[Permission]:
    codenames = [name.removeprefix("summits.") for name in names]
    return list(
        Permission.objects.filter(content_type__app_label="summits", codename__in=codenames)
    )


# Who is offered the page ----------------------------------------------------------------------


def test_the_sources_list_offers_the_import_to_a_superuser(staff_client):
    response = staff_client.get(SOURCES_URL)

    assert response.status_code == 200
    assert f'<a href="{IMPORT_URL}">{BUTTON}' in page(response)


def test_the_sources_list_offers_no_import_to_staff_who_may_not_import(client, clerk):
    client.force_login(clerk)

    response = client.get(SOURCES_URL)

    assert response.status_code == 200
    assert BUTTON not in page(response)


def test_staff_who_may_not_import_are_refused_the_page_and_nothing_is_written(
    client, clerk, article_and_context
):
    client.force_login(clerk)
    before = table_counts()

    assert client.get(IMPORT_URL).status_code == 403
    assert upload(client, visits_file(visit(7001)), dry_run=False).status_code == 403
    assert table_counts() == before


@pytest.mark.parametrize("missing", HISTORYATSTATE_IMPORT_PERMISSIONS)
def test_importing_needs_the_right_to_add_every_kind_of_row_an_import_writes(
    client, clerk, missing
):
    clerk.user_permissions.add(
        *permissions(*(name for name in HISTORYATSTATE_IMPORT_PERMISSIONS if name != missing))
    )
    client.force_login(clerk)

    assert client.get(IMPORT_URL).status_code == 403
    assert BUTTON not in page(client.get(SOURCES_URL))


def test_staff_with_every_right_to_add_may_import(client, clerk, article_and_context):
    clerk.user_permissions.add(*permissions(*HISTORYATSTATE_IMPORT_PERMISSIONS))
    client.force_login(clerk)

    assert BUTTON in page(client.get(SOURCES_URL))
    response = upload(client, visits_file(visit(7001)), dry_run=False)

    assert response.status_code == 200
    assert "records read: 1" in report(response)
    assert Source.objects.filter(key="hsg-visit-7001").exists()


def test_a_user_who_is_not_staff_is_sent_to_the_login_page(client, user):
    client.force_login(user)

    response = client.get(IMPORT_URL)

    assert response.status_code == 302
    assert response.url.startswith(reverse("admin:login"))


# The form and the report ----------------------------------------------------------------------


def test_the_page_asks_for_a_file_with_a_dry_run_checked(staff_client):
    response = staff_client.get(IMPORT_URL)

    assert response.status_code == 200
    assert response.context["title"] == "Import State Department records"
    assert '<form method="post" enctype="multipart/form-data"' in page(response)
    assert '<input type="file" name="file"' in page(response)
    assert dry_run_is_checked(response)
    assert 'id="import-report"' not in page(response)


def test_a_dry_run_shows_the_counts_and_writes_nothing(staff_client, article_and_context):
    before, version = table_counts(), data_version()

    response = upload(staff_client, visits_file(visit(7001)), dry_run=True)

    assert response.status_code == 200
    lines = report(response).splitlines()
    assert "records read: 1" in lines
    assert "sources created: 1" in lines
    assert "attendances confirmed: 1" in lines
    assert lines[-1] == "Dry run: nothing was written."
    assert "Dry run of visits.xml" in page(response)
    assert dry_run_is_checked(response)
    assert table_counts() == before
    assert data_version() == version


def test_an_import_keeps_the_record_as_a_source_and_says_so(
    staff_client, staff, article_and_context
):
    response = upload(staff_client, visits_file(visit(7001)), dry_run=False)

    assert response.status_code == 200
    lines = report(response).splitlines()
    assert "records read: 1" in lines
    assert "sources created: 1" in lines
    assert "Dry run: nothing was written." not in lines
    assert "Imported visits.xml: 1 record read; nothing was overwritten." in page(response)
    source = Source.objects.get(key="hsg-visit-7001")
    assert source.history.get().history_user == staff
    # The next file starts with a dry run again.
    assert dry_run_is_checked(response)


def test_importing_the_same_file_again_creates_nothing(staff_client, article_and_context):
    upload(staff_client, visits_file(visit(7001)), dry_run=False)
    before = table_counts()

    response = upload(staff_client, visits_file(visit(7001)), dry_run=False)

    assert "sources created: 0" in report(response).splitlines()
    assert table_counts() == before


def test_the_report_lists_what_could_not_be_placed(staff_client, article_and_context):
    record = visit(7002, "Attended the NATO Summit.", slug="atlantis", label="Atlantis")

    response = upload(staff_client, visits_file(record), dry_run=True)

    assert "Unmapped countries:\n  atlantis (1 records)" in report(response)


# Refused files --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("content", "says"),
    [
        (
            b"<visits>\n<visit><id>1</id>\n</visits>",
            "Refused, nothing was imported: line 3: not well-formed XML",
        ),
        (
            b"<?xml version='1.0'?>\n<people/>",
            "Refused, nothing was imported: line 2: <people> is neither <visits> nor <trips>",
        ),
        (
            b"<visits>\n<visit>\n<id>1</id><script>x</script></visit></visits>",
            "Refused, nothing was imported: line 3: <script> is not a field of <visit>",
        ),
        (
            b'<!DOCTYPE visits [<!ENTITY a "a">]>\n<visits/>',
            "Refused, nothing was imported: line 2: a document type declaration is refused",
        ),
    ],
    ids=["malformed", "another-shape", "unknown-field", "doctype"],
)
def test_a_file_that_is_not_one_of_the_datasets_is_a_form_error_naming_the_line(
    staff_client, article_and_context, content, says
):
    before, version = table_counts(), data_version()

    response = upload(staff_client, SimpleUploadedFile("bad.xml", content), dry_run=False)

    assert response.status_code == 200
    [error] = file_errors(response)
    assert error.startswith(says), error
    assert says.replace("<", "&lt;").replace(">", "&gt;") in page(response)
    assert 'id="import-report"' not in page(response)
    assert table_counts() == before
    assert data_version() == version


def test_a_file_refused_after_its_first_records_writes_none_of_them(
    staff_client, article_and_context
):
    before = table_counts()
    broken = visits_file(visit(7001), visit(7002)).read()[:-5] + b"\n"

    response = upload(staff_client, SimpleUploadedFile("cut.xml", broken), dry_run=False)

    assert file_errors(response)[0].startswith("Refused, nothing was imported: line ")
    assert table_counts() == before


def test_a_record_no_row_can_hold_is_never_a_server_error_and_is_not_written(
    staff_client, article_and_context
):
    too_long = visit(7003, "Attended the NATO Summit.", visitor="Prime Minister " + "X" * 600)

    response = upload(staff_client, visits_file(too_long), dry_run=False)

    assert response.status_code == 200
    assert not Source.objects.filter(key="hsg-visit-7003").exists()


@pytest.mark.parametrize(
    ("failure", "says"),
    [
        (
            ValidationError({"name": ["Ensure this value has at most 200 characters."]}),
            "Refused, nothing was imported: Ensure this value has at most 200 characters.",
        ),
        (
            IntegrityError("UNIQUE constraint failed: summits_source.key"),
            "Refused, nothing was imported: someone imported some of these records meanwhile; "
            "try again.",
        ),
    ],
    ids=["invalid-row", "imported-meanwhile"],
)
def test_an_import_that_fails_on_a_row_is_a_form_error_not_a_server_error(
    staff_client, db, monkeypatch, failure, says
):
    # Rows the import could not write, as a record the reader let through or a second editor
    # importing the same file at the same moment would make it fail.
    def fail(*args, **kwargs):
        raise failure

    monkeypatch.setattr("summits.admin.sources.historyatstate_import", fail)

    response = upload(staff_client, visits_file(visit(7001)), dry_run=False)

    assert response.status_code == 200
    assert says in [*file_errors(response), *response.context["form"].non_field_errors()]
    assert 'id="import-report"' not in page(response)


def test_no_file_is_a_form_error(staff_client, db):
    response = upload(staff_client, None, dry_run=True)

    assert response.status_code == 200
    assert file_errors(response) == ["This field is required."]


def test_an_empty_file_is_a_form_error(staff_client, db):
    response = upload(staff_client, SimpleUploadedFile("empty.xml", b""), dry_run=True)

    assert response.status_code == 200
    assert file_errors(response) == ["The submitted file is empty."]


def test_a_file_past_the_size_limit_is_refused_before_it_is_read(
    staff_client, article_and_context, monkeypatch
):
    # A small limit stands in for the real one: the file below would import if it were read.
    monkeypatch.setattr(HistoryAtStateImportForm, "max_bytes", 100)
    before = table_counts()

    response = upload(staff_client, visits_file(visit(7001)), dry_run=False)

    assert response.status_code == 200
    [error] = file_errors(response)
    assert error.startswith("The file is ")
    assert "the page takes at most 100\xa0bytes" in error
    assert error.endswith("Import a larger file with manage.py import_historyatstate.")
    assert table_counts() == before


def test_the_real_size_limit_takes_every_real_file():
    data = Path(__file__).resolve().parent / "data" / "historyatstate"
    largest = max(path.stat().st_size for path in data.glob("*.xml"))
    assert largest < HistoryAtStateImportForm.max_bytes


# The page under the Content-Security-Policy ---------------------------------------------------


def test_the_page_runs_no_inline_script_or_style(staff_client, article_and_context):
    responses = [
        staff_client.get(IMPORT_URL),
        upload(staff_client, visits_file(visit(7001)), dry_run=True),
        upload(staff_client, SimpleUploadedFile("bad.xml", b"<people/>"), dry_run=True),
    ]

    for response in responses:
        directives = policy(response)
        assert response.status_code == 200
        assert directives["script-src"] == ["'self'"]
        assert directives["style-src"] == ["'self'"]
        assert INLINE_SCRIPT.findall(page(response)) == []
        assert INLINE_STYLE.findall(page(response)) == []


# A real file ----------------------------------------------------------------------------------


@pytest.mark.skipif(not VISITS_2020.is_file(), reason="the shared visits-2020.xml is not here")
def test_a_dry_run_of_a_real_file_reports_all_its_records(staff_client, article_and_context):
    before = table_counts()
    file = SimpleUploadedFile("visits-2020.xml", VISITS_2020.read_bytes())

    response = upload(staff_client, file, dry_run=True)

    assert "records read: 276" in report(response).splitlines()
    assert table_counts() == before
