"""The change feed: every write on every path reported in commit order, and a client that mirrors
the data from a full export and follows the feed ends with what the server holds."""

import contextlib
import datetime as dt
import importlib
import io
import itertools
import secrets
from collections.abc import Callable
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
import time_machine
from django.apps import apps
from django.core.cache import cache
from django.core.management import CommandError, call_command
from django.db import IntegrityError, OperationalError, connection, transaction
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rest_framework.test import APIClient

from summits.api.changes import ROUTES
from summits.historyatstate.importer import historyatstate_import
from summits.models import (
    Attendance,
    Change,
    ChangeHorizon,
    Citation,
    Country,
    Leader,
    LeaderName,
    Organization,
    OrganizationName,
    Source,
    StatusChange,
    Summit,
    SummitName,
)
from summits.models.changes import ChangeFeed
from summits.services import ImportRejected, attendances_import
from tests.test_admin import form_data

FEED = reverse("api:changes")
VISITS_1999 = Path(__file__).resolve().parent / "data" / "historyatstate" / "visits-1999-nato.xml"
MIGRATION = importlib.import_module("summits.migrations.0011_change_feed")

needs_postgres = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="concurrent writers need PostgreSQL"
)
needs_sqlite = pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite's row triggers")

Seen = list[tuple[str, str, str]]


# Reading the feed.


def position(client) -> str:
    """The `next` link of `?after=latest`: where a client stands now."""
    response = client.get(f"{FEED}?after=latest")
    assert response.status_code == 200, response.content
    assert response.json()["results"] == []
    return response.json()["next"]


def read(client, url: str) -> tuple[list[dict], str]:
    """Every change from `url` on, page by page, and the `next` link after the last."""
    changes = []
    while True:
        response = client.get(url)
        assert response.status_code == 200, response.content
        page = response.json()
        changes += page["results"]
        if not page["results"]:
            return changes, page["next"]
        url = page["next"]


def seen(client, url: str) -> Seen:
    return [(change["type"], change["key"], change["kind"]) for change in read(client, url)[0]]


def refused(client, after: str) -> tuple[int, dict]:
    response = client.get(FEED, {"after": after})
    return response.status_code, response.json()["errors"][0]


def token_of(next_url: str) -> str:
    """The token a `next` link holds."""
    return parse_qs(urlsplit(next_url).query)["after"][0]


def position_of(next_url: str) -> int:
    """The position a `next` link's token names (its first 16 digits)."""
    return int(token_of(next_url)[:16], 16)


@pytest.fixture(autouse=True)
def empty_log(db):
    """Each test starts from an empty feed: the log is the database's, which no test flushes."""
    Change.objects.all().delete()
    ChangeHorizon.objects.all().delete()


@pytest.fixture
def staff_client(client, staff):
    client.force_login(staff)
    return client


def japan_at_nato_2024() -> Attendance:
    return Attendance.objects.get(summit__slug="nato-2024-washington", country__code="JP")


# What each kind of write reports.


def test_a_record_created_through_the_api_is_reported_created_with_its_url(
    anonymous_client, editor_client, article_and_context
):
    start = position(anonymous_client)

    response = editor_client.post(
        reverse("api:summit-list"),
        {"slug": "g7-2024-apulia", "name": "G7 Summit 2024", "start_date": "2024-06-13"},
    )

    assert response.status_code == 201, response.content
    (change,) = read(anonymous_client, start)[0]
    assert {key: change[key] for key in ("type", "key", "kind", "url")} == {
        "type": "summit",
        "key": "g7-2024-apulia",
        "kind": "created",
        "url": "http://testserver/api/summits/g7-2024-apulia/",
    }
    assert dt.datetime.fromisoformat(change["time"]).tzinfo is not None
    assert anonymous_client.get(change["url"]).status_code == 200


def test_an_update_and_a_delete_are_reported_and_the_deleted_url_answers_404(
    anonymous_client, editor_client, article_and_context
):
    start = position(anonymous_client)
    source = reverse("api:source-detail", args=["nato-official-website"])
    citation = Citation.objects.filter(source__key="nato-official-website").first()

    editor_client.patch(source, {"publisher": "North Atlantic Treaty Organization"})
    editor_client.delete(reverse("api:citation-detail", args=[citation.pk]))

    changes, _ = read(anonymous_client, start)
    assert [(c["type"], c["key"], c["kind"]) for c in changes][:2] == [
        ("source", "nato-official-website", "updated"),
        ("citation", str(citation.pk), "deleted"),
    ]
    assert anonymous_client.get(changes[1]["url"]).status_code == 404


def test_a_citation_reports_the_record_it_cites_updated(
    anonymous_client, editor_client, article_and_context
):
    start = position(anonymous_client)

    response = editor_client.post(
        reverse("api:citation-list"),
        {
            "source": "nato-official-website",
            "summit": "nato-2022-spain",
            "field": "name",
            "basis": "external",
        },
    )

    assert response.status_code == 201, response.content
    assert seen(anonymous_client, start) == [
        ("citation", str(response.json()["id"]), "created"),
        ("summit", "nato-2022-spain", "updated"),
    ]


def test_a_new_status_reports_its_attendance_and_the_summit_it_is_listed_on_updated(
    anonymous_client, editor_client, article_and_context
):
    attendance = japan_at_nato_2024()
    start = position(anonymous_client)

    response = editor_client.post(
        reverse("api:attendance-statuses", args=[attendance.pk]),
        {"status": "withdrawn", "as_of": "2024-08"},
    )

    assert response.status_code == 201, response.content
    assert set(seen(anonymous_client, start)) == {
        ("attendance", str(attendance.pk), "updated"),
        ("summit", "nato-2024-washington", "updated"),
    }


def test_a_new_attendance_reports_itself_created_and_its_summit_updated(
    anonymous_client, editor_client, article_and_context
):
    start = position(anonymous_client)

    response = editor_client.post(
        reverse("api:attendance-list"), {"summit": "nato-2024-washington", "country": "KR"}
    )

    assert response.status_code == 201, response.content
    assert seen(anonymous_client, start) == [
        ("attendance", str(response.json()["id"]), "created"),
        ("summit", "nato-2024-washington", "updated"),
    ]


@pytest.mark.parametrize(
    ("edit", "summit_updated"), [({"note": "Noted."}, False), ({"role": "partner"}, True)]
)
def test_an_attendance_edited_reports_its_summit_when_the_attendee_list_shows_the_edit(
    anonymous_client, editor_client, article_and_context, edit, summit_updated
):
    attendance = japan_at_nato_2024()
    start = position(anonymous_client)

    response = editor_client.patch(reverse("api:attendance-detail", args=[attendance.pk]), edit)

    assert response.status_code == 200, response.content
    assert seen(anonymous_client, start) == [
        ("attendance", str(attendance.pk), "updated"),
        *([("summit", "nato-2024-washington", "updated")] if summit_updated else []),
    ]


def test_a_slug_edited_is_the_old_key_deleted_the_new_created_and_its_namers_updated(
    anonymous_client, editor_client, article_and_context
):
    attendances = sorted(
        str(pk)
        for pk in Attendance.objects.filter(leader__slug="fumio-kishida").values_list(
            "pk", flat=True
        )
    )
    summits = sorted(
        Summit.objects.filter(attendances__leader__slug="fumio-kishida").values_list(
            "slug", flat=True
        )
    )
    start = position(anonymous_client)

    response = editor_client.patch(
        reverse("api:leader-detail", args=["fumio-kishida"]), {"slug": "kishida-fumio"}
    )

    assert response.status_code == 200, response.content
    changes = seen(anonymous_client, start)
    assert changes[:2] == [
        ("leader", "fumio-kishida", "deleted"),
        ("leader", "kishida-fumio", "created"),
    ]
    assert sorted(key for kind, key, _ in changes if kind == "attendance") == attendances
    assert sorted(key for kind, key, _ in changes if kind == "summit") == summits


OTHER_NAMES = {
    "leader": lambda: LeaderName.objects.create(
        leader=Leader.objects.get(slug="joe-biden"), name="Joe Biden", language="eo"
    ),
    "organization": lambda: OrganizationName.objects.create(
        organization=Organization.objects.get(slug="nato"), name="NATO", language="eo"
    ),
    "summit": lambda: SummitName.objects.create(
        summit=Summit.objects.get(slug="nato-2022-spain"),
        name="Pintkunveno de Madrido",
        language="eo",
    ),
}


@pytest.mark.parametrize("record_type", OTHER_NAMES)
def test_an_other_name_reports_its_record_updated(
    anonymous_client, article_and_context, record_type
):
    start = position(anonymous_client)

    name = OTHER_NAMES[record_type]()
    name.name += "!"
    name.save()
    name.delete()

    assert [kind for _, _, kind in seen(anonymous_client, start)] == ["updated"] * 3
    assert {record for record, _, _ in seen(anonymous_client, start)} == {record_type}


def test_an_update_that_changes_nothing_is_no_change(anonymous_client, article_and_context):
    start = position(anonymous_client)

    Summit.objects.filter(slug="nato-2022-spain").update(city="Madrid")  # as it is
    for summit in Summit.objects.all():
        summit.save()

    assert seen(anonymous_client, start) == []


# Every path.


def test_an_edit_in_the_admin_is_reported(anonymous_client, staff_client, article_and_context):
    summit = Summit.objects.get(slug="nato-2023-lithuania")
    url = reverse("admin:summits_summit_change", args=[summit.pk])
    data = form_data(staff_client.get(url))
    data["city"] = "Vilnius, Lithuania"
    start = position(anonymous_client)

    response = staff_client.post(url, data)

    assert response.status_code == 302, response.context["adminform"].form.errors
    assert seen(anonymous_client, start) == [("summit", "nato-2023-lithuania", "updated")]


@pytest.mark.parametrize("command", ["load_fixtures", "loaddata"])
def test_loading_fixtures_reports_every_record_created(anonymous_client, db, command):
    start = position(anonymous_client)

    call_command(command, "article", "context", verbosity=0)

    created = {
        (kind, key) for kind, key, what in seen(anonymous_client, start) if what == "created"
    }
    expected = {
        *(("country", code) for code in Country.objects.values_list("code", flat=True)),
        *(("summit", slug) for slug in Summit.objects.values_list("slug", flat=True)),
        *(("leader", slug) for slug in Leader.objects.values_list("slug", flat=True)),
        *(("attendance", str(pk)) for pk in Attendance.objects.values_list("pk", flat=True)),
        *(("citation", str(pk)) for pk in Citation.objects.values_list("pk", flat=True)),
        *(("source", key) for key in Source.objects.values_list("key", flat=True)),
        *(("organization", slug) for slug in Organization.objects.values_list("slug", flat=True)),
    }
    assert created == expected


def test_the_bulk_import_is_reported(anonymous_client, article_and_context):
    start = position(anonymous_client)

    attendances_import(
        rows=[
            {
                "summit": "nato-2024-washington",
                "country": "KR",
                "leader": "yoon-suk-yeol",
                "status_changes": [{"status": "attended", "as_of": "2024-07-11"}],
            }
        ]
    )

    attendance = Attendance.objects.get(summit__slug="nato-2024-washington", country__code="KR")
    assert set(seen(anonymous_client, start)) == {
        ("attendance", str(attendance.pk), "created"),
        ("attendance", str(attendance.pk), "updated"),  # its timeline, then its status
        ("summit", "nato-2024-washington", "updated"),
    }


def test_the_state_departments_records_are_reported(anonymous_client, article_and_context):
    start = position(anonymous_client)

    report = historyatstate_import(str(VISITS_1999))

    changes = seen(anonymous_client, start)
    created = {kind for kind, _, what in changes if what == "created"}
    assert report.attendances_added
    assert {"summit", "attendance", "source", "citation"} <= created
    again = position(anonymous_client)
    historyatstate_import(str(VISITS_1999))
    assert seen(anonymous_client, again) == []


@pytest.mark.parametrize(
    ("sql", "expected"),
    [
        (
            "UPDATE summits_country SET name = 'Nippon' WHERE code = 'JP'",
            [("country", "JP", "updated")],
        ),
        (
            "INSERT INTO summits_country (code, name) VALUES ('FR', 'France')",
            [("country", "FR", "created")],
        ),
        ("DELETE FROM summits_summitname WHERE id < 0", []),
    ],
    ids=["update", "insert", "delete-no-row"],
)
def test_a_raw_sql_write_is_reported(anonymous_client, article_and_context, sql, expected):
    start = position(anonymous_client)

    with connection.cursor() as cursor:
        cursor.execute(sql)

    assert seen(anonymous_client, start) == expected


def test_a_raw_sql_delete_reports_the_record_and_what_showed_it(
    anonymous_client, article_and_context
):
    attendance = japan_at_nato_2024()
    start = position(anonymous_client)

    with connection.cursor() as cursor:
        cursor.execute(
            "DELETE FROM summits_citation WHERE attendance_id = %s OR status_change_id IN"
            " (SELECT id FROM summits_statuschange WHERE attendance_id = %s)",
            [attendance.pk, attendance.pk],
        )
        cursor.execute("DELETE FROM summits_statuschange WHERE attendance_id = %s", [attendance.pk])
        cursor.execute("DELETE FROM summits_attendance WHERE id = %s", [attendance.pk])

    changes = seen(anonymous_client, start)
    assert changes[-2:] == [
        ("attendance", str(attendance.pk), "deleted"),
        ("summit", "nato-2024-washington", "updated"),
    ]


# A raw write to each table, and what it must report (the record the row is or is shown in).
RAW_WRITES: dict[type, tuple[str, str, str]] = {
    Country: ("name", "name || '!'", "country"),
    Organization: ("name", "name || '!'", "organization"),
    Leader: ("office", "office || '!'", "leader"),
    Summit: ("city", "city || '!'", "summit"),
    Attendance: ("note", "note || '!'", "attendance"),
    StatusChange: ("note", "note || '!'", "attendance"),
    Source: ("title", "title || '!'", "source"),
    Citation: ("field", "field || '!'", "citation"),
    LeaderName: ("name", "name || '!'", "leader"),
    OrganizationName: ("name", "name || '!'", "organization"),
    SummitName: ("name", "name || '!'", "summit"),
}


def summit_tables() -> list:
    """Every model of the app whose rows are summit data (not history, not the feed's log)."""
    return [
        model
        for model in apps.get_app_config("summits").get_models()
        if not model.__name__.startswith("Historical") and model._meta.managed
    ]


@pytest.mark.parametrize("model", summit_tables(), ids=lambda model: model.__name__)
def test_a_raw_write_to_any_summit_table_is_reported(anonymous_client, article_and_context, model):
    # A table that a later migration rebuilt on SQLite, dropping its triggers, reports nothing.
    for make in OTHER_NAMES.values():
        make()
    assert model in RAW_WRITES, "A new summits table: say in 0011's TABLES what it reports."
    column, value, record_type = RAW_WRITES[model]
    row = model._base_manager.order_by("pk").first()
    start = position(anonymous_client)

    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {model._meta.db_table} SET {column} = {value} WHERE id = %s", [row.pk]
        )

    assert (record_type, "updated") in {
        (kind, what) for kind, _, what in seen(anonymous_client, start)
    }


@needs_sqlite
@pytest.mark.parametrize("table", MIGRATION.TABLES, ids=lambda table: table.name)
def test_each_sqlite_update_trigger_compares_every_column_of_its_table(db, table):
    # A column added after the triggers were made would go unreported: sqlite_triggers() again.
    with connection.cursor() as cursor:
        columns = connection.introspection.get_table_description(cursor, table.name)
        cursor.execute(
            "SELECT sql FROM sqlite_master WHERE type = 'trigger' AND name = %s",
            [f"{table.name}_changes_update"],
        )
        (sql,) = cursor.fetchone()

    for column in columns:
        assert f'OLD."{column.name}" IS NOT NEW."{column.name}"' in sql


# Tokens.


def test_next_is_always_there_and_stays_put_while_nothing_happens(anonymous_client, article):
    last = position(anonymous_client)

    for _ in range(2):
        page = anonymous_client.get(last).json()
        assert page == {"next": last, "results": []}


def test_pages_hold_every_change_once_in_order(anonymous_client, article_and_context):
    everything = anonymous_client.get(FEED, {"page_size": 500}).json()["results"]
    assert len(everything) < 500

    paged, _ = read(anonymous_client, f"{FEED}?page_size=7")

    assert paged == everything
    assert len(everything) > 7


def test_without_after_the_feed_starts_at_the_oldest_change_kept(anonymous_client, db):
    call_command("load_fixtures", "article", verbosity=0)
    oldest = Change.objects.order_by("id").first()

    first = anonymous_client.get(FEED, {"page_size": 1}).json()

    assert first["results"][0]["key"] == oldest.record_key
    assert position_of(first["next"]) == oldest.id
    assert first["next"].endswith("&page_size=1")


@pytest.mark.parametrize(
    "after", ["abc", "LATEST", "0" * 31, "0" * 33, "g" * 32, "A" * 32, "-1", " " + "0" * 32]
)
def test_a_malformed_token_is_refused_saying_to_start_again(anonymous_client, article, after):
    status, error = refused(anonymous_client, after)

    assert status == 400
    assert (error["code"], error["attr"]) == ("invalid_token", "after")
    assert "Mirror the data again" in error["detail"]


def test_a_token_the_feed_never_gave_is_refused(anonymous_client, article):
    status, error = refused(anonymous_client, "f" * 32)

    assert (status, error["code"], error["attr"]) == (400, "unknown_token", "after")


def test_a_position_without_its_check_as_the_feed_gave_before_checks_is_refused(
    anonymous_client, article
):
    # It cannot be verified: any 16 hex digits up to the newest change would pass.
    status, error = refused(anonymous_client, token_of(position(anonymous_client))[:16])

    assert (status, error["code"]) == (400, "invalid_token")
    assert "Mirror the data again" in error["detail"]


def restore_to(next_url: str) -> None:
    """As if a backup taken at the `next_url` position were restored: the changes after it are
    gone, and the next write is numbered right after it again."""
    kept = position_of(next_url)
    Change.objects.filter(id__gt=kept).delete()
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT setval(pg_get_serial_sequence('summits_change', 'id'), %s)", [kept]
            )
        else:
            cursor.execute(
                "UPDATE sqlite_sequence SET seq = %s WHERE name = 'summits_change'", [kept]
            )


def edit_city(client, slug: str, city: str) -> None:
    response = client.patch(reverse("api:summit-detail", args=[slug]), {"city": city})
    assert response.status_code == 200, response.content


def test_a_token_from_before_a_restore_is_refused_once_new_writes_reuse_its_position(
    anonymous_client, editor_client, article
):
    backup = position(anonymous_client)
    edit_city(editor_client, "nato-2022-spain", "Madrid, Spain")
    lost = position(anonymous_client)  # a mirror's position, at a change the restore loses

    restore_to(backup)
    edit_city(editor_client, "nato-2023-lithuania", "Vilnius, Lithuania")

    assert Change.objects.filter(id=position_of(lost), record_key="nato-2023-lithuania").exists()
    status, error = refused(anonymous_client, token_of(lost))
    assert (status, error["code"], error["attr"]) == (400, "unknown_token", "after")
    assert "Mirror the data again" in error["detail"]
    assert anonymous_client.get(backup).status_code == 200  # the backup's own position holds


def test_a_restores_change_of_the_same_record_at_another_time_is_another_position(
    anonymous_client, editor_client, article
):
    backup = position(anonymous_client)
    edit_city(editor_client, "nato-2022-spain", "Madrid, Spain")
    lost = position(anonymous_client)

    restore_to(backup)
    edit_city(editor_client, "nato-2022-spain", "Madrid")
    # The same record, kind and position; the database's clock has moved on.
    redone = Change.objects.get(id=position_of(lost))
    Change.objects.filter(id=redone.id).update(time=redone.time + dt.timedelta(milliseconds=1))

    assert (redone.record_key, redone.kind) == ("nato-2022-spain", "updated")
    assert refused(anonymous_client, token_of(lost))[1]["code"] == "unknown_token"


def test_a_token_from_another_database_is_refused_at_any_position(
    anonymous_client, editor_client, article
):
    start = position(anonymous_client)
    edit_city(editor_client, "nato-2022-spain", "Madrid, Spain")
    given = [start, position(anonymous_client), anonymous_client.get(FEED).json()["next"]]

    # Another database with the same log: only its secret differs.
    ChangeFeed.objects.update(secret=secrets.token_hex(16))

    for next_url in given:
        status, error = refused(anonymous_client, token_of(next_url))
        assert (status, error["code"]) == (400, "unknown_token"), next_url
    assert anonymous_client.get(position(anonymous_client)).status_code == 200


@pytest.mark.parametrize("digit", [16, 31])
def test_a_token_whose_check_is_altered_is_refused(anonymous_client, article, digit):
    given = token_of(position(anonymous_client))
    forged = given[:digit] + ("0" if given[digit] != "0" else "1") + given[digit + 1 :]

    status, error = refused(anonymous_client, forged)

    assert (status, error["code"]) == (400, "unknown_token")


def test_a_check_holds_only_at_its_own_position(anonymous_client, editor_client, article):
    edit_city(editor_client, "nato-2022-spain", "Madrid, Spain")
    given = token_of(position(anonymous_client))
    earlier = f"{int(given[:16], 16) - 1:016x}{given[16:]}"

    assert Change.objects.filter(id=int(earlier[:16], 16)).exists()
    assert refused(anonymous_client, earlier)[1]["code"] == "unknown_token"


def test_latest_on_an_empty_log_is_the_origin_which_only_this_database_accepts(
    anonymous_client, db
):
    origin = position(anonymous_client)
    assert position_of(origin) == 0
    Country.objects.create(code="FR", name="France")

    assert seen(anonymous_client, origin) == [("country", "FR", "created")]
    assert anonymous_client.get(FEED).json()["next"] == anonymous_client.get(origin).json()["next"]
    ChangeFeed.objects.update(secret=secrets.token_hex(16))
    assert refused(anonymous_client, token_of(origin))[1]["code"] == "unknown_token"


def test_a_deleted_secret_is_made_anew_and_no_earlier_token_holds(anonymous_client, article):
    given = position(anonymous_client)

    ChangeFeed.objects.all().delete()

    assert refused(anonymous_client, token_of(given))[1]["code"] == "unknown_token"
    assert anonymous_client.get(position(anonymous_client)).status_code == 200
    assert ChangeFeed.objects.get().secret
    assert refused(anonymous_client, token_of(given))[1]["code"] == "unknown_token"


def test_a_blank_after_is_the_start_of_the_feed(anonymous_client, article):
    assert anonymous_client.get(FEED, {"after": ""}).json() == anonymous_client.get(FEED).json()


def test_the_feed_takes_only_its_own_parameters(anonymous_client, article):
    response = anonymous_client.get(FEED, {"since": "yesterday"})

    assert response.status_code == 400
    assert response.json()["errors"][0]["code"] == "unknown_parameter"
    assert anonymous_client.get(FEED, {"page_size": 501}).status_code == 400


def test_the_feed_takes_no_writes(editor_client, article):
    assert editor_client.post(FEED, {}).status_code == 405


def test_a_conditional_get_of_the_feed_answers_304_until_something_changes(
    anonymous_client, editor_client, article
):
    last = position(anonymous_client)
    tag = anonymous_client.get(last)["ETag"]

    assert anonymous_client.get(last, HTTP_IF_NONE_MATCH=tag).status_code == 304
    editor_client.patch(reverse("api:summit-detail", args=["nato-2022-spain"]), {"city": "Madrid"})
    response = anonymous_client.get(last, HTTP_IF_NONE_MATCH=tag)

    assert response.status_code == 200
    assert response.json()["results"]


# Retention.


def test_pruning_deletes_older_changes_and_expires_the_tokens_before_them(
    anonymous_client, editor_client, article_and_context
):
    before = position(anonymous_client)
    summit = reverse("api:summit-detail", args=["nato-2022-spain"])
    editor_client.patch(summit, {"city": "Madrid, Spain"})
    # Made 31 days ago (a token's check covers its change's time: age them before taking one).
    Change.objects.update(time=dt.datetime.now(dt.UTC) - dt.timedelta(days=31))
    middle = position(anonymous_client)
    editor_client.patch(summit, {"city": "Madrid"})
    out = io.StringIO()

    call_command("prune_changes", stdout=out)

    assert not Change.objects.filter(id__lte=position_of(middle)).exists()
    assert f"is before {token_of(middle)[:16]} is expired" in out.getvalue()
    status, error = refused(anonymous_client, token_of(before))
    assert (status, error["code"]) == (400, "expired_token")
    assert "Mirror the data again" in error["detail"]
    assert seen(anonymous_client, middle) == [("summit", "nato-2022-spain", "updated")]
    assert anonymous_client.get(FEED).json()["results"][0]["key"] == "nato-2022-spain"


def test_a_token_at_the_newest_change_holds_once_a_prune_makes_it_the_horizon(
    anonymous_client, editor_client, article
):
    caught_up = position(anonymous_client)

    with time_machine.travel(dt.datetime.now(dt.UTC) + dt.timedelta(days=31)):
        call_command("prune_changes", stdout=io.StringIO())

    assert ChangeHorizon.objects.get().position == position_of(caught_up)
    assert not Change.objects.exists()
    assert anonymous_client.get(caught_up).json() == {"next": caught_up, "results": []}
    assert position(anonymous_client) == caught_up
    assert anonymous_client.get(FEED).json()["next"].endswith(token_of(caught_up))
    edit_city(editor_client, "nato-2022-spain", "Madrid, Spain")
    assert seen(anonymous_client, caught_up) == [("summit", "nato-2022-spain", "updated")]
    forged = token_of(caught_up)[:16] + "0" * 16
    assert refused(anonymous_client, forged)[1]["code"] == "unknown_token"


def test_an_expired_token_is_told_no_retention_the_prune_did_not_keep(
    anonymous_client, editor_client, article
):
    before = position(anonymous_client)
    edit_city(editor_client, "nato-2022-spain", "Madrid, Spain")

    call_command("prune_changes", "--days", "0", stdout=io.StringIO())

    status, error = refused(anonymous_client, token_of(before))
    assert (status, error["code"]) == (400, "expired_token")
    assert "days" not in error["detail"]
    assert "changes since it are gone" in error["detail"]


def test_pruning_keeps_the_retention_days_of_changes(anonymous_client, article_and_context):
    kept = Change.objects.count()

    call_command("prune_changes", stdout=io.StringIO())
    assert Change.objects.count() == kept

    with time_machine.travel(dt.datetime.now(dt.UTC) + dt.timedelta(days=31)):
        call_command("prune_changes", stdout=io.StringIO())
    assert not Change.objects.exists()
    assert ChangeHorizon.objects.get().position == position_of(position(anonymous_client))


def test_pruning_to_the_days_given(anonymous_client, article):
    with time_machine.travel(dt.datetime.now(dt.UTC) + dt.timedelta(days=3)):
        out = io.StringIO()
        call_command("prune_changes", "--days", "7", stdout=out)
        assert Change.objects.exists()
        assert out.getvalue().startswith("Nothing to delete: no change was made before ")
        call_command("prune_changes", "--days", "2", stdout=io.StringIO())
    assert not Change.objects.exists()


# Commit order and the number of queries.


@pytest.mark.parametrize("page_size", [5, 50])
def test_a_page_runs_the_same_queries_whatever_its_size(
    anonymous_client, many_rows, django_assert_num_queries, page_size
):
    assert Change.objects.count() > 100
    after = token_of(anonymous_client.get(FEED, {"page_size": 11}).json()["next"])
    url = f"{FEED}?after={after}&page_size={page_size}"

    # The data version (alone: the shared cache might hold the page), the request's snapshot (a
    # savepoint in a test) and its release, the data version in it, the savepoint of the view's
    # transaction and its release, the feed's bounds (with the change at the token's position,
    # whose check it must carry), a page.
    with django_assert_num_queries(8):
        response = anonymous_client.get(url)

    assert len(response.json()["results"]) == page_size


@pytest.mark.postgres
@needs_postgres
def test_a_second_writer_numbers_its_changes_only_after_the_first_commits(transactional_db):
    other = connection.copy()
    try:
        with transaction.atomic():
            Country.objects.create(code="FR", name="France")
            first = Change.objects.get(record_type="country", record_key="FR")
            with other.cursor() as cursor:
                cursor.execute("SET lock_timeout = '200ms'")
                # It waits for the first writer: it cannot take a number the first might pass.
                with pytest.raises(OperationalError):
                    cursor.execute(
                        "INSERT INTO summits_country (code, name) VALUES ('DE', 'Germany')"
                    )
                cursor.execute("SELECT count(*) FROM summits_change WHERE record_key = 'FR'")
                assert cursor.fetchone() == (0,)  # not committed: no reader sees it
        with other.cursor() as cursor:
            cursor.execute("INSERT INTO summits_country (code, name) VALUES ('DE', 'Germany')")
        second = Change.objects.get(record_type="country", record_key="DE")
        assert second.id > first.id
        assert first.transaction_id != second.transaction_id
    finally:
        other.close()


@pytest.mark.postgres
@needs_postgres
def test_a_truncate_expires_every_token(anonymous_client, article_and_context):
    before = position(anonymous_client)

    with connection.cursor() as cursor:
        cursor.execute("TRUNCATE summits_summitname")

    status, error = refused(anonymous_client, token_of(before))
    assert (status, error["code"]) == (400, "expired_token")
    assert position(anonymous_client) != before


@pytest.mark.postgres
@needs_postgres
def test_a_token_at_a_truncates_horizon_is_checked_over_the_horizon(
    anonymous_client, editor_client, article
):
    edit_city(editor_client, "nato-2022-spain", "Madrid, Spain")
    with time_machine.travel(dt.datetime.now(dt.UTC) + dt.timedelta(days=31)):
        call_command("prune_changes", stdout=io.StringIO())
    pruned = position(anonymous_client)

    with connection.cursor() as cursor:
        cursor.execute("TRUNCATE summits_summitname")

    assert ChangeHorizon.objects.get().token_check == ""  # not the pruned change's any more
    truncated = position(anonymous_client)
    assert position_of(truncated) > position_of(pruned)
    assert anonymous_client.get(truncated).json() == {"next": truncated, "results": []}
    assert refused(anonymous_client, token_of(pruned))[1]["code"] == "expired_token"
    forged = token_of(truncated)[:16] + token_of(pruned)[16:]
    assert refused(anonymous_client, forged)[1]["code"] == "unknown_token"


def test_a_change_names_its_transaction_on_postgresql(db):
    Country.objects.create(code="FR", name="France")

    change = Change.objects.get(record_key="FR")
    if connection.vendor == "sqlite":
        assert change.transaction_id is None
    else:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_current_xact_id()::text::bigint")
            assert change.transaction_id == cursor.fetchone()[0]


# The mirror: a full export, then the feed.

LISTS = {
    record_type: route.replace("-detail", "-list") for record_type, (route, _) in ROUTES.items()
}
# Records whose page shows rows of their own (a timeline, attendees, evidence): read one by one.
DETAILED = {"summit", "attendance"}
# Values computed from other records: not part of what a record stores.
DERIVED = {
    "country_name",
    "leader_name",
    "summit_name",
    "first_for_country",
    "first_for_leader",
    "anniversary",
}


def stored(value):
    """A representation without the values it shows from other records."""
    if isinstance(value, dict):
        return {key: stored(item) for key, item in value.items() if key not in DERIVED}
    if isinstance(value, list):
        return [stored(item) for item in value]
    return value


def key_of(record_type: str, row: dict) -> str:
    keyword = ROUTES[record_type][1]
    return str(row[{"pk": "id"}.get(keyword, keyword)])


def export(client) -> dict[tuple[str, str], dict]:
    """Every record, as the API's lists (and the pages of the detailed ones) show it."""
    mirror = {}
    for record_type, route in LISTS.items():
        url = f"{reverse(route)}?page_size=500"
        while url:
            page = client.get(url).json()
            for row in page["results"]:
                key = key_of(record_type, row)
                if record_type in DETAILED:
                    view_name, keyword = ROUTES[record_type]
                    row = client.get(reverse(view_name, kwargs={keyword: key})).json()
                mirror[(record_type, key)] = stored(row)
            url = page["next"]
    return mirror


def follow(client, url: str, mirror: dict) -> str:
    """Apply every change from `url` on to `mirror`: read each record's URL, store or delete."""
    changes, last = read(client, url)
    for change in changes:
        response = client.get(change["url"])
        if response.status_code == 404:
            mirror.pop((change["type"], change["key"]), None)
        else:
            assert response.status_code == 200, response.content
            mirror[(change["type"], change["key"])] = stored(response.json())
    return last


class Writer:
    """The writes a mirror must follow, by every path: the API, the admin, both importers and
    raw SQL. Each draws its own arguments; a refused write (a 4xx, a rolled-back import) is
    still a write the feed must get right: it reports nothing."""

    def __init__(self, data, editor: APIClient, staff) -> None:
        self.data, self.editor, self.staff = data, editor, staff
        self.numbers = itertools.count()

    def pick(self, queryset, field: str):
        """One of the rows' values of `field`, in a stable order (ids by number)."""
        values = sorted(queryset.values_list(field, flat=True))
        return self.data.draw(st.sampled_from(values)) if values else None

    def new(self, prefix: str) -> str:
        return f"{prefix}-{next(self.numbers)}"

    def summit(self):
        return self.pick(Summit.objects.all(), "slug")

    def api_add_summit(self):
        self.editor.post(
            reverse("api:summit-list"),
            {
                "slug": self.new("summit"),
                "name": "A summit",
                "start_date": self.data.draw(st.sampled_from(["2025", "2025-05", "2025-05-03"])),
                "organization": self.data.draw(st.sampled_from([None, "nato"])),
                "host_country": self.pick(Country.objects.all(), "code"),
            },
        )

    def api_edit_summit(self):
        field, value = self.data.draw(
            st.sampled_from(
                [
                    ("city", "Somewhere"),
                    ("name", "Renamed"),
                    ("status", "postponed"),
                    ("slug", self.new("moved")),
                ]
            )
        )
        self.editor.patch(reverse("api:summit-detail", args=[self.summit()]), {field: value})

    def api_delete_summit(self):
        # One that no attendance holds on to (PROTECT), or the delete is refused (409).
        slug = self.pick(Summit.objects.filter(attendances=None), "slug") or self.summit()
        self.editor.delete(reverse("api:summit-detail", args=[slug]))

    def api_add_leader(self):
        country = self.pick(Country.objects.all(), "code")
        body = {"slug": self.new("leader"), "name": "A leader", "country": country, "office": "PM"}
        self.editor.post(reverse("api:leader-list"), body)

    def api_edit_leader(self):
        slug = self.pick(Leader.objects.all(), "slug")
        field, value = self.data.draw(
            st.sampled_from([("office", "President"), ("slug", self.new("leader"))])
        )
        self.editor.patch(reverse("api:leader-detail", args=[slug]), {field: value})

    def api_add_attendance(self):
        body = {"summit": self.summit(), "country": self.pick(Country.objects.all(), "code")}
        self.editor.post(reverse("api:attendance-list"), body)

    def api_edit_attendance(self):
        pk = self.pick(Attendance.objects.all(), "pk")
        body = self.data.draw(st.sampled_from([{"note": "Noted."}, {"role": "guest"}]))
        self.editor.patch(reverse("api:attendance-detail", args=[pk]), body)

    def api_delete_attendance(self):
        pk = self.pick(Attendance.objects.all(), "pk")
        self.editor.delete(reverse("api:attendance-detail", args=[pk]))

    def api_record_status(self):
        pk = self.pick(Attendance.objects.all(), "pk")
        status = self.data.draw(st.sampled_from(["invited", "declined", "attended"]))
        as_of = self.data.draw(st.sampled_from(["2024-05", "2024-06-01"]))
        self.editor.post(
            reverse("api:attendance-statuses", args=[pk]), {"status": status, "as_of": as_of}
        )

    def api_cite(self):
        target, field = self.data.draw(
            st.sampled_from(
                [
                    ("summit", "city"),
                    ("summit", "status"),
                    ("attendance", "role"),
                    ("attendance", "leader"),
                ]
            )
        )
        value = self.summit() if target == "summit" else self.pick(Attendance.objects, "pk")
        body = {"source": "nato-official-website", "field": field, "basis": "external"}
        self.editor.post(reverse("api:citation-list"), {**body, target: value})

    def api_delete_citation(self):
        pk = self.pick(Citation.objects.all(), "pk")
        self.editor.delete(reverse("api:citation-detail", args=[pk]))

    def api_add_source(self):
        body = {"key": self.new("source"), "title": "A page", "url": "https://example.org/"}
        self.editor.post(reverse("api:source-list"), body)

    def api_edit_source(self):
        key = self.pick(Source.objects.all(), "key")
        body = self.data.draw(st.sampled_from([{"title": "Retitled"}, {"key": self.new("src")}]))
        self.editor.patch(reverse("api:source-detail", args=[key]), body)

    def admin_edit_summit(self):
        summit = Summit.objects.get(slug=self.summit())
        url = reverse("admin:summits_summit_change", args=[summit.pk])
        data = form_data(self.staff.get(url))
        data["name"] = f"Edited in the admin {next(self.numbers)}"
        self.staff.post(url, data)

    def bulk_import(self):
        row = {
            "summit": self.summit(),
            "country": self.pick(Country.objects.all(), "code"),
            "note": "Imported.",
            "status_changes": [{"status": "attended", "as_of": "2024-07"}],
        }
        with contextlib.suppress(ImportRejected):
            attendances_import(rows=[row])

    def state_department_import(self):
        historyatstate_import(str(VISITS_1999))

    def raw_sql(self):
        statement, argument = self.data.draw(
            st.sampled_from(
                [
                    ("UPDATE summits_country SET name = name || '.' WHERE code = %s", "country"),
                    ("UPDATE summits_leader SET slug = slug || '-x' WHERE slug = %s", "leader"),
                    ("DELETE FROM summits_citation WHERE id = %s", "citation"),
                ]
            )
        )
        value = {
            "country": lambda: self.pick(Country.objects.all(), "code"),
            "leader": lambda: self.pick(Leader.objects.all(), "slug"),
            "citation": lambda: self.pick(Citation.objects.all(), "pk"),
        }[argument]()
        with contextlib.suppress(IntegrityError), transaction.atomic(), connection.cursor() as c:
            c.execute(statement, [value])

    def writes(self) -> list[Callable[[], None]]:
        return [
            self.api_add_summit,
            self.api_edit_summit,
            self.api_delete_summit,
            self.api_add_leader,
            self.api_edit_leader,
            self.api_add_attendance,
            self.api_edit_attendance,
            self.api_delete_attendance,
            self.api_record_status,
            self.api_cite,
            self.api_delete_citation,
            self.api_add_source,
            self.api_edit_source,
            self.admin_edit_summit,
            self.bulk_import,
            self.state_department_import,
            self.raw_sql,
        ]


MAX_EXAMPLES = 50


@given(data=st.data())
@settings(
    max_examples=MAX_EXAMPLES,
    derandomize=True,
    database=None,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
def test_a_mirror_that_follows_the_feed_ends_as_the_server_is(
    data, article_and_context, anonymous_client, editor_client, staff_client
):
    cache.clear()  # the throttles' counts: each example reads everything twice
    with transaction.atomic():  # each example starts from the fixtures
        writer = Writer(data, editor_client, staff_client)
        start = position(anonymous_client)
        mirror = export(anonymous_client)

        for write in data.draw(st.lists(st.sampled_from(writer.writes()), min_size=1, max_size=6)):
            write()
        follow(anonymous_client, start, mirror)

        assert mirror == export(anonymous_client)
        transaction.set_rollback(True)


@pytest.mark.parametrize("days", ["-1", "36501", "100000000"])
def test_pruning_takes_a_number_of_days_a_date_can_count_back(days, db):
    with pytest.raises(CommandError, match="--days is a number of days from 0 to 36500"):
        call_command("prune_changes", "--days", days, stdout=io.StringIO())


def test_a_change_names_the_record_not_the_record_in_the_pages_format(anonymous_client, article):
    results = anonymous_client.get(FEED, {"format": "json", "page_size": 3}).json()["results"]
    assert results
    assert not any("format" in change["url"] for change in results)
