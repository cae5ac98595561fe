"""``Program.published`` and ``Program.facility_name``, the copies of its facility's
status and name that program searches filter and order on (issue 6): every way a
facility or a program is written keeps them true."""

import pytest
from django.db import connection
from django.urls import reverse
from rest_framework.test import APIClient

from directory.models import CareLevel, Facility, Program, refresh_program_visibility
from tests.admin_support import form_data, make_curator, post_change, program_add_form
from tests.factories import FacilityRecord, ProgramRecord, load

pytestmark = pytest.mark.django_db

PROGRAMS_URL = "/api/v1/programs/"


def listed_facilities(api, query=""):
    """The facility slug of each program the public program search shows (one per program)."""
    response = api.get(f"{PROGRAMS_URL}?page_size=100&{query}")
    assert response.status_code == 200, response.content
    return sorted(result["facility"]["slug"] for result in response.json()["results"])


def readable_facilities(api):
    """The facility slug of each program whose own URL answers 200 (the others 404)."""
    statuses = {
        program: api.get(f"{PROGRAMS_URL}{program.pk}/").status_code
        for program in Program.objects.select_related("facility")
    }
    assert set(statuses.values()) <= {200, 404}
    return sorted(program.facility.slug for program, status in statuses.items() if status == 200)


def copies():
    """Each program's facility slug, its facility's status and its ``published`` copy."""
    return sorted(Program.objects.values_list("facility__slug", "facility__status", "published"))


def world():
    load(
        FacilityRecord(slug="open", status="published", programs=[ProgramRecord()] * 2),
        FacilityRecord(slug="draft", status="draft", programs=[ProgramRecord()]),
        FacilityRecord(slug="gone", status="archived", programs=[ProgramRecord()]),
    )


def test_the_import_copies_each_facilitys_status(api):
    world()
    assert copies() == [
        ("draft", "draft", False),
        ("gone", "archived", False),
        ("open", "published", True),
        ("open", "published", True),
    ]
    assert listed_facilities(api) == readable_facilities(api) == ["open", "open"]


@pytest.mark.parametrize(
    "query",
    [
        "",
        "level=outpatient",  # program filters only: the copy
        "language=en",  # a facility filter: the facility's own status
        "near=34.0779,-118.2606&radius_mi=1",  # the circle on the program's facility join
        "near=34.0779,-118.2606&language=en",  # and the other facility filters in a subquery
        "neighborhood=echo-park&ordering=level",
        "payment=medi-cal&accepting=true",
    ],
)
def test_program_searches_show_programs_of_published_facilities_only(api, query):
    world()
    assert listed_facilities(api, query) == ["open", "open"]


def test_a_reimport_that_changes_the_status_changes_the_copy(api):
    world()
    load(
        FacilityRecord(slug="open", status="archived", programs=[ProgramRecord()]),
        FacilityRecord(slug="draft", status="published", programs=[ProgramRecord()]),
    )
    assert listed_facilities(api) == readable_facilities(api) == ["draft"]
    assert all(published == (status == "published") for _, status, published in copies())


def test_saving_a_facility_with_another_status_changes_its_programs(api):
    world()
    facility = Facility.objects.get(slug="open")
    facility.status = "draft"
    facility.save()
    assert listed_facilities(api) == readable_facilities(api) == []
    facility.status = "published"
    facility.save()
    assert listed_facilities(api) == readable_facilities(api) == ["open", "open"]


def test_a_program_saved_through_the_orm_copies_its_facilitys_status(api):
    world()
    level = CareLevel.objects.get(slug="iop")
    Program.objects.create(facility=Facility.objects.get(slug="open"), name="A", care_level=level)
    Program.objects.create(facility=Facility.objects.get(slug="draft"), name="B", care_level=level)
    created = Program.objects.create(
        facility=Facility.objects.get(slug="gone"), name="C", care_level=level
    )
    assert listed_facilities(api) == readable_facilities(api) == ["open", "open", "open"]
    Facility.objects.filter(slug="gone").update(status="published")  # no save(): no copy
    created.refresh_from_db()
    created.save(update_fields=["name"])  # the copy is saved with any update_fields
    created.refresh_from_db()
    assert created.published is True


@pytest.mark.parametrize(
    ("action", "expected"), [("publish", ["draft", "gone", "open", "open"]), ("archive", [])]
)
def test_the_admin_actions_change_the_programs_too(admin_client, api, action, expected):
    world()
    chosen = Facility.objects.filter(slug__in=["open", "draft", "gone"])
    admin_client.post(
        reverse("admin:directory_facility_changelist"),
        {"action": action, "_selected_action": [f.pk for f in chosen]},
    )
    assert listed_facilities(api) == readable_facilities(api) == expected
    assert all(published == (status == "published") for _, status, published in copies())


def test_the_write_api_archive_and_publish_again(api):
    world()
    curator = APIClient()
    curator.force_authenticate(make_curator())
    response = curator.delete("/api/v1/facilities/open/", HTTP_IF_MATCH="*")
    assert response.status_code == 204
    assert listed_facilities(api) == readable_facilities(api) == []
    response = curator.patch(
        "/api/v1/facilities/open/", {"status": "published"}, format="json", HTTP_IF_MATCH="*"
    )
    assert response.status_code == 200, response.content
    assert listed_facilities(api) == readable_facilities(api) == ["open", "open"]


def test_the_migration_fills_the_copy_of_existing_programs():
    import importlib

    from django.apps import apps

    migration = importlib.import_module("directory.migrations.0011_program_published")
    world()
    Program.objects.update(published=False)
    migration.fill_published(apps, None)
    assert copies() == [
        ("draft", "draft", False),
        ("gone", "archived", False),
        ("open", "published", True),
        ("open", "published", True),
    ]


def test_programs_added_in_the_admin_copy_their_facilitys_status(admin_client, api):
    world()
    for slug in ["open", "draft"]:
        facility = Facility.objects.get(slug=slug)
        response = admin_client.post(
            reverse("admin:directory_program_add"), program_add_form(facility)
        )
        assert response.status_code == 302, response.content[:2000]
    assert listed_facilities(api) == readable_facilities(api) == ["open", "open", "open"]


def test_a_status_changed_while_a_program_is_added_is_the_one_copied(admin_client, api):
    """Another writer archives the facility after the add form has read it, before the
    program is inserted: the program takes the status as it is then, under the lock."""
    world()
    facility = Facility.objects.get(slug="open")
    archived = []

    def archive_after_the_form_reads_the_facility(execute, sql, params, many, context):
        result = execute(sql, params, many, context)
        if not archived and sql.startswith("SELECT") and 'FROM "directory_facility"' in sql:
            archived.append(sql)
            Facility.objects.filter(pk=facility.pk).update(status="archived")
            refresh_program_visibility(list(Facility.objects.filter(pk=facility.pk)))
        return result

    with connection.execute_wrapper(archive_after_the_form_reads_the_facility):
        response = admin_client.post(
            reverse("admin:directory_program_add"), program_add_form(facility)
        )
    assert response.status_code == 302, response.content[:2000]
    assert archived
    assert listed_facilities(api) == readable_facilities(api) == []
    assert Program.objects.filter(published=True).count() == 0


def test_the_facility_form_and_its_history_revert_change_the_programs(admin_client, api):
    world()
    facility = Facility.objects.get(slug="open")
    url = reverse("admin:directory_facility_change", args=[facility.pk])
    assert post_change(admin_client, url, status="draft").status_code == 302
    assert listed_facilities(api) == readable_facilities(api) == []
    first = facility.history.order_by("history_date").first()
    revert = reverse("admin:directory_facility_simple_history", args=[facility.pk, first.pk])
    data = form_data(admin_client.get(revert))
    assert data["status"] == "published"
    assert admin_client.post(revert, data).status_code == 302
    assert listed_facilities(api) == readable_facilities(api) == ["open", "open"]


def test_reverting_a_program_of_an_archived_facility_keeps_it_hidden(admin_client, api):
    world()
    facility = Facility.objects.get(slug="open")
    program = facility.programs.first()
    facility.status = "archived"
    facility.save()
    first = program.history.order_by("history_date").first()
    revert = reverse("admin:directory_program_simple_history", args=[program.pk, first.pk])
    response = admin_client.post(revert, form_data(admin_client.get(revert)))
    assert response.status_code == 302, response.content[:2000]
    assert listed_facilities(api) == readable_facilities(api) == []


@pytest.mark.parametrize(
    "query",
    ["", "near=34.0779,-118.2606", "ordering=-name", "language=en", "ordering=level"],
)
def test_every_page_of_a_search_keeps_to_published_facilities(api, settings, query):
    settings.API_CACHE_SECONDS = 0
    load(
        *(
            FacilityRecord(
                slug=f"f{n:02}",
                status="published" if n % 2 else "draft",
                latitude=34.0 + n / 1000,
                programs=[ProgramRecord()],
            )
            for n in range(30)
        )
    )
    seen = []
    for page in (1, 2, 3):
        body = api.get(f"{PROGRAMS_URL}?page_size=5&page={page}&{query}").json()
        assert body["count"] == 15
        seen += [result["facility"]["slug"] for result in body["results"]]
    assert sorted(seen) == [f"f{n:02}" for n in range(1, 30, 2)]


# --- the facility name copy (the default order of the program search) -------------------


def named_world():
    """Two facilities whose programs share a name; the search orders them by facility name."""
    load(
        FacilityRecord(slug="alpha", name="Alpha Clinic", programs=[ProgramRecord(name="IOP")]),
        FacilityRecord(slug="beta", name="Beta Clinic", programs=[ProgramRecord(name="IOP")]),
    )


def program_order(api):
    """The facility slugs of the program search's first page, in its default order."""
    response = api.get(PROGRAMS_URL)
    assert response.status_code == 200, response.content
    return [result["facility"]["slug"] for result in response.json()["results"]]


def name_copies():
    """Whether every program's ``facility_name`` is its facility's name."""
    return all(
        copy == name
        for copy, name in Program.objects.values_list("facility_name", "facility__name")
    )


def test_the_import_copies_the_facility_name_and_a_reimport_renames(api):
    named_world()
    assert program_order(api) == ["alpha", "beta"]
    load(FacilityRecord(slug="alpha", name="Zeta Clinic", programs=[ProgramRecord(name="IOP")]))
    assert program_order(api) == ["beta", "alpha"]
    assert name_copies()


def test_a_facility_renamed_through_its_save_renames_its_programs(api):
    named_world()
    facility = Facility.objects.get(slug="alpha")
    facility.name = "Zeta Clinic"
    facility.save()
    assert program_order(api) == ["beta", "alpha"]
    assert name_copies()


def test_a_facility_renamed_in_the_admin_form_renames_its_programs(admin_client, api):
    named_world()
    facility = Facility.objects.get(slug="alpha")
    url = reverse("admin:directory_facility_change", args=[facility.pk])
    assert post_change(admin_client, url, name="Zeta Clinic").status_code == 302
    assert program_order(api) == ["beta", "alpha"]
    assert name_copies()


def test_a_facility_renamed_through_the_write_api_renames_its_programs(api):
    named_world()
    curator = APIClient()
    curator.force_authenticate(make_curator())
    response = curator.patch(
        "/api/v1/facilities/alpha/", {"name": "Zeta Clinic"}, format="json", HTTP_IF_MATCH="*"
    )
    assert response.status_code == 200, response.content
    assert program_order(api) == ["beta", "alpha"]
    assert name_copies()


def test_a_program_saved_through_the_orm_copies_its_facilitys_name(api):
    named_world()
    level = CareLevel.objects.get(slug="iop")
    beta = Facility.objects.get(slug="beta")
    created = Program.objects.create(facility=beta, name="IOP", care_level=level)
    assert created.facility_name == "Beta Clinic"
    Facility.objects.filter(slug="beta").update(name="Able Clinic")  # no save(): no copy
    created.save(update_fields=["name"])  # the copy is saved with any update_fields
    created.refresh_from_db()
    assert created.facility_name == "Able Clinic"


def test_refresh_program_visibility_copies_names_changed_by_a_bulk_update(api):
    named_world()
    Facility.objects.filter(slug="alpha").update(name="Zeta Clinic")
    assert program_order(api) == ["alpha", "beta"]  # the copy is stale until refreshed
    refresh_program_visibility(Facility.objects.filter(slug="alpha"))
    assert program_order(api) == ["beta", "alpha"]
    assert name_copies()


def test_the_migration_fills_the_facility_name_of_existing_programs():
    import importlib

    from django.apps import apps

    migration = importlib.import_module("directory.migrations.0015_program_facility_name")
    named_world()
    Program.objects.update(facility_name="")
    migration.fill_facility_name(apps, None)
    assert sorted(Program.objects.values_list("facility_name", flat=True)) == [
        "Alpha Clinic",
        "Beta Clinic",
    ]
