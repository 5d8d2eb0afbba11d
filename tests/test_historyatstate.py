"""Importing the Office of the Historian's visits and travels: the shared sample files, and small
hand-made files for each edge (malformed XML, an entity bomb, an unknown country, an ambiguous
leader, two summits in one record, a re-import, a conflict)."""

import datetime as dt
import io
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from summits.api.conditional import data_version
from summits.historyatstate import meetings
from summits.historyatstate.importer import historyatstate_import
from summits.historyatstate.records import RecordsRefused, read_records
from summits.models import (
    Attendance,
    Citation,
    Country,
    Leader,
    LeaderName,
    Organization,
    Source,
    StatusChange,
    Summit,
)
from tests.helpers import table_counts

# The shared sample files, copied with their provenance (data/historyatstate/README.md).
DATA = Path(__file__).resolve().parent / "data" / "historyatstate"
VISITS_2020 = DATA / "visits-2020.xml"
VISITS_2000 = DATA / "visits-2000.xml"
BIDEN = DATA / "president-travels-biden-joseph-r.xml"
TRUMP = DATA / "president-travels-trump-donald-j.xml"


def visits(*records: str) -> io.BytesIO:
    return io.BytesIO(f"<visits>{''.join(records)}</visits>".encode())


def visit(
    id: int,
    description: str,
    *,
    visitor: str = "Prime Minister Kishida Fumio",
    slug: str = "japan",
    label: str = "Japan",
    start: str = "2024-07-10",
    end: str = "2024-07-11",
) -> str:
    return (
        f"<visit><id>{id}</id><start-date>{start}</start-date><end-date>{end}</end-date>"
        f'<visitor>{visitor}</visitor><from id="{slug}">{label}</from>'
        f"<description>{description}</description></visit>"
    )


def trips(*records: str) -> io.BytesIO:
    return io.BytesIO(f"<trips>{''.join(records)}</trips>".encode())


def trip(id: int, remarks: str, *, slug: str, label: str, locale: str, start: str, end: str) -> str:
    return (
        f'<trip role="president" who="obama-barack"><id>{id}</id><role>president</role>'
        f"<name>Barack Obama</name><start-date>{start}</start-date><end-date>{end}</end-date>"
        f'<country id="{slug}">{label}</country><locale>{locale}</locale>'
        f"<remarks>{remarks}</remarks></trip>"
    )


def one_more_source(counts: dict[str, int]) -> dict[str, int]:
    """Table counts after an import that kept its record as a source, and wrote nothing else."""
    return counts | {
        "Source": counts["Source"] + 1,
        "HistoricalSource": counts["HistoricalSource"] + 1,
    }


# Reading the files ------------------------------------------------------------------------


def test_every_shared_file_reads_as_records_with_their_own_text():
    counts = {path.name: len(list(read_records(str(path)))) for path in DATA.glob("*.xml")}
    assert counts == {
        "visits-1999-nato.xml": 4,
        "visits-2020.xml": 276,
        "visits-2000.xml": 678,
        "president-travels-biden-joseph-r.xml": 37,
        "president-travels-trump-donald-j.xml": 34,
    }
    kishida = next(r for r in read_records(str(VISITS_2020)) if r.id == "3294")
    assert kishida.text == (
        "id: 3294\n"
        "start-date: 2024-07-10\n"
        "end-date: 2024-07-11\n"
        "visitor: Prime Minister Kishida Fumio\n"
        "from: Japan\n"
        "description: Attended NATO 75th Anniversary Summit in Washington, DC."
    )
    assert kishida.url == "https://history.state.gov/departmenthistory/visits/2024"


@pytest.mark.parametrize(
    ("xml", "line", "says"),
    [
        (b"<visits>\n<visit><id>1</id>\n</visits>", 3, "not well-formed"),
        (b"", None, "not well-formed"),
        (b"<?xml version='1.0'?>\n<people/>", 2, "neither <visits> nor <trips>"),
        (b"<visits>\n<trip/>\n</visits>", 2, "<visit> was expected"),
        (
            b"<visits><visit><id>1</id>\n<start-date>2024-01-01</start-date></visit></visits>",
            1,
            "has no <end-date>, <visitor>, <from>, <description>",
        ),
        (
            b"<visits><visit>\n<id>1</id><script>x</script></visit></visits>",
            2,
            "<script> is not a field of <visit>",
        ),
        (
            b"<visits><visit>\n<id>../1</id><start-date/><end-date/><visitor/><from/>"
            b"<description/></visit></visits>",
            2,
            "<id> is not a number",
        ),
        (
            b'<trips>\n<trip role="president" who="../../x"><id>1</id><role>president</role>'
            b"<name/><start-date/><end-date/><country/><locale/><remarks/></trip></trips>",
            2,
            "who '../../x' is not a dataset name",
        ),
    ],
)
def test_a_file_of_neither_shape_is_refused_naming_the_line(xml, line, says):
    with pytest.raises(RecordsRefused) as refused:
        list(read_records(io.BytesIO(xml)))
    assert refused.value.line == line
    assert says in str(refused.value)


def test_an_entity_bomb_is_refused_before_anything_is_expanded(db):
    bomb = (
        b'<?xml version="1.0"?>\n<!DOCTYPE visits [\n <!ENTITY a "aaaaaaaaaa">\n'
        + b"".join(
            f' <!ENTITY {chr(98 + n)} "{("&" + chr(97 + n) + ";") * 10}">\n'.encode()
            for n in range(9)
        )
        + b"]>\n<visits><visit><id>1</id><visitor>&j;</visitor></visit></visits>"
    )
    before = table_counts()
    with pytest.raises(RecordsRefused, match="document type declaration is refused"):
        historyatstate_import(io.BytesIO(bomb))
    assert table_counts() == before


def test_a_dtd_on_the_network_is_never_fetched():
    external = (
        b'<?xml version="1.0"?>\n<!DOCTYPE visits SYSTEM "http://127.0.0.1:9/visits.dtd">\n'
        b"<visits/>"
    )
    with pytest.raises(RecordsRefused, match="document type declaration"):
        list(read_records(io.BytesIO(external)))


def test_a_file_refused_half_way_writes_nothing(article_and_context):
    before, version = table_counts(), data_version()
    broken = visits(visit(1, "Attended NATO 75th Anniversary Summit.")).getvalue()[:-5]
    with pytest.raises(RecordsRefused):
        historyatstate_import(io.BytesIO(broken))
    assert table_counts() == before
    assert data_version() == version


# The shared files -------------------------------------------------------------------------


def test_visits_2020_give_nato_2024_its_attendances_and_japan_the_records_citation(
    article_and_context,
):
    japan = Attendance.objects.get(summit__slug="nato-2024-washington", country__code="JP")
    report = historyatstate_import(str(VISITS_2020))

    summit = Summit.objects.get(slug="nato-2024-washington")
    assert summit.attendances.count() >= 35
    assert summit.attendances.filter(country__code="JP").get().pk == japan.pk
    assert Summit.objects.filter(organization__slug="nato", start_date__year=2024).count() == 1
    source = Source.objects.get(key="hsg-visit-3294")
    assert source.url == "https://history.state.gov/departmenthistory/visits/2024"
    # The context's "attended" step gains the record's citation; no second step is added.
    step = japan.status_changes.get(status="attended")
    assert step.citations.get(source=source).quote == (
        "Attended NATO 75th Anniversary Summit in Washington, DC."
    )
    japan.refresh_from_db()
    assert japan.status == "attended"
    assert japan.leader.slug == "fumio-kishida"
    # The article's "Fumio Kishida" is the record's "Kishida Fumio": matched, the spelling kept.
    assert not Leader.objects.filter(country__code="JP", name="Kishida Fumio").exists()
    assert LeaderName.objects.filter(leader=japan.leader, name="Kishida Fumio").exists()
    # The article's April 10 summit is record 3248, an official visit.
    bilateral = Attendance.objects.get(summit__slug="japan-us-2024-04-10", country__code="JP")
    assert bilateral.status_changes.get(status="attended").citations.get().quote == (
        "Official Visit."
    )
    assert japan.pk in report.attendances_confirmed
    assert report.records == 276
    assert report.sources_created == 276


def test_bidens_travels_attend_the_contexts_summits_and_bring_g7_and_g20(article_and_context):
    historyatstate_import(str(BIDEN))

    united_states = Country.objects.get(code="US")
    for slug in ("nato-2022-spain", "nato-2023-lithuania"):
        attendance = Attendance.objects.get(summit__slug=slug, country=united_states)
        assert attendance.status == "attended"
        assert attendance.leader.slug == "joe-biden"  # the President in office then
    assert Summit.objects.filter(organization__slug="nato", start_date__year=2022).count() == 2
    hosts = dict(
        Summit.objects.filter(organization__slug__in=["g7", "g20"]).values_list(
            "slug", "host_country__code"
        )
    )
    assert hosts["g7-2021-london"] == "GB"
    assert hosts["g20-2021-rome"] == "IT"
    assert hosts["g7-2023-hiroshima"] == "JP"
    assert len(hosts) >= 6
    extraordinary = Summit.objects.get(organization__slug="nato", kind="extraordinary")
    assert (extraordinary.start_date, extraordinary.city) == (dt.date(2022, 3, 24), "Brussels")
    assert not Leader.objects.filter(name="Joseph R. Biden").exists()


@pytest.mark.parametrize("path", [VISITS_2020, VISITS_2000, BIDEN, TRUMP], ids=lambda p: p.name)
def test_importing_a_file_twice_changes_nothing_the_second_time(article_and_context, path):
    first = historyatstate_import(str(path))
    before, version = table_counts(), data_version()
    second = historyatstate_import(str(path))
    assert table_counts() == before
    assert data_version() == version
    assert second.sources_created == 0
    assert not second.summits_created
    assert not second.attendances_added
    assert second.records == first.records


def test_a_dry_run_reports_what_a_run_does_and_writes_nothing(article_and_context):
    before, version = table_counts(), data_version()
    dry = historyatstate_import(str(VISITS_2020), dry_run=True)
    assert table_counts() == before
    assert data_version() == version
    real = historyatstate_import(str(VISITS_2020))
    assert dry.counts() == real.counts()
    assert "Dry run: nothing was written." in dry.lines()


def test_every_citation_the_import_writes_quotes_its_record(article_and_context):
    historyatstate_import(str(VISITS_2000))
    citations = Citation.objects.filter(source__key__startswith="hsg-").select_related("source")
    assert citations.count() > 100
    for citation in citations:
        assert citation.source.text[citation.start : citation.end] == citation.quote
        citation.full_clean()


# Hand-made files for the edges -------------------------------------------------------------


def test_one_record_can_name_two_summits(article_and_context):
    report = historyatstate_import(
        visits(
            visit(
                7001,
                "Attended the NATO and U.S.-European Union Summit Meetings.",
                start="2024-07-09",
            )
        )
    )
    assert len(report.summits_matched) == 1  # NATO 2024
    created = Summit.objects.get(pk__in=report.summits_created)
    assert created.organization.slug == "us-eu"
    assert Attendance.objects.filter(country__code="JP", summit=created).exists()


def test_an_unknown_country_is_reported_never_guessed(article_and_context):
    before = table_counts()
    report = historyatstate_import(
        visits(visit(7002, "Attended the NATO Summit.", slug="atlantis", label="Atlantis"))
    )
    assert report.unmapped_countries == {"atlantis": 1}
    assert report.unplaced == ["line 1, visits record 7002: its country is not mapped to ISO 3166."]
    assert table_counts() == one_more_source(before)


def test_a_record_with_a_control_character_is_left_out_and_the_rest_imported(
    article_and_context,
):
    report = historyatstate_import(
        visits(
            visit(7010, "Attended the NATO Summit.", visitor="Prime Minister Kishida\u0090Fumio"),
            visit(7011, "Attended the NATO Summit."),
        )
    )
    assert report.unplaced == [
        "line 1, visits record 7010: its visitor: Control characters are not allowed: found U+0090."
    ]
    assert Source.objects.filter(key="hsg-visit-7011").exists()
    assert not Source.objects.filter(key="hsg-visit-7010").exists()


def test_an_ambiguous_leader_is_reported_and_the_attendance_has_none(article_and_context):
    japan = Country.objects.get(code="JP")
    for slug in ("taro-aso", "taro-aso-2"):
        Leader.objects.create(slug=slug, name="Taro Aso", country=japan, office="Prime Minister")
    report = historyatstate_import(
        visits(visit(7003, "Attended the G7 Summit.", visitor="Prime Minister Aso Taro"))
    )
    assert report.ambiguous == [
        "line 1, visits record 7003: 'Aso Taro' could be any of taro-aso, taro-aso-2; the "
        "attendance is recorded without a leader."
    ]
    (attendance,) = Attendance.objects.filter(pk__in=report.attendances_added)
    assert attendance.leader is None


def test_a_record_off_the_trackers_dates_is_a_conflict_and_changes_nothing(article_and_context):
    before = table_counts()
    report = historyatstate_import(
        visits(visit(7004, "Attended the NATO Summit.", start="2024-07-25", end="2024-07-26"))
    )
    assert report.conflicts == [
        "line 1, visits record 7004: says NATO Summit from 2024-07-25 to 2024-07-26; the "
        "tracker has nato-2024-washington on July 9–11, 2024. Nothing was changed."
    ]
    assert table_counts() == one_more_source(before)


def test_a_record_naming_another_leader_is_a_conflict(article_and_context):
    report = historyatstate_import(
        visits(visit(7005, "Attended the NATO Summit.", visitor="Prime Minister Ishiba Shigeru"))
    )
    assert report.conflicts[0].startswith(
        "line 1, visits record 7005: names Ishiba Shigeru for Japan at nato-2024-washington; "
        "the tracker has Fumio Kishida."
    )
    japan = Attendance.objects.get(summit__slug="nato-2024-washington", country__code="JP")
    assert japan.leader.slug == "fumio-kishida"


def test_an_invited_guest_is_a_guest(article_and_context):
    report = historyatstate_import(
        visits(
            visit(
                7006,
                "Invited Guest to APEC Leaders' Summit.",
                visitor="President Gabriel Boric Font",
                slug="chile",
                label="Chile",
                start="2023-11-15",
                end="2023-11-17",
            )
        )
    )
    (attendance,) = Attendance.objects.filter(pk__in=report.attendances_added)
    assert attendance.role == "guest"
    assert attendance.citations.get(field="role").quote == "Invited Guest to APEC Leaders' Summit."
    assert attendance.summit.organization.short_name == "APEC"


def test_an_extraordinary_summit_is_its_own(article_and_context):
    report = historyatstate_import(
        visits(visit(7007, "Attended the NATO Extraordinary Summit.", start="2024-07-10"))
    )
    (created,) = Summit.objects.filter(pk__in=report.summits_created)
    assert created.kind == "extraordinary"
    assert created.slug != "nato-2024-washington"


def test_one_summit_can_span_two_host_cities(db):
    report = historyatstate_import(
        trips(
            trip(
                1,
                "Attended NATO Summit Meeting.",
                slug="france",
                label="France",
                locale="Strasbourg",
                start="2009-04-03",
                end="2009-04-04",
            ),
            trip(
                2,
                "Attended NATO Summit Meeting.",
                slug="germany",
                label="Germany",
                locale="Kehl",
                start="2009-04-04",
                end="2009-04-04",
            ),
        )
    )
    (summit,) = Summit.objects.filter(pk__in=report.summits_created)
    assert (summit.city, summit.host_country.code) == ("Strasbourg and Kehl", "FR")
    assert (summit.start_date, summit.end_date) == (dt.date(2009, 4, 3), dt.date(2009, 4, 4))
    assert Attendance.objects.get(summit=summit).country.code == "US"
    assert Leader.objects.get().name == "Barack Obama"


def test_the_50th_anniversary_summit_of_1999_is_nato_at_50(article_and_context, anonymous_client):
    report = historyatstate_import(str(DATA / "visits-1999-nato.xml"))
    (summit,) = Summit.objects.filter(pk__in=report.summits_created)
    assert summit.organization == Organization.objects.get(slug="nato")
    assert summit.anniversary == 50
    answer = anonymous_client.get(f"/api/summits/{summit.slug}/").json()
    assert answer["anniversary"] == 50
    # Two visitors named: the first leads the attendance.
    poland = Attendance.objects.get(summit=summit, country__code="PL")
    assert poland.leader.name == "Alexander Kwasniewski"


def test_a_leaders_other_name_finds_them_in_searches(article_and_context, anonymous_client):
    historyatstate_import(visits(visit(7008, "Attended the NATO Summit.")))
    leaders = anonymous_client.get("/api/leaders/", {"search": "Kishida Fumio"}).json()
    assert [leader["slug"] for leader in leaders["results"]] == ["fumio-kishida"]
    attendances = anonymous_client.get("/api/attendances/", {"search": "Kishida Fumio"}).json()
    assert {row["country"] for row in attendances["results"]} == {"JP"}


# The command --------------------------------------------------------------------------------


def test_the_command_reports_counts_and_a_dry_run_writes_nothing(article_and_context, capsys):
    before = table_counts()
    call_command("import_historyatstate", str(VISITS_2020), "--dry-run")
    out = capsys.readouterr().out
    assert "records read: 276" in out
    assert "Dry run: nothing was written." in out
    assert table_counts() == before
    call_command("import_historyatstate", str(BIDEN))
    out = capsys.readouterr().out
    assert "records read: 37" in out
    assert StatusChange.objects.filter(citations__source__key__startswith="hsg-trip-").exists()


def test_the_command_refuses_a_bad_file_and_names_its_line(db, tmp_path, capsys):
    bad = tmp_path / "bad.xml"
    bad.write_text("<visits>\n<visit>\n</visits>")
    with pytest.raises(CommandError, match="Some files were not imported"):
        call_command("import_historyatstate", str(bad))
    assert "refused, nothing was imported: line 3" in capsys.readouterr().err


def test_a_leaders_record_counts_the_imported_ordinary_summits_only(
    article_and_context, anonymous_client
):
    historyatstate_import(str(BIDEN))

    [nato] = anonymous_client.get("/api/leaders/joe-biden/record/?organization=nato").json()
    # Brussels 2021 and the context's Madrid and Vilnius; Brussels in March 2022 was
    # extraordinary, and the run counts ordinary summits only.
    assert nato["current_run"] == {"years": 3, "first_year": 2021, "last_year": 2023}
    assert [row["dates"] for row in nato["attended"]] == [
        "June 13–15, 2021",
        "June 28–30, 2022",
        "July 11–12, 2023",
    ]
    brussels = anonymous_client.get(
        "/api/attendances/", {"summit": "nato-2021-brussels", "country": "US"}
    ).json()["results"]
    assert brussels[0]["first_for_country"] == "first recorded"


def test_a_one_day_record_may_leave_its_end_date_empty(db):
    report = historyatstate_import(
        trips(
            trip(
                3,
                "Attended the G7 Summit.",
                slug="italy",
                label="Italy",
                locale="Taormina",
                start="2017-05-26",
                end="",
            )
        )
    )
    (summit,) = Summit.objects.filter(pk__in=report.summits_created)
    assert (summit.start_date, summit.end_date) == (dt.date(2017, 5, 26), dt.date(2017, 5, 26))
    assert summit.citations.get(field="end_date").quote == "2017-05-26"


@pytest.mark.parametrize(
    ("text", "named"),
    [
        ("Attended NATO 75th Anniversary Summit in Washington, DC.", [("NATO Summit", False)]),
        ("Attended the NATO Extraordinary Summit.", [("NATO Summit", True)]),
        ("Attended G-8 Economic Summit at Sea Island, Georgia.", [("G8 Summit", False)]),
        ("Attended the G–7 meetings.", [("G7 Summit", False)]),
        ("Attended the APEC Economic Leaders Meeting.", [("APEC Leaders' Summit", False)]),
        ("Led U.S. delegation to attend the NATO Leaders Meeting.", [("NATO Summit", False)]),
        (
            "Participated in the U.S.-ASEAN and East Asia Summits.",
            [("U.S.-ASEAN Summit", False), ("East Asia Summit", False)],
        ),
        ("Working visit. Attended NATO Accession ceremony.", []),
        ("Attended a summit meeting with Russian President Vladimir Putin.", []),
        ("Attended United States-Africa Business Summit.", []),
    ],
)
def test_the_summits_a_text_names(text, named):
    found = meetings.mentions(text)
    assert [(m.series.name_for(m.said), m.extraordinary) for m in found] == named


def test_a_misspelt_official_visit_is_still_a_visit(article_and_context):
    report = historyatstate_import(
        visits(visit(7012, "Offical Visit.", start="2023-01-13", end="2023-01-13"))
    )
    assert (report.visits_without_summit, report.about_no_summit) == (1, 0)


def test_a_reimport_says_it_found_nothing_new(article_and_context):
    file = visits(visit(7013, "Attended the NATO Summit."), visit(7014, "Official Visit."))
    first = historyatstate_import(file)
    file.seek(0)
    second = historyatstate_import(file)
    assert first.changed
    assert not second.changed
    assert "Nothing new: the tracker already held everything these records say." in second.lines()
    counts = second.counts()
    assert counts["records read"] == (
        counts["records about a summit"]
        + counts["records about no summit"]
        + counts["visits without a summit"]
        + counts["records not placed"]
    )


# What an attack on the importer found ------------------------------------------------------


@pytest.mark.parametrize(
    ("start", "end"),
    [("0001-01-01", "0001-01-01"), ("9999-12-30", "9999-12-31"), ("20240711", "20240711")],
)
def test_a_date_outside_the_records_span_is_left_out(db, start, end):
    report = historyatstate_import(
        visits(
            visit(7020, "Attended the NATO Summit.", start=start, end=end),
            visit(7021, "Attended the NATO Summit.", start=start, end=end),
        )
    )
    assert len(report.unplaced) == 2
    assert not Summit.objects.exists()


def test_a_summit_an_editor_dated_in_year_one_does_not_stop_later_imports(article_and_context):
    Summit.objects.create(
        slug="nato-1",
        name="NATO Summit 1",
        organization=Organization.objects.get(slug="nato"),
        start_date=dt.date(1, 1, 1),
    )
    report = historyatstate_import(
        visits(visit(7022, "Attended NATO Summit in Warsaw.", start="2016-07-08", end="2016-07-09"))
    )
    assert len(report.summits_created) == 1


def test_names_slugify_drops_get_distinct_slugs_with_one_query_each(db):
    report = historyatstate_import(
        visits(
            *(
                visit(7030 + n, "Attended the G20 Summit.", visitor=f"President Жуков {word}")
                for n, word in enumerate(["Иван", "Пётр", "Олег"])
            )
        )
    )
    slugs = sorted(Leader.objects.values_list("slug", flat=True))
    assert len(report.leaders_created) == len(set(slugs)) == 3
    assert all(slug.startswith("leader-") for slug in slugs)


def test_a_summit_named_five_thousand_times_is_cited_once(article_and_context):
    report = historyatstate_import(visits(visit(7040, "Attended NATO Summit. " * 5000)))
    step = Attendance.objects.get(summit__slug="nato-2024-washington", country__code="JP")
    assert (
        step.status_changes.get(status="attended")
        .citations.filter(source__key="hsg-visit-7040")
        .count()
        == 1
    )
    assert report.citations_added <= 3


@pytest.mark.parametrize(
    "description",
    ["NATO Summit" + "<em/>" * 200, "<em><em>nested</em></em>"],
    ids=["many", "nested"],
)
def test_a_record_that_would_hold_a_huge_tree_is_refused(db, description):
    with pytest.raises(RecordsRefused, match=r"elements is not a record|is not allowed here"):
        historyatstate_import(visits(visit(7050, description)))


@pytest.mark.parametrize(
    "visitor",
    ["Prime Minister Fumio Kishida War Criminal", "Prime Minister Fumio Nobody"],
)
def test_a_crafted_name_does_not_become_another_leaders_name(article_and_context, visitor):
    historyatstate_import(visits(visit(7060, "Attended the NATO Summit.", visitor=visitor)))
    kishida = Leader.objects.get(slug="fumio-kishida")
    assert not kishida.other_names.filter(language="").exists()


def test_a_name_with_an_invisible_character_is_left_out(article_and_context):
    report = historyatstate_import(
        visits(
            visit(7061, "Attended the NATO Summit.", visitor="Prime Minister Fumio Kishida\u202e")
        )
    )
    assert report.unplaced == [
        "line 1, visits record 7061: its visitor holds the invisible character U+202E."
    ]


def test_an_empty_field_is_not_quoted(article_and_context):
    report = historyatstate_import(
        visits(
            visit(7070, "Attended the G7 Summit.", label="", start="2023-05-19", end="2023-05-21")
        )
    )
    (attendance,) = Attendance.objects.filter(pk__in=report.attendances_added)
    assert attendance.country.code == "JP"
    assert not attendance.citations.filter(field="country").exists()


def test_a_record_whose_text_another_source_holds_is_left_out(article_and_context):
    file = visits(visit(7080, "Attended the NATO Summit."))
    historyatstate_import(file)
    Source.objects.filter(key="hsg-visit-7080").update(key="renamed")
    file.seek(0)
    report = historyatstate_import(file)
    assert report.unplaced == [
        "line 1, visits record 7080: source renamed holds this record's text already; the "
        "record is left out."
    ]


def test_records_a_week_apart_do_not_grow_one_summit_for_ever(db):
    report = historyatstate_import(
        visits(
            *(
                visit(
                    7090 + n,
                    "Attended the Quad Leaders' Summit.",
                    start=(dt.date(2021, 1, 1) + dt.timedelta(days=7 * n)).isoformat(),
                    end=(dt.date(2021, 1, 1) + dt.timedelta(days=7 * n)).isoformat(),
                )
                for n in range(10)
            )
        )
    )
    for summit in Summit.objects.filter(pk__in=report.summits_created):
        assert summit.end_date - summit.start_date <= dt.timedelta(days=21)
    assert len(report.summits_created) > 1
