"""Read endpoints and representations of DESIGN §5."""

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from directory.models import Program
from tests.factories import (
    ClosureRecord,
    FacilityRecord,
    HoursRecord,
    ProgramRecord,
    SessionRecord,
    load,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def echo_park_wellness():
    load(
        FacilityRecord(
            slug="echo-park-wellness",
            name="Echo Park Wellness",
            description="Evening programs.",
            organization={"slug": "lantern", "name": "Lantern Health"},
            address={
                "street": "1 Sunset Blvd",
                "city": "Los Angeles",
                "state": "CA",
                "postal_code": "90026",
            },
            latitude=34.0779,
            longitude=-118.2606,
            phone="(213) 555-0100",
            website="https://echo.example.org",
            languages=["es", "en"],
            payment=["medi-cal"],
            hours=[HoursRecord(day="mon", opens_at="08:00", closes_at="18:00")],
            closures=[ClosureRecord()],
            programs=[
                ProgramRecord(
                    name="Evening IOP",
                    level="iop",
                    description="Three evenings a week.",
                    dual_diagnosis=True,
                    min_age=18,
                    sessions=[
                        SessionRecord(day="mon"),
                        SessionRecord(day="wed"),
                        SessionRecord(day="thu"),
                    ],
                )
            ],
            verified_at="2026-10-01",
        )
    )


def test_a_facility_is_represented_as_the_design_says(api, echo_park_wellness, settings):
    settings.STALE_AFTER_DAYS = 100000
    response = api.get("/api/v1/facilities/echo-park-wellness/")
    body = response.json()
    program_id = body["programs"][0]["id"]
    assert response.status_code == 200
    assert body == {
        "slug": "echo-park-wellness",
        "name": "Echo Park Wellness",
        "description": "Evening programs.",
        "organization": {"slug": "lantern", "name": "Lantern Health"},
        "address": {
            "street": "1 Sunset Blvd",
            "city": "Los Angeles",
            "state": "CA",
            "postal_code": "90026",
        },
        "latitude": 34.0779,
        "longitude": -118.2606,
        "neighborhood": {"slug": "echo-park", "name": "Echo Park", "service_area": 4},
        "phone": "(213) 555-0100",
        "website": "https://echo.example.org",
        "languages": ["en", "es"],
        "payment": ["medi-cal"],
        "open_24_7": False,
        "hours": [{"day": "mon", "opens_at": "08:00", "closes_at": "18:00"}],
        "closures": [{"starts_on": "2026-12-24", "ends_on": "2026-12-25", "reason": "Holiday"}],
        "programs": [
            {
                "id": program_id,
                "name": "Evening IOP",
                "level": "iop",
                "description": "Three evenings a week.",
                "dual_diagnosis": True,
                "detox": False,
                "accepting_new_clients": True,
                "telehealth": False,
                "min_age": 18,
                "max_age": None,
                "sessions": [
                    {"day": "mon", "starts_at": "18:00", "ends_at": "21:00"},
                    {"day": "wed", "starts_at": "18:00", "ends_at": "21:00"},
                    {"day": "thu", "starts_at": "18:00", "ends_at": "21:00"},
                ],
                "days_per_week": 3,
                "hours_per_week": 9.0,
            }
        ],
        "status": "published",
        "verified_at": "2026-10-01",
        "source": "curated",
        "needs_verification": False,
        "distance_mi": None,
    }


def test_needs_verification_follows_stale_after_days(api, echo_park_wellness, settings):
    settings.STALE_AFTER_DAYS = 0
    body = api.get("/api/v1/facilities/echo-park-wellness/").json()
    assert body["needs_verification"] is True


def test_a_program_is_represented_with_a_facility_summary(api, echo_park_wellness):
    program_id = api.get("/api/v1/facilities/echo-park-wellness/").json()["programs"][0]["id"]
    body = api.get(f"/api/v1/programs/{program_id}/").json()
    assert (body["id"], body["name"], body["level"], body["days_per_week"]) == (
        program_id,
        "Evening IOP",
        "iop",
        3,
    )
    assert body["facility"]["slug"] == "echo-park-wellness"
    assert body["facility"]["neighborhood"] == {
        "slug": "echo-park",
        "name": "Echo Park",
        "service_area": 4,
    }
    assert body["facility"]["hours"] == [{"day": "mon", "opens_at": "08:00", "closes_at": "18:00"}]


@pytest.mark.parametrize("status", ["draft", "archived"])
def test_draft_and_archived_facilities_answer_404(api, status):
    load(FacilityRecord(slug="hidden", status=status, programs=[ProgramRecord()]))
    assert api.get("/api/v1/facilities/hidden/").status_code == 404
    assert api.get("/api/v1/facilities/").json()["results"] == []
    assert api.get("/api/v1/programs/").json()["results"] == []


def test_programs_of_hidden_facilities_answer_404(api):
    load(FacilityRecord(slug="hidden", status="draft", programs=[ProgramRecord()]))
    from directory.models import Program

    program = Program.objects.get()
    assert api.get(f"/api/v1/programs/{program.pk}/").status_code == 404


def test_an_unknown_slug_answers_404_json(api):
    response = api.get("/api/v1/facilities/nowhere/")
    assert (response.status_code, response.json()) == (
        404,
        {"detail": "No Facility matches the given query."},
    )


def test_an_unknown_program_id_answers_404_json(api):
    response = api.get("/api/v1/programs/999999/")
    assert (response.status_code, response["Content-Type"]) == (404, "application/json")


def many_facilities(count):
    """Facilities f-000, f-001, … a little farther north each (f-100 is 3.5 miles away)."""
    load(
        *[
            FacilityRecord(
                slug=f"f-{n:03}",
                latitude=FacilityRecord.latitude + n * 0.0005,
                hours=[HoursRecord(day="mon"), HoursRecord(day="tue")],
                closures=[ClosureRecord()],
                programs=[
                    ProgramRecord(
                        level="iop", sessions=[SessionRecord(), SessionRecord(day="wed")]
                    ),
                    ProgramRecord(level="outpatient"),
                ],
            )
            for n in range(count)
        ]
    )


def tables_read(queries):
    """The table each captured statement selects from (its first column's, or what it counts)."""
    found = []
    for query in queries:
        if query["sql"].startswith("SELECT COUNT(*)"):
            found.append("count " + re.search(r'FROM "(\w+)"', query["sql"]).group(1))
        elif query["sql"].startswith("SELECT * FROM ("):  # a UNION ALL of parts
            found.append("parts " + re.search(r'FROM "(\w+)"', query["sql"]).group(1))
        else:
            found.append(re.match(r'SELECT (?:DISTINCT )?"(\w+)"\.', query["sql"]).group(1))
    return found


FACILITY_SEARCH_QUERIES = [
    "directory_dataversion",  # the answer cache's key
    "count directory_facility",
    "directory_facility",  # organization, neighborhood joined; hours and closures as columns
    "directory_program",  # care level joined, sessions as a column, matched flag
]


@pytest.mark.parametrize("page_size", [1, 20, 100])
def test_a_facility_search_runs_four_queries_whatever_the_page_size(api, page_size):
    many_facilities(30)
    api.get("/api/v1/facilities/?level=iop&neighborhood=echo-park")  # warms the reference cache
    with CaptureQueriesContext(connection) as queries:
        response = api.get(
            f"/api/v1/facilities/?page_size={page_size}&level=iop&neighborhood=echo-park"
            "&min_level=outpatient"
        )
    assert response.status_code == 200
    assert len(response.json()["results"]) == min(page_size, 30)
    assert tables_read(queries) == FACILITY_SEARCH_QUERIES


@pytest.mark.parametrize("page_size", [1, 20, 100])
def test_the_unfiltered_facility_list_runs_four_queries(api, page_size):
    many_facilities(30)
    with CaptureQueriesContext(connection) as queries:
        api.get(f"/api/v1/facilities/?page_size={page_size}")
    assert tables_read(queries) == FACILITY_SEARCH_QUERIES


@pytest.mark.parametrize("page_size", [1, 20, 100])
def test_a_facility_search_by_level_runs_five_queries_whatever_the_page_size(api, page_size):
    many_facilities(30)
    url = f"/api/v1/facilities/?page_size={page_size}&ordering=level&dual_diagnosis=false"
    api.get(url)  # warms the reference cache
    with CaptureQueriesContext(connection) as queries:
        response = api.get(f"{url}&page=1")
    assert len(response.json()["results"]) == min(page_size, 30)
    assert response.json()["count"] == 30
    assert tables_read(queries) == [
        "directory_dataversion",
        "parts directory_facility",  # the page's ids, level by level
        "directory_facility",
        "directory_program",
        "count directory_facility",
    ]


def test_a_later_page_asks_for_its_ids_first(api):
    many_facilities(30)
    with CaptureQueriesContext(connection) as queries:
        response = api.get("/api/v1/facilities/?page_size=20&page=2")
    assert len(response.json()["results"]) == 10
    # Its rows (with hours and closures computed) are then fetched for those ids only.
    assert tables_read(queries) == [*FACILITY_SEARCH_QUERIES[:2], "directory_facility"] + [
        *FACILITY_SEARCH_QUERIES[2:]
    ]
    assert "LIMIT 10 OFFSET 20" in queries[2]["sql"]
    assert "json" not in queries[2]["sql"].lower()  # no hours or closures for skipped rows
    assert "OFFSET" not in queries[3]["sql"]


COUNTED_PAGE_QUERIES = [
    "directory_dataversion",
    "directory_facility",  # the page's ids, and the number of matches: COUNT(*) OVER ()
    "directory_facility",  # the page's rows by id: hours and closures as columns
    "directory_program",
]


@pytest.mark.parametrize("page", [1, 2])
def test_a_search_ordered_by_an_annotation_counts_with_its_ids(api, page):
    # Sorted by distance, every match is computed to find the page: the same query counts
    # them, reading no JSON, and the rows are then fetched for the page's ids only.
    many_facilities(30)
    with CaptureQueriesContext(connection) as queries:
        response = api.get(f"/api/v1/facilities/?page_size=20&page={page}&near=34.0779,-118.2606")
    body = response.json()
    assert (body["count"], len(body["results"])) == (30, [20, 10][page - 1])
    assert tables_read(queries) == COUNTED_PAGE_QUERIES
    ids, rows = queries[1]["sql"], queries[2]["sql"]
    assert "COUNT(*) OVER ()" in ids
    assert ("LIMIT 20 OFFSET 20" if page == 2 else "LIMIT 20") in ids
    assert "json" not in ids.lower()
    assert "json" in rows.lower()
    assert "OFFSET" not in rows


def test_a_search_ordered_by_an_annotation_without_matches_is_counted_empty(api):
    many_facilities(3)
    with CaptureQueriesContext(connection) as queries:
        response = api.get("/api/v1/facilities/?near=0,0&radius_mi=1")
    assert response.json() == {"count": 0, "next": None, "previous": None, "results": []}
    assert tables_read(queries) == COUNTED_PAGE_QUERIES[:2]


def test_a_page_past_the_last_ordered_by_an_annotation_is_not_found(api):
    many_facilities(3)
    with CaptureQueriesContext(connection) as queries:
        response = api.get("/api/v1/facilities/?near=34.0779,-118.2606&page=2")
    assert response.status_code == 404
    assert response.json() == {"detail": "Invalid page."}
    # The empty page, then the count that tells it is past the last one.
    assert tables_read(queries) == [*COUNTED_PAGE_QUERIES[:2], "count directory_facility"]


@pytest.mark.parametrize("change", ["delete", "archive"])
@pytest.mark.parametrize("query", ["near=34.0779,-118.2606", "ordering=-name"])
def test_a_row_gone_between_ids_and_rows_is_left_out(api, settings, query, change):
    # The page's ids are read first, then its rows: a facility deleted or archived in
    # between is left out of the page; the count is the one first told.
    from directory.models import Facility

    settings.API_CACHE_SECONDS = 0  # the same search twice: both answered afresh
    many_facilities(30)
    first = api.get(f"/api/v1/facilities/?{query}&page=2&page_size=10").json()["results"]
    gone = first[3]["slug"]
    deleted = []

    def delete_after_ids(execute, sql, params, many, context):
        result = execute(sql, params, many, context)
        ids_query = "COUNT(*) OVER ()" in sql or ('"pk"' in sql and "LIMIT 10 OFFSET 10" in sql)
        if ids_query and not deleted:
            deleted.append(gone)
            facility = Facility.objects.filter(slug=gone)
            if change == "delete":
                facility.delete()
            else:
                facility.update(status="archived")
        return result

    with connection.execute_wrapper(delete_after_ids):
        response = api.get(f"/api/v1/facilities/?{query}&page=2&page_size=10")
    assert deleted == [gone]
    body = response.json()
    assert body["count"] == 30
    assert [r["slug"] for r in body["results"]] == [r["slug"] for r in first if r["slug"] != gone]


@pytest.mark.parametrize("query", ["near=34.0779,-118.2606&", "", "ordering=-name&"])
@pytest.mark.parametrize("page", ["100000000000000000000", "9" * 5000])
def test_a_page_number_past_any_page_is_not_found(api, query, page):
    many_facilities(3)
    response = api.get(f"/api/v1/facilities/?{query}page={page}")
    assert (response.status_code, response.json()) == (404, {"detail": "Invalid page."})


@pytest.mark.parametrize("page_size", ["101", "0000101", "9" * 5000])
def test_a_page_size_above_100_is_capped_however_long(api, page_size):
    many_facilities(101)
    body = api.get(f"/api/v1/facilities/?page_size={page_size}").json()
    assert (body["count"], len(body["results"])) == (101, 100)


def test_the_export_runs_two_queries_whatever_its_size():
    from directory.services import facility_export

    many_facilities(30)
    with CaptureQueriesContext(connection) as queries:
        records = facility_export()
    assert len(records) == 30
    assert [len(p["sessions"]) for p in records[0]["programs"]] == [0, 2]  # outpatient, iop
    # facilities with hours and closures as columns; programs with their sessions
    assert tables_read(queries) == ["directory_facility", "directory_program"]


@pytest.mark.parametrize("page_size", [1, 20, 100])
def test_the_program_list_runs_four_queries_whatever_the_page_size(api, page_size):
    many_facilities(30)
    with CaptureQueriesContext(connection) as queries:
        response = api.get(f"/api/v1/programs/?page_size={page_size}")
    assert tables_read(queries) == [
        "directory_dataversion",
        "count directory_program",
        # the page's ids, in the default order (its index holds the filters' columns)
        "directory_program",
        # those programs with care level, facility, organization and neighborhood joined,
        # their sessions and their facility's hours as columns
        "directory_program",
    ]
    assert f"LIMIT {min(page_size, 60)}" in queries[2]["sql"]  # 60 programs in all
    assert "session_rows" not in queries[2]["sql"] and "session_rows" in queries[3]["sql"]
    every = sorted(Program.objects.visible().values_list("name", "facility_name", "id"))
    assert [r["id"] for r in response.json()["results"]] == [i for *_, i in every[:page_size]]


def test_a_program_search_by_distance_counts_with_its_ids(api):
    many_facilities(30)
    with CaptureQueriesContext(connection) as queries:
        response = api.get("/api/v1/programs/?near=34.0779,-118.2606&page_size=20&page=3")
    assert tables_read(queries) == [
        "directory_dataversion",
        "directory_program",  # ids and COUNT(*) OVER ()
        "directory_program",  # rows by id, with their facility
    ]
    assert "COUNT(*) OVER ()" in queries[1]["sql"]
    assert "LIMIT 20 OFFSET 40" in queries[1]["sql"]
    body = response.json()
    assert (body["count"], len(body["results"])) == (60, 20)
    # Two programs a facility, nearest first: the third page holds f-020 to f-029.
    facilities = [(r["facility"]["slug"], r["facility"]["distance_mi"]) for r in body["results"]]
    assert [slug for slug, _ in facilities] == [f"f-{n:03}" for n in range(20, 30) for _ in "ab"]
    assert [distance for _, distance in facilities[::2]] == [
        round(n * 0.0005 * 69.09, 2) for n in range(20, 30)
    ]
    whole = api.get("/api/v1/programs/?near=34.0779,-118.2606&page_size=100").json()
    assert body["results"] == whole["results"][40:60]


def test_closures_come_with_the_facility_in_date_order(api):
    load(
        FacilityRecord(
            slug="closes-often",
            closures=[
                ClosureRecord(starts_on="2026-12-31", ends_on="2027-01-01", reason="New Year"),
                ClosureRecord(starts_on="2026-11-26", ends_on="2026-11-26", reason='"Thanks"'),
                ClosureRecord(starts_on="2026-11-26", ends_on="2026-11-27", reason="Long weekend"),
            ],
        )
    )
    body = api.get("/api/v1/facilities/closes-often/").json()
    listed = api.get("/api/v1/facilities/").json()["results"][0]
    assert (
        body["closures"]
        == listed["closures"]
        == [
            {"starts_on": "2026-11-26", "ends_on": "2026-11-26", "reason": '"Thanks"'},
            {"starts_on": "2026-11-26", "ends_on": "2026-11-27", "reason": "Long weekend"},
            {"starts_on": "2026-12-31", "ends_on": "2027-01-01", "reason": "New Year"},
        ]
    )


def test_care_levels_are_listed_by_rank(api):
    body = api.get("/api/v1/care-levels/").json()
    assert (body["count"], body["next"], body["previous"]) == (5, None, None)
    assert [(level["slug"], level["lives_at_home"]) for level in body["results"]] == [
        ("outpatient", True),
        ("iop", True),
        ("php", True),
        ("residential", False),
        ("inpatient", False),
    ]


def test_service_areas_are_the_eight(api):
    body = api.get("/api/v1/service-areas/").json()
    assert [(area["number"], area["name"]) for area in body["results"]] == [
        (1, "Antelope Valley"),
        (2, "San Fernando Valley"),
        (3, "San Gabriel Valley"),
        (4, "Metro"),
        (5, "West"),
        (6, "South"),
        (7, "East"),
        (8, "South Bay / Harbor"),
    ]


def test_neighborhoods_filter_by_service_area_and_name(api):
    body = api.get("/api/v1/neighborhoods/?service_area=4&q=park").json()
    assert [n["slug"] for n in body["results"]] == [
        "country-club-park",
        "echo-park",
        "elysian-park",
        "glassell-park",
        "hancock-park",
        "highland-park",
        "park-la-brea",
        "victoria-park",
    ]


def test_neighborhoods_reject_unknown_parameters_and_bad_areas(api):
    response = api.get("/api/v1/neighborhoods/?service_area=9&name=x")
    assert response.status_code == 400
    assert response.json() == {
        "service_area": ["invalid service area '9': expected a number from 1 to 8"],
        "name": ["unknown query parameter"],
    }


def test_all_348_neighborhoods_are_listed_in_pages(api):
    body = api.get("/api/v1/neighborhoods/?page_size=100&page=4").json()
    assert (body["count"], len(body["results"]), body["next"]) == (348, 48, None)


def test_healthz_answers_ok_when_the_database_answers(api):
    response = api.get("/healthz")
    assert (response.status_code, response.json()) == (200, {"status": "ok"})


def test_the_openapi_schema_and_docs_are_served(api):
    schema = api.get("/api/schema/?format=json")
    assert schema.status_code == 200
    parameters = {
        p["name"] for p in schema.json()["paths"]["/api/v1/facilities/"]["get"]["parameters"]
    }
    assert {"level", "available", "near", "radius_mi", "q", "ordering", "page_size"} <= parameters
    assert api.get("/api/docs/").status_code == 200


def test_the_schema_is_valid_openapi(tmp_path):
    from django.core.management import call_command

    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(tmp_path / "s.yml"))


def test_child_lists_read_from_json_columns_equal_those_read_from_the_database():
    from directory.models import Facility

    load(
        FacilityRecord(
            slug="two-ways",
            hours=[HoursRecord(day="tue"), HoursRecord(day="mon", opens_at="07:00")],
            closures=[
                ClosureRecord(starts_on="2026-12-24", ends_on="2026-12-26"),
                ClosureRecord(starts_on="2026-11-26", ends_on="2026-11-27"),
            ],
            programs=[ProgramRecord(sessions=[SessionRecord(day="fri"), SessionRecord()])],
        )
    )
    fetched = Facility.objects.for_representation().get(slug="two-ways")
    plain = Facility.objects.get(slug="two-ways")
    assert fetched.hours_list == plain.hours_list
    assert [h["day"] for h in plain.hours_list] == [0, 1]
    assert fetched.closure_list == plain.closure_list
    assert [c["starts_on"].isoformat() for c in plain.closure_list] == ["2026-11-26", "2026-12-24"]
    sessions = fetched.program_list[0].session_list
    assert sessions == plain.programs.get().session_list
    assert [s["day"] for s in sessions] == [0, 4]
