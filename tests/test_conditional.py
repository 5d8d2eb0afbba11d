"""Conditional requests: ETags that follow the body, 304s, and If-Match against lost updates."""

import datetime as dt
import threading

import pytest
from django.apps import apps
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from rest_framework.test import APIClient

from summits.api import conditional
from summits.api.conditional import data_version
from summits.models import Attendance, Citation, Country, Leader, LeaderName, StatusChange
from summits.services import attendance_record_status


def summit_url() -> str:
    return reverse("api:summit-detail", args=["nato-2024-washington"])


def etag(client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200
    return response["ETag"]


def test_a_detail_carries_a_strong_etag_that_is_stable(anonymous_client, world):
    first, second = etag(anonymous_client, summit_url()), etag(anonymous_client, summit_url())

    assert first == second
    assert first.startswith('"')
    assert not first.startswith("W/")


def test_a_matching_if_none_match_answers_304_without_a_body(anonymous_client, world):
    tag = etag(anonymous_client, summit_url())

    response = anonymous_client.get(summit_url(), HTTP_IF_NONE_MATCH=tag)

    assert response.status_code == 304
    assert response.content == b""


RELATED_CHANGES = {
    "the summit itself": lambda w: (
        type(w.summit).objects.filter(pk=w.summit.pk).update(city="Washington")
    ),
    "an attendee's leader": lambda w: Leader.objects.filter(pk=w.kishida.pk).update(
        name="Kishida Fumio"
    ),
    "an attendee's country": lambda w: Country.objects.filter(pk=w.japan.pk).update(name="Nippon"),
    "an attendance's status": lambda w: attendance_record_status(
        attendance=w.attendance, status="invited", as_of=dt.date(2024, 4, 1)
    ),
    "a new citation": lambda w: Citation.objects.create(
        source=w.source, summit=w.summit, field="city", basis="external"
    ),
    "a new attendee": lambda w: Attendance.objects.create(summit=w.summit, country=w.united_states),
}


@pytest.mark.parametrize("change", RELATED_CHANGES.values(), ids=RELATED_CHANGES.keys())
def test_the_etag_changes_whenever_the_body_would(anonymous_client, world, change):
    before = anonymous_client.get(summit_url())

    change(world)
    after = anonymous_client.get(summit_url())

    assert after.content != before.content
    assert after["ETag"] != before["ETag"]
    assert anonymous_client.get(summit_url(), HTTP_IF_NONE_MATCH=before["ETag"]).status_code == 200


def test_a_new_status_change_changes_the_attendance_etag(anonymous_client, world):
    url = reverse("api:attendance-detail", args=[world.attendance.pk])
    before = etag(anonymous_client, url)

    StatusChange.objects.create(
        attendance=world.attendance, status="invited", as_of=dt.date(2024, 4, 1)
    )

    assert etag(anonymous_client, url) != before


def test_a_write_with_a_stale_if_match_answers_412_and_changes_nothing(editor_client, world):
    stale = etag(editor_client, summit_url())
    editor_client.patch(summit_url(), {"city": "Washington"})

    response = editor_client.patch(summit_url(), {"city": "Baltimore"}, HTTP_IF_MATCH=stale)

    assert response.status_code == 412
    assert response.json()["errors"][0]["code"] == "precondition_failed"
    world.summit.refresh_from_db()
    assert world.summit.city == "Washington"


def test_a_write_with_the_current_etag_succeeds_and_returns_the_next_one(editor_client, world):
    current = etag(editor_client, summit_url())

    response = editor_client.patch(summit_url(), {"city": "Washington"}, HTTP_IF_MATCH=current)

    assert response.status_code == 200
    assert response["ETag"] == etag(editor_client, summit_url()) != current


@pytest.mark.parametrize("if_match", [None, "*"])
def test_if_match_is_optional(editor_client, world, if_match):
    headers = {"HTTP_IF_MATCH": if_match} if if_match else {}

    assert editor_client.patch(summit_url(), {"city": "Washington"}, **headers).status_code == 200


def test_a_delete_with_a_stale_if_match_answers_412(editor_client, world):
    url = reverse("api:source-detail", args=["nato-website"])
    stale = etag(editor_client, url)
    editor_client.patch(url, {"author": "NATO"})

    assert editor_client.delete(url, HTTP_IF_MATCH=stale).status_code == 412
    assert editor_client.delete(url, HTTP_IF_MATCH=etag(editor_client, url)).status_code == 204


def test_recording_a_status_with_the_timelines_current_etag_succeeds(editor_client, world):
    statuses = reverse("api:attendance-statuses", args=[world.attendance.pk])
    editor_client.post(statuses, {"status": "invited", "as_of": "2024-04"})

    response = editor_client.post(
        statuses,
        {"status": "declined", "as_of": "2024-05"},
        HTTP_IF_MATCH=etag(editor_client, statuses),
    )

    assert response.status_code == 201
    assert StatusChange.objects.count() == 2


def test_recording_a_status_with_a_stale_if_match_answers_412(editor_client, world):
    statuses = reverse("api:attendance-statuses", args=[world.attendance.pk])
    stale = etag(editor_client, statuses)
    editor_client.post(statuses, {"status": "invited", "as_of": "2024-04"})

    response = editor_client.post(
        statuses, {"status": "declined", "as_of": "2024-05"}, HTTP_IF_MATCH=stale
    )

    assert response.status_code == 412
    assert StatusChange.objects.count() == 1


def test_a_repeated_get_of_unchanged_data_answers_304_after_one_query(anonymous_client, world):
    tag = etag(anonymous_client, summit_url())

    with CaptureQueriesContext(connection) as queries:
        response = anonymous_client.get(summit_url(), HTTP_IF_NONE_MATCH=tag)

    assert response.status_code == 304
    assert response["ETag"] == tag
    # In the request's snapshot (a savepoint inside a test's transaction).
    assert [query["sql"] for query in queries if "SAVEPOINT" not in query["sql"]] == [
        "SELECT token FROM summits_dataversion WHERE id = 1"
    ]


def test_an_early_304_says_what_the_200_varies_on(anonymous_client, world):
    # A cache that updates its stored headers from a 304 must still key the body by language.
    tag = etag(anonymous_client, summit_url())
    full = anonymous_client.get(summit_url())

    early = anonymous_client.get(summit_url(), HTTP_IF_NONE_MATCH=tag)

    assert early.status_code == 304
    vary = {header.strip() for header in early["Vary"].split(",")}
    assert vary >= {header.strip() for header in full["Vary"].split(",")}
    assert "Accept-Language" in vary


@pytest.mark.parametrize(
    "forged",
    ["<script>alert(1)</script>", "x" * 7000, "ZZ", ""],
    ids=["markup", "long", "not-hex", "empty"],
)
def test_an_etag_whose_body_hash_is_not_one_is_never_echoed(anonymous_client, world, forged):
    version, key, _ = conditional.etag_parts(etag(anonymous_client, summit_url()))

    response = anonymous_client.get(summit_url(), HTTP_IF_NONE_MATCH=f'"{version}.{key}.{forged}"')

    assert response.status_code == 200
    assert response["ETag"] != f'"{version}.{key}.{forged}"'


def test_lists_carry_etags_and_answer_304_too(anonymous_client, world):
    url = reverse("api:attendance-list")
    tag = etag(anonymous_client, url)

    assert anonymous_client.get(url, HTTP_IF_NONE_MATCH=tag).status_code == 304


def test_after_a_write_elsewhere_the_old_etag_still_answers_304(anonymous_client, world):
    tag = etag(anonymous_client, summit_url())

    Country.objects.create(code="FR", name="France")
    response = anonymous_client.get(summit_url(), HTTP_IF_NONE_MATCH=tag)

    assert response.status_code == 304
    assert response["ETag"] != tag
    assert response["ETag"].rsplit(".", 1)[1] == tag.rsplit(".", 1)[1]


def test_after_a_write_elsewhere_the_old_etag_still_allows_a_write(editor_client, world):
    tag = etag(editor_client, summit_url())
    Country.objects.create(code="FR", name="France")

    response = editor_client.patch(summit_url(), {"city": "Washington"}, HTTP_IF_MATCH=tag)

    assert response.status_code == 200


@pytest.mark.parametrize(
    "write",
    [
        "UPDATE summits_country SET name = 'Nippon' WHERE code = 'JP'",
        "DELETE FROM summits_attendance",
    ],
)
def test_a_raw_sql_write_is_never_answered_with_a_stale_304(anonymous_client, world, write):
    before = anonymous_client.get(summit_url())

    with connection.cursor() as cursor:
        cursor.execute(write)
    after = anonymous_client.get(summit_url(), HTTP_IF_NONE_MATCH=before["ETag"])

    assert after.status_code == 200
    assert after.content != before.content


def test_loaddata_changes_the_data_version(anonymous_client, world):
    tag = etag(anonymous_client, summit_url())

    call_command("load_fixtures", "article", verbosity=0)
    response = anonymous_client.get(summit_url(), HTTP_IF_NONE_MATCH=tag)

    assert response.status_code == 200


def test_the_etag_depends_on_the_host_and_the_accept_header(anonymous_client, world):
    plain = etag(anonymous_client, summit_url())
    other_host = anonymous_client.get(summit_url(), HTTP_HOST="localhost")
    json_only = anonymous_client.get(summit_url(), HTTP_ACCEPT="application/json")

    assert len({plain, other_host["ETag"], json_only["ETag"]}) == 3
    assert (
        anonymous_client.get(
            summit_url(), HTTP_HOST="localhost", HTTP_IF_NONE_MATCH=plain
        ).status_code
        == 200
    )


def test_a_weak_or_foreign_if_match_is_refused(editor_client, world):
    tag = etag(editor_client, summit_url())

    for stale in (f"W/{tag}", '"something-else"'):
        response = editor_client.patch(summit_url(), {"city": "Washington"}, HTTP_IF_MATCH=stale)
        assert response.status_code == 412


# Concurrency: real concurrent transactions, so PostgreSQL only (SQLite serializes writers).

needs_postgres = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="concurrent writers need PostgreSQL's row locks"
)


def run_concurrently(count: int, work) -> list:
    """Run `work(index)` in `count` threads released together; each closes its connection."""
    barrier = threading.Barrier(count)
    results: list = [None] * count

    def worker(index: int) -> None:
        try:
            barrier.wait(timeout=10)
            results[index] = work(index)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(index,)) for index in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results


@pytest.fixture
def shared_world(transactional_db, editor):
    call_command("load_fixtures", "article", verbosity=0)
    return Attendance.objects.get(summit__slug="nato-2024-washington", country__code="JP")


@pytest.mark.postgres
@needs_postgres
def test_ten_concurrent_writers_lose_no_status_change(shared_world, editor, record_property):
    attendance = shared_world
    statuses = reverse("api:attendance-statuses", args=[attendance.pk])
    writers = 10

    def write(index: int) -> dict:
        client = APIClient()
        client.force_authenticate(editor)
        for refused in range(50):
            tag = client.get(statuses)["ETag"]  # the timeline it adds to
            body = {
                "status": "considering",
                "as_of": f"2024-06-{index + 1:02d}",
                "note": f"writer {index}",
            }
            response = client.post(statuses, body, HTTP_IF_MATCH=tag)
            if response.status_code == 201:
                return {"id": response.json()["id"], "refused": refused}
            assert response.status_code == 412, response.content
        raise AssertionError(f"writer {index} never got through")

    results = run_concurrently(writers, write)

    accepted = {result["id"] for result in results}
    timeline = StatusChange.objects.filter(attendance=attendance)
    assert len(accepted) == writers
    assert accepted <= set(timeline.values_list("id", flat=True))
    assert StatusChange.history.filter(id__in=accepted, history_type="+").count() == writers
    attendance.refresh_from_db()
    assert attendance.status == timeline.order_by("-as_of", "-id").first().status
    record_property("stale_writes_refused", sum(r["refused"] for r in results))


@pytest.mark.postgres
@needs_postgres
def test_concurrent_edits_from_one_read_let_exactly_one_through(shared_world, editor):
    url = reverse("api:attendance-detail", args=[shared_world.pk])
    tag = APIClient().get(url)["ETag"]

    def edit(index: int) -> int:
        client = APIClient()
        client.force_authenticate(editor)
        return client.patch(url, {"note": f"edit {index}"}, HTTP_IF_MATCH=tag).status_code

    codes = run_concurrently(10, edit)

    assert sorted(codes) == [200] + [412] * 9
    shared_world.refresh_from_db()
    assert shared_world.history.filter(history_type="~").count() == 1


@pytest.mark.postgres
@needs_postgres
def test_twenty_identical_posts_create_one_attendance(shared_world, editor):
    body = {"summit": "nato-2024-washington", "country": "KR"}

    def post(index: int) -> int:
        client = APIClient()
        client.force_authenticate(editor)
        return client.post(reverse("api:attendance-list"), body).status_code

    codes = run_concurrently(20, post)

    assert codes.count(201) == 1
    assert set(codes) <= {201, 400, 409}
    assert (
        Attendance.objects.filter(summit__slug="nato-2024-washington", country__code="KR").count()
        == 1
    )


def summit_tables() -> list:
    """Every model of the app whose rows are summit data (history tables aside, and the change
    feed's log, which the database's triggers write from those writes: unmanaged)."""
    return [
        model
        for model in apps.get_app_config("summits").get_models()
        if not model.__name__.startswith("Historical") and model._meta.managed
    ]


@pytest.mark.parametrize("model", summit_tables(), ids=lambda model: model.__name__)
def test_a_raw_write_to_any_summit_table_changes_the_data_version(article_and_context, model):
    # On SQLite a migration that alters a column rebuilds the table and drops its triggers; this
    # finds a table whose writes no longer change the version, whatever migration dropped them.
    leader = Leader.objects.get(slug="fumio-kishida")
    LeaderName.objects.create(leader=leader, name="Kishida Fumio")
    row = model._base_manager.order_by("pk").first()
    before = data_version()

    model._base_manager.filter(pk=row.pk).update(id=row.pk)

    assert data_version() != before


def test_app_servers_of_one_release_agree_on_etags_and_releases_never_share_them(
    anonymous_client, world, monkeypatch, settings
):
    url = summit_url()
    # What a view renders, not what the shared cache holds for the release.
    settings.RESPONSE_CACHE_SECONDS = 0
    settings.RELEASE = "2026.12.1"
    monkeypatch.setattr(conditional, "_RELEASE", conditional._release_fingerprint())
    first_server = etag(anonymous_client, url)
    monkeypatch.setattr(conditional, "_RELEASE", conditional._release_fingerprint())
    second_server = etag(anonymous_client, url)

    settings.RELEASE = "2026.12.2"
    monkeypatch.setattr(conditional, "_RELEASE", conditional._release_fingerprint())
    next_release = etag(anonymous_client, url)

    with CaptureQueriesContext(connection) as queries:
        revalidated = anonymous_client.get(url, HTTP_IF_NONE_MATCH=first_server)

    assert first_server == second_server
    assert next_release != first_server
    # The same bytes still answer 304, but only once rendered again: a tag of another release
    # never skips the view.
    assert revalidated.status_code == 304
    assert len(queries) > 1


@pytest.mark.parametrize("library", ["djangorestframework", "pycountry", "icalendar"])
def test_a_release_with_another_version_of_a_library_that_renders_bytes_has_other_tags(
    settings, monkeypatch, library
):
    settings.RELEASE = "2026.12.1"
    before = conditional._release_fingerprint()
    installed = conditional.metadata.version
    monkeypatch.setattr(
        conditional.metadata,
        "version",
        lambda name: "999.0" if name == library else installed(name),
    )

    assert conditional._release_fingerprint() != before


def test_without_a_release_each_server_start_is_a_release_of_its_own(settings):
    settings.RELEASE = ""

    assert conditional._release_fingerprint() != conditional._release_fingerprint()


def test_only_the_api_carries_etags(admin_client, world):
    # One ETag layer: the API's own, which can answer 304 before the view runs.
    assert "ETag" not in admin_client.get(reverse("admin:summits_summit_changelist"))
    assert "ETag" in admin_client.get(summit_url())
