"""Import and export of summits and attendances in the admin: CSV and JSON keyed on natural keys,
so that a file imported again updates rows instead of copying them, and a bad row imports
nothing."""

import csv
import io
import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection, models
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils.html import escape
from model_bakery import baker

from summits.models import Attendance, Citation, Country, Organization, Summit
from tests.helpers import table_counts

SUMMIT_COLUMNS = [
    "slug",
    "name",
    "organization",
    "kind",
    "status",
    "host_country",
    "city",
    "start_date",
    "end_date",
    "date_precision",
]
ATTENDANCE_COLUMNS = ["summit", "country", "leader", "role", "status", "note"]


def admin_url(model: type[models.Model], view: str) -> str:
    return reverse(f"admin:summits_{model._meta.model_name}_{view}")


def format_choice(form, title: str) -> str:
    return next(value for value, label in form.fields["format"].choices if label == title)


def export(client, model: type[models.Model], file_format: str = "csv") -> str:
    """What an editor downloads from the export page, every column ticked."""
    url = admin_url(model, "export")
    form = client.get(url).context["form"]
    data = {"format": format_choice(form, file_format), "resource": "0"}
    data.update(
        (name, "on")
        for name, field in form.fields.items()
        if getattr(field, "is_selectable_field", False)
    )
    response = client.post(url, data)
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment")
    return response.content.decode()


def upload(client, model: type[models.Model], content: str, file_format: str = "csv"):
    """The first step of an import: the admin checks the file and shows what it would do."""
    url = admin_url(model, "import")
    form = client.get(url).context["form"]
    file = SimpleUploadedFile(f"{model._meta.model_name}.{file_format}", content.encode())
    return client.post(
        url, {"format": format_choice(form, file_format), "resource": "0", "import_file": file}
    )


def confirm(client, model: type[models.Model], checked):
    """The second step: the editor confirms the import the first step showed."""
    form = checked.context["confirm_form"]
    data = {name: form[name].value() for name in form.fields}
    return client.post(admin_url(model, "process_import"), data)


def import_file(client, model: type[models.Model], content: str, file_format: str = "csv"):
    checked = upload(client, model, content, file_format)
    assert checked.context["confirm_form"] is not None, checked.context["result"].invalid_rows
    response = confirm(client, model, checked)
    assert response.status_code == 302
    return checked.context["result"]


def csv_rows(content: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(content)))


def write_csv(rows: list[dict[str, str]]) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(rows[0]))
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue()


def snapshot() -> dict[str, object]:
    """Every row of the two imported tables, their edit histories and the other tables' sizes."""
    return {
        "counts": table_counts(),
        "summits": list(Summit.objects.order_by("pk").values()),
        "attendances": list(Attendance.objects.order_by("pk").values()),
        "history": (Summit.history.count(), Attendance.history.count()),
    }


@pytest.fixture
def staff_client(client, staff):
    client.force_login(staff)
    return client


def test_the_summit_export_names_related_rows_by_slug_and_code(staff_client, article):
    rows = csv_rows(export(staff_client, Summit))

    assert list(rows[0]) == SUMMIT_COLUMNS
    washington = next(row for row in rows if row["slug"] == "nato-2024-washington")
    assert washington == {
        "slug": "nato-2024-washington",
        "name": "NATO Summit 2024, Washington",
        "organization": "nato",
        "kind": "ordinary",
        "status": "scheduled",
        "host_country": "US",
        "city": "Washington, DC",
        "start_date": "2024-07-09",
        "end_date": "2024-07-11",
        "date_precision": "day",
    }


@pytest.mark.parametrize("file_format", ["csv", "json"])
def test_the_summit_export_writes_each_date_at_its_precision_as_the_api_does(
    staff_client, article, file_format
):
    content = export(staff_client, Summit, file_format)
    rows = csv_rows(content) if file_format == "csv" else json.loads(content)

    assert {row["slug"]: (row["start_date"], row["date_precision"]) for row in rows} == {
        "japan-us-2024-04-10": ("2024-04-10", "day"),
        "nato-2022-spain": ("2022-06", "month"),
        "nato-2023-lithuania": ("2023", "year"),
        "nato-2024-washington": ("2024-07-09", "day"),
    }


@pytest.mark.parametrize(
    ("start_date", "date_precision"),
    [
        ("2025-06", None),  # no precision column: the date carries it
        ("2025-06", ""),
        ("2025-06", "month"),
        ("2025-06-01", "month"),  # the older form: the month's first day and its precision
    ],
)
def test_a_summit_date_is_imported_at_the_precision_it_is_written_in(
    staff_client, article, start_date, date_precision
):
    row = {"slug": "g7-2025", "name": "G7 Summit 2025", "start_date": start_date}
    if date_precision is not None:
        row["date_precision"] = date_precision

    import_file(staff_client, Summit, write_csv([row]))

    summit = Summit.objects.get(slug="g7-2025")
    assert (summit.start_date.isoformat(), summit.date_precision, summit.dates) == (
        "2025-06-01",
        "month",
        "June 2025",
    )


@pytest.mark.parametrize(
    ("start_date", "date_precision", "message"),
    [
        (
            "2025-06",
            "day",
            "'2025-06' is a date to the month, not to the day: leave the precision "
            "out, or write the date to the day.",
        ),
        ("2025", "weekly", "Unknown precision 'weekly': use day, month or year."),
        ("June 2025", "", "Use YYYY, YYYY-MM or YYYY-MM-DD."),
        ("", "", "Use YYYY, YYYY-MM or YYYY-MM-DD."),
    ],
)
def test_a_summit_date_that_disagrees_with_its_precision_is_a_row_error(
    staff_client, article, start_date, date_precision, message
):
    row = {
        "slug": "g7-2025",
        "name": "G7",
        "start_date": start_date,
        "date_precision": date_precision,
    }
    before = snapshot()

    checked = upload(staff_client, Summit, write_csv([row]))

    [invalid] = checked.context["result"].invalid_rows
    assert invalid.error_dict["start_date"] == [message]
    assert escape(message) in checked.content.decode()
    assert snapshot() == before


@pytest.mark.parametrize("file_format", ["csv", "json"])
def test_the_attendance_export_is_keyed_on_summit_slug_and_country_code(
    staff_client, article, file_format
):
    content = export(staff_client, Attendance, file_format)
    rows = csv_rows(content) if file_format == "csv" else json.loads(content)

    assert list(rows[0]) == ATTENDANCE_COLUMNS
    keys = {(row["summit"], row["country"]) for row in rows}
    assert ("nato-2024-washington", "JP") in keys
    assert len(keys) == len(rows) == Attendance.objects.count()
    kishida = next(
        row for row in rows if (row["summit"], row["country"]) == ("nato-2024-washington", "JP")
    )
    assert (kishida["leader"], kishida["role"], kishida["status"]) == (
        "fumio-kishida",
        "",
        "proposed",
    )


@pytest.mark.parametrize("model", [Summit, Attendance], ids=["summits", "attendances"])
@pytest.mark.parametrize("file_format", ["csv", "json"])
def test_importing_the_export_back_changes_nothing(staff_client, article, model, file_format):
    content = export(staff_client, model, file_format)
    before = snapshot()

    result = import_file(staff_client, model, content, file_format)

    assert result.totals["skip"] == model.objects.count()
    assert result.totals["new"] == result.totals["update"] == 0
    assert snapshot() == before


def test_importing_a_changed_city_updates_that_summit_without_a_copy(staff_client, staff, article):
    rows = csv_rows(export(staff_client, Summit))
    spain = next(row for row in rows if row["slug"] == "nato-2022-spain")
    spain["city"] = "Madrid"
    count = Summit.objects.count()

    result = import_file(staff_client, Summit, write_csv(rows))

    assert (result.totals["update"], result.totals["new"]) == (1, 0)
    assert Summit.objects.count() == count
    summit = Summit.objects.get(slug="nato-2022-spain")
    assert summit.city == "Madrid"
    latest = summit.history.latest()
    assert (latest.city, latest.history_user) == ("Madrid", staff)


def test_importing_a_new_attendance_adds_it_and_an_existing_one_updates(staff_client, article):
    rows = [
        {"summit": "nato-2024-washington", "country": "KR", "leader": "", "role": "partner"},
        {"summit": "nato-2024-washington", "country": "JP", "leader": "", "role": "partner"},
    ]
    count = Attendance.objects.count()

    result = import_file(staff_client, Attendance, write_csv(rows))

    assert (result.totals["new"], result.totals["update"]) == (1, 1)
    assert Attendance.objects.count() == count + 1
    korea = Attendance.objects.get(summit__slug="nato-2024-washington", country__code="KR")
    japan = Attendance.objects.get(summit__slug="nato-2024-washington", country__code="JP")
    assert (korea.role, korea.leader, korea.status) == ("partner", None, None)
    # An empty cell is "not stated": the leader is cleared, the status is the timeline's.
    assert (japan.role, japan.leader, japan.status) == ("partner", None, "proposed")


def test_an_import_never_sets_an_attendance_status(staff_client, article):
    rows = [
        {"summit": "nato-2024-washington", "country": "JP", "leader": "fumio-kishida"},
        {"summit": "nato-2024-washington", "country": "KR", "leader": ""},
    ]
    for row in rows:
        row.update(role="", status="attended", note="")

    import_file(staff_client, Attendance, write_csv(rows))

    statuses = dict(
        Attendance.objects.filter(summit__slug="nato-2024-washington").values_list(
            "country__code", "status"
        )
    )
    assert statuses == {"JP": "proposed", "KR": None}


def change_the_bilateral_summit(rows):
    """A valid change to a row that no `break_...` function touches."""
    for row in rows:
        if row.get("slug", row.get("summit")) == "japan-us-2024-04-10":
            row["city" if "slug" in row else "note"] = "Changed"


def break_summit_dates(rows):
    washington = next(row for row in rows if row["slug"] == "nato-2024-washington")
    washington["end_date"] = "2024-07-01"
    return "end_date", "A summit cannot end before it starts."


def break_summit_precision(rows):
    spain = next(row for row in rows if row["slug"] == "nato-2022-spain")
    spain["start_date"] = "2022-06-28"  # beside its date_precision, "month"
    return (
        "start_date",
        "'2022-06-28' is a date to the day, not to the month: write '2022-06' and leave the "
        "precision out.",
    )


def break_attendance_leader(rows):
    korea = next(
        row for row in rows if (row["summit"], row["country"]) == ("nato-2023-lithuania", "KR")
    )
    korea["leader"] = "fumio-kishida"
    return "leader", "Fumio Kishida leads Japan, not South Korea."


def break_attendance_country(rows):
    rows.append({**rows[0], "country": "XX", "leader": ""})
    return "country", "No country has the code 'XX'."


@pytest.mark.parametrize(
    ("model", "break_rows"),
    [
        (Summit, break_summit_dates),
        (Summit, break_summit_precision),
        (Attendance, break_attendance_leader),
        (Attendance, break_attendance_country),
    ],
    ids=lambda value: getattr(value, "__name__", ""),
)
def test_an_import_row_that_breaks_a_rule_is_reported_and_changes_nothing(
    staff_client, article, model, break_rows
):
    rows = csv_rows(export(staff_client, model))
    # A valid change in the same file is not imported either.
    change_the_bilateral_summit(rows)
    field, message = break_rows(rows)
    before = snapshot()

    checked = upload(staff_client, model, write_csv(rows))

    result = checked.context["result"]
    assert checked.context.get("confirm_form") is None
    [invalid] = result.invalid_rows
    assert invalid.error_dict[field] == [message]
    assert escape(message) in checked.content.decode()
    assert snapshot() == before


def test_a_bad_row_imports_nothing_even_when_the_confirmation_is_forged(staff_client, article):
    rows = csv_rows(export(staff_client, Summit))
    change_the_bilateral_summit(rows)
    break_summit_dates(rows)
    checked = upload(staff_client, Summit, write_csv(rows))
    file_name = checked.context["form"].cleaned_data["import_file"].tmp_storage_name
    before = snapshot()

    staff_client.post(
        admin_url(Summit, "process_import"),
        {
            "import_file_name": file_name,
            "original_file_name": "summit.csv",
            "format": format_choice(checked.context["form"], "csv"),
            "resource": "0",
        },
    )

    assert snapshot() == before


@pytest.mark.parametrize("model", [Summit, Attendance], ids=["summits", "attendances"])
def test_importing_needs_the_rights_to_add_and_change(client, model, user):
    user.is_staff = True
    user.save()
    client.force_login(user)

    assert client.get(admin_url(model, "import")).status_code == 403


@pytest.mark.parametrize("model", [Summit, Attendance], ids=["summits", "attendances"])
def test_exporting_costs_the_same_queries_for_few_or_many_rows(staff_client, model):
    queries = []
    for rows in (3, 30):
        make_rows(model, rows)
        with CaptureQueriesContext(connection) as captured:
            content = export(staff_client, model)
        assert len(csv_rows(content)) == rows
        queries.append(len(captured))
    assert queries[0] == queries[1]


def make_rows(model: type[models.Model], total: int) -> None:
    nato = Organization.objects.get_or_create(slug="nato", name="NATO")[0]
    while model.objects.count() < total:
        index = Summit.objects.count()
        country = baker.make(Country, code=f"{chr(65 + index // 26)}{chr(65 + index % 26)}")
        summit = baker.make(
            Summit,
            slug=f"summit-{index}",
            organization=nato,
            host_country=country,
            start_date=f"{2000 + index}-01-01",
            date_precision="year",
        )
        if model is Attendance:
            baker.make(Attendance, summit=summit, country=country)


FORMULAE = ['=HYPERLINK("http://x")', "+cmd|' /C calc'!A0", "-2+3", "@SUM(A1:A2)", "'=1+1"]


@pytest.mark.parametrize("name", FORMULAE)
def test_a_csv_cell_never_starts_a_formula_and_reads_back_as_written(staff_client, name):
    summit = baker.make(Summit, slug="g7-2024", name=name, start_date="2024-06-13")

    content = export(staff_client, Summit)
    cell = next(row for row in csv_rows(content) if row["slug"] == "g7-2024")["name"]
    result = import_file(staff_client, Summit, content)

    assert cell == f"'{name}"
    assert result.totals["skip"] == 1
    summit.refresh_from_db()
    assert summit.name == name


def test_an_apostrophe_that_guards_nothing_is_left_alone(staff_client):
    baker.make(Summit, slug="g7", name="'s-Hertogenbosch talks", start_date="2024-06-13")

    cell = csv_rows(export(staff_client, Summit))[0]["name"]

    assert cell == "'s-Hertogenbosch talks"


def test_the_admin_import_writes_no_citation_so_none_goes_unchecked(staff_client, article):
    # Its resources have no evidence columns: a forged quote in the file is not imported.
    rows = csv_rows(export(staff_client, Attendance))
    for row in rows:
        row.update(source="sakamoto-2024-kishida-nato", quote="Kishida declined.", start="0")
    citations = list(Citation.objects.values_list("pk", "quote", "start", "end"))

    import_file(staff_client, Attendance, write_csv(rows))

    assert list(Citation.objects.values_list("pk", "quote", "start", "end")) == citations
