"""Import attendances with their status timelines from a JSON file, in bulk, all or nothing."""

import json
import sys

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from summits.services import attendances_import


class Command(BaseCommand):
    help = (
        "Create or update attendances (by summit slug and country code) with their status "
        "timelines from a JSON array of rows; any bad row rejects the whole file. Each row: "
        '{"summit": slug, "country": code, "leader": slug or null, "role": role or null, '
        '"note": text, "status_changes": [{"status", "as_of": "YYYY-MM-DD", '
        '"as_of_precision": "day"|"month"|"year", "note"}]}.'
    )

    def add_arguments(self, parser):
        parser.add_argument("path", help='The JSON file; "-" reads standard input.')

    def handle(self, *args, path: str, **options) -> None:
        try:
            if path == "-":
                rows = json.load(sys.stdin)
            else:
                with open(path, encoding="utf-8") as stream:
                    rows = json.load(stream)
        except OSError as error:
            raise CommandError(f"Cannot read {path}: {error.strerror}.") from error
        except ValueError as error:
            raise CommandError(f"{path} is not JSON: {error}.") from error
        if not isinstance(rows, list):
            raise CommandError(f"{path} must hold a JSON array of rows.")
        try:
            report = attendances_import(rows=rows)
        except ValidationError as error:
            problems = [
                f"  {where}: {message}"
                for where, messages in error.message_dict.items()
                for message in messages
            ]
            raise CommandError(
                "Nothing was imported (rows count from 0):\n" + "\n".join(problems)
            ) from error
        self.stdout.write(
            self.style.SUCCESS(
                f"Imported {_count(len(rows), 'attendance')}: {report.created:,} created, "
                f"{report.updated:,} updated, {report.unchanged:,} unchanged; "
                f"{_count(report.status_changes, 'status change')} added"
                + (f", with {_count(report.citations, 'citation')}" if report.citations else "")
                + "."
            )
        )


def _count(number: int, noun: str) -> str:
    return f"{number:,} {noun}{'' if number == 1 else 's'}"
