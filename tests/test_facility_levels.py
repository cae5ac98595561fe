"""``Facility.levels``, the care levels of a facility's programs (issue 6): every way a
program is written keeps it true, and the searches that read it instead of the programs
answer exactly what the same-program rule says."""

import importlib

import pytest
from django.apps import apps
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from rest_framework.test import APIClient

from directory.models import CareLevel, Facility, Program, refresh_levels
from directory.services import refresh_schedule
from tests.admin_support import form_data, inline_prefix, make_curator, program_add_form
from tests.factories import FacilityRecord, ProgramRecord, SessionRecord, load

pytestmark = pytest.mark.django_db

FACILITIES_URL = "/api/v1/facilities/"


def levels():
    """Each facility's stored ``levels``, by slug."""
    return dict(Facility.objects.values_list("slug", "levels"))


def offered():
    """Each facility's levels as its programs say, least intensive first: what ``levels``
    must be."""
    result = {slug: [] for slug in Facility.objects.values_list("slug", flat=True)}
    rows = Program.objects.order_by("care_level__rank").values_list(
        "facility__slug", "care_level__slug"
    )
    for slug, level in rows:
        if level not in result[slug]:
            result[slug].append(level)
    return result


def found(api, query):
    response = api.get(f"{FACILITIES_URL}?page_size=100&{query}")
    assert response.status_code == 200, response.content
    return sorted(result["slug"] for result in response.json()["results"])


def program(level, **fields):
    return ProgramRecord(level=level, **fields)


def world():
    load(
        FacilityRecord(slug="clinic", programs=[program("iop"), program("outpatient")]),
        FacilityRecord(slug="day", programs=[program("php"), program("iop")]),
        FacilityRecord(slug="house", programs=[program("residential")]),
        FacilityRecord(slug="ward", programs=[program("inpatient"), program("inpatient")]),
        FacilityRecord(slug="empty", programs=[]),
        FacilityRecord(
            slug="far", latitude=34.3, longitude=-118.6, programs=[program("outpatient")]
        ),
    )


# --- kept by every write --------------------------------------------------------------


def test_the_import_derives_the_levels_least_intensive_first_once_each():
    world()
    assert levels() == {
        "clinic": ["outpatient", "iop"],
        "day": ["iop", "php"],
        "house": ["residential"],
        "ward": ["inpatient"],
        "empty": [],
        "far": ["outpatient"],
    }
    assert levels() == offered()


def test_a_reimport_replaces_the_levels():
    world()
    load(FacilityRecord(slug="clinic", programs=[program("residential")]))
    load(FacilityRecord(slug="empty", programs=[program("php")]))
    assert levels()["clinic"] == ["residential"]
    assert levels()["empty"] == ["php"]
    assert levels() == offered()


def test_programs_written_through_the_orm_change_the_levels():
    world()
    iop = CareLevel.objects.get(slug="iop")
    created = Program.objects.create(
        facility=Facility.objects.get(slug="empty"), name="A", care_level=iop
    )
    assert levels()["empty"] == ["iop"]
    created.care_level = CareLevel.objects.get(slug="inpatient")
    created.save()
    assert levels()["empty"] == ["inpatient"]
    created.delete()
    assert levels()["empty"] == []
    assert levels() == offered()


def test_a_program_moved_through_the_orm_changes_both_facilities():
    world()
    program = Program.objects.get(facility__slug="house")
    program.facility = Facility.objects.get(slug="empty")
    program.save()
    assert levels()["house"] == []
    assert levels()["empty"] == ["residential"]
    assert levels() == offered()


def test_saving_a_facility_read_before_its_programs_changed_keeps_the_levels_true():
    world()
    facility = Facility.objects.get(slug="house")
    Program.objects.create(
        facility=facility, name="B", care_level=CareLevel.objects.get(slug="outpatient")
    )
    facility.description = "Saved from an instance read before the program was added."
    facility.save()
    assert levels()["house"] == ["outpatient", "residential"]


def test_refresh_levels_and_refresh_schedule_bring_bulk_updates_in_line():
    world()
    Program.objects.filter(facility__slug="ward").update(
        care_level=CareLevel.objects.get(slug="residential")
    )  # no save(): stale until refreshed
    assert levels()["ward"] == ["inpatient"]
    refresh_schedule(Facility.objects.get(slug="ward"))
    assert levels()["ward"] == ["residential"]
    Program.objects.filter(facility__slug__in=["clinic", "day"]).delete()
    refresh_levels(Facility.objects.filter(slug__in=["clinic", "day"]).values_list("pk", flat=True))
    assert levels() == offered()


def test_the_write_api_changes_the_levels():
    world()
    curator = APIClient()
    curator.force_authenticate(make_curator())
    record = {"programs": [{"name": "Residential", "level": "residential"}]}
    response = curator.patch(f"{FACILITIES_URL}clinic/", record, format="json", HTTP_IF_MATCH="*")
    assert response.status_code == 200, response.content
    assert levels()["clinic"] == ["residential"]
    assert levels() == offered()


def test_a_program_level_changed_on_the_facility_page_changes_the_levels(admin_client):
    world()
    facility = Facility.objects.get(slug="house")
    url = reverse("admin:directory_facility_change", args=[facility.pk])
    response = admin_client.get(url)
    data = form_data(response)
    prefix = inline_prefix(response, "program")
    data[f"{prefix}-0-care_level"] = str(CareLevel.objects.get(slug="php").pk)
    assert admin_client.post(url, data).status_code == 302
    assert levels()["house"] == ["php"]


def test_a_program_added_or_deleted_in_the_admin_changes_levels_and_search_text(admin_client):
    world()
    facility = Facility.objects.get(slug="empty")
    added = {**program_add_form(facility), "name": "Walk-in Counseling"}
    added["care_level"] = CareLevel.objects.get(slug="outpatient").pk
    assert admin_client.post(reverse("admin:directory_program_add"), added).status_code == 302
    assert levels()["empty"] == ["outpatient"]
    assert "Walk-in Counseling" in Facility.objects.get(slug="empty").search_text
    walk_in = Program.objects.get(name="Walk-in Counseling")
    delete = reverse("admin:directory_program_delete", args=[walk_in.pk])
    assert admin_client.post(delete, {"post": "yes"}).status_code == 302
    assert levels()["empty"] == []
    assert "Walk-in Counseling" not in Facility.objects.get(slug="empty").search_text


def test_programs_deleted_by_the_admin_action_change_levels_and_search_text(admin_client):
    world()
    chosen = Program.objects.filter(
        facility__slug__in=["clinic", "ward"], care_level__slug__in=["iop", "inpatient"]
    )
    names = set(chosen.values_list("name", flat=True))
    response = admin_client.post(
        reverse("admin:directory_program_changelist"),
        {"action": "delete_selected", "_selected_action": [p.pk for p in chosen], "post": "yes"},
    )
    assert response.status_code == 302
    assert levels()["clinic"] == ["outpatient"]
    assert levels()["ward"] == []
    texts = " ".join(Facility.objects.values_list("search_text", flat=True))
    assert not any(name in texts for name in names)
    assert levels() == offered()


def test_the_migration_fills_the_levels_of_existing_facilities():
    migration = importlib.import_module("directory.migrations.0016_levels_offered")
    world()
    Facility.objects.update(levels=[])
    migration.fill_levels(apps, None)
    assert levels() == offered()
    assert levels()["clinic"] == ["outpatient", "iop"]


# --- read by the searches --------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("level=iop", ["clinic", "day"]),
        ("level=outpatient,inpatient", ["clinic", "far", "ward"]),
        ("min_level=php", ["day", "house", "ward"]),
        ("max_level=iop", ["clinic", "day", "far"]),
        ("min_level=iop&max_level=php", ["clinic", "day"]),
        ("lives_at_home=true", ["clinic", "day", "far"]),
        ("lives_at_home=false", ["house", "ward"]),
        ("lives_at_home=true&level=residential", []),
        ("level=php&lives_at_home=true", ["day"]),
        ("level=outpatient&near=34.0779,-118.2606&radius_mi=5", ["clinic"]),
        ("level=outpatient&payment=medi-cal", ["clinic", "far"]),
    ],
)
def test_level_only_searches_answer_from_the_levels(api, query, expected):
    world()
    assert found(api, query) == expected


def test_a_level_only_search_reads_no_program_to_choose_facilities(api, settings):
    settings.API_CACHE_SECONDS = 0
    world()
    with CaptureQueriesContext(connection) as captured:
        assert found(api, "min_level=iop&max_level=php") == ["clinic", "day"]
    choosing = [q["sql"] for q in captured.captured_queries if "directory_facility" in q["sql"]]
    # The count (or the page's ids) chooses the facilities; the programs of the page are
    # fetched after, by facility id.
    assert choosing and '"levels"' in choosing[0] and "directory_program" not in choosing[0]


def test_with_other_program_filters_the_same_program_must_match(api):
    """Levels narrow a near search first; the program filters still apply to one program."""
    load(
        FacilityRecord(
            slug="split",
            programs=[program("iop"), program("outpatient", dual_diagnosis=True)],
        ),
        FacilityRecord(slug="both", programs=[program("iop", dual_diagnosis=True)]),
        FacilityRecord(slug="none", programs=[program("outpatient")]),
    )
    query = "level=iop&dual_diagnosis=true"
    assert found(api, query) == ["both"]
    assert found(api, f"{query}&near=34.0779,-118.2606&radius_mi=5") == ["both"]
    evening = "available=weekdays@17:00-21:30&near=34.0779,-118.2606"
    load(
        FacilityRecord(
            slug="evening",
            programs=[
                program(
                    "iop", sessions=[SessionRecord(day="tue", starts_at="18:00", ends_at="20:00")]
                )
            ],
        )
    )
    assert found(api, f"level=iop&{evening}") == ["evening"]
    assert found(api, f"level=outpatient&{evening}") == []


@pytest.mark.parametrize(
    ("query", "tests_levels"),
    [
        ("near=34.0779,-118.2606&level=iop&accepting=true", True),
        ("level=iop&accepting=true", False),  # measured worse without near: not added
    ],
)
def test_only_a_near_search_tests_the_levels_before_the_programs(
    api, settings, query, tests_levels
):
    settings.API_CACHE_SECONDS = 0
    world()
    with CaptureQueriesContext(connection) as captured:
        assert found(api, query) == ["clinic", "day"]
    choosing = captured.captured_queries[0]["sql"]
    assert "directory_program" in choosing
    assert ('"levels"' in choosing) is tests_levels
