"""Search filters of DESIGN §5 through the real URL, asserting the exact slugs returned."""

import math

import pytest

from directory import filters
from tests.factories import (
    FacilityRecord,
    HoursRecord,
    ProgramRecord,
    SessionRecord,
    load,
)

pytestmark = pytest.mark.django_db

ECHO_PARK = (34.0779, -118.2606)
FACILITIES_URL = "/api/v1/facilities/"
PROGRAMS_URL = "/api/v1/programs/"


def weekdays(opens_at, closes_at):
    return [
        HoursRecord(day=d, opens_at=opens_at, closes_at=closes_at)
        for d in ("mon", "tue", "wed", "thu", "fri")
    ]


def sessions(days, starts_at, ends_at):
    return [SessionRecord(day=d, starts_at=starts_at, ends_at=ends_at) for d in days]


@pytest.fixture
def world():
    """A small directory where each filter has something to keep and something to drop."""
    load(
        FacilityRecord(
            slug="evening-dual",
            name="Evening Dual",
            description="Recovery for adults who work days.",
            latitude=34.0779,
            longitude=-118.2606,
            languages=["en", "es"],
            payment=["medi-cal"],
            hours=weekdays("09:00", "21:00"),
            verified_at="2026-11-01",
            programs=[
                ProgramRecord(
                    name="Evening Dual IOP",
                    level="iop",
                    dual_diagnosis=True,
                    min_age=18,
                    sessions=sessions(["mon", "wed", "thu"], "18:00", "21:00"),
                )
            ],
        ),
        FacilityRecord(
            slug="trap",
            name="Trap House",
            latitude=34.0779,
            longitude=-118.2506,
            languages=["en", "es"],
            payment=["medi-cal"],
            verified_at="2026-06-01",
            hours=weekdays("09:00", "21:00"),
            programs=[
                ProgramRecord(
                    name="Plain Evening IOP",
                    level="iop",
                    sessions=sessions(["mon"], "18:00", "21:00"),
                ),
                ProgramRecord(name="Dual Residential", level="residential", dual_diagnosis=True),
            ],
        ),
        FacilityRecord(
            slug="morning-iop",
            name="Morning IOP Center",
            organization={"slug": "lantern", "name": "Lantern Trauma Network"},
            neighborhood="silverlake",
            latitude=34.0869,
            longitude=-118.2702,
            languages=["en", "ko"],
            payment=["private-insurance"],
            verified_at=None,
            programs=[
                ProgramRecord(
                    name="Morning IOP",
                    level="iop",
                    dual_diagnosis=True,
                    telehealth=True,
                    min_age=18,
                    sessions=sessions(["mon", "wed", "fri"], "09:00", "12:00"),
                )
            ],
        ),
        FacilityRecord(
            slug="teen-php",
            name="Teen Day Program",
            neighborhood="boyle-heights",
            latitude=34.0339,
            longitude=-118.2053,
            languages=["es"],
            payment=["medi-cal", "sliding-scale"],
            verified_at="2026-09-01",
            programs=[
                ProgramRecord(
                    name="Adolescent PHP",
                    level="php",
                    description="Family therapy every week.",
                    min_age=12,
                    max_age=17,
                    accepting_new_clients=False,
                    sessions=sessions(["mon", "tue", "wed", "thu", "fri"], "09:00", "15:00"),
                )
            ],
        ),
        FacilityRecord(
            slug="by-appointment",
            name="Beachside Counseling",
            neighborhood="santa-monica",
            latitude=34.0195,
            longitude=-118.4912,
            languages=["en", "fa"],
            payment=["self-pay"],
            verified_at="2026-10-15",
            hours=[HoursRecord(day="tue", opens_at="16:00", closes_at="20:00")],
            programs=[ProgramRecord(name="Individual therapy", telehealth=True)],
        ),
        FacilityRecord(
            slug="hospital",
            name="Harbor Hospital",
            neighborhood="long-beach",
            latitude=33.7701,
            longitude=-118.1937,
            languages=["en", "asl"],
            payment=["medicare", "medi-cal"],
            open_24_7=True,
            verified_at="2026-08-01",
            programs=[
                ProgramRecord(name="Acute Inpatient", level="inpatient", detox=True),
                ProgramRecord(name="Crisis Residential", level="residential", min_age=18),
            ],
        ),
        FacilityRecord(
            slug="no-programs",
            name="Drop-in Center",
            latitude=34.0800,
            longitude=-118.2606,
            languages=["en"],
            payment=["free"],
        ),
        FacilityRecord(
            slug="no-coordinates",
            name="Unmapped Clinic",
            latitude=None,
            longitude=None,
            neighborhood=None,
            languages=["en", "zh"],
            payment=["medi-cal"],
            programs=[ProgramRecord(name="Walk-in therapy")],
        ),
        FacilityRecord(
            slug="draft",
            name="Draft Evening Dual",
            status="draft",
            languages=["en", "es"],
            programs=[
                ProgramRecord(
                    level="iop",
                    dual_diagnosis=True,
                    sessions=sessions(["mon"], "18:00", "21:00"),
                )
            ],
        ),
    )


def slugs(api, query="", url=FACILITIES_URL):
    response = api.get(f"{url}?{query}")
    assert response.status_code == 200, response.json()
    return [result["slug"] for result in response.json()["results"]]


def errors(api, query, url=FACILITIES_URL):
    response = api.get(f"{url}?{query}")
    assert response.status_code == 400
    return response.json()


def test_without_filters_every_published_facility_is_listed_by_name(api, world):
    assert slugs(api) == [
        "by-appointment",
        "no-programs",
        "evening-dual",
        "hospital",
        "morning-iop",
        "teen-php",
        "trap",
        "no-coordinates",
    ]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("level=iop", {"evening-dual", "trap", "morning-iop"}),
        ("level=php,inpatient", {"teen-php", "hospital"}),
        ("level=php&level=inpatient", {"teen-php", "hospital"}),
        ("min_level=php", {"teen-php", "trap", "hospital"}),
        (
            "max_level=iop",
            {"evening-dual", "trap", "morning-iop", "by-appointment", "no-coordinates"},
        ),
        ("min_level=iop&max_level=php", {"evening-dual", "trap", "morning-iop", "teen-php"}),
        ("min_level=residential&max_level=residential", {"trap", "hospital"}),
        (
            "lives_at_home=true",
            {"evening-dual", "trap", "morning-iop", "teen-php", "by-appointment", "no-coordinates"},
        ),
        ("lives_at_home=false", {"trap", "hospital"}),
        ("dual_diagnosis=true", {"evening-dual", "trap", "morning-iop"}),
        (
            "dual_diagnosis=false",
            {"trap", "teen-php", "by-appointment", "hospital", "no-coordinates"},
        ),
        ("detox=true", {"hospital"}),
        ("accepting=false", {"teen-php"}),
        ("telehealth=true", {"morning-iop", "by-appointment"}),
        ("telehealth=1", {"morning-iop", "by-appointment"}),
        ("age=17", {"trap", "teen-php", "by-appointment", "hospital", "no-coordinates"}),
        ("age=12", {"trap", "teen-php", "by-appointment", "hospital", "no-coordinates"}),
        ("age=11", {"trap", "by-appointment", "hospital", "no-coordinates"}),
        (
            "age=18",
            {"evening-dual", "trap", "morning-iop", "by-appointment", "hospital", "no-coordinates"},
        ),
        ("age=0", {"trap", "by-appointment", "hospital", "no-coordinates"}),
    ],
)
def test_program_level_filters(api, world, query, expected):
    assert set(slugs(api, query)) == expected


def test_program_filters_must_hold_for_the_same_program(api, world):
    # trap has an IOP and, separately, a dual-diagnosis program: it must not match.
    assert set(slugs(api, "level=iop&dual_diagnosis=true")) == {"evening-dual", "morning-iop"}
    assert set(slugs(api, "level=residential&detox=true")) == set()
    assert set(slugs(api, "level=inpatient&detox=true")) == {"hospital"}


def test_matched_program_ids_list_the_programs_that_satisfied_the_filters(api, world):
    response = api.get(f"{FACILITIES_URL}?level=iop")
    results = {r["slug"]: r for r in response.json()["results"]}
    trap = results["trap"]
    by_name = {p["name"]: p["id"] for p in trap["programs"]}
    assert trap["matched_program_ids"] == [by_name["Plain Evening IOP"]]
    assert [p["name"] for p in trap["programs"]] == ["Plain Evening IOP", "Dual Residential"]


def test_without_program_filters_every_program_is_matched(api, world):
    result = next(r for r in api.get(FACILITIES_URL).json()["results"] if r["slug"] == "hospital")
    assert result["matched_program_ids"] == [p["id"] for p in result["programs"]]


def test_a_facility_without_programs_matches_only_without_program_filters(api, world):
    assert slugs(api, "language=en") == [
        "by-appointment",
        "no-programs",
        "evening-dual",
        "hospital",
        "morning-iop",
        "trap",
        "no-coordinates",
    ]
    assert slugs(api, "language=en&accepting=true") == [
        "by-appointment",
        "evening-dual",
        "hospital",
        "morning-iop",
        "trap",
        "no-coordinates",
    ]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("neighborhood=echo-park", {"evening-dual", "trap", "no-programs"}),
        ("neighborhood=silverlake,boyle-heights", {"morning-iop", "teen-php"}),
        ("service_area=4", {"evening-dual", "trap", "no-programs", "morning-iop", "teen-php"}),
        ("service_area=5&service_area=8", {"by-appointment", "hospital"}),
        ("language=ko", {"morning-iop"}),
        ("language=fa,asl", {"by-appointment", "hospital"}),
        ("language=zh", {"no-coordinates"}),
        ("payment=sliding-scale", {"teen-php"}),
        ("payment=medicare,free", {"hospital", "no-programs"}),
        ("q=trauma", {"morning-iop"}),
        ("q=family", {"teen-php"}),
        # Words may match in different places: trap's programs are "evening" and "dual".
        ("q=evening dual", {"evening-dual", "trap"}),
        ("q=evening recovery", {"evening-dual"}),
        ("q=EVENING", {"evening-dual", "trap"}),
        ("q=harbor inpatient", {"hospital"}),
        ("q=harbor nonsense", set()),
    ],
)
def test_facility_level_filters(api, world, query, expected):
    assert set(slugs(api, query)) == expected


def test_the_design_example_finds_the_one_right_place(api, world):
    query = (
        "level=iop&dual_diagnosis=true&lives_at_home=true&near=34.0779,-118.2606&radius_mi=5"
        "&payment=medi-cal&language=es&available=weekdays@17:00-22:00"
    )
    assert slugs(api, query) == ["evening-dual"]


def miles_to(latitude, longitude):
    lat0, lng0 = map(math.radians, ECHO_PARK)
    lat1, lng1 = math.radians(latitude), math.radians(longitude)
    a = (
        math.sin((lat1 - lat0) / 2) ** 2
        + math.cos(lat0) * math.cos(lat1) * math.sin((lng1 - lng0) / 2) ** 2
    )
    return 2 * 3958.8 * math.asin(math.sqrt(a))


def test_near_orders_by_distance_and_reports_it(api, world):
    response = api.get(f"{FACILITIES_URL}?near=34.0779,-118.2606")
    results = response.json()["results"]
    assert [(r["slug"], r["distance_mi"]) for r in results] == [
        ("evening-dual", 0.0),
        ("no-programs", round(miles_to(34.0800, -118.2606), 2)),
        ("trap", round(miles_to(34.0779, -118.2506), 2)),
        ("morning-iop", round(miles_to(34.0869, -118.2702), 2)),
        ("teen-php", round(miles_to(34.0339, -118.2053), 2)),
    ]


def test_near_ordered_by_level_reports_distance_and_matches_as_by_distance(api, world):
    # Ordered by an annotation, a page's ids (and their distances) are found first and its
    # rows fetched by id: what they show must not depend on the order asked for.
    def shown(query):
        results = api.get(f"{FACILITIES_URL}?near=34.0779,-118.2606&level=iop&{query}").json()
        return {r["slug"]: (r["distance_mi"], r["matched_program_ids"]) for r in results["results"]}

    by_distance, by_level = shown(""), shown("ordering=level")
    assert by_level == by_distance
    assert {slug: distance for slug, (distance, _) in by_level.items()} == {
        "evening-dual": 0.0,
        "trap": round(miles_to(34.0779, -118.2506), 2),
        "morning-iop": round(miles_to(34.0869, -118.2702), 2),
    }
    assert all(matched for _, matched in by_level.values())


def test_radius_is_inclusive_at_its_edge(api, world):
    edge = miles_to(34.0339, -118.2053)
    inside = slugs(api, f"near=34.0779,-118.2606&radius_mi={edge + 1e-6:.6f}")
    outside = slugs(api, f"near=34.0779,-118.2606&radius_mi={edge - 1e-3:.6f}")
    assert "teen-php" in inside
    assert "teen-php" not in outside


def test_the_radius_reaches_100_miles(api, world):
    assert set(slugs(api, "near=34.0779,-118.2606&radius_mi=100")) == {
        "evening-dual",
        "no-programs",
        "trap",
        "morning-iop",
        "teen-php",
        "by-appointment",
        "hospital",
    }


def test_facilities_without_coordinates_never_match_near(api, world):
    assert "no-coordinates" not in slugs(api, "near=34.0779,-118.2606&radius_mi=100")


@pytest.mark.parametrize(
    ("ordering", "expected"),
    [
        (
            "name",
            [
                "by-appointment",
                "no-programs",
                "evening-dual",
                "hospital",
                "morning-iop",
                "teen-php",
                "trap",
                "no-coordinates",
            ],
        ),
        (
            "-name",
            [
                "no-coordinates",
                "trap",
                "teen-php",
                "morning-iop",
                "hospital",
                "evening-dual",
                "no-programs",
                "by-appointment",
            ],
        ),
        (
            "-verified_at",
            [
                "evening-dual",
                "by-appointment",
                "no-programs",
                "no-coordinates",
                "teen-php",
                "hospital",
                "trap",
                "morning-iop",
            ],
        ),
        (
            "level",
            [
                "by-appointment",
                "no-coordinates",
                "evening-dual",
                "morning-iop",
                "trap",
                "teen-php",
                "hospital",
                "no-programs",
            ],
        ),
    ],
)
def test_ordering(api, world, ordering, expected):
    assert slugs(api, f"ordering={ordering}") == expected


def test_pages_default_to_20_and_cap_page_size_at_100(api):
    load(*[FacilityRecord(slug=f"f-{n:03}") for n in range(105)])
    first = api.get(FACILITIES_URL).json()
    assert (first["count"], len(first["results"])) == (105, 20)
    assert first["next"].endswith("?page=2")
    capped = api.get(f"{FACILITIES_URL}?page_size=500").json()
    assert len(capped["results"]) == 100
    last = api.get(f"{FACILITIES_URL}?page_size=100&page=2").json()
    assert [r["slug"] for r in last["results"]] == [f"f-{n:03}" for n in range(100, 105)]


NEAR = "near=34.0779,-118.2606&radius_mi=100"


@pytest.mark.parametrize(
    ("url", "query"),
    [
        (FACILITIES_URL, ""),
        (FACILITIES_URL, "ordering=-verified_at"),
        (FACILITIES_URL, "ordering=level"),
        (FACILITIES_URL, "level=iop,php,residential&ordering=level"),
        (FACILITIES_URL, f"{NEAR}&dual_diagnosis=true&ordering=level"),
        (FACILITIES_URL, "available=weekdays@08:00-22:00&ordering=level"),
        (FACILITIES_URL, NEAR),
        (FACILITIES_URL, f"{NEAR}&ordering=-name"),
        (FACILITIES_URL, f"{NEAR}&ordering=-verified_at"),
        (FACILITIES_URL, "q=iop"),
        (PROGRAMS_URL, NEAR),
        (PROGRAMS_URL, f"{NEAR}&ordering=level"),
        (PROGRAMS_URL, f"{NEAR}&ordering=-name"),
        (PROGRAMS_URL, "ordering=-verified_at"),
    ],
)
def test_later_pages_continue_the_first_in_every_ordering(api, world, url, query):
    # Pages after the first read their ids first, then their rows by id, with the values
    # (distance) of the search's annotations (api.pagination).
    whole = api.get(f"{url}?{query}").json()["results"]
    paged = []
    for page in range(1, 10):
        response = api.get(f"{url}?{query}&page_size=2&page={page}")
        if response.status_code == 404:
            break
        paged.extend(response.json()["results"])
    assert len(whole) >= 3
    assert paged == whole


def test_drafts_never_appear_in_search(api, world):
    # draft has an evening dual-diagnosis IOP as evening-dual does.
    assert set(slugs(api, "level=iop&dual_diagnosis=true")) == {"evening-dual", "morning-iop"}
    assert api.get(FACILITIES_URL).json()["count"] == 8


# --- programs -----------------------------------------------------------------------------------


def program_names(api, query=""):
    response = api.get(f"{PROGRAMS_URL}?{query}")
    assert response.status_code == 200, response.json()
    return [(r["facility"]["slug"], r["name"]) for r in response.json()["results"]]


def test_program_search_returns_the_matching_programs_with_their_facility(api, world):
    assert program_names(api, "level=iop&dual_diagnosis=true") == [
        ("evening-dual", "Evening Dual IOP"),
        ("morning-iop", "Morning IOP"),
    ]


def test_facility_filters_apply_to_a_programs_facility(api, world):
    assert program_names(api, "language=es&level=iop") == [
        ("evening-dual", "Evening Dual IOP"),
        ("trap", "Plain Evening IOP"),
    ]


def test_programs_order_by_their_own_level_or_name(api, world):
    assert program_names(api, "service_area=4&ordering=level") == [
        ("evening-dual", "Evening Dual IOP"),
        ("morning-iop", "Morning IOP"),
        ("trap", "Plain Evening IOP"),
        ("teen-php", "Adolescent PHP"),
        ("trap", "Dual Residential"),
    ]
    assert program_names(api, "service_area=4&ordering=-name")[0] == ("trap", "Plain Evening IOP")


def test_program_results_carry_the_facility_distance(api, world):
    response = api.get(f"{PROGRAMS_URL}?near=34.0779,-118.2606&radius_mi=1&level=iop")
    assert [(r["name"], r["facility"]["distance_mi"]) for r in response.json()["results"]] == [
        ("Evening Dual IOP", 0.0),
        ("Plain Evening IOP", round(miles_to(34.0779, -118.2506), 2)),
        ("Morning IOP", round(miles_to(34.0869, -118.2702), 2)),
    ]


def test_a_program_search_near_a_point_applies_the_other_facility_filters_too(api, world):
    # The circle is tested on the program's facility join, the language in a subquery.
    query = "near=34.0779,-118.2606&level=iop&radius_mi="
    assert program_names(api, f"{query}1") == [
        ("evening-dual", "Evening Dual IOP"),
        ("trap", "Plain Evening IOP"),
        ("morning-iop", "Morning IOP"),
    ]
    assert program_names(api, f"{query}1&language=es") == [
        ("evening-dual", "Evening Dual IOP"),
        ("trap", "Plain Evening IOP"),
    ]
    assert program_names(api, f"{query}0.1&language=es") == [("evening-dual", "Evening Dual IOP")]


# --- bad input ----------------------------------------------------------------------------------


@pytest.mark.parametrize("url", [FACILITIES_URL, PROGRAMS_URL])
@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("lvl=iop", {"lvl": ["unknown query parameter; did you mean 'level'?"]}),
        ("colour=blue", {"colour": [filters.UNKNOWN_PARAMETER]}),
        ("level=detox-spa", {"level": ["unknown care level 'detox-spa'"]}),
        ("level=iop,", {"level": [filters.EMPTY_VALUE]}),
        (
            "min_level=spa",
            {
                "min_level": [
                    "unknown care level 'spa'; expected one of outpatient, iop, php, "
                    "residential, inpatient"
                ]
            },
        ),
        ("dual_diagnosis=maybe", {"dual_diagnosis": ["expected true or false, got 'maybe'"]}),
        ("age=-3", {"age": ["expected an age in whole years from 0 to 150, got '-3'"]}),
        ("age=151", {"age": ["expected an age in whole years from 0 to 150, got '151'"]}),
        ("age=17.5", {"age": ["expected an age in whole years from 0 to 150, got '17.5'"]}),
        (
            "service_area=9",
            {"service_area": ["invalid service area '9': expected a number from 1 to 8"]},
        ),
        (
            "service_area=0",
            {"service_area": ["invalid service area '0': expected a number from 1 to 8"]},
        ),
        ("neighborhood=atlantis", {"neighborhood": ["unknown neighborhood 'atlantis'"]}),
        ("language=english", {"language": [filters.UNKNOWN_LANGUAGE.format(value="english")]}),
        (
            "payment=cash",
            {
                "payment": [
                    "unknown payment option 'cash'; expected one of free, medi-cal, medicare, "
                    "private-insurance, self-pay, sliding-scale, tricare, va"
                ]
            },
        ),
        ("near=91,0", {"near": [filters.NEAR_OUT_OF_RANGE.format(value="91,0")]}),
        ("near=34,-181", {"near": [filters.NEAR_OUT_OF_RANGE.format(value="34,-181")]}),
        ("near=nan,0", {"near": [filters.INVALID_NEAR.format(value="nan,0")]}),
        ("near=inf,0", {"near": [filters.INVALID_NEAR.format(value="inf,0")]}),
        ("near=34", {"near": [filters.INVALID_NEAR.format(value="34")]}),
        ("near=34,-118&radius_mi=0", {"radius_mi": [filters.INVALID_RADIUS.format(value="0")]}),
        (
            "near=34,-118&radius_mi=100.01",
            {"radius_mi": [filters.INVALID_RADIUS.format(value="100.01")]},
        ),
        ("near=34,-118&radius_mi=nan", {"radius_mi": [filters.INVALID_RADIUS.format(value="nan")]}),
        ("radius_mi=5", {"radius_mi": [filters.RADIUS_WITHOUT_NEAR]}),
        ("ordering=distance", {"ordering": [filters.DISTANCE_WITHOUT_NEAR]}),
        (
            "ordering=rating",
            {"ordering": ["Select a valid choice. rating is not one of the available choices."]},
        ),
        ("q=" + "x" * 5000, {"q": ["at most 200 characters, got 5000"]}),
        ("q=a%00b", {"q": [filters.NUL_CHARACTER]}),
        ("level=%00", {"level": [filters.NUL_CHARACTER]}),
        ("page=0", {"page": ["must be a whole number of 1 or more, got '0'"]}),
        ("page_size=abc", {"page_size": ["must be a whole number of 1 or more, got 'abc'"]}),
        (
            "max_days_per_week=8",
            {"max_days_per_week": [filters.INVALID_DAYS_PER_WEEK.format(value="8")]},
        ),
        (
            "min_hours_per_week=-1",
            {"min_hours_per_week": [filters.INVALID_HOURS_PER_WEEK.format(value="-1")]},
        ),
        (
            "min_hours_per_week=10&max_hours_per_week=5",
            {"min_hours_per_week": [filters.HOURS_RANGE]},
        ),
    ],
)
def test_bad_input_is_a_400_naming_the_parameter(api, url, query, expected):
    assert errors(api, query, url) == expected


def test_several_bad_parameters_are_reported_together(api):
    assert errors(api, "lvl=iop&age=-3&service_area=9") == {
        "age": ["expected an age in whole years from 0 to 150, got '-3'"],
        "service_area": ["invalid service area '9': expected a number from 1 to 8"],
        "lvl": ["unknown query parameter; did you mean 'level'?"],
    }


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        # A list: the slugs found; a set: the parameters named in the 400.
        ("q=' OR 1=1 --", []),
        ("q=%27%3B DROP TABLE directory_facility%3B --", []),
        ("q=%25%25%25", {"q"}),
        ("q=_", {"q"}),
        ("q=!!! & | ! :*", {"q", " | ! :*"}),
        ("neighborhood=' OR '1'='1", {"neighborhood"}),
        ("q=" + "word " * 39, []),
    ],
)
def test_hostile_strings_never_cause_a_server_error(api, world, query, expected):
    for url in (FACILITIES_URL, PROGRAMS_URL):
        response = api.get(f"{url}?{query}")
        if isinstance(expected, set):
            assert (response.status_code, set(response.json())) == (400, expected)
        else:
            assert (response.status_code, response.json()["results"]) == (200, expected)


def test_sql_in_q_is_just_words_that_match_nothing(api, world):
    assert slugs(api, "q=' OR 1=1 --") == []


@pytest.fixture
def connection_vendor():
    from django.db import connection

    return connection.vendor


def test_text_search_on_postgresql_stems_and_ranks(api, connection_vendor):
    if connection_vendor != "postgresql":
        pytest.skip("stemming and ranking are PostgreSQL full-text search features")
    load(
        FacilityRecord(slug="a-mentions-once", name="Alder House", description="Group therapy."),
        FacilityRecord(
            slug="b-mentions-twice",
            name="Therapy Birch",
            description="Therapies for families: family therapy.",
        ),
        FacilityRecord(slug="c-unrelated", name="Cedar Clinic", description="Medication."),
    )
    assert slugs(api, "q=therapies&ordering=relevance") == ["b-mentions-twice", "a-mentions-once"]
    assert slugs(api, "q=therapies&ordering=name") == ["a-mentions-once", "b-mentions-twice"]
    # Stop words constrain nothing rather than matching nothing.
    assert slugs(api, "q=the therapy&ordering=name") == ["a-mentions-once", "b-mentions-twice"]


def test_a_text_search_is_ordered_by_name_unless_relevance_is_asked_for(api, connection_vendor):
    """DESIGN §5: without near the default order is by name, q included. ordering=relevance
    ranks by the facility's own name and description on PostgreSQL; SQLite cannot rank
    and keeps the name order."""
    load(
        FacilityRecord(slug="a-alder", name="Alder House", description="Group therapy."),
        FacilityRecord(slug="b-birch", name="Therapy Birch", description="Family therapy."),
        FacilityRecord(
            slug="c-cedar", name="Cedar Therapy Center", description="Therapy, therapy."
        ),
    )
    assert slugs(api, "q=therapy") == ["a-alder", "c-cedar", "b-birch"]
    ranked = slugs(api, "q=therapy&ordering=relevance")
    if connection_vendor == "postgresql":
        assert ranked == ["c-cedar", "b-birch", "a-alder"]
    else:
        assert ranked == ["a-alder", "c-cedar", "b-birch"]


@pytest.mark.parametrize(
    ("url", "query", "expected"),
    [
        (FACILITIES_URL, "ordering=relevance", {"ordering": [filters.RELEVANCE_WITHOUT_Q]}),
        (
            PROGRAMS_URL,
            "q=therapy&ordering=relevance",
            {"ordering": ["Select a valid choice. relevance is not one of the available choices."]},
        ),
    ],
)
def test_relevance_needs_q_and_is_for_facilities(api, url, query, expected):
    response = api.get(f"{url}?{query}")
    assert (response.status_code, response.json()) == (400, expected)


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("q=%25%25%25", {"q": [filters.NO_SEARCHABLE_WORDS.format(value="%%%")]}),
        ("q=!", {"q": [filters.NO_SEARCHABLE_WORDS.format(value="!")]}),
        ("q=%F0%9F%98%80", {"q": [filters.NO_SEARCHABLE_WORDS.format(value="\U0001f600")]}),
        ("neighborhood=100%25", {"neighborhood": ["unknown neighborhood '100%'"]}),
        ("age=%25d", {"age": ["expected an age in whole years from 0 to 150, got '%d'"]}),
        ("q=recovery&q=house", {"q": [filters.REPEATED.format(count=2)]}),
        ("age=5&age=40", {"age": [filters.REPEATED.format(count=2)]}),
        ("page=1&page=2", {"page": [filters.REPEATED.format(count=2)]}),
        ("age=%D9%A5", {"age": ["expected an age in whole years from 0 to 150, got '\u0665'"]}),
        ("age=%205", {"age": ["expected an age in whole years from 0 to 150, got ' 5'"]}),
    ],
)
def test_values_with_percent_signs_repeats_and_odd_digits_are_clear_400s(api, query, expected):
    assert errors(api, query) == expected


def test_punctuation_among_words_is_ignored(api, world):
    assert set(slugs(api, "q=family !")) == {"teen-php"}


def test_the_browsable_api_draws_the_search_form(api, world, settings):
    if "BrowsableAPIRenderer" not in str(settings.REST_FRAMEWORK["DEFAULT_RENDERER_CLASSES"]):
        pytest.skip("the browsable API is on only with DEBUG")
    response = api.get(
        f"{FACILITIES_URL}?level=iop,php&available=mon@18:00-21:00", HTTP_ACCEPT="text/html"
    )
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/html")
