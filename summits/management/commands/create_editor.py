"""Create a user who may edit the tracker's data, through the API and in the admin."""

import getpass
import os
import sys

from django.apps import apps
from django.contrib.auth.models import Group, Permission, User
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from simple_history.models import HistoricalChanges

GROUP_NAME = "Editors"
PASSWORD_VARIABLE = "EDITOR_PASSWORD"


class Command(BaseCommand):
    help = (
        f'Create a staff user in the group "{GROUP_NAME}", which may add, change and delete '
        "the tracker's records. The password comes from the environment variable "
        f"{PASSWORD_VARIABLE}, or is asked for in a terminal; there is no default."
    )

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--email", default="", help="The user's e-mail address.")

    def handle(self, *args, username: str, email: str, **options) -> None:
        if User.objects.filter(username=username).exists():
            raise CommandError(
                f'A user named "{username}" exists already; '
                f"change its password with `manage.py changepassword {username}`."
            )
        user = User(username=username, email=email, is_staff=True)
        password = self._password(user)
        with transaction.atomic():
            group = editors_group_update()
            user.set_password(password)
            user.save()
            user.groups.add(group)
        self.stdout.write(
            self.style.SUCCESS(
                f'Created the user "{username}" in the group "{GROUP_NAME}": it may add, '
                "change and delete the tracker's records, through the API and in the admin."
            )
        )

    def _password(self, user: User) -> str:
        """The password from the environment, or typed twice in a terminal, once it is valid."""
        password = os.environ.get(PASSWORD_VARIABLE)
        if password is not None:
            try:
                validate_password(password, user)
            except ValidationError as error:
                raise CommandError(
                    f"{PASSWORD_VARIABLE} is not a good password: {' '.join(error.messages)}"
                ) from error
            return password
        if not sys.stdin.isatty():
            raise CommandError(
                f"No password: set {PASSWORD_VARIABLE}, or run the command in a terminal "
                "to type one."
            )
        while True:
            password = getpass.getpass("Password: ")
            if password != getpass.getpass("Password (again): "):
                self.stderr.write("The two passwords differ; try again.")
                continue
            try:
                validate_password(password, user)
            except ValidationError as error:
                self.stderr.write(" ".join(error.messages))
                continue
            return password


def editors_group_update() -> Group:
    """The editors' group, with the add, change and delete permission of every model of the
    summits app (not of the edit history, which only the tracker writes)."""
    group, _ = Group.objects.get_or_create(name=GROUP_NAME)
    models = [
        model
        for model in apps.get_app_config("summits").get_models()
        if not issubclass(model, HistoricalChanges)
    ]
    group.permissions.set(
        Permission.objects.filter(
            content_type__app_label="summits",
            codename__in=[
                f"{action}_{model._meta.model_name}"
                for model in models
                for action in ("add", "change", "delete")
            ],
        )
    )
    return group
