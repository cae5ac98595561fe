import sys
from contextlib import nullcontext

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import reset_queries

from directory import services
from directory.services import InterchangeError, facility_import, iter_interchange


class Command(BaseCommand):
    help = (
        "Import facilities from an interchange file (DESIGN §6): upsert by slug, all or "
        "nothing. Every problem is reported with its record index, slug and field. The file "
        "is read as a stream, so memory does not grow with its size."
    )
    # call_command("import_facilities", "-", stdin=...) feeds the standard input.
    stealth_options = ("stdin",)

    def add_arguments(self, parser):
        parser.add_argument("file", help="path to a JSON interchange file, or - for stdin")
        parser.add_argument(
            "--dry-run", action="store_true", help="validate and report, write nothing"
        )

    def handle(self, *args, file, dry_run, **options):
        try:
            if file == "-":
                stream = nullcontext(_binary(options.get("stdin") or sys.stdin))
            else:
                stream = open(file, "rb")  # noqa: SIM115 (closed by the with below)
        except OSError as error:
            raise CommandError(f"cannot read {file}: {error}") from None
        records_read = 0

        def records(binary):
            nonlocal records_read
            for record in iter_interchange(binary):
                if settings.DEBUG and records_read % services.BATCH_SIZE == 0:
                    # DEBUG keeps every SQL statement in connection.queries (up to 9,000):
                    # for a large file, hundreds of MB of INSERT text. Drop the last chunk's.
                    reset_queries()
                records_read += 1
                yield record

        try:
            with stream as binary:
                result = facility_import(records=records(binary), dry_run=dry_run)
        except InterchangeError as error:
            raise CommandError(f"{file}: {error}") from None
        except OSError as error:
            raise CommandError(f"cannot read {file}: {error}") from None
        if not result.ok:
            for problem in result.problems:
                self.stderr.write(str(problem))
            raise CommandError(
                f"{file}: {len(result.problems)} problem(s) in {records_read} record(s); "
                "nothing was imported"
            )
        verb = "would create" if dry_run else "created"
        verb2 = "would update" if dry_run else "updated"
        self.stdout.write(
            f"{file}: {verb} {len(result.created)}, {verb2} {len(result.updated)} facilities"
            + (" (dry run: nothing written)" if dry_run else "")
        )


def _binary(stream):
    """Return a binary reader of a standard input (tests pass a text stream)."""
    return getattr(stream, "buffer", None) or _Utf8Reader(stream)


class _Utf8Reader:
    """Reads a text stream as UTF-8 bytes."""

    def __init__(self, stream):
        self.stream = stream

    def read(self, size=-1):
        data = self.stream.read(size)
        return data.encode("utf-8") if isinstance(data, str) else data
