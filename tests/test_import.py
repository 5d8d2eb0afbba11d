"""Importing attendances in bulk: what it writes, what it refuses, and that it refuses it whole."""

import io
import json

import pytest
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from summits.models import Attendance, Citation, Country, Leader, Source, StatusChange
from summits.services import attendances_import
from tests.helpers import table_counts


def row(**fields) -> dict:
    """Japan at NATO 2024 with Kishida, invited and then confirmed, unless `fields` say otherwise."""
    return {
        "summit": "nato-2024-washington",
        "country": "JP",
        "leader": "fumio-kishida",
        "role": "partner",
        "note": "Invited as an Indo-Pacific partner.",
        "status_changes": [
            {"status": "invited", "as_of": "2024-04", "note": ""},
            {"status": "confirmed", "as_of": "2024-06-20", "note": ""},
        ],
    } | fields


@pytest.fixture
def partners(world):
    """Four more countries, each with a leader, none attending NATO 2024 yet."""
    world.attendance.delete()
    for code, name, slug in [
        ("AU", "Australia", "anthony-albanese"),
        ("KR", "South Korea", "yoon-suk-yeol"),
        ("NZ", "New Zealand", "christopher-luxon"),
        ("GB", "United Kingdom", "keir-starmer"),
    ]:
        country = Country.objects.create(code=code, name=name)
        Leader.objects.create(slug=slug, name=slug.replace("-", " ").title(), country=country)
    return world


def partner_rows() -> list[dict]:
    return [row()] + [
        row(country=code, leader=slug, note="")
        for code, slug in [
            ("AU", "anthony-albanese"),
            ("KR", "yoon-suk-yeol"),
            ("NZ", "christopher-luxon"),
        ]
    ]


def test_an_import_creates_attendances_and_their_timelines_and_sets_their_status(partners):
    report = attendances_import(rows=partner_rows())

    assert (report.created, report.updated, report.unchanged, report.status_changes) == (4, 0, 0, 8)
    japan = Attendance.objects.get(summit=partners.summit, country=partners.japan)
    assert (japan.leader, japan.role, japan.status) == (partners.kishida, "partner", "confirmed")
    assert japan.note == "Invited as an Indo-Pacific partner."
    assert [
        (c.status, c.as_of.isoformat(), c.as_of_precision) for c in japan.status_changes.all()
    ] == [
        ("invited", "2024-04-01", "month"),
        ("confirmed", "2024-06-20", "day"),
    ]
    assert sorted(Attendance.objects.values_list("country__code", "status")) == [
        ("AU", "confirmed"),
        ("JP", "confirmed"),
        ("KR", "confirmed"),
        ("NZ", "confirmed"),
    ]


def test_an_import_is_recorded_in_the_history(partners, editor):
    attendances_import(rows=partner_rows(), user=editor)

    japan = Attendance.objects.get(summit=partners.summit, country=partners.japan)
    record = japan.history.get()
    assert (record.history_type, record.history_user, record.history_change_reason) == (
        "+",
        editor,
        "Bulk import",
    )
    assert StatusChange.history.filter(history_change_reason="Bulk import").count() == 8


def test_importing_the_same_rows_twice_changes_nothing(partners):
    attendances_import(rows=partner_rows())
    before = table_counts()

    report = attendances_import(rows=partner_rows())

    assert (report.created, report.updated, report.unchanged, report.status_changes) == (0, 0, 4, 0)
    assert table_counts() == before


def test_an_import_updates_an_attendance_and_adds_to_its_timeline(partners):
    attendances_import(rows=partner_rows())
    later = row(
        role="guest",
        status_changes=[
            {"status": "attended", "as_of": "2024-07-10"},
            {"status": "invited", "as_of": "2024-04"},
        ],
    )

    report = attendances_import(rows=[later])

    assert (report.created, report.updated, report.unchanged, report.status_changes) == (0, 1, 0, 1)
    japan = Attendance.objects.get(summit=partners.summit, country=partners.japan)
    assert (japan.role, japan.status) == ("guest", "attended")
    assert japan.status_changes.count() == 3
    assert japan.history.latest().history_type == "~"


def test_a_bad_row_rejects_the_whole_import_and_says_which_row(partners):
    rows = partner_rows()
    rows[2]["leader"] = "anthony-albanese"  # Australia's leader, for South Korea
    before = table_counts()

    with pytest.raises(ValidationError) as raised:
        attendances_import(rows=rows)

    assert raised.value.message_dict == {
        "2.leader": ["Anthony Albanese leads Australia, not South Korea."]
    }
    assert table_counts() == before


@pytest.mark.parametrize(
    ("fields", "errors"),
    [
        ({"summit": "nato-2099"}, {"0.summit": ["No summit has the slug 'nato-2099'."]}),
        ({"country": "XX"}, {"0.country": ["No country has the code 'XX'."]}),
        ({"leader": "nobody"}, {"0.leader": ["No leader has the slug 'nobody'."]}),
        ({"summit": ["nato-2024-washington"]}, {"0.summit": ["A string."]}),
        ({"summit": {"slug": "nato-2024-washington"}}, {"0.summit": ["A string."]}),
        ({"country": ["JP"]}, {"0.country": ["A string."]}),
        ({"country": 392}, {"0.country": ["A string."]}),
        ({"note": None}, {"0.note": ["A string."]}),
        ({"leader": 7}, {"0.leader": ["A string or null."]}),
        ({"leader": ["fumio-kishida"]}, {"0.leader": ["A string or null."]}),
        ({"status_changes": "invited"}, {"0.status_changes": ["A list of status changes."]}),
        (
            {"status_changes": {"status": "invited", "as_of": "2024-04"}},
            {"0.status_changes": ["A list of status changes."]},
        ),
        ({"role": "observer"}, {"0.role": ["Value 'observer' is not a valid choice."]}),
        ({"rank": 1}, {"0.rank": ["Unknown field."]}),
        (
            {"status_changes": [{"status": "hoped", "as_of": "2024-04-01"}]},
            {"0.status_changes.0.status": ["Value 'hoped' is not a valid choice."]},
        ),
        (
            {"status_changes": [{"status": "invited", "as_of": "April 2024"}]},
            {"0.status_changes.0.as_of": ["Use YYYY, YYYY-MM or YYYY-MM-DD."]},
        ),
        (
            {"status_changes": [{"status": "invited", "as_of": "2024-02-30"}]},
            {"0.status_changes.0.as_of": ["'2024-02-30' is not a date in the calendar."]},
        ),
        (
            {"status_changes": [{"status": "invited", "as_of": 20240401}]},
            {"0.status_changes.0.as_of": ["A string."]},
        ),
        (
            {"status_changes": [{"status": "invited"}]},
            {"0.status_changes.0.as_of": ["This field is required."]},
        ),
        (
            {
                "status_changes": [
                    {"status": "invited", "as_of": "2024-04-15", "as_of_precision": "month"}
                ]
            },
            {
                "0.status_changes.0.as_of": [
                    "'2024-04-15' is a date to the day, not to the month: write '2024-04' and "
                    "leave the precision out."
                ]
            },
        ),
        (
            {
                "status_changes": [
                    {"status": "invited", "as_of": "2024-04", "as_of_precision": "day"}
                ]
            },
            {
                "0.status_changes.0.as_of": [
                    "'2024-04' is a date to the month, not to the day: leave the precision out, "
                    "or write the date to the day."
                ]
            },
        ),
        (
            {"status_changes": [{"status": "invited", "as_of": "2024", "as_of_precision": "week"}]},
            {"0.status_changes.0.as_of": ["Unknown precision 'week': use day, month or year."]},
        ),
        (
            {"status_changes": [{"status": "invited", "as_of": "2024-04-01", "when": "spring"}]},
            {"0.status_changes.0.when": ["Unknown field."]},
        ),
        (
            {
                "status_changes": [
                    {"status": "invited", "as_of": "2024-04-01"},
                    {"status": "invited", "as_of": "2024-04-01"},
                ]
            },
            {"0.status_changes.1.as_of": ["This status is already recorded as of this date."]},
        ),
    ],
)
def test_each_bad_input_is_named_and_nothing_is_written(partners, fields, errors):
    rows = [row(country="AU", leader="anthony-albanese"), row(**fields)]
    before = table_counts()

    with pytest.raises(ValidationError) as raised:
        attendances_import(rows=rows)

    assert raised.value.message_dict == {
        key.replace("0.", "1.", 1): value for key, value in errors.items()
    }
    assert table_counts() == before


def test_a_row_missing_its_keys_or_listed_twice_is_refused(partners):
    with pytest.raises(ValidationError) as raised:
        attendances_import(rows=[row(), {"leader": None}, row(), "JP"])

    assert raised.value.message_dict == {
        "1.summit": ["This field is required."],
        "1.country": ["This field is required."],
        "2.country": ["An earlier row names the same summit and country."],
        "3": ["Each row is an object."],
    }


def test_an_import_runs_the_same_number_of_queries_for_4_rows_as_for_1(partners):
    def queries(rows) -> int:
        with CaptureQueriesContext(connection) as captured:
            attendances_import(rows=rows)
        return len(captured)

    one = queries(partner_rows()[:1])
    Attendance.objects.all().delete()

    assert queries(partner_rows()) == one


def test_quotes_are_checked_in_memory_whatever_the_number_of_rows(partners):
    text = "Invitations went out in April. Confirmations followed in June."
    Source.objects.create(key="wire", title="Wire", text=text)

    def cited(rows: list[dict]) -> list[dict]:
        for row_ in rows:
            for change in row_["status_changes"]:
                word = "April" if change["status"] == "invited" else "June"
                change["citations"] = [{"source": "wire", "quote": f"in {word}"}]
        return rows

    def queries(rows) -> int:
        with CaptureQueriesContext(connection) as captured:
            attendances_import(rows=rows)
        return len(captured)

    one = queries(cited(partner_rows()[:1]))
    Attendance.objects.all().delete()
    four = queries(cited(partner_rows()))

    assert four == one
    assert Citation.objects.count() == 8
    assert {citation.start for citation in Citation.objects.all()} == {
        text.index("in April"),
        text.index("in June"),
    }


def test_the_command_imports_a_json_file(partners, tmp_path, capsys):
    path = tmp_path / "attendances.json"
    path.write_text(json.dumps(partner_rows()))

    call_command("import_attendances", str(path))

    assert capsys.readouterr().out.strip() == (
        "Imported 4 attendances: 4 created, 0 updated, 0 unchanged; 8 status changes added."
    )
    assert Attendance.objects.filter(status="confirmed").count() == 4


def test_the_command_lists_the_bad_rows_and_imports_nothing(partners, tmp_path):
    path = tmp_path / "attendances.json"
    path.write_text(json.dumps([row(), row(country="KR")]))

    with pytest.raises(CommandError) as raised:
        call_command("import_attendances", str(path))

    assert str(raised.value) == (
        "Nothing was imported: 1 error (rows count from 0):\n"
        "  1.leader: Fumio Kishida leads Japan, not South Korea."
    )
    assert not Attendance.objects.exists()


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("", "is not JSON: Expecting value: line 1 column 1. Nothing was imported."),
        ("[not json", "is not JSON: Expecting value: line 1 column 2. Nothing was imported."),
        ("{not json", "must hold a JSON array of rows."),
        ('{"summit": "nato-2024-washington"}', "must hold a JSON array of rows."),
        ("[{}]\n]", "is not JSON: Extra data: line 2 column 1. Nothing was imported."),
    ],
)
def test_the_command_refuses_a_file_that_is_not_a_json_array(db, tmp_path, content, message):
    path = tmp_path / "attendances.json"
    path.write_text(content)

    with pytest.raises(CommandError) as raised:
        call_command("import_attendances", str(path))

    assert str(raised.value) == f"{path} {message}"


def test_a_date_carries_its_precision_and_an_agreeing_precision_is_still_accepted(partners):
    attendances_import(
        rows=[
            row(
                status_changes=[
                    {"status": "proposed", "as_of": "2023"},
                    {"status": "invited", "as_of": "2024-04", "as_of_precision": "month"},
                    # The older form: the period's first day and its precision.
                    {"status": "considering", "as_of": "2024-05-01", "as_of_precision": "month"},
                    {"status": "confirmed", "as_of": "2024-06-20", "as_of_precision": "day"},
                ]
            )
        ]
    )

    japan = Attendance.objects.get(summit=partners.summit, country=partners.japan)
    assert [(c.as_of.isoformat(), c.as_of_precision) for c in japan.status_changes.all()] == [
        ("2023-01-01", "year"),
        ("2024-04-01", "month"),
        ("2024-05-01", "month"),
        ("2024-06-20", "day"),
    ]


def test_a_file_of_many_batches_is_still_all_or_nothing(partners):
    rows = partner_rows()
    rows[3]["leader"] = "anthony-albanese"  # in the second batch of two
    before = table_counts()

    with pytest.raises(ValidationError) as raised:
        attendances_import(rows=iter(rows), batch_size=2)

    assert raised.value.message_dict == {
        "3.leader": ["Anthony Albanese leads Australia, not New Zealand."]
    }
    assert table_counts() == before


def test_a_file_read_in_batches_writes_what_one_batch_writes(partners):
    report = attendances_import(rows=iter(partner_rows()), batch_size=3)

    assert (report.created, report.status_changes) == (4, 8)
    assert sorted(Attendance.objects.values_list("country__code", "status")) == [
        ("AU", "confirmed"),
        ("JP", "confirmed"),
        ("KR", "confirmed"),
        ("NZ", "confirmed"),
    ]


def test_a_file_that_breaks_off_after_a_batch_imports_nothing(partners, tmp_path):
    text = json.dumps(partner_rows())
    path = tmp_path / "attendances.json"
    path.write_text(text[: text.rindex("{")] + '{"summit": ')
    before = table_counts()

    with pytest.raises(CommandError, match="is not JSON: Expecting value"):
        call_command("import_attendances", str(path))

    assert table_counts() == before


def test_the_command_lists_100_errors_and_says_how_many_more(partners, tmp_path):
    path = tmp_path / "attendances.json"
    path.write_text(json.dumps([row(summit=f"nato-{year}") for year in range(1000, 1150)]))

    with pytest.raises(CommandError) as raised:
        call_command("import_attendances", str(path))

    lines = str(raised.value).splitlines()
    assert lines[0] == "Nothing was imported: 150 errors (rows count from 0):"
    assert lines[1] == "  0.summit: No summit has the slug 'nato-1000'."
    assert lines[100] == "  99.summit: No summit has the slug 'nato-1099'."
    assert lines[101:] == ["  ... and 50 more errors."]
    assert not Attendance.objects.exists()


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_the_command_shows_its_progress_on_a_terminal_only(partners, tmp_path):
    path = tmp_path / "attendances.json"
    path.write_text(json.dumps(partner_rows()))
    terminal, pipe = Terminal(), io.StringIO()

    call_command("import_attendances", str(path), stderr=terminal, stdout=io.StringIO())
    Attendance.objects.all().delete()
    call_command("import_attendances", str(path), stderr=pipe, stdout=io.StringIO())

    assert "Importing attendances.json: 100%" in terminal.getvalue()
    assert pipe.getvalue() == ""


@pytest.mark.parametrize(
    ("content", "says"),
    [
        ("[" * 100_000 + "]" * 100_000, "nests its JSON too deeply"),
        ("[" + "9" * 5000 + "]", "Exceeds the limit"),
    ],
    ids=["deep", "huge-integer"],
)
def test_json_past_pythons_limits_is_refused_in_a_sentence(db, tmp_path, content, says):
    path = tmp_path / "rows.json"
    path.write_text(content)
    before = table_counts()
    with pytest.raises(CommandError, match=says):
        call_command("import_attendances", str(path))
    assert table_counts() == before


def test_a_lone_surrogate_is_refused_in_a_sentence(world, tmp_path):
    path = tmp_path / "rows.json"
    path.write_text(
        json.dumps([{"summit": world.summit.slug, "country": "US", "note": "\ud800"}]),
        encoding="utf-8",
    )
    before = table_counts()
    with pytest.raises(CommandError, match="lone surrogate"):
        call_command("import_attendances", str(path))
    assert table_counts() == before


WIRE = "Invitations went out in April."


def cited(*citations: object) -> dict:
    """Japan's row, its invitation cited as `citations` say."""
    return row(
        status_changes=[{"status": "invited", "as_of": "2024-04", "citations": list(citations)}]
    )


def from_the_wire(**fields: object) -> dict:
    """A citation of the wire's "in April", unless `fields` say otherwise."""
    return {"source": "wire", "quote": "in April"} | fields


@pytest.fixture
def wire(partners):
    return Source.objects.create(key="wire", title="Wire", text=WIRE)


def test_a_cited_row_imports_with_its_citation(wire):
    attendances_import(rows=[cited(from_the_wire())])

    citation = Citation.objects.get()
    assert (citation.source, citation.quote, citation.start) == (wire, "in April", WIRE.index("in"))


@pytest.mark.parametrize(
    ("citation", "errors"),
    [
        (from_the_wire(source=["wire"]), {"source": ["A string."]}),
        (from_the_wire(source={"key": "wire"}), {"source": ["A string."]}),
        (from_the_wire(source=7), {"source": ["A string."]}),
        (from_the_wire(source=None), {"source": ["A string."]}),
        ({"quote": "in April"}, {"source": ["This field is required."]}),
        (from_the_wire(source="agency"), {"source": ["No source has the key 'agency'."]}),
        (from_the_wire(quote=5), {"quote": ["A string."]}),
        (from_the_wire(quote=["in April"]), {"quote": ["A string."]}),
        (from_the_wire(field=None), {"field": ["A string."]}),
        (from_the_wire(basis=["stated"]), {"basis": ["A string."]}),
        (
            from_the_wire(start="21", end="29"),
            {"start": ["An integer or null."], "end": ["An integer or null."]},
        ),
        (from_the_wire(start=True, end=29), {"start": ["An integer or null."]}),
        (from_the_wire(end=[29], start=21), {"end": ["An integer or null."]}),
        (
            from_the_wire(source="agency", page=3),
            {"page": ["Unknown field."], "source": ["No source has the key 'agency'."]},
        ),
    ],
)
def test_each_bad_citation_is_named_and_nothing_is_written(wire, citation, errors):
    rows = [row(country="AU", leader="anthony-albanese"), cited(citation)]
    before = table_counts()

    with pytest.raises(ValidationError) as raised:
        attendances_import(rows=rows)

    assert raised.value.message_dict == {
        f"1.status_changes.0.citations.0.{key}": value for key, value in errors.items()
    }
    assert table_counts() == before


@pytest.mark.parametrize(
    ("citations", "errors"),
    [
        (from_the_wire(), {"1.status_changes.0.citations": ["A list of citations."]}),
        ("wire", {"1.status_changes.0.citations": ["A list of citations."]}),
        (["wire"], {"1.status_changes.0.citations.0": ["Each citation is an object."]}),
    ],
)
def test_citations_that_are_not_a_list_of_objects_are_refused(wire, citations, errors):
    bad = row(status_changes=[{"status": "invited", "as_of": "2024-04", "citations": citations}])
    before = table_counts()

    with pytest.raises(ValidationError) as raised:
        attendances_import(rows=[row(country="AU", leader="anthony-albanese"), bad])

    assert raised.value.message_dict == errors
    assert table_counts() == before


def test_the_command_names_a_citation_whose_source_is_not_a_key(wire, tmp_path):
    path = tmp_path / "attendances.json"
    path.write_text(json.dumps([cited(from_the_wire(source=["wire"]))]))
    before = table_counts()

    with pytest.raises(CommandError) as raised:
        call_command("import_attendances", str(path))

    assert str(raised.value) == (
        "Nothing was imported: 1 error (rows count from 0):\n"
        "  0.status_changes.0.citations.0.source: A string."
    )
    assert table_counts() == before
