"""Shared fixtures: API clients for each role, and the article's data."""

import pytest
from django.contrib.auth.models import Permission, User
from django.core.management import call_command
from rest_framework.test import APIClient


@pytest.fixture
def article(db):
    """The database with the article fixture loaded."""
    call_command("loaddata", "article", verbosity=0)


@pytest.fixture
def article_and_context(db):
    """The database with the article fixture and the context fixture loaded."""
    call_command("loaddata", "article", "context", verbosity=0)


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
