"""The data migrations give a database ready to import into (DESIGN §2, §3)."""

import pytest

from directory.models import CareLevel, Neighborhood, ServiceArea

pytestmark = pytest.mark.django_db


def test_migrate_creates_the_five_care_levels_in_rank_order():
    levels = list(
        CareLevel.objects.order_by("rank").values_list(
            "slug", "rank", "lives_at_home", "round_the_clock", "asam_level", "locus_level"
        )
    )
    assert levels == [
        ("outpatient", 1, True, False, "1", "2"),
        ("iop", 2, True, False, "2.1", "3"),
        ("php", 3, True, False, "2.5", "4"),
        ("residential", 4, False, True, "3.x", "5"),
        ("inpatient", 5, False, True, "4", "6"),
    ]


def test_care_levels_carry_their_samhsa_codes():
    codes = dict(CareLevel.objects.values_list("slug", "samhsa_codes"))
    assert codes == {
        "outpatient": ["OP", "ORT"],
        "iop": ["OIT"],
        "php": ["PHDT", "ODT"],
        "residential": ["RES", "RS", "RL"],
        "inpatient": ["HI", "HIT"],
    }


def test_migrate_creates_the_eight_service_areas():
    assert list(ServiceArea.objects.values_list("number", "slug")) == [
        (1, "antelope-valley"),
        (2, "san-fernando-valley"),
        (3, "san-gabriel-valley"),
        (4, "metro"),
        (5, "west"),
        (6, "south"),
        (7, "east"),
        (8, "south-bay-harbor"),
    ]


def test_migrate_creates_the_348_neighborhoods():
    assert Neighborhood.objects.count() == 348
    assert Neighborhood.objects.values("slug").distinct().count() == 348


def test_a_neighborhood_keeps_its_centroid_kind_and_service_area():
    echo_park = Neighborhood.objects.get(slug="echo-park")
    assert (echo_park.name, echo_park.kind, echo_park.city, echo_park.service_area_id) == (
        "Echo Park",
        "la-city-community",
        "Los Angeles",
        4,
    )
    assert (echo_park.latitude, echo_park.longitude) == pytest.approx((34.078, -118.26), abs=0.01)


def test_long_beach_is_in_service_area_8_and_signal_hill_in_7():
    areas = dict(
        Neighborhood.objects.filter(slug__in=["long-beach", "signal-hill"]).values_list(
            "slug", "service_area"
        )
    )
    assert areas == {"long-beach": 8, "signal-hill": 7}
