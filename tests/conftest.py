"""Shared fixtures: API clients for each role, and the article's data."""

import datetime as dt
import string
from itertools import product
from types import SimpleNamespace

import pytest
from django.contrib.auth.models import Permission, User
from django.core.cache import caches
from django.core.management import call_command
from django.core.servers.basehttp import WSGIServer
from django.test.testcases import LiveServerThread
from rest_framework.test import APIClient

from summits.api import response_cache
from summits.models import (
    Attendance,
    Citation,
    Country,
    Leader,
    Organization,
    Source,
    StatusChange,
    Summit,
)
from tests.helpers import LIST_ROWS
from tests.outage import Cluster, postgres_bindir


class SerialWSGIServer(WSGIServer):
    """The live server, answering one request at a time.

    On SQLite the test database lives in memory and Django hands the live server the test's own
    connection; a threaded server would run a page's parallel requests (a save and the favicon,
    say) in one shared transaction, and the loser answers 503 "database table is locked".
    """

    def __init__(self, *args, connections_override=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.connections_override = connections_override


@pytest.fixture(autouse=True, scope="session")
def serial_live_server():
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(LiveServerThread, "server_class", SerialWSGIServer)
        yield


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    """Tests make many users; a slow hash would only make them slow."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def fresh_cache():
    """Throttle counters and cached responses live in the cache; each test starts with none,
    and with the responses' cache answering (a test that refused it is over)."""
    for each in caches.all():
        each.clear()
    response_cache.outage.reset()
    yield
    for each in caches.all():
        each.clear()
    response_cache.outage.reset()


@pytest.fixture(autouse=True)
def plain_static_files(settings):
    """Pages link static files; tests run without `collectstatic` and its manifest."""
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }


@pytest.fixture
def article(db):
    """The database with the article fixture loaded."""
    call_command("load_fixtures", "article", verbosity=0)


@pytest.fixture
def article_and_context(db):
    """The database with the article fixture and the context fixture loaded."""
    call_command("load_fixtures", "article", "context", verbosity=0)


@pytest.fixture
def anonymous_client() -> APIClient:
    return APIClient()


@pytest.fixture
def user(db) -> User:
    return User.objects.create_user("reader", password="not-a-real-password")


@pytest.fixture
def user_client(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


@pytest.fixture
def editor(db) -> User:
    """A user with every add, change and delete permission of the summits app."""
    editor = User.objects.create_user("editor", password="not-a-real-password")
    editor.user_permissions.set(
        Permission.objects.filter(content_type__app_label="summits").exclude(
            codename__startswith="view_"
        )
    )
    return editor


@pytest.fixture
def editor_client(editor) -> APIClient:
    client = APIClient()
    client.force_authenticate(editor)
    return client


@pytest.fixture
def staff(db) -> User:
    return User.objects.create_superuser("staff", "staff@example.org", "not-a-real-password")


@pytest.fixture
def world(db):
    """A few hand-made rows that the API tests build on: NATO 2024 with Japan attending."""
    japan = Country.objects.create(code="JP", name="Japan")
    united_states = Country.objects.create(code="US", name="United States")
    nato = Organization.objects.create(slug="nato", name="North Atlantic Treaty Organization")
    summit = Summit.objects.create(
        slug="nato-2024-washington",
        name="NATO Summit 2024, Washington",
        organization=nato,
        host_country=united_states,
        city="Washington, DC",
        start_date=dt.date(2024, 7, 9),
        end_date=dt.date(2024, 7, 11),
        status=Summit.Status.SCHEDULED,
    )
    kishida = Leader.objects.create(
        slug="fumio-kishida", name="Fumio Kishida", country=japan, office="Prime Minister"
    )
    attendance = Attendance.objects.create(summit=summit, country=japan, leader=kishida)
    source = Source.objects.create(key="nato-website", title="NATO", url="https://www.nato.int/")
    return SimpleNamespace(
        japan=japan,
        united_states=united_states,
        nato=nato,
        summit=summit,
        kishida=kishida,
        attendance=attendance,
        source=source,
    )


@pytest.fixture
def cluster():
    """A throwaway PostgreSQL cluster with an empty `tracker` database (tests/outage.py), for
    the tests that stop or hang the database under a real gunicorn."""
    cluster = Cluster(postgres_bindir())
    try:
        cluster.init()
        cluster.start()
        cluster.create_database("tracker")
        yield cluster
    finally:
        cluster.close()


@pytest.fixture
def many_rows(db):
    """LIST_ROWS rows of every kind of record, all linked, so each list has more than one big page."""
    codes = ["".join(pair) for pair in product(string.ascii_uppercase, repeat=2)][:LIST_ROWS]
    countries = Country.objects.bulk_create(
        Country(code=code, name=f"Country {code}") for code in codes
    )
    nato = Organization.objects.create(slug="nato", name="NATO")
    leaders = Leader.objects.bulk_create(
        Leader(slug=f"leader-{i}", name=f"Leader {i}", country=country, office="President")
        for i, country in enumerate(countries)
    )
    summits = Summit.objects.bulk_create(
        Summit(
            slug=f"summit-{i}",
            name=f"Summit {i}",
            organization=nato,
            host_country=countries[i],
            start_date=dt.date(1990 + i % 30, 1 + i % 12, 1 + i % 28),
        )
        for i in range(LIST_ROWS)
    )
    attendances = Attendance.objects.bulk_create(
        Attendance(summit=summits[0], country=country, leader=leader, status="invited")
        for country, leader in zip(countries, leaders, strict=True)
    )
    StatusChange.objects.bulk_create(
        StatusChange(attendance=attendance, status="invited", as_of=dt.date(1990, 1, 1))
        for attendance in attendances
    )
    source = Source.objects.create(key="web", title="Web", url="https://example.org/")
    Citation.objects.bulk_create(
        Citation(source=source, attendance=attendance, field="leader", basis="external")
        for attendance in attendances
    )
    Source.objects.bulk_create(
        Source(key=f"source-{i}", title=f"Source {i}", url="https://example.org/")
        for i in range(LIST_ROWS)
    )
    Organization.objects.bulk_create(
        Organization(slug=f"org-{i}", name=f"Org {i}") for i in range(LIST_ROWS)
    )
    return summits[0]
