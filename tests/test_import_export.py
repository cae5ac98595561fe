"""import_facilities / export_facilities (DESIGN §6): upsert, all or nothing, round trip."""

import json
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from directory.models import Facility, OpenSpan, Organization, Program
from directory.services import facility_import
from tests.factories import (
    ClosureRecord,
    FacilityRecord,
    HoursRecord,
    ProgramRecord,
    SessionRecord,
    load,
)

pytestmark = pytest.mark.django_db

DEMO = Path(__file__).resolve().parent.parent / "fixtures" / "demo_facilities.json"


def problems_of(*records):
    return [str(problem) for problem in facility_import(records=list(records)).problems]


def write(tmp_path, records, name="facilities.json"):
    path = tmp_path / name
    path.write_text(json.dumps(records), encoding="utf-8")
    return path


def test_an_unknown_day_is_reported_with_record_slug_field_and_value():
    bad = FacilityRecord(
        slug="harbor-house",
        programs=[ProgramRecord(sessions=[SessionRecord(), SessionRecord(day="funday")])],
    )
    assert problems_of(FacilityRecord(), FacilityRecord(), FacilityRecord(), bad) == [
        "record 3 (harbor-house): programs[0].sessions[1].day: unknown day 'funday'"
    ]


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({"neighborhood": "atlantis"}, "neighborhood: unknown neighborhood 'atlantis'"),
        (
            {"hours": [HoursRecord(opens_at="9am")]},
            "hours[0].opens_at: invalid time '9am': expected HH:MM between 00:00 and 23:59",
        ),
        (
            {"hours": [HoursRecord(opens_at="18:00", closes_at="18:00")]},
            "hours[0].closes_at: start and end are both 18:00: an interval cannot be empty",
        ),
        (
            {"programs": [ProgramRecord(level="detox-spa")]},
            "programs[0].level: unknown care level 'detox-spa'",
        ),
        (
            {"programs": [ProgramRecord(min_age=30, max_age=18)]},
            "programs[0].max_age: min_age 30 is above max_age 18",
        ),
        (
            {"programs": [ProgramRecord(dual_diagnosis="yes")]},
            "programs[0].dual_diagnosis: expected true or false, got 'yes'",
        ),
        ({"latitude": "34.1"}, "latitude: expected a number, got '34.1'"),
        ({"latitude": 91}, "latitude: Ensure this value is less than or equal to 90. (got 91)"),
        (
            {"longitude": None},
            "longitude: latitude and longitude go together: give both or neither",
        ),
        (
            {"languages": ["en", "klingon"]},
            "languages: unknown language 'klingon': expected an ISO 639-1 two-letter code "
            "(e.g. 'es') or 'asl'",
        ),
        (
            {"closures": [ClosureRecord(starts_on="2026-12-26", ends_on="2026-12-24")]},
            "closures[0].ends_on: starts_on 2026-12-26 is after ends_on 2026-12-24",
        ),
        ({"status": "hidden"}, 'status: "hidden" is not a valid choice.'),
        ({"colour": "blue"}, "colour: unknown field"),
        ({"latitude": float("nan")}, "latitude: A valid number is required. (got NaN)"),
        (
            {"verified_at": "2026-02-30"},
            "verified_at: Date has wrong format. Use one of these formats instead: YYYY-MM-DD. "
            '(got "2026-02-30")',
        ),
    ],
)
def test_each_invalid_value_is_reported_with_its_field(changes, expected):
    assert problems_of(FacilityRecord(slug="harbor-house", **changes)) == [
        f"record 0 (harbor-house): {expected}"
    ]


def test_a_record_that_is_not_an_object_is_reported():
    assert problems_of("harbor-house") == ["record 0: expected an object, got str"]


def test_every_problem_in_the_file_is_reported_not_just_the_first():
    problems = problems_of(
        FacilityRecord(slug="a", neighborhood="atlantis"),
        FacilityRecord(slug="b"),
        FacilityRecord(slug="c", programs=[ProgramRecord(level="nope")]),
    )
    assert problems == [
        "record 0 (a): neighborhood: unknown neighborhood 'atlantis'",
        "record 2 (c): programs[0].level: unknown care level 'nope'",
    ]


def test_a_repeated_slug_is_reported():
    assert problems_of(FacilityRecord(slug="a"), FacilityRecord(slug="a")) == [
        "record 1 (a): slug: slug 'a' appears again (first in record 0)"
    ]


def test_one_invalid_record_writes_nothing():
    load(FacilityRecord(slug="kept", name="Kept Name"))
    result = facility_import(
        records=[
            FacilityRecord(slug="kept", name="Changed Name"),
            FacilityRecord(slug="new-one"),
            FacilityRecord(slug="broken", neighborhood="atlantis"),
        ]
    )
    assert not result.ok
    assert list(Facility.objects.values_list("slug", "name")) == [("kept", "Kept Name")]


def test_import_upserts_by_slug_and_replaces_children():
    load(
        FacilityRecord(
            slug="harbor-house",
            hours=[HoursRecord(day="mon"), HoursRecord(day="tue")],
            programs=[ProgramRecord(name="Old", sessions=[SessionRecord()])],
        )
    )
    result = load(
        FacilityRecord(
            slug="harbor-house",
            name="Harbor House",
            hours=[HoursRecord(day="wed")],
            programs=[ProgramRecord(name="New IOP", level="iop")],
        ),
        FacilityRecord(slug="second"),
    )
    assert (result.created, result.updated) == (["second"], ["harbor-house"])
    facility = Facility.objects.get(slug="harbor-house")
    assert facility.name == "Harbor House"
    assert facility.version == 2
    assert [h.day for h in facility.hours.all()] == [2]
    assert list(facility.programs.values_list("name", "care_level__slug")) == [("New IOP", "iop")]
    assert Program.objects.count() == 1


def test_import_maintains_week_totals_and_open_spans():
    load(
        FacilityRecord(
            slug="harbor-house",
            hours=[
                HoursRecord(day="mon", opens_at="08:00", closes_at="12:00"),
                HoursRecord(day="mon", opens_at="12:00", closes_at="18:00"),
            ],
            programs=[
                ProgramRecord(
                    sessions=[
                        SessionRecord(day="mon"),
                        SessionRecord(day="wed"),
                        SessionRecord(day="sun", starts_at="22:30", ends_at="00:30"),
                    ]
                )
            ],
        )
    )
    program = Program.objects.get()
    assert (program.days_per_week, program.minutes_per_week, program.hours_per_week) == (
        3,
        480,
        8.0,
    )
    assert program.session_days == 0b1000101  # Monday, Wednesday, Sunday (its start day)
    # Earliest start 18:00, latest end 00:30 the day after Sunday's start: 24:30.
    assert (program.first_start_minute, program.last_end_minute) == (1080, 1470)
    assert list(OpenSpan.objects.values_list("start_minute", "end_minute")) == [(480, 1080)]


def test_dry_run_reports_but_writes_nothing():
    result = facility_import(records=[FacilityRecord(slug="a")], dry_run=True)
    assert (result.ok, result.created, result.updated) == (True, ["a"], [])
    assert not Facility.objects.exists()


def test_an_organization_named_two_ways_in_one_file_is_reported():
    org = {"slug": "lantern", "name": "Lantern"}
    assert problems_of(
        FacilityRecord(slug="a", organization=org),
        FacilityRecord(slug="b", organization={"slug": "lantern", "name": "Lanterns"}),
    ) == [
        "record 1 (b): organization.name: organization 'lantern' is named 'Lanterns' here "
        "but 'Lantern' in record 0"
    ]


def test_organizations_are_upserted_by_slug():
    load(FacilityRecord(slug="a", organization={"slug": "lantern", "name": "Lantern"}))
    load(FacilityRecord(slug="b", organization={"slug": "lantern", "name": "Lantern Health"}))
    assert list(Organization.objects.values_list("slug", "name")) == [("lantern", "Lantern Health")]


def test_the_command_prints_every_problem_and_fails(tmp_path):
    path = write(tmp_path, [FacilityRecord(slug="a", neighborhood="atlantis"), FacilityRecord()])
    stderr = StringIO()
    with pytest.raises(CommandError) as error:
        call_command("import_facilities", str(path), stderr=stderr)
    assert stderr.getvalue() == "record 0 (a): neighborhood: unknown neighborhood 'atlantis'\n"
    assert str(error.value) == f"{path}: 1 problem(s) in 2 record(s); nothing was imported"
    assert not Facility.objects.exists()


def test_the_command_rejects_a_file_that_is_not_json(tmp_path):
    path = tmp_path / "broken.json"
    path.write_text('[{"slug": "a",', encoding="utf-8")
    message = r"broken.json: not valid JSON: parse error: premature EOF"
    with pytest.raises(CommandError, match=message):
        call_command("import_facilities", str(path))


def test_the_command_rejects_a_json_object_instead_of_an_array(tmp_path):
    path = write(tmp_path, {"slug": "a"})
    with pytest.raises(CommandError) as error:
        call_command("import_facilities", str(path))
    assert str(error.value) == f"{path}: the file must hold a JSON array of facilities, got dict"


def test_the_command_reports_a_missing_file(tmp_path):
    with pytest.raises(CommandError, match=r"cannot read .*missing.json"):
        call_command("import_facilities", str(tmp_path / "missing.json"))


def test_the_command_dry_run_writes_nothing(tmp_path):
    stdout = StringIO()
    call_command(
        "import_facilities",
        str(write(tmp_path, [FacilityRecord(slug="a")])),
        "--dry-run",
        stdout=stdout,
    )
    assert (
        "would create 1, would update 0 facilities (dry run: nothing written)" in stdout.getvalue()
    )
    assert not Facility.objects.exists()


def test_the_demo_data_imports_and_exports_to_the_identical_file():
    stdout = StringIO()
    call_command("import_facilities", str(DEMO), stdout=stdout)
    exported = StringIO()
    call_command("export_facilities", stdout=exported)
    assert exported.getvalue() == DEMO.read_text(encoding="utf-8")


def test_export_then_import_into_an_empty_database_then_export_is_identical(tmp_path):
    load(
        FacilityRecord(
            slug="zeta",
            languages=["es", "en", "es"],
            hours=[HoursRecord(day="fri", opens_at="22:00", closes_at="02:00"), HoursRecord()],
            closures=[ClosureRecord()],
            programs=[
                ProgramRecord(
                    name="B", level="iop", sessions=[SessionRecord(day="wed"), SessionRecord()]
                ),
                ProgramRecord(name="A", level="iop", min_age=18),
                ProgramRecord(name="C", level="outpatient"),
            ],
            organization={"slug": "org", "name": "Org"},
        ),
        FacilityRecord(
            slug="alpha", latitude=None, longitude=None, neighborhood=None, status="draft"
        ),
    )
    first = tmp_path / "first.json"
    call_command("export_facilities", str(first))
    Facility.objects.all().delete()
    call_command("import_facilities", str(first), stdout=StringIO())
    second = tmp_path / "second.json"
    call_command("export_facilities", str(second))
    assert second.read_bytes() == first.read_bytes()
    exported = json.loads(first.read_text())
    assert [record["slug"] for record in exported] == ["alpha", "zeta"]
    assert exported[1]["languages"] == ["en", "es"]
    assert [p["name"] for p in exported[1]["programs"]] == ["C", "A", "B"]
