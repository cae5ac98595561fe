"""import_samhsa: the SAMHSA 2022 directory rows of LA County, through the import service."""

import csv
from collections import Counter
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from directory import samhsa
from directory.management.commands import import_samhsa
from directory.models import Facility, Hours, Neighborhood, OpenSpan, Program

pytestmark = pytest.mark.django_db

REAL_FILE = import_samhsa.DEFAULT_FILE
LEVELS_LINE = "programs by level: outpatient 157, iop 0, php 26, residential 36, inpatient 18"


def run(*args):
    stdout = StringIO()
    call_command("import_samhsa", *args, stdout=stdout)
    return stdout.getvalue().splitlines()


def test_the_real_file_imports_all_193_rows():
    assert run() == [
        f"{REAL_FILE}: 193 rows: imported 193 facilities (created 193, updated 0), rejected 0",
        LEVELS_LINE,
    ]
    facilities = Facility.objects.filter(source="samhsa-2022")
    assert facilities.count() == 193
    assert facilities.filter(status="published", verified_at="2022-05-01").count() == 193
    assert Counter(Program.objects.values_list("care_level__slug", flat=True)) == {
        "outpatient": 157,
        "php": 26,
        "residential": 36,
        "inpatient": 18,
    }
    assert Program.objects.filter(dual_diagnosis=True).values("facility").distinct().count() == 163
    # 50 rows in the city of Los Angeles itself, and Altadena and Marina del Rey
    # (unincorporated) and Thousand Oaks (Ventura County) get no neighborhood
    assert facilities.filter(neighborhood__isnull=False).count() == 140
    assert sorted(
        facilities.filter(neighborhood__isnull=True)
        .exclude(city="Los Angeles")
        .values_list("city", flat=True)
    ) == ["Altadena", "Marina del Rey", "Thousand Oaks"]


def test_samhsa_facilities_have_no_coordinates_hours_or_sessions():
    run()
    assert not Facility.objects.filter(latitude__isnull=False).exists()
    assert not Facility.objects.filter(longitude__isnull=False).exists()
    assert not Hours.objects.exists()
    assert not OpenSpan.objects.exists()
    assert not Program.objects.filter(days_per_week__gt=0).exists()


def test_running_it_again_updates_the_same_facilities():
    run()
    ids = dict(Facility.objects.values_list("slug", "id"))
    assert run() == [
        f"{REAL_FILE}: 193 rows: imported 193 facilities (created 0, updated 193), rejected 0",
        LEVELS_LINE,
    ]
    assert dict(Facility.objects.values_list("slug", "id")) == ids
    assert set(Facility.objects.values_list("version", flat=True)) == {2}
    assert Program.objects.count() == 237


def test_the_api_shows_a_samhsa_facility_as_needing_verification(api):
    run()
    response = api.get("/api/v1/facilities/san-fernando-mental-health-center-granada-hills/")
    assert response.status_code == 200
    body = response.json()
    assert {key: body[key] for key in ("latitude", "longitude", "hours", "closures")} == {
        "latitude": None,
        "longitude": None,
        "hours": [],
        "closures": [],
    }
    assert body["neighborhood"] == {
        "slug": "granada-hills",
        "name": "Granada Hills",
        "service_area": 2,
    }
    assert (body["status"], body["source"], body["verified_at"], body["needs_verification"]) == (
        "published",
        "samhsa-2022",
        "2022-05-01",
        True,
    )
    [program] = body["programs"]
    assert (program["level"], program["sessions"], program["dual_diagnosis"]) == (
        "outpatient",
        [],
        True,
    )
    assert body["payment"] == ["medi-cal", "medicare", "self-pay", "sliding-scale"]
    assert body["languages"] == ["ar", "en", "es", "fa", "ru", "tl", "vi"]


def test_a_dry_run_writes_nothing():
    assert run("--dry-run") == [
        f"{REAL_FILE}: 193 rows: would import 193 facilities (created 193, updated 0), "
        "rejected 0 (dry run: nothing written)",
        LEVELS_LINE,
    ]
    assert not Facility.objects.exists()


def write_rows(path, rows):
    with open(path, "w", encoding="utf-8", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=samhsa.DIRECTORY_COLUMNS)
        writer.writeheader()
        for row in rows:
            writer.writerow({column: row.get(column, "") for column in samhsa.DIRECTORY_COLUMNS})


def test_every_rejected_row_is_printed_with_its_reason(tmp_path):
    path = tmp_path / "directory.csv"
    base = {"street1": "1 Main Street", "city": "Pasadena", "state": "CA", "zip": "91101"}
    write_rows(
        path,
        [
            {**base, "name1": "Good Place", "service_code_info": "MH * OP RES"},
            {**base, "name1": "Hospital Only", "service_code_info": "MH * PSY"},
            {**base, "name1": "Nevada Place", "state": "NV", "service_code_info": "MH * OP"},
        ],
    )
    assert run(str(path)) == [
        f"{path}: 3 rows: imported 1 facilities (created 1, updated 0), rejected 2",
        "programs by level: outpatient 1, iop 0, php 0, residential 1, inpatient 0",
        f"rejected row 2 (Hospital Only): {samhsa.REASON_NO_LEVEL}",
        "rejected row 3 (Nevada Place): state is not CA: 'NV'",
    ]
    facility = Facility.objects.get()
    assert (facility.slug, facility.neighborhood.slug) == ("good-place-pasadena", "pasadena")


def test_codes_outside_the_code_list_are_reported(tmp_path):
    path = tmp_path / "directory.csv"
    write_rows(
        path,
        [
            {
                "name1": "Good Place",
                "street1": "1 Main Street",
                "city": "Pasadena",
                "state": "CA",
                "zip": "91101",
                "service_code_info": "MH * OP * ZZZ",
            }
        ],
    )
    assert run(str(path))[-1] == "codes not in the code list (ignored): ZZZ (1)"


def test_a_missing_file_is_an_error(tmp_path):
    missing = tmp_path / "missing.csv"
    with pytest.raises(CommandError) as error:
        run(str(missing))
    assert str(error.value) == (
        f"cannot read {missing}: [Errno 2] No such file or directory: '{missing}'"
    )


def test_the_neighborhood_mapping_uses_cities_and_la_communities_preferring_cities():
    mapping = import_samhsa.neighborhood_slugs()
    assert (mapping["pasadena"], mapping["granada hills"], mapping["long beach"]) == (
        "pasadena",
        "granada-hills",
        "long-beach",
    )
    assert "altadena" not in mapping  # unincorporated
    assert not [slug for slug in mapping.values() if slug.endswith("-unincorporated")]
    assert len(mapping) == Neighborhood.objects.exclude(kind="unincorporated").count()
    Neighborhood.objects.create(
        slug="pasadena-community",
        name="Pasadena",
        kind="la-city-community",
        service_area_id=4,
        latitude=34.1,
        longitude=-118.1,
    )
    assert import_samhsa.neighborhood_slugs()["pasadena"] == "pasadena"
