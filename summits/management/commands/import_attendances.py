"""Import attendances with their status timelines from a JSON file, in bulk, all or nothing."""

import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import IO, Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from tqdm.utils import CallbackIOWrapper

from summits.management.streaming import NotAnArray, NotJSON, json_array_items, progress_bar
from summits.services import ImportRejected, ImportReport, attendances_import


class Command(BaseCommand):
    help = (
        "Create or update attendances (by summit slug and country code) with their status "
        "timelines from a JSON array of rows; any bad row rejects the whole file. Each row: "
        '{"summit": slug, "country": code, "leader": slug or null, "role": role or null, '
        '"note": text, "status_changes": [{"status", "as_of": "YYYY", "YYYY-MM" or '
        '"YYYY-MM-DD" (the date at its precision), "note"}]}. The file is read as it is '
        "imported, so memory does not grow with its length; a progress bar shows on a terminal."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("path", help='The JSON file; "-" reads standard input.')

    def handle(self, *args: Any, path: str, **options: Any) -> None:
        stream = _opened(path)
        size = None if path == "-" else os.fstat(stream.fileno()).st_size
        bar = progress_bar(
            options.get("stderr"),
            total=size,
            unit="B",
            unit_scale=True,
            desc=f"Importing {os.path.basename(path) if path != '-' else 'standard input'}",
        )
        try:
            with _refusals_explained(path), bar:
                reading = CallbackIOWrapper(bar.update, stream, "read")
                report = attendances_import(rows=json_array_items(reading))
        finally:
            if path != "-":
                stream.close()
        self.stdout.write(self.style.SUCCESS(_summary(report)))


def _opened(path: str) -> IO[bytes]:
    """The file at `path`, or standard input for "-", to read as bytes."""
    try:
        return sys.stdin.buffer if path == "-" else open(path, "rb")
    except OSError as error:
        raise CommandError(f"Cannot read {path}: {error.strerror}.") from error


@contextmanager
def _refusals_explained(path: str) -> Iterator[None]:
    """Say why the file at `path` was not imported, for each way reading or importing it fails."""
    try:
        yield
    except OSError as error:
        raise CommandError(f"Cannot read {path}: {error.strerror}.") from error
    except NotAnArray as error:
        raise CommandError(f"{path} must hold a JSON array of rows.") from error
    except ImportRejected as error:
        raise CommandError(_rejection(error)) from error
    except UnicodeDecodeError as error:
        raise CommandError(f"{path} is not UTF-8 text: {error.reason}.") from error
    except NotJSON as error:
        raise CommandError(f"{path} is not JSON: {error}. Nothing was imported.") from error
    except RecursionError as error:
        raise CommandError(
            f"{path} nests its JSON too deeply to read. Nothing was imported."
        ) from error
    except UnicodeEncodeError as error:
        raise CommandError(
            f"{path} holds a lone surrogate ({error.object[error.start : error.end]!r}), which "
            "is not text. Nothing was imported."
        ) from error
    except ValueError as error:
        # Python's own limits on what JSON holds: an integer of over 4,300 digits, say.
        raise CommandError(f"{path} holds {error}. Nothing was imported.") from error


def _rejection(error: ImportRejected) -> str:
    """The rows' errors, one a line, with how many there were."""
    problems = [
        f"  {where}: {message}"
        for where, messages in error.message_dict.items()
        for message in messages
    ]
    if error.more:
        problems.append(f"  ... and {_count(error.more, 'more error')}.")
    return (
        f"Nothing was imported: {_count(error.error_count, 'error')} "
        "(rows count from 0):\n" + "\n".join(problems)
    )


def _summary(report: ImportReport) -> str:
    return (
        f"Imported {_count(report.rows, 'attendance')}: {report.created:,} created, "
        f"{report.updated:,} updated, {report.unchanged:,} unchanged; "
        f"{_count(report.status_changes, 'status change')} added"
        + (f", with {_count(report.citations, 'citation')}" if report.citations else "")
        + "."
    )


def _count(number: int, noun: str) -> str:
    return f"{number:,} {noun}{'' if number == 1 else 's'}"
