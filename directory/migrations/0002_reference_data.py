"""Reference data: the five care levels (DESIGN §2), the eight service areas and the
348 neighborhoods of LA County (fixtures/reference/, see README "Data sources").

A fresh ``migrate`` gives a database ready to import facilities into.
"""

import csv
from pathlib import Path

from django.db import migrations

REFERENCE = Path(__file__).resolve().parent.parent.parent / "fixtures" / "reference"

CARE_LEVELS = [
    {
        "slug": "outpatient",
        "name": "Outpatient therapy",
        "rank": 1,
        "lives_at_home": True,
        "round_the_clock": False,
        "summary": "Regular sessions with a therapist or psychiatrist while living at home.",
        "typical_intensity": "1 session weekly or bi-weekly (< 9 h/week)",
        "asam_level": "1",
        "locus_level": "2",
        "samhsa_codes": ["OP", "ORT"],
    },
    {
        "slug": "iop",
        "name": "Intensive outpatient (IOP)",
        "rank": 2,
        "lives_at_home": True,
        "round_the_clock": False,
        "summary": (
            "Structured group and individual treatment several hours a day while living at "
            "home; often a step down after residential or inpatient care."
        ),
        "typical_intensity": "several hours a day, 3–5 days a week (9–19 h/week)",
        "asam_level": "2.1",
        "locus_level": "3",
        "samhsa_codes": ["OIT"],
    },
    {
        "slug": "php",
        "name": "Partial hospitalization (PHP, day treatment)",
        "rank": 3,
        "lives_at_home": True,
        "round_the_clock": False,
        "summary": "Hospital-level treatment most of the day; home in the evening.",
        "typical_intensity": "most of the day, 5 days a week (≥ 20 h/week)",
        "asam_level": "2.5",
        "locus_level": "4",
        "samhsa_codes": ["PHDT", "ODT"],
    },
    {
        "slug": "residential",
        "name": "Residential treatment",
        "rank": 4,
        "lives_at_home": False,
        "round_the_clock": True,
        "summary": "Living at the facility in a structured therapeutic setting.",
        "typical_intensity": "lives at the facility, structured 24/7",
        "asam_level": "3.x",
        "locus_level": "5",
        "samhsa_codes": ["RES", "RS", "RL"],
    },
    {
        "slug": "inpatient",
        "name": "Inpatient (hospital)",
        "rank": 5,
        "lives_at_home": False,
        "round_the_clock": True,
        "summary": "Hospital care with 24-hour medical supervision, including detox.",
        "typical_intensity": "24/7 medical supervision; detox",
        "asam_level": "4",
        "locus_level": "6",
        "samhsa_codes": ["HI", "HIT"],
    },
]


def read_csv(name):
    with open(REFERENCE / name, encoding="utf-8", newline="") as source:
        return list(csv.DictReader(source))


def load(apps, schema_editor):
    CareLevel = apps.get_model("directory", "CareLevel")
    ServiceArea = apps.get_model("directory", "ServiceArea")
    Neighborhood = apps.get_model("directory", "Neighborhood")
    CareLevel.objects.bulk_create(CareLevel(**level) for level in CARE_LEVELS)
    ServiceArea.objects.bulk_create(
        ServiceArea(number=int(row["number"]), name=row["name"], slug=row["slug"])
        for row in read_csv("la_service_areas.csv")
    )
    Neighborhood.objects.bulk_create(
        Neighborhood(
            slug=row["slug"],
            name=row["name"],
            kind=row["kind"],
            city=row["city"],
            service_area_id=int(row["service_area"]),
            latitude=float(row["latitude"]),
            longitude=float(row["longitude"]),
            population=int(row["population"] or 0),
        )
        for row in read_csv("la_neighborhoods.csv")
    )


def unload(apps, schema_editor):
    for name in ("Neighborhood", "ServiceArea", "CareLevel"):
        apps.get_model("directory", name).objects.all().delete()


class Migration(migrations.Migration):
    dependencies = [("directory", "0001_initial")]

    operations = [migrations.RunPython(load, unload)]
