"""Load the article's data and every ISO country into an empty database.

Never over what editors have changed: a database holding any summit data is left as it is.
"""

from django.apps import apps
from django.core.management import call_command
from django.core.management.base import BaseCommand
from django.db import transaction

from summits.countries import iso_countries_add


class Command(BaseCommand):
    help = (
        "Load the article and context fixtures and every ISO 3166-1 country, "
        "but only into an empty database."
    )

    fixtures = ("article", "context")

    def handle(self, *args, **options) -> None:
        # The data's tables: not the change feed's (its log, horizon and secret), which
        # migrating makes and no fixture holds.
        models = [m for m in apps.get_app_config("summits").get_models() if m._meta.managed]
        if any(model._default_manager.exists() for model in models):
            self.stdout.write("The database already holds summit data; nothing was loaded.")
            return
        with transaction.atomic():
            call_command("load_fixtures", *self.fixtures, verbosity=options["verbosity"])
            added = iso_countries_add()
        self.stdout.write(self.style.SUCCESS(f"Loaded the fixtures: {', '.join(self.fixtures)}."))
        self.stdout.write(
            self.style.SUCCESS(f"Added the {added} ISO 3166-1 countries the fixtures lack.")
        )
