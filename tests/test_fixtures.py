"""The article and context fixtures: their facts, their evidence, and how loading them behaves."""

import copy
import datetime as dt
import hashlib
import io
import json
import textwrap
from pathlib import Path

import django
import pytest
from django.conf import settings
from django.core import serializers
from django.core.management import call_command, get_commands
from django.core.management.base import CommandError
from django.core.serializers import python
from django.core.serializers.base import DeserializationError
from django.db import IntegrityError

from summits.models import Attendance, Citation, Leader, Organization, Source, StatusChange, Summit

FIXTURES_DIR = Path(settings.BASE_DIR) / "fixtures"
SEED_NAME = "000_ca46305f64ddf42a.txt"
SEED_PATH = Path(settings.SEEDS_DIR) / SEED_NAME
ARTICLE_SOURCE = "sakamoto-2024-kishida-nato"
CONTEXT_SOURCE = "nato-official-website"
# What a failed `load_fixtures` may raise; the tests judge it by its message, as a user does.
LOAD_ERRORS = (CommandError, DeserializationError, IntegrityError)

# DESIGN §4's table: what the article says, as the database must hold it.
ARTICLE_SUMMITS = {
    "japan-us-2024-04-10": {
        "name": "Japan-U.S. summit",
        "organization": None,
        "kind": "bilateral",
        "status": "scheduled",
        "host_country": None,
        "city": "",
        "start_date": dt.date(2024, 4, 10),
        "end_date": dt.date(2024, 4, 10),
        "date_precision": "day",
        "dates": "April 10, 2024",
    },
    "nato-2024-washington": {
        "name": "NATO Summit 2024, Washington",
        "organization": "nato",
        "kind": "ordinary",
        "status": "scheduled",
        "host_country": "US",
        "city": "Washington, DC",
        "start_date": dt.date(2024, 7, 9),
        "end_date": dt.date(2024, 7, 11),
        "date_precision": "day",
        "dates": "July 9\u201311, 2024",
    },
    "nato-2022-spain": {
        "name": "NATO Summit 2022, Spain",
        "organization": "nato",
        "kind": "ordinary",
        "status": "held",
        "host_country": "ES",
        "city": "",
        "start_date": dt.date(2022, 6, 1),
        "end_date": None,
        "date_precision": "month",
        "dates": "June 2022",
    },
    "nato-2023-lithuania": {
        "name": "NATO Summit 2023, Lithuania",
        "organization": "nato",
        "kind": "ordinary",
        "status": "held",
        "host_country": "LT",
        "city": "",
        "start_date": dt.date(2023, 1, 1),
        "end_date": None,
        "date_precision": "year",
        "dates": "2023",
    },
}
# (summit, country): (leader, status, role)
ARTICLE_ATTENDANCES = {
    ("japan-us-2024-04-10", "JP"): ("fumio-kishida", "confirmed", None),
    ("japan-us-2024-04-10", "US"): ("joe-biden", "confirmed", None),
    ("nato-2024-washington", "JP"): ("fumio-kishida", "proposed", None),
    ("nato-2022-spain", "JP"): ("fumio-kishida", "attended", None),
    ("nato-2023-lithuania", "JP"): ("fumio-kishida", "attended", None),
    ("nato-2023-lithuania", "KR"): (None, "attended", None),
    ("nato-2023-lithuania", "AU"): (None, "attended", None),
    ("nato-2023-lithuania", "NZ"): (None, "attended", None),
}
# (summit, country): [(status, as of, as shown)]
ARTICLE_TIMELINES = {
    ("japan-us-2024-04-10", "JP"): [("confirmed", dt.date(2024, 3, 1), "March 2024")],
    ("japan-us-2024-04-10", "US"): [("confirmed", dt.date(2024, 3, 1), "March 2024")],
    ("nato-2024-washington", "JP"): [("proposed", dt.date(2024, 3, 1), "March 2024")],
    ("nato-2022-spain", "JP"): [("attended", dt.date(2022, 6, 1), "June 2022")],
    ("nato-2023-lithuania", "JP"): [("attended", dt.date(2023, 1, 1), "2023")],
    ("nato-2023-lithuania", "KR"): [("attended", dt.date(2023, 1, 1), "2023")],
    ("nato-2023-lithuania", "AU"): [("attended", dt.date(2023, 1, 1), "2023")],
    ("nato-2023-lithuania", "NZ"): [("attended", dt.date(2023, 1, 1), "2023")],
}


def summits_dump(*, natural_primary: bool = True) -> str:
    """Every summits table as `dumpdata` shows it."""
    out = io.StringIO()
    call_command(
        "dumpdata",
        "summits",
        natural_foreign=True,
        natural_primary=natural_primary,
        indent=1,
        stdout=out,
    )
    return out.getvalue()


def seed_text() -> str:
    # Decoded from the bytes so that no newline is translated: offsets count code points.
    return SEED_PATH.read_bytes().decode("utf-8")


def summit_facts(summit: Summit) -> dict[str, object]:
    return {
        "name": summit.name,
        "organization": summit.organization.slug if summit.organization else None,
        "kind": summit.kind,
        "status": summit.status,
        "host_country": summit.host_country.code if summit.host_country else None,
        "city": summit.city,
        "start_date": summit.start_date,
        "end_date": summit.end_date,
        "date_precision": summit.date_precision,
        "dates": summit.dates,
    }


def attendance_facts() -> dict[tuple[str, str], tuple[str | None, str | None, str | None]]:
    return {
        (attendance.summit.slug, attendance.country.code): (
            attendance.leader.slug if attendance.leader else None,
            attendance.status,
            attendance.role,
        )
        for attendance in Attendance.objects.select_related("summit", "country", "leader")
    }


def timelines() -> dict[tuple[str, str], list[tuple[str, dt.date, str]]]:
    result: dict[tuple[str, str], list[tuple[str, dt.date, str]]] = {}
    changes = StatusChange.objects.select_related("attendance__summit", "attendance__country")
    for change in changes.order_by("as_of", "id"):
        key = (change.attendance.summit.slug, change.attendance.country.code)
        result.setdefault(key, []).append((change.status, change.as_of, change.as_of_display))
    return result


def article_entries() -> list[dict]:
    return json.loads((FIXTURES_DIR / "article.json").read_text(encoding="utf-8"))


def find_entry(entries: list[dict], model: str, **fields: object) -> dict:
    return next(
        entry
        for entry in entries
        if entry["model"] == model
        and all(entry["fields"][name] == value for name, value in fields.items())
    )


def error_chain(error: BaseException) -> str:
    """An exception and its causes, as the traceback of `manage.py load_fixtures` shows them."""
    parts = []
    current: BaseException | None = error
    while current is not None:
        parts.append(f"{type(current).__name__}: {current}")
        current = current.__cause__ or current.__context__
    return "\n".join(parts)


# What the article fixture holds.


def test_the_article_fixture_holds_each_summit_with_its_dates_host_and_city(article):
    assert {summit.slug: summit_facts(summit) for summit in Summit.objects.all()} == ARTICLE_SUMMITS


def test_the_article_fixture_holds_each_attendance_with_its_leader_status_and_role(article):
    assert attendance_facts() == ARTICLE_ATTENDANCES


def test_the_article_fixture_holds_each_status_timeline(article):
    assert timelines() == ARTICLE_TIMELINES


def test_the_article_fixture_holds_its_leaders_organization_and_notes(article):
    leaders = {
        leader.slug: (leader.name, leader.country.code, leader.office, leader.term_start)
        for leader in Leader.objects.select_related("country")
    }
    assert leaders == {
        "fumio-kishida": ("Fumio Kishida", "JP", "Prime Minister", None),
        "joe-biden": ("Joe Biden", "US", "President", None),
    }
    nato = Organization.objects.get(slug="nato")
    assert (nato.name, nato.short_name, nato.founded_on, nato.records_complete_from) == (
        "North Atlantic Treaty Organization",
        "NATO",
        None,
        None,
    )
    notes = {
        (attendance.summit.slug, attendance.country.code): attendance.note
        for attendance in Attendance.objects.exclude(note="").select_related("summit", "country")
    }
    assert notes.keys() == {("nato-2022-spain", "JP"), ("nato-2024-washington", "JP")}
    assert (
        notes[("nato-2022-spain", "JP")] == "First Japanese Prime Minister to attend a NATO summit."
    )
    assert "final decision" in notes[("nato-2024-washington", "JP")]


def test_the_article_is_a_source_with_its_author_and_seed_file(article):
    source = Source.objects.get(key=ARTICLE_SOURCE)
    assert source.title == "Talks underway to invite Kishida to NATO's Washington summit"
    assert (source.author, source.publisher, source.language) == ("Kazuyuki Sakamoto", "", "en")
    assert (source.seed_file, source.url) == (SEED_NAME, "")
    assert "no headline" in source.note
    assert "Japanese" in source.note


def test_every_article_fact_is_cited_from_the_article(article):
    cited = {
        (citation.target_kind, citation.target.natural_key(), citation.field)
        for citation in Citation.objects.filter(source__key=ARTICLE_SOURCE)
    }
    missing = []
    for summit in Summit.objects.all():
        for field in ("organization", "kind", "status", "host_country", "city", "start_date"):
            if getattr(summit, field) not in (None, ""):
                missing.append(("summit", summit.natural_key(), field))
        if summit.end_date:
            missing.append(("summit", summit.natural_key(), "end_date"))
    for attendance in Attendance.objects.all():
        for field in ("country", "leader", "role", "note"):
            if getattr(attendance, field) not in (None, ""):
                missing.append(("attendance", attendance.natural_key(), field))
    for change in StatusChange.objects.all():
        missing.append(("status_change", change.natural_key(), "status"))
    assert [fact for fact in missing if fact not in cited] == []


def test_the_years_the_article_only_implies_are_cited_as_implied(article):
    implied = {
        (citation.target_kind, citation.target.natural_key(), citation.field, citation.quote)
        for citation in Citation.objects.filter(basis=Citation.Basis.IMPLIED)
    }
    anniversary = "This year marks NATO's 75th anniversary"
    for slug in ("japan-us-2024-04-10", "nato-2024-washington"):
        assert ("summit", (slug,), "start_date", anniversary) in implied
    third_year = "his third consecutive year of attendance"
    assert ("attendance", ("nato-2023-lithuania", "JP"), "leader", third_year) in implied


# The evidence.


def test_every_citation_quote_occurs_verbatim_at_its_offsets_in_its_seed_file(
    article_and_context,
):
    seeds = Path(settings.SEEDS_DIR)
    citations = Citation.objects.select_related("source")
    assert citations.filter(source__key=ARTICLE_SOURCE).count() > 0
    for citation in citations:
        if citation.source.seed_file:
            text = (seeds / citation.source.seed_file).read_bytes().decode("utf-8")
            assert citation.quote
            assert text[citation.start : citation.end] == citation.quote, citation
        else:
            assert (citation.start, citation.end) == (None, None), citation


def test_offsets_count_code_points_not_bytes_after_the_curly_apostrophe():
    text = seed_text()
    assert text[1981] == "\u2019"
    assert len(SEED_PATH.read_bytes()) == len(text) + 2


def test_each_seed_source_carries_the_sha256_of_its_file(article_and_context):
    sources = Source.objects.exclude(seed_file="")
    assert list(sources.values_list("key", flat=True)) == [ARTICLE_SOURCE]
    for source in sources:
        data = (Path(settings.SEEDS_DIR) / source.seed_file).read_bytes()
        assert source.sha256 == hashlib.sha256(data).hexdigest()


def test_context_citations_are_external_without_quote_or_offsets(article_and_context):
    citations = Citation.objects.filter(source__key=CONTEXT_SOURCE)
    assert citations.exists()
    assert {(c.basis, c.quote, c.start, c.end) for c in citations} == {("external", "", None, None)}
    assert not Citation.objects.filter(source__key=ARTICLE_SOURCE, basis="external").exists()


# The context fixture.


def test_loading_the_context_after_the_article_gives_the_later_state(article_and_context):
    assert Organization.objects.get(slug="nato").founded_on == dt.date(1949, 4, 4)

    summits = {summit.slug: summit_facts(summit) for summit in Summit.objects.all()}
    assert summits["nato-2022-spain"] == {
        **ARTICLE_SUMMITS["nato-2022-spain"],
        "city": "Madrid",
        "start_date": dt.date(2022, 6, 28),
        "end_date": dt.date(2022, 6, 30),
        "date_precision": "day",
        "dates": "June 28\u201330, 2022",
    }
    assert summits["nato-2023-lithuania"] == {
        **ARTICLE_SUMMITS["nato-2023-lithuania"],
        "city": "Vilnius",
        "start_date": dt.date(2023, 7, 11),
        "end_date": dt.date(2023, 7, 12),
        "date_precision": "day",
        "dates": "July 11\u201312, 2023",
    }
    assert summits["japan-us-2024-04-10"] == {
        **ARTICLE_SUMMITS["japan-us-2024-04-10"],
        "status": "held",
        "host_country": "US",
        "city": "Washington",
    }
    assert summits["nato-2024-washington"] == {
        **ARTICLE_SUMMITS["nato-2024-washington"],
        "status": "held",
    }

    assert attendance_facts() == {
        **ARTICLE_ATTENDANCES,
        ("nato-2024-washington", "JP"): ("fumio-kishida", "attended", None),
        ("nato-2023-lithuania", "KR"): ("yoon-suk-yeol", "attended", None),
        ("nato-2023-lithuania", "AU"): ("anthony-albanese", "attended", None),
        ("nato-2023-lithuania", "NZ"): ("chris-hipkins", "attended", None),
    }
    assert timelines()[("nato-2024-washington", "JP")] == [
        ("proposed", dt.date(2024, 3, 1), "March 2024"),
        ("attended", dt.date(2024, 7, 11), "July 11, 2024"),
    ]


def test_the_context_keeps_every_field_it_does_not_change(article_and_context):
    kishida = Leader.objects.get(slug="fumio-kishida")
    assert (kishida.name, kishida.country.code, kishida.office) == (
        "Fumio Kishida",
        "JP",
        "Prime Minister",
    )
    assert (kishida.term_start, kishida.term_end) == (dt.date(2021, 10, 4), dt.date(2024, 10, 1))
    biden = Leader.objects.get(slug="joe-biden")
    assert (biden.office, biden.term_start, biden.term_end) == (
        "President",
        dt.date(2021, 1, 20),
        dt.date(2025, 1, 20),
    )
    nato = Organization.objects.get(slug="nato")
    assert (nato.name, nato.short_name) == ("North Atlantic Treaty Organization", "NATO")
    assert (
        "final decision" in Attendance.objects.get_by_natural_key("nato-2024-washington", "JP").note
    )
    offices = dict(Leader.objects.values_list("slug", "office"))
    assert offices["yoon-suk-yeol"] == "President"
    assert offices["anthony-albanese"] == offices["chris-hipkins"] == "Prime Minister"


# Loading.


def test_loading_the_article_twice_changes_nothing(article):
    before = summits_dump()
    call_command("load_fixtures", "article", verbosity=0)
    assert summits_dump() == before


def test_loading_both_fixtures_twice_changes_nothing(article_and_context):
    before = summits_dump()
    call_command("load_fixtures", "article", "context", verbosity=0)
    assert summits_dump() == before


def test_a_stale_attendance_status_is_replaced_by_its_latest_change(db, tmp_path):
    entries = article_entries()
    find_entry(entries, "summits.attendance", summit=["nato-2024-washington"], country=["JP"])[
        "fields"
    ]["status"] = "declined"
    find_entry(entries, "summits.attendance", summit=["nato-2022-spain"], country=["JP"])["fields"][
        "status"
    ] = None
    stale = tmp_path / "stale.json"
    stale.write_text(json.dumps(entries), encoding="utf-8")

    call_command("load_fixtures", str(stale), verbosity=0)

    assert attendance_facts() == ARTICLE_ATTENDANCES


def test_loading_a_status_change_alone_refreshes_its_attendance(world, tmp_path):
    change = StatusChange.objects.create(
        attendance=world.attendance, status="attended", as_of=dt.date(2024, 7, 10)
    )
    fixture = tmp_path / "change.json"
    fixture.write_text(
        serializers.serialize(
            "json", [change], use_natural_foreign_keys=True, use_natural_primary_keys=True
        )
    )
    change.delete()

    call_command("load_fixtures", str(fixture), verbosity=0)

    world.attendance.refresh_from_db()
    assert world.attendance.status == "attended"


def _bad_attendance_leader(entries: list[dict]) -> None:
    entry = find_entry(
        entries, "summits.attendance", summit=["nato-2024-washington"], country=["JP"]
    )
    entry["fields"]["leader"] = ["no-such-leader"]


def _bad_attendance_summit(entries: list[dict]) -> None:
    entry = find_entry(
        entries, "summits.attendance", summit=["nato-2024-washington"], country=["JP"]
    )
    entry["fields"]["summit"] = ["no-such-summit"]


def _bad_end_before_start(entries: list[dict]) -> None:
    find_entry(entries, "summits.summit", slug="nato-2024-washington")["fields"]["end_date"] = (
        "2024-07-01"
    )


def _bad_country_code(entries: list[dict]) -> None:
    entries.append({"model": "summits.country", "fields": {"code": "jp", "name": "Japan"}})


def _bad_leader_country(entries: list[dict]) -> None:
    entry = find_entry(
        entries, "summits.attendance", summit=["nato-2024-washington"], country=["JP"]
    )
    entry["fields"]["leader"] = ["joe-biden"]


def _bad_no_citation_target(entries: list[dict]) -> None:
    citation = copy.deepcopy(find_entry(entries, "summits.citation", field="city"))
    citation["fields"]["summit"] = None
    entries.append(citation)


def _bad_two_citation_targets(entries: list[dict]) -> None:
    citation = copy.deepcopy(find_entry(entries, "summits.citation", field="city"))
    citation["fields"]["attendance"] = ["nato-2024-washington", "JP"]
    citation["fields"]["field"] = "country"
    entries.append(citation)


@pytest.mark.parametrize(
    ("mutate", "named"),
    [
        pytest.param(
            _bad_attendance_leader,
            ["Leader", "no-such-leader"],
            id="unknown-natural-key",
        ),
        pytest.param(
            _bad_attendance_summit,
            ["bad.json", "no-such-summit"],
            id="unknown-required-natural-key",
        ),
        pytest.param(
            _bad_end_before_start,
            ["bad.json", "summits_summit_end_on_or_after_start"],
            id="end-before-start",
        ),
        pytest.param(
            _bad_country_code,
            ["bad.json", "summits_country_code_iso"],
            id="lowercase-country-code",
        ),
        pytest.param(
            _bad_leader_country,
            [
                "leader must belong to the attendance's country",
                "nato-2024-washington/JP",
                "joe-biden",
            ],
            id="leader-of-another-country",
        ),
        pytest.param(
            _bad_two_citation_targets,
            ["bad.json", "summits_citation_exactly_one_target"],
            id="two-citation-targets",
        ),
        pytest.param(
            _bad_no_citation_target,
            ["bad.json", "summits_citation_exactly_one_target"],
            id="no-citation-target",
        ),
    ],
)
def test_a_malformed_fixture_fails_clearly_and_changes_nothing(article, tmp_path, mutate, named):
    entries = article_entries()
    # A valid change early in the file, so that a partial load would show in the dump.
    find_entry(entries, "summits.summit", slug="nato-2024-washington")["fields"]["city"] = "Osaka"
    mutate(entries)
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(entries, indent=2), encoding="utf-8")
    before = summits_dump(natural_primary=False)

    with pytest.raises(LOAD_ERRORS) as raised:
        call_command("load_fixtures", str(bad), verbosity=0)

    assert summits_dump(natural_primary=False) == before
    shown = error_chain(raised.value)
    assert [name for name in named if name not in shown] == [], shown


def test_a_truncated_fixture_fails_clearly_and_changes_nothing(article, tmp_path):
    text = (FIXTURES_DIR / "article.json").read_text(encoding="utf-8")
    bad = tmp_path / "bad.json"
    bad.write_text(text[: len(text) // 2], encoding="utf-8")
    before = summits_dump(natural_primary=False)

    with pytest.raises(LOAD_ERRORS) as raised:
        call_command("load_fixtures", str(bad), verbosity=0)

    assert summits_dump(natural_primary=False) == before
    shown = error_chain(raised.value)
    assert "bad.json" in shown
    assert "JSONDecodeError" in shown


# Building the fixtures from their facts files.


def test_the_committed_fixtures_equal_a_fresh_build():
    out = io.StringIO()
    call_command("build_fixtures", "--check", stdout=out)
    assert "up to date" in out.getvalue()


def write_facts(fixtures_dir: Path, body: str, *, name: str = "facts") -> Path:
    facts_dir = fixtures_dir / "facts"
    facts_dir.mkdir(exist_ok=True)
    path = facts_dir / f"{name}.toml"
    path.write_text(textwrap.dedent(body), encoding="utf-8")
    return path


FACTS_HEADER = f"""
    [citation_defaults]
    source = "seed"

    [[countries]]
    code = "JP"
    name = "Japan"

    [[countries]]
    code = "US"
    name = "United States"

    [[leaders]]
    slug = "fumio-kishida"
    name = "Fumio Kishida"
    country = "JP"
    office = "Prime Minister"

    [[sources]]
    key = "seed"
    title = "The seed"
    seed_file = "{SEED_NAME}"
"""


def build(fixtures_dir: Path, *options: str) -> list[dict]:
    call_command("build_fixtures", f"--fixtures-dir={fixtures_dir}", *options, stdout=io.StringIO())
    return json.loads((fixtures_dir / "facts.json").read_text(encoding="utf-8"))


def test_check_reports_a_stale_fixture_and_writes_nothing(tmp_path):
    write_facts(tmp_path, FACTS_HEADER)
    build(tmp_path)
    fixture = tmp_path / "facts.json"
    stale = fixture.read_bytes().replace(b'"Japan"', b'"Nippon"')
    fixture.write_bytes(stale)

    with pytest.raises(CommandError, match=r"Out of date.*facts\.json.*build_fixtures"):
        call_command("build_fixtures", "--check", f"--fixtures-dir={tmp_path}")

    assert fixture.read_bytes() == stale


def test_building_twice_writes_the_same_bytes(tmp_path):
    write_facts(tmp_path, FACTS_HEADER)
    build(tmp_path)
    first = (tmp_path / "facts.json").read_bytes()
    build(tmp_path)
    assert (tmp_path / "facts.json").read_bytes() == first
    assert first.endswith(b"}\n]\n")
    assert b'"pk"' not in first


def test_citation_offsets_are_found_in_code_points(tmp_path):
    quote = "Closer Cooperation"
    write_facts(
        tmp_path,
        FACTS_HEADER
        + f"""
    [[summits]]
    slug = "s"
    name = "S"
    kind = "ordinary"
    status = "held"
    start = "2024"
    citations = [{{ field = "name", quote = "{quote}" }}]
    """,
    )
    citation = find_entry(build(tmp_path), "summits.citation")["fields"]
    text = seed_text()
    assert text[citation["start"] : citation["end"]] == quote
    assert citation["start"] == SEED_PATH.read_bytes().index(quote.encode()) - 2


def test_a_quote_missing_from_the_seed_stops_the_build(tmp_path):
    write_facts(
        tmp_path,
        FACTS_HEADER
        + """
    [[summits]]
    slug = "s"
    name = "S"
    kind = "ordinary"
    status = "held"
    start = "2024"
    citations = [{ field = "city", quote = "Tokyo Bay" }]
    """,
    )
    with pytest.raises(
        CommandError, match=r"summits\[0\] \(s\)\.citations\[0\].*'Tokyo Bay' does not occur"
    ):
        build(tmp_path)
    assert not (tmp_path / "facts.json").exists()


def test_an_ambiguous_quote_stops_the_build_until_an_occurrence_is_given(tmp_path):
    summit = """
    [[summits]]
    slug = "s"
    name = "S"
    kind = "ordinary"
    status = "held"
    start = "2024"
    citations = [{{ field = "kind", quote = "NATO summit"{occurrence} }}]
    """
    write_facts(tmp_path, FACTS_HEADER + summit.format(occurrence=""))
    with pytest.raises(CommandError, match=r"'NATO summit' occurs 3 times.*occurrence = N"):
        build(tmp_path)

    write_facts(tmp_path, FACTS_HEADER + summit.format(occurrence=", occurrence = 2"))
    citation = find_entry(build(tmp_path), "summits.citation")["fields"]
    text = seed_text()
    assert citation["start"] == text.rindex("NATO summit")
    assert citation["end"] == citation["start"] + len("NATO summit")


def test_partial_dates_become_the_first_of_their_period_with_a_precision(tmp_path):
    write_facts(
        tmp_path,
        FACTS_HEADER
        + """
    [[summits]]
    slug = "by-month"
    name = "By month"
    kind = "ordinary"
    status = "held"
    start = "2022-06"

    [[summits]]
    slug = "by-day"
    name = "By day"
    kind = "ordinary"
    status = "held"
    start = "2024-07-09"
    end = "2024-07-11"
    """,
    )
    entries = build(tmp_path)
    by_month = find_entry(entries, "summits.summit", slug="by-month")["fields"]
    by_day = find_entry(entries, "summits.summit", slug="by-day")["fields"]
    assert (by_month["start_date"], by_month["end_date"], by_month["date_precision"]) == (
        "2022-06-01",
        None,
        "month",
    )
    assert (by_day["start_date"], by_day["end_date"], by_day["date_precision"]) == (
        "2024-07-09",
        "2024-07-11",
        "day",
    )


def test_an_attendance_status_is_built_from_its_latest_change(tmp_path):
    write_facts(
        tmp_path,
        FACTS_HEADER
        + """
    [[summits]]
    slug = "s"
    name = "S"
    kind = "ordinary"
    status = "held"
    start = "2023"

    [[attendances]]
    summit = "s"
    country = "JP"

    [[attendances.status_changes]]
    status = "attended"
    as_of = "2023-07-12"

    [[attendances.status_changes]]
    status = "invited"
    as_of = "2023-05"

    [[attendances]]
    summit = "s"
    country = "US"

    [[attendances.status_changes]]
    status = "invited"
    as_of = "2023-05"

    [[attendances.status_changes]]
    status = "declined"
    as_of = "2023-05"
    """,
    )
    entries = build(tmp_path)
    assert (
        find_entry(entries, "summits.attendance", country=["JP"])["fields"]["status"] == "attended"
    )
    assert (
        find_entry(entries, "summits.attendance", country=["US"])["fields"]["status"] == "declined"
    )


def test_a_leader_of_another_country_stops_the_build(tmp_path):
    write_facts(
        tmp_path,
        FACTS_HEADER
        + """
    [[summits]]
    slug = "s"
    name = "S"
    kind = "ordinary"
    status = "held"
    start = "2023"

    [[attendances]]
    summit = "s"
    country = "US"
    leader = "fumio-kishida"
    """,
    )
    with pytest.raises(CommandError, match="leader fumio-kishida belongs to JP, not to US"):
        build(tmp_path)


def test_two_citations_that_would_load_as_one_row_stop_the_build(tmp_path):
    write_facts(
        tmp_path,
        FACTS_HEADER
        + """
    [[summits]]
    slug = "s"
    name = "S"
    kind = "ordinary"
    status = "held"
    start = "2023"
    citations = [
      { field = "start_date", quote = "the 2023 NATO Summit" },
      { field = "start_date", quote = "the 2023 NATO Summit", basis = "implied" },
    ]
    """,
    )
    with pytest.raises(
        CommandError, match=r"citations\[1\]: it cites `start_date`.*citations\[0\]"
    ):
        build(tmp_path)


def test_loaddata_is_djangos_own_and_the_checked_loading_has_a_name_of_its_own():
    commands = get_commands()

    assert commands["loaddata"] == "django.core"
    assert commands["load_fixtures"] == "summits"


def test_django_defers_a_natural_key_that_matches_no_row_as_the_fixture_format_expects(db):
    # summits.fixture_format reads each entry through Django's public Python deserializer and
    # relies on this: with forward references allowed, an unknown natural key comes back as a
    # deferred field (which the format refuses at once). A Django upgrade that changes it fails
    # here before it changes what a bad fixture reports.
    entry = {
        "model": "summits.leader",
        "fields": {"slug": "nobody", "name": "Nobody", "country": ["ZZ"], "office": "None"},
    }

    (deserialized,) = python.Deserializer([entry], handle_forward_references=True)

    assert {field.name: value for field, value in deserialized.deferred_fields.items()} == {
        "country": ["ZZ"]
    }
    assert django.VERSION[:2] == (5, 2), "re-read summits/fixture_format.py against this Django"
