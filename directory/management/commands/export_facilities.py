from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from directory.services import dump_interchange, facility_export


class Command(BaseCommand):
    help = "Export every facility, sorted by slug, in the interchange format (DESIGN §6)."

    def add_arguments(self, parser):
        parser.add_argument("file", nargs="?", help="where to write (default: stdout)")

    def handle(self, *args, file=None, **options):
        text = dump_interchange(facility_export())
        if file is None or file == "-":
            self.stdout.write(text, ending="")
            return
        try:
            Path(file).write_text(text, encoding="utf-8")
        except OSError as error:
            raise CommandError(f"cannot write {file}: {error}") from None
