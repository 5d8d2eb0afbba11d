"""The "first" labels are stored, and the database keeps them right whoever writes: each test
writes through the ORM or raw SQL, then checks every stored label against the definition that
reads other rows (summits.records.attendances_with_firsts, via `manage.py refresh_firsts`)."""

import datetime as dt
import importlib
import io
import random
import threading

import pytest
from django.core.management import CommandError, call_command
from django.db import connection, connections, transaction
from django.urls import reverse

from summits.models import Attendance, Country, Leader, Organization, StatusChange, Summit
from summits.services import attendance_record_status, firsts_refresh
from tests.helpers import count_queries

ATTENDED = "attended"


def assert_no_drift() -> None:
    report = firsts_refresh(repair=False)
    assert report.drifted == 0, report.examples


def labels(attendance: Attendance) -> tuple[str | None, str | None]:
    attendance.refresh_from_db(fields=["first_for_country", "first_for_leader"])
    return attendance.first_for_country, attendance.first_for_leader


def execute(sql: str, params: list | tuple = ()) -> None:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


def run_concurrently(*writers) -> list[BaseException]:
    """Each of `writers` in a thread of its own, with its own connection; what they raised."""
    errors: list[BaseException] = []

    def run(writer) -> None:
        try:
            writer()
        except BaseException as error:
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(writer,)) for writer in writers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return errors


def wait_for_a_lock_waiter(attempts: int = 300) -> None:
    """Until another connection waits on a lock (or about three seconds have passed)."""
    with connections["default"].cursor() as cursor:
        for _ in range(attempts):
            # Inside a transaction the statistics stay as first read unless cleared.
            cursor.execute("SELECT pg_stat_clear_snapshot()")
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock'"
                " AND datname = current_database()"
            )
            if cursor.fetchone()[0]:
                return
            threading.Event().wait(0.01)


@pytest.fixture
def world(db):
    """Two organizations (one complete from 2000), a summit of neither, countries and leaders."""
    nato = Organization.objects.create(
        slug="nato", name="NATO", records_complete_from=dt.date(2000, 1, 1)
    )
    g7 = Organization.objects.create(slug="g7", name="G7")
    countries = [Country.objects.create(code=code, name=code) for code in ("JP", "FR", "KR")]
    leaders = [
        Leader.objects.create(slug=f"leader-{index}", name=f"Leader {index}", country=country)
        for index, country in enumerate(countries * 2)
    ]
    summits = [
        Summit.objects.create(
            slug=f"{organization.slug if organization else 'bilateral'}-{year}-{suffix}",
            name=f"Summit {year}{suffix}",
            organization=organization,
            start_date=dt.date(year, 7, 1),
        )
        for organization in (nato, g7, None)
        for year in (1998, 2005, 2010)
        for suffix in ("a", "b")
    ]
    return {
        "organizations": [nato, g7],
        "countries": countries,
        "leaders": leaders,
        "summits": summits,
    }


def test_an_attended_attendance_is_labelled_when_written(world):
    nato_2005 = Summit.objects.get(slug="nato-2005-a")
    japan = world["countries"][0]
    kishida = world["leaders"][0]

    attendance = Attendance.objects.create(
        summit=nato_2005, country=japan, leader=kishida, status=ATTENDED
    )

    # NATO's records are complete from 2000: the summit of 2005 is a true first.
    assert labels(attendance) == ("first", "first")
    # An earlier one, before the records are complete: it is the first recorded, and the 2005
    # one is not a first any more.
    earlier = Attendance.objects.create(
        summit=Summit.objects.get(slug="nato-1998-a"), country=japan, status=ATTENDED
    )
    assert labels(earlier) == ("first recorded", None)
    assert labels(attendance) == (None, "first")
    assert_no_drift()


def test_a_status_step_a_summit_date_and_an_organization_move_the_labels(world, editor):
    japan = world["countries"][0]
    first = Attendance.objects.create(
        summit=Summit.objects.get(slug="nato-2005-a"), country=japan, status=ATTENDED
    )
    second = Attendance.objects.create(
        summit=Summit.objects.get(slug="nato-2010-a"), country=japan, status=ATTENDED
    )
    assert (labels(first)[0], labels(second)[0]) == ("first", None)

    # The status as the service writes it.
    Attendance.objects.filter(pk=first.pk).update(status="declined")
    assert (labels(first)[0], labels(second)[0]) == (None, "first")

    # A summit moved before the other.
    Summit.objects.filter(slug="nato-2005-a").update(start_date=dt.date(2012, 1, 1))
    Attendance.objects.filter(pk=first.pk).update(status=ATTENDED)
    assert (labels(first)[0], labels(second)[0]) == (None, "first")

    # Records complete only from 2011: the 2010 summit is the first recorded.
    Organization.objects.filter(slug="nato").update(records_complete_from=dt.date(2011, 1, 1))
    assert labels(second)[0] == "first recorded"

    # The summit leaves its organization: its attendance is in no organization's record.
    Summit.objects.filter(slug="nato-2010-a").update(organization=None)
    assert (labels(first)[0], labels(second)[0]) == ("first", None)
    assert_no_drift()


@pytest.mark.parametrize("seed", range(4))
def test_random_writes_by_any_path_leave_no_drift(world, seed):
    """Writes of every kind, through the ORM and as raw SQL, several rows per statement too:
    after each, every stored label is what the definition says."""
    rng = random.Random(seed)
    summits, countries, leaders = world["summits"], world["countries"], world["leaders"]
    statuses = [ATTENDED, ATTENDED, "declined", "invited", None]

    def new_attendance() -> None:
        country = rng.choice(countries)
        summit = rng.choice(summits)
        if Attendance.objects.filter(summit=summit, country=country).exists():
            return
        leader = rng.choice([None, *(leader for leader in leaders if leader.country == country)])
        Attendance.objects.create(
            summit=summit, country=country, leader=leader, status=rng.choice(statuses)
        )

    def some() -> list[int]:
        ids = list(Attendance.objects.values_list("pk", flat=True))
        return rng.sample(ids, min(len(ids), rng.randint(1, 4)))

    def bulk_sql() -> None:
        country = rng.choice(countries)
        taken = set(Attendance.objects.filter(country=country).values_list("summit_id", flat=True))
        free = [summit for summit in summits if summit.pk not in taken]
        rows = rng.sample(free, min(len(free), 3))
        if rows:
            values = ", ".join(["(%s, %s, NULL, NULL, %s, '')"] * len(rows))
            params = [p for summit in rows for p in (summit.pk, country.pk, rng.choice(statuses))]
            execute(
                "INSERT INTO summits_attendance (summit_id, country_id, leader_id, role, status,"
                f" note) VALUES {values}",
                params,
            )

    operations = [
        new_attendance,
        new_attendance,
        bulk_sql,
        lambda: Attendance.objects.filter(pk__in=some()).update(status=rng.choice(statuses)),
        lambda: execute(
            "UPDATE summits_attendance SET status = %s WHERE id IN (SELECT id FROM"
            " summits_attendance ORDER BY id LIMIT 3)",
            [rng.choice(statuses)],
        ),
        lambda: Attendance.objects.filter(pk__in=some()).delete(),
        lambda: (
            execute("DELETE FROM summits_attendance WHERE id = %s", [rng.choice(some())])
            if Attendance.objects.exists()
            else None
        ),
        lambda: Attendance.objects.filter(pk__in=some()[:1]).update(leader=None),
        lambda: Summit.objects.filter(pk=rng.choice(summits).pk).update(
            start_date=dt.date(rng.choice([1995, 2005, 2010, 2015]), 7, 1)
        ),
        lambda: Summit.objects.filter(pk=rng.choice(summits).pk).update(
            organization=rng.choice([None, *world["organizations"]])
        ),
        lambda: Organization.objects.filter(pk=rng.choice(world["organizations"]).pk).update(
            records_complete_from=rng.choice([None, dt.date(2000, 1, 1), dt.date(2008, 1, 1)])
        ),
    ]
    labelled_counts = []
    for step in range(60):
        rng.choice(operations)()
        report = firsts_refresh(repair=False)
        assert report.drifted == 0, (step, report.examples)
        labelled_counts.append(Attendance.objects.exclude(first_for_country=None).count())
    # The writes made and unmade labels along the way.
    assert len(set(labelled_counts)) > 1


def test_a_label_written_directly_is_ranked_again(world):
    japan = world["countries"][0]
    first = Attendance.objects.create(
        summit=Summit.objects.get(slug="g7-2005-a"), country=japan, status=ATTENDED
    )
    later = Attendance.objects.create(
        summit=Summit.objects.get(slug="g7-2010-a"), country=japan, status=ATTENDED
    )

    execute("UPDATE summits_attendance SET first_for_country = NULL WHERE id = %s", [first.pk])
    execute("UPDATE summits_attendance SET first_for_country = 'first' WHERE id = %s", [later.pk])

    assert (labels(first)[0], labels(later)[0]) == ("first recorded", None)


def without_triggers(sql: str, params: list) -> None:
    """`sql` run as a write that no trigger sees: a replica's apply on PostgreSQL, a table
    whose triggers were dropped (and are made again) on SQLite."""
    if connection.vendor == "postgresql":
        execute("SET LOCAL session_replication_role = replica")
        execute(sql, params)
        execute("SET LOCAL session_replication_role = origin")
        return
    migration = importlib.import_module("summits.migrations.0013_firsts_kept_on_write")
    for name in migration.SQLITE_TRIGGERS:
        execute(f"DROP TRIGGER {name}")
    execute(sql, params)
    for statement in migration.sqlite_statements():
        execute(statement)


def test_the_command_reports_and_repairs_labels_written_around_the_triggers(world):
    japan = world["countries"][0]
    attendance = Attendance.objects.create(
        summit=Summit.objects.get(slug="g7-2005-a"), country=japan, status=ATTENDED
    )
    without_triggers(
        "UPDATE summits_attendance SET first_for_country = NULL WHERE id = %s", [attendance.pk]
    )
    assert labels(attendance) == (None, None)

    out = io.StringIO()
    with pytest.raises(CommandError, match="1 label drifted; run without --check to repair"):
        call_command("refresh_firsts", "--check", stdout=out)
    assert f"attendance {attendance.pk}: first_for_country is None, should be 'first recorded'" in (
        out.getvalue()
    )
    call_command("refresh_firsts", stdout=out)

    assert "1 label drifted, 1 repaired." in out.getvalue()
    assert labels(attendance) == ("first recorded", None)
    assert_no_drift()


def test_the_attendance_list_reads_the_labels_from_their_columns(anonymous_client, world):
    japan = world["countries"][0]
    for slug in ("nato-1998-a", "nato-2005-a", "g7-2010-b"):
        Attendance.objects.create(
            summit=Summit.objects.get(slug=slug), country=japan, status=ATTENDED
        )

    rows = anonymous_client.get(reverse("api:attendance-list")).json()["results"]

    assert [(row["summit"], row["first_for_country"]) for row in rows] == [
        ("nato-1998-a", "first recorded"),
        ("nato-2005-a", None),
        ("g7-2010-b", "first recorded"),
    ]
    assert count_queries(
        anonymous_client, f"{reverse('api:attendance-list')}?page_size=3"
    ) == count_queries(anonymous_client, f"{reverse('api:attendance-list')}?page_size=1")


def test_an_attendance_written_through_the_api_answers_with_its_labels(editor_client, world):
    response = editor_client.post(
        reverse("api:attendance-list"),
        {"summit": "nato-2010-b", "country": "FR", "leader": "leader-1"},
        format="json",
    )
    assert response.status_code == 201, response.json()
    assert (response.json()["first_for_country"], response.json()["first_for_leader"]) == (
        None,
        None,
    )

    url = reverse("api:attendance-statuses", args=[response.json()["id"]])
    step = editor_client.post(url, {"status": ATTENDED, "as_of": "2010-07-01"}, format="json")
    assert step.status_code == 201, step.json()

    detail = editor_client.get(reverse("api:attendance-detail", args=[response.json()["id"]]))
    assert (detail.json()["first_for_country"], detail.json()["first_for_leader"]) == (
        "first",
        "first",
    )


@pytest.mark.django_db(transaction=True)
def test_concurrent_writers_never_both_label_their_own_row_first(world):
    """Two transactions each add an attended attendance of the same country and organization,
    the second while the first is still open: the second waits for the first's commit and ranks
    its row against the first's, so only the earlier summit's row keeps the label."""
    if connection.vendor != "postgresql":
        pytest.skip("SQLite has one writer at a time")
    japan = world["countries"][0]
    later, earlier = Summit.objects.get(slug="nato-2010-a"), Summit.objects.get(slug="nato-2005-a")
    first_written = threading.Event()

    def first_writer() -> None:
        with transaction.atomic():
            Attendance.objects.create(summit=later, country=japan, status=ATTENDED)
            first_written.set()
            # Commit only once the second writer waits on this transaction's lock.
            wait_for_a_lock_waiter()

    def second_writer() -> None:
        first_written.wait(timeout=10)
        with transaction.atomic():
            Attendance.objects.create(summit=earlier, country=japan, status=ATTENDED)

    errors = run_concurrently(first_writer, second_writer)

    assert errors == []
    assert_no_drift()
    assert list(
        Attendance.objects.exclude(first_for_country=None).values_list("summit__slug", flat=True)
    ) == ["nato-2005-a"]


def test_an_attendance_whose_label_moves_is_in_the_change_feed(anonymous_client, world):
    japan = world["countries"][0]
    later = Attendance.objects.create(
        summit=Summit.objects.get(slug="nato-2010-a"), country=japan, status=ATTENDED
    )
    start = anonymous_client.get("/api/changes/?after=latest").json()["next"]

    earlier = Attendance.objects.create(
        summit=Summit.objects.get(slug="nato-2005-a"), country=japan, status=ATTENDED
    )

    changes = anonymous_client.get(start).json()["results"]
    assert {
        (change["key"], change["kind"]) for change in changes if change["type"] == "attendance"
    } >= {
        (str(earlier.pk), "created"),
        (str(later.pk), "updated"),
    }
    assert labels(later) == (None, None)


@pytest.mark.django_db(transaction=True)
def test_a_status_step_and_a_write_that_moves_its_label_do_not_deadlock(world, monkeypatch):
    """A status step locks its attendance; a concurrent write elsewhere whose trigger re-labels
    that attendance waits for the data version's lock. The step takes that lock before its row
    lock, so the two run one after the other instead of waiting for each other."""
    if connection.vendor != "postgresql":
        pytest.skip("SQLite has one writer at a time")
    japan = world["countries"][0]
    first = Attendance.objects.create(
        summit=Summit.objects.get(slug="nato-2005-a"), country=japan, status=ATTENDED
    )
    later = Attendance.objects.create(
        summit=Summit.objects.get(slug="nato-2010-a"), country=japan, status=ATTENDED
    )
    row_locked = threading.Event()
    clean = StatusChange.full_clean

    def waiting_clean(change, *args, **kwargs):
        # The step holds its attendance's row: let the other writer start, and wait until it
        # is blocked (on the data version's lock, or on this row).
        row_locked.set()
        wait_for_a_lock_waiter()
        return clean(change, *args, **kwargs)

    monkeypatch.setattr(StatusChange, "full_clean", waiting_clean)

    def step() -> None:
        attendance_record_status(attendance=later, status="declined", as_of=dt.date(2010, 6, 1))

    def other_write() -> None:
        row_locked.wait(timeout=10)
        # No longer attended: the label moves to the later attendance, the step's row.
        Attendance.objects.filter(pk=first.pk).update(status="withdrawn")

    errors = run_concurrently(step, other_write)

    assert errors == []
    assert_no_drift()
