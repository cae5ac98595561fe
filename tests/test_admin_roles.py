"""Roles: the Curators group (a data migration) adds, changes and views listings, deletes
nothing and manages no users; superusers can do everything."""

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse

from directory.models import Facility, Program
from tests.admin_support import form_data, inline_prefix, make_curator, make_superuser
from tests.factories import FacilityRecord, HoursRecord, ProgramRecord, load

pytestmark = pytest.mark.django_db


@pytest.fixture
def curator(client):
    client.force_login(make_curator())
    return client


@pytest.fixture
def harbor():
    load(
        FacilityRecord(
            slug="harbor-house",
            name="Harbor House",
            hours=[HoursRecord()],
            programs=[ProgramRecord(name="Evening IOP")],
        )
    )
    return Facility.objects.get(slug="harbor-house")


def test_the_curators_group_has_exactly_these_permissions():
    permissions = Group.objects.get(name="Curators").permissions
    assert sorted(permissions.values_list("content_type__app_label", "codename")) == sorted(
        [
            ("directory", f"{action}_{model}")
            for model in ("organization", "facility", "program", "session", "hours", "closure")
            for action in ("add", "change", "view")
        ]
        + [
            ("directory", f"view_{model}")
            for model in (
                "carelevel",
                "neighborhood",
                "servicearea",
                "historicalfacility",
                "historicalprogram",
                "historicalsession",
                "historicalhours",
                "historicalclosure",
            )
        ]
    )


def test_a_curator_can_add_a_facility(curator):
    add = reverse("admin:directory_facility_add")
    data = form_data(curator.get(add))
    data.update(name="New Place", slug="new-place", status="draft", source="curated")
    assert curator.post(add, data).status_code == 302
    assert Facility.objects.get(slug="new-place").name == "New Place"


def test_a_curator_can_change_a_facility_and_its_program(curator, harbor):
    url = reverse("admin:directory_facility_change", args=[harbor.pk])
    assert curator.post(url, {**form_data(curator.get(url)), "name": "Renamed"}).status_code == 302
    program = harbor.programs.get()
    url = reverse("admin:directory_program_change", args=[program.pk])
    assert curator.post(url, {**form_data(curator.get(url)), "name": "Day IOP"}).status_code == 302
    assert (Facility.objects.get().name, Program.objects.get().name) == ("Renamed", "Day IOP")


@pytest.mark.parametrize(
    "url",
    [
        lambda f: reverse("admin:directory_facility_delete", args=[f.pk]),
        lambda f: reverse("admin:directory_program_delete", args=[f.programs.get().pk]),
        lambda f: reverse("admin:auth_user_changelist"),
        lambda f: reverse("admin:auth_user_add"),
        lambda f: reverse("admin:auth_group_changelist"),
    ],
    ids=["facility delete", "program delete", "users", "add user", "groups"],
)
def test_a_curator_is_forbidden_to_delete_listings_and_to_manage_users(curator, harbor, url):
    assert curator.get(url(harbor)).status_code == 403
    assert curator.post(url(harbor), {"post": "yes"}).status_code == 403
    assert Facility.objects.count() == 1


def test_a_curator_is_not_offered_the_delete_action(curator, harbor):
    response = curator.get(reverse("admin:directory_facility_changelist"))
    actions = [value for value, _ in response.context["action_form"].fields["action"].choices]
    assert actions == ["", "publish", "archive", "mark_verified_today"]


def test_a_curator_cannot_delete_programs_from_the_facility_page(curator, harbor):
    url = reverse("admin:directory_facility_change", args=[harbor.pk])
    response = curator.get(url)
    data = form_data(response)
    data[f"{inline_prefix(response, 'program')}-0-DELETE"] = "on"
    assert curator.post(url, data).status_code == 302
    assert harbor.programs.count() == 1


def test_a_curator_can_remove_a_wrong_hours_row_which_history_keeps(curator, harbor):
    url = reverse("admin:directory_facility_change", args=[harbor.pk])
    response = curator.get(url)
    data = form_data(response)
    data[f"{inline_prefix(response, 'hours')}-0-DELETE"] = "on"
    assert curator.post(url, data).status_code == 302
    assert not harbor.hours.exists()
    assert harbor.hours.model.history.filter(history_type="-").get().history_user.username == (
        "curator"
    )


def test_reference_data_is_read_only_even_for_a_superuser(client):
    client.force_login(make_superuser())
    level = reverse("admin:directory_carelevel_change", args=[1])
    response = client.get(level)
    assert response.status_code == 200
    assert response.context["has_change_permission"] is False
    assert client.get(reverse("admin:directory_carelevel_add")).status_code == 403


def test_a_superuser_can_delete_a_facility(client, harbor):
    client.force_login(make_superuser())
    url = reverse("admin:directory_facility_delete", args=[harbor.pk])
    assert client.post(url, {"post": "yes"}).status_code == 302
    assert not Facility.objects.exists()
    assert Program.history.filter(history_type="-").count() == 1
