from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from directory.services import InterchangeError, facility_import, read_interchange


class Command(BaseCommand):
    help = (
        "Import facilities from an interchange file (DESIGN §6): upsert by slug, all or "
        "nothing. Every problem is reported with its record index, slug and field."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", help="path to a JSON interchange file, or - for stdin")
        parser.add_argument(
            "--dry-run", action="store_true", help="validate and report, write nothing"
        )

    def handle(self, *args, file, dry_run, **options):
        try:
            text = self.stdin.read() if file == "-" else Path(file).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as error:
            raise CommandError(f"cannot read {file}: {error}") from None
        try:
            records = read_interchange(text)
        except InterchangeError as error:
            raise CommandError(f"{file}: {error}") from None
        result = facility_import(records=records, dry_run=dry_run)
        if not result.ok:
            for problem in result.problems:
                self.stderr.write(str(problem))
            raise CommandError(
                f"{file}: {len(result.problems)} problem(s) in {len(records)} record(s); "
                "nothing was imported"
            )
        verb = "would create" if dry_run else "created"
        verb2 = "would update" if dry_run else "updated"
        self.stdout.write(
            f"{file}: {verb} {len(result.created)}, {verb2} {len(result.updated)} facilities"
            + (" (dry run: nothing written)" if dry_run else "")
        )
