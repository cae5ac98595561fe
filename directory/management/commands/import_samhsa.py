"""import_samhsa: load the SAMHSA mental-health treatment directory (README "Data sources").

The rows are converted by ``directory.samhsa`` (pure) and written by the import service,
all or nothing, upserting by slug: running it again updates the same facilities.
"""

from collections import Counter
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from directory import samhsa
from directory.choices import NeighborhoodKind
from directory.models import CareLevel, Neighborhood
from directory.services import facility_import

DEFAULT_FOLDER = Path(settings.BASE_DIR) / "fixtures" / "samhsa"
DEFAULT_FILE = DEFAULT_FOLDER / "samhsa_mh_directory_2022_la.csv"
DEFAULT_CODES = DEFAULT_FOLDER / "samhsa_service_codes.csv"
# Kinds whose names are place names a SAMHSA city can be; on a tie, the first kind wins.
CITY_KINDS = [NeighborhoodKind.CITY, NeighborhoodKind.LA_CITY_COMMUNITY]

CANNOT_READ = "cannot read {path}: {error}"
NOT_IMPORTED = "{path}: {count} problem(s) in the converted records; nothing was imported"
SUMMARY = (
    "{path}: {rows} rows: {verb} {records} facilities (created {created}, updated {updated}), "
    "rejected {rejected}"
)
LEVELS = "programs by level: {levels}"
REJECTED = "rejected row {row} ({name}): {reason}"
UNKNOWN_CODES = "codes not in the code list (ignored): {codes}"


def neighborhood_slugs():
    """Return {lower-case place name: neighborhood slug} for the SAMHSA converter.

    Incorporated cities and communities of the City of Los Angeles only: unincorporated
    areas (the ``-unincorporated`` remainders of a city among them) never stand for a
    city. When a city and a community share a name, the city wins.
    """
    rank = {kind: index for index, kind in enumerate(CITY_KINDS)}
    places = (
        Neighborhood.objects.filter(kind__in=CITY_KINDS)
        .exclude(slug__endswith="-unincorporated")
        .values_list("name", "slug", "kind")
    )
    mapping = {}
    for name, slug, _kind in sorted(places, key=lambda place: (rank[place[2]], place[1])):
        mapping.setdefault(name.lower(), slug)
    return mapping


class Command(BaseCommand):
    help = (
        "Import the SAMHSA National Directory of Mental Health Treatment Facilities CSV "
        "(default: the 2022 Los Angeles County rows in fixtures/samhsa/). Every row is "
        "imported or reported with the reason; running it again updates, never duplicates."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", nargs="?", default=str(DEFAULT_FILE), help="directory CSV")
        parser.add_argument(
            "--codes", default=str(DEFAULT_CODES), help="service code reference CSV"
        )
        parser.add_argument(
            "--dry-run", action="store_true", help="convert, validate and report; write nothing"
        )

    def handle(self, *args, file, codes, dry_run, **options):
        try:
            service_codes = samhsa.read_service_codes(codes)
            conversion = samhsa.convert_file(
                file, neighborhoods=neighborhood_slugs(), codes=service_codes
            )
        except (OSError, UnicodeDecodeError, ValueError) as error:
            raise CommandError(CANNOT_READ.format(path=file, error=error)) from None
        result = facility_import(records=conversion.records, dry_run=dry_run)
        if not result.ok:
            for problem in result.problems:
                self.stderr.write(str(problem))
            raise CommandError(NOT_IMPORTED.format(path=file, count=len(result.problems)))
        rows = len(conversion.records) + len(conversion.rejections)
        self.stdout.write(
            SUMMARY.format(
                path=file,
                rows=rows,
                verb="would import" if dry_run else "imported",
                records=len(conversion.records),
                created=len(result.created),
                updated=len(result.updated),
                rejected=len(conversion.rejections),
            )
            + (" (dry run: nothing written)" if dry_run else "")
        )
        levels = Counter(p["level"] for r in conversion.records for p in r["programs"])
        ranked = CareLevel.objects.order_by("rank").values_list("slug", flat=True)
        self.stdout.write(
            LEVELS.format(levels=", ".join(f"{slug} {levels[slug]}" for slug in ranked))
        )
        for rejection in conversion.rejections:
            self.stdout.write(
                REJECTED.format(row=rejection.row, name=rejection.name, reason=rejection.reason)
            )
        if conversion.unknown_codes:
            codes_seen = ", ".join(f"{code} ({n})" for code, n in conversion.unknown_codes.items())
            self.stdout.write(UNKNOWN_CODES.format(codes=codes_seen))
