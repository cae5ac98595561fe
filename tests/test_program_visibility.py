"""``Program.published``, the copy of its facility's status that program searches filter
on (issue 6): every way a facility's status or a program is written keeps it true."""

import pytest
from django.urls import reverse

from directory.models import CareLevel, Facility, Program
from tests.admin_support import make_superuser
from tests.factories import FacilityRecord, ProgramRecord, load

pytestmark = pytest.mark.django_db

PROGRAMS_URL = "/api/v1/programs/"


@pytest.fixture
def admin_client(client):
    client.force_login(make_superuser())
    return client


def listed_facilities(api, query=""):
    """The slugs of the facilities whose programs the public program search shows."""
    response = api.get(f"{PROGRAMS_URL}?page_size=100&{query}")
    assert response.status_code == 200, response.content
    return sorted({result["facility"]["slug"] for result in response.json()["results"]})


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
    assert listed_facilities(api) == ["open"]


@pytest.mark.parametrize(
    "query",
    [
        "",
        "level=outpatient",  # program filters only: the copy
        "language=en",  # a facility filter: the facility's own status
        "near=34.0779,-118.2606&radius_mi=1",
        "neighborhood=echo-park&ordering=level",
        "payment=medi-cal&accepting=true",
    ],
)
def test_program_searches_show_programs_of_published_facilities_only(api, query):
    world()
    assert listed_facilities(api, query) == ["open"]


def test_a_reimport_that_changes_the_status_changes_the_copy(api):
    world()
    load(
        FacilityRecord(slug="open", status="archived", programs=[ProgramRecord()]),
        FacilityRecord(slug="draft", status="published", programs=[ProgramRecord()]),
    )
    assert listed_facilities(api) == ["draft"]
    assert all(published == (status == "published") for _, status, published in copies())


def test_saving_a_facility_with_another_status_changes_its_programs(api):
    world()
    facility = Facility.objects.get(slug="open")
    facility.status = "draft"
    facility.save()
    assert listed_facilities(api) == []
    facility.status = "published"
    facility.save()
    assert listed_facilities(api) == ["open"]
    assert Program.objects.filter(published=True).count() == 2


def test_a_program_saved_through_the_orm_copies_its_facilitys_status(api):
    world()
    level = CareLevel.objects.get(slug="iop")
    Program.objects.create(facility=Facility.objects.get(slug="draft"), name="A", care_level=level)
    created = Program.objects.create(
        facility=Facility.objects.get(slug="gone"), name="B", care_level=level
    )
    assert listed_facilities(api) == ["open"]
    Facility.objects.filter(slug="gone").update(status="published")  # no save(): no copy
    created.refresh_from_db()
    created.save(update_fields=["name"])  # the copy is saved with any update_fields
    created.refresh_from_db()
    assert created.published is True


@pytest.mark.parametrize(
    ("action", "expected"), [("publish", ["draft", "gone", "open"]), ("archive", [])]
)
def test_the_admin_actions_change_the_programs_too(admin_client, api, action, expected):
    world()
    chosen = Facility.objects.filter(slug__in=["open", "draft", "gone"])
    admin_client.post(
        reverse("admin:directory_facility_changelist"),
        {"action": action, "_selected_action": [f.pk for f in chosen]},
    )
    assert listed_facilities(api) == expected
    assert all(published == (status == "published") for _, status, published in copies())


def test_the_write_api_archive_and_publish_again(api):
    world()
    from rest_framework.test import APIClient

    from tests.admin_support import make_curator

    curator = APIClient()
    curator.force_authenticate(make_curator())
    response = curator.delete("/api/v1/facilities/open/", HTTP_IF_MATCH="*")
    assert response.status_code == 204
    assert listed_facilities(api) == []
    response = curator.patch(
        "/api/v1/facilities/open/", {"status": "published"}, format="json", HTTP_IF_MATCH="*"
    )
    assert response.status_code == 200, response.content
    assert listed_facilities(api) == ["open"]


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
