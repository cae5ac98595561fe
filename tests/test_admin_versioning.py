"""No lost edits: two curators open the same listing, both save; the second save is refused
with a message and nothing of the first is overwritten."""

import pytest
from django.contrib import admin
from django.test import Client, RequestFactory
from django.urls import reverse

from directory.admin import LISTING_CHANGED, FacilityAdmin, FacilityAdminForm, ListingChanged
from directory.models import Facility
from tests.admin_support import add_inline_row, form_data, inline_prefix, make_curator
from tests.factories import FacilityRecord, ProgramRecord, SessionRecord, load

pytestmark = pytest.mark.django_db


@pytest.fixture
def harbor():
    load(
        FacilityRecord(
            slug="harbor-house",
            name="Harbor House",
            phone="213-555-0100",
            programs=[ProgramRecord(name="Evening IOP", level="iop", sessions=[SessionRecord()])],
        )
    )
    return Facility.objects.get(slug="harbor-house")


@pytest.fixture
def alice():
    client = Client()
    client.force_login(make_curator("alice"))
    return client


@pytest.fixture
def bob():
    client = Client()
    client.force_login(make_curator("bob"))
    return client


def facility_url(facility):
    return reverse("admin:directory_facility_change", args=[facility.pk])


def program_url(program):
    return reverse("admin:directory_program_change", args=[program.pk])


def refused(response):
    """Return the form's non-field errors of a refused save (the page is shown again)."""
    assert response.status_code == 200
    return list(response.context["adminform"].form.non_field_errors())


def test_the_second_of_two_saves_from_the_same_version_is_refused(harbor, alice, bob):
    url = facility_url(harbor)
    alice_form = form_data(alice.get(url))
    bob_form = form_data(bob.get(url))
    assert alice_form["listing_version"] == bob_form["listing_version"] == "1"

    alice_form["name"] = "Harbor House (Alice)"
    assert alice.post(url, alice_form).status_code == 302

    bob_form["phone"] = "213-555-0199"
    response = bob.post(url, bob_form)
    assert refused(response) == [LISTING_CHANGED]
    harbor.refresh_from_db()
    assert (harbor.name, harbor.phone, harbor.version) == (
        "Harbor House (Alice)",
        "213-555-0100",
        2,
    )
    # Bob's page keeps what he typed, so he can make the change again
    assert response.context["adminform"].form["phone"].value() == "213-555-0199"


def test_a_save_from_a_reopened_page_succeeds(harbor, alice, bob):
    url = facility_url(harbor)
    first = form_data(alice.get(url))
    alice.post(url, {**first, "name": "First"})
    again = form_data(bob.get(url))
    assert again["listing_version"] == "2"
    assert bob.post(url, {**again, "name": "Second"}).status_code == 302
    harbor.refresh_from_db()
    assert (harbor.name, harbor.version) == ("Second", 3)


def test_inline_changes_of_a_refused_save_are_not_written(harbor, alice, bob):
    url = facility_url(harbor)
    response = bob.get(url)
    bob_form = add_inline_row(
        form_data(response), inline_prefix(response, "hours"), 0, day="0", opens_at="09:00"
    )
    bob_form[f"{inline_prefix(response, 'hours')}-0-closes_at"] = "17:00"
    alice.post(url, form_data(alice.get(url)))
    assert refused(bob.post(url, bob_form)) == [LISTING_CHANGED]
    assert not harbor.hours.exists()


def test_a_save_without_the_version_is_refused(harbor, alice):
    url = facility_url(harbor)
    data = form_data(alice.get(url))
    del data["listing_version"]
    assert refused(alice.post(url, data)) == [LISTING_CHANGED]
    assert Facility.objects.get(pk=harbor.pk).version == 1


def test_an_import_in_between_makes_an_open_page_stale(harbor, alice):
    url = facility_url(harbor)
    data = form_data(alice.get(url))
    load(FacilityRecord(slug="harbor-house", name="Imported Name"))
    assert refused(alice.post(url, {**data, "name": "Alice"})) == [LISTING_CHANGED]
    assert Facility.objects.get(pk=harbor.pk).name == "Imported Name"


def test_an_action_in_between_makes_an_open_page_stale(harbor, alice, bob):
    url = facility_url(harbor)
    data = form_data(alice.get(url))
    bob.post(
        reverse("admin:directory_facility_changelist"),
        {"action": "archive", "_selected_action": [harbor.pk]},
    )
    assert refused(alice.post(url, {**data, "status": "published"})) == [LISTING_CHANGED]
    assert Facility.objects.get(pk=harbor.pk).status == "archived"


def test_two_saves_of_the_same_program_page(harbor, alice, bob):
    program = harbor.programs.get()
    url = program_url(program)
    alice_form, bob_form = form_data(alice.get(url)), form_data(bob.get(url))
    assert alice.post(url, {**alice_form, "name": "Alice IOP"}).status_code == 302
    assert refused(bob.post(url, {**bob_form, "name": "Bob IOP"})) == [LISTING_CHANGED]
    program.refresh_from_db()
    assert program.name == "Alice IOP"
    assert Facility.objects.get(pk=harbor.pk).version == 2


def test_a_program_saved_on_its_page_makes_the_open_facility_page_stale(harbor, alice, bob):
    facility_form = form_data(alice.get(facility_url(harbor)))
    program = harbor.programs.get()
    program_form = form_data(bob.get(program_url(program)))
    assert bob.post(program_url(program), {**program_form, "min_age": "18"}).status_code == 302
    assert refused(alice.post(facility_url(harbor), facility_form)) == [LISTING_CHANGED]
    program.refresh_from_db()
    assert program.min_age == 18


def test_claim_version_lets_one_of_two_writers_through(harbor):
    mine = Facility.objects.get(pk=harbor.pk)
    theirs = Facility.objects.get(pk=harbor.pk)
    assert mine.claim_version(1) is True
    assert theirs.claim_version(1) is False
    assert (mine.version, theirs.version, Facility.objects.get(pk=harbor.pk).version) == (2, 1, 2)


def test_saving_after_losing_the_race_to_another_save_raises_and_writes_nothing(harbor):
    """Where the form's check cannot lock the row (SQLite), a save may pass the check and
    then find the version taken: save_model refuses (changeform_view reports it)."""
    request = RequestFactory().post("/")
    request.user = make_curator()
    form = FacilityAdminForm(instance=harbor)
    form.cleaned_data = {"listing_version": 1}
    Facility.objects.get(pk=harbor.pk).claim_version(1)  # the other save
    harbor.name = "Too Late"
    with pytest.raises(ListingChanged):
        FacilityAdmin(Facility, admin.site).save_model(request, harbor, form, change=True)
    assert Facility.objects.get(pk=harbor.pk).name == "Harbor House"


def test_reverting_to_a_previous_version_from_the_history_page(harbor, alice):
    url = facility_url(harbor)
    alice.post(url, {**form_data(alice.get(url)), "name": "Renamed"})
    first = harbor.history.earliest()
    revert_url = reverse("admin:directory_facility_simple_history", args=[harbor.pk, first.pk])
    response = alice.get(revert_url)
    data = form_data(response)
    assert (data["name"], data["listing_version"]) == ("Harbor House", "2")
    assert alice.post(revert_url, data).status_code == 302
    harbor.refresh_from_db()
    assert (harbor.name, harbor.version) == ("Harbor House", 3)
