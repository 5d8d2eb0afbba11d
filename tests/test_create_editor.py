"""`manage.py create_editor`: a user who may edit the data, with a password never defaulted."""

import io

import pytest
from django.contrib.auth.models import User
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse
from rest_framework.test import APIClient

PASSWORD = "change-me-please-1"


def create_editor(*args: str) -> str:
    out = io.StringIO()
    call_command("create_editor", *args, stdout=out)
    return out.getvalue()


@pytest.fixture
def password_in_environment(monkeypatch):
    monkeypatch.setenv("EDITOR_PASSWORD", PASSWORD)


@pytest.mark.usefixtures("password_in_environment")
def test_the_editor_takes_a_token_and_writes_through_the_api(db):
    output = create_editor("editor")

    client = APIClient()
    token = client.post(
        reverse("api:token"), {"username": "editor", "password": PASSWORD}, format="json"
    ).json()["token"]
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    response = client.post(
        reverse("api:country-list"), {"code": "FR", "name": "France"}, format="json"
    )

    assert 'Created the user "editor" in the group "Editors"' in output
    assert response.status_code == 201, response.json()


@pytest.mark.usefixtures("password_in_environment")
def test_the_editor_may_use_the_admin_but_is_no_superuser(db, client):
    create_editor("editor")
    client.login(username="editor", password=PASSWORD)

    response = client.get(reverse("admin:summits_summit_add"))

    assert response.status_code == 200
    assert not User.objects.get(username="editor").is_superuser


@pytest.mark.usefixtures("password_in_environment")
def test_the_editor_may_not_edit_users_or_the_edit_history(db):
    create_editor("editor")
    editor = User.objects.get(username="editor")

    assert editor.has_perm("summits.delete_attendance")
    assert not editor.has_perm("auth.add_user")
    assert not editor.has_perm("summits.change_historicalsummit")


def test_without_a_password_and_without_a_terminal_nobody_is_created(db, monkeypatch):
    monkeypatch.delenv("EDITOR_PASSWORD", raising=False)
    monkeypatch.setattr("sys.stdin", io.StringIO(""))

    with pytest.raises(CommandError, match="No password: set EDITOR_PASSWORD"):
        create_editor("editor")
    assert not User.objects.exists()


def test_a_weak_password_is_refused_saying_why(db, monkeypatch):
    monkeypatch.setenv("EDITOR_PASSWORD", "editor")

    with pytest.raises(CommandError, match="too similar to the username"):
        create_editor("editor")
    assert not User.objects.exists()


def test_the_password_is_asked_for_twice_in_a_terminal(db, monkeypatch):
    monkeypatch.delenv("EDITOR_PASSWORD", raising=False)
    monkeypatch.setattr("sys.stdin.isatty", lambda: True)
    typed = iter(["first-try-password-1", "a-typo-in-it", PASSWORD, PASSWORD])
    monkeypatch.setattr("getpass.getpass", lambda prompt: next(typed))
    errors = io.StringIO()

    call_command("create_editor", "editor", stdout=io.StringIO(), stderr=errors)

    assert "The two passwords differ; try again." in errors.getvalue()
    assert User.objects.get(username="editor").check_password(PASSWORD)


@pytest.mark.usefixtures("password_in_environment")
def test_an_existing_user_is_left_as_it_was(db):
    User.objects.create_user("editor", password="an-older-password-1")

    with pytest.raises(CommandError, match='A user named "editor" exists already'):
        create_editor("editor")
    assert User.objects.get(username="editor").check_password("an-older-password-1")
