"""Load the article's data into an empty database, and never over what editors have changed."""

from django.apps import apps
from django.core.management import call_command
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Load the article and context fixtures, but only into an empty database."

    fixtures = ("article", "context")

    def handle(self, *args, **options) -> None:
        models = apps.get_app_config("summits").get_models()
        if any(model._default_manager.exists() for model in models):
            self.stdout.write("The database already holds summit data; nothing was loaded.")
            return
        call_command("loaddata", *self.fixtures, verbosity=options["verbosity"])
        self.stdout.write(self.style.SUCCESS(f"Loaded the fixtures: {', '.join(self.fixtures)}."))
