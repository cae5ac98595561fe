"""Every invariant of the domain is a database constraint, not only a form check."""

from datetime import date, time

import pytest
from django.db import IntegrityError, transaction

from directory.models import (
    CareLevel,
    Closure,
    Facility,
    Hours,
    Neighborhood,
    Organization,
    Program,
    ServiceArea,
    Session,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def facility():
    return Facility.objects.create(slug="harbor-house", name="Harbor House", status="published")


@pytest.fixture
def program(facility):
    return Program.objects.create(
        facility=facility, name="Evening IOP", care_level=CareLevel.objects.get(slug="iop")
    )


def rejected(create):
    with pytest.raises(IntegrityError), transaction.atomic():
        create()


def test_facility_slugs_are_unique(facility):
    rejected(lambda: Facility.objects.create(slug="harbor-house", name="Another"))


def test_organization_slugs_are_unique():
    Organization.objects.create(slug="lantern", name="Lantern")
    rejected(lambda: Organization.objects.create(slug="lantern", name="Lantern 2"))


def test_neighborhood_slugs_are_unique():
    rejected(
        lambda: Neighborhood.objects.create(
            slug="echo-park", name="Echo", kind="city", service_area_id=4, latitude=0, longitude=0
        )
    )


def test_service_area_numbers_run_from_1_to_8():
    rejected(lambda: ServiceArea.objects.create(number=9, name="Nine", slug="nine"))


@pytest.mark.parametrize(
    ("latitude", "longitude"),
    [(90.5, 0), (-91, 0), (0, 180.5), (0, -181), (34.0, None), (None, -118.0)],
)
def test_facility_coordinates_must_be_in_range_and_come_in_pairs(latitude, longitude):
    rejected(
        lambda: Facility.objects.create(slug="x", name="X", latitude=latitude, longitude=longitude)
    )


@pytest.mark.parametrize(("field", "value"), [("status", "hidden"), ("source", "rumor")])
def test_facility_status_and_source_come_from_fixed_choices(field, value):
    rejected(lambda: Facility.objects.create(slug="x", name="X", **{field: value}))


def test_a_session_cannot_start_when_it_ends(program):
    rejected(
        lambda: Session.objects.create(program=program, day=0, starts_at=time(18), ends_at=time(18))
    )


def test_a_session_day_is_monday_to_sunday(program):
    rejected(
        lambda: Session.objects.create(program=program, day=7, starts_at=time(18), ends_at=time(19))
    )


def test_opening_hours_cannot_open_when_they_close(facility):
    rejected(
        lambda: Hours.objects.create(facility=facility, day=0, opens_at=time(9), closes_at=time(9))
    )


def test_min_age_cannot_exceed_max_age(facility):
    iop = CareLevel.objects.get(slug="iop")
    rejected(
        lambda: Program.objects.create(
            facility=facility, name="Teens", care_level=iop, min_age=18, max_age=12
        )
    )


def test_equal_min_and_max_age_is_a_single_age(facility):
    iop = CareLevel.objects.get(slug="iop")
    program = Program.objects.create(
        facility=facility, name="Sixteen", care_level=iop, min_age=16, max_age=16
    )
    assert (program.min_age, program.max_age) == (16, 16)


def test_a_program_has_exactly_one_care_level(facility):
    rejected(lambda: Program.objects.create(facility=facility, name="No level"))


def test_a_closure_cannot_end_before_it_starts(facility):
    rejected(
        lambda: Closure.objects.create(
            facility=facility, starts_on=date(2026, 12, 25), ends_on=date(2026, 12, 24)
        )
    )


def test_sessions_store_their_minutes_of_the_week(program):
    overnight = Session.objects.create(program=program, day=6, starts_at=time(22), ends_at=time(2))
    overnight.refresh_from_db()
    assert (overnight.start_minute, overnight.end_minute) == (6 * 1440 + 1320, 7 * 1440 + 120)


def test_hours_ending_at_midnight_end_at_the_start_of_the_next_day(facility):
    hours = Hours.objects.create(facility=facility, day=0, opens_at=time(8), closes_at=time(0))
    hours.refresh_from_db()
    assert (hours.start_minute, hours.end_minute) == (480, 1440)
