"""The shapes issue 6 relies on: derived search text kept true, constants instead of
joins, the indexes the planner needs, and the gunicorn config. No timing assertions."""

import gc
import importlib
import os
import re
import uuid

import pytest
from django.db import connection
from django.db.models import F
from django.test.utils import CaptureQueriesContext

from directory import schedule
from directory.models import Facility, Hours, OpenSpan, Program
from directory.querysets import intervals_reaching
from directory.services import compose_search_text, refresh_schedule
from tests.factories import FacilityRecord, HoursRecord, ProgramRecord, SessionRecord, load

pytestmark = pytest.mark.django_db

FACILITIES_URL = "/api/v1/facilities/"
LANTERN = {"slug": "lantern", "name": "Lantern Health"}


def slugs(api, query):
    response = api.get(f"{FACILITIES_URL}?{query}")
    assert response.status_code == 200, response.content
    return [result["slug"] for result in response.json()["results"]]


def search_text(slug):
    return Facility.objects.get(slug=slug).search_text


def test_import_writes_the_search_text_of_each_facility():
    load(
        FacilityRecord(
            slug="harbor",
            name="Harbor House",
            description="Group therapy.",
            organization=LANTERN,
            programs=[ProgramRecord(name="Evening IOP", description="Dual diagnosis track")],
        ),
        FacilityRecord(slug="alone", name="Alone", organization=None),
    )
    assert search_text("harbor") == compose_search_text(
        "Harbor House",
        "Group therapy.",
        "Lantern Health",
        [("Evening IOP", "Dual diagnosis track")],
    )
    assert search_text("harbor").split("\n") == [
        "Lantern Health",
        "Harbor House",
        "Group therapy.",
        "Evening IOP",
        "Dual diagnosis track",
    ]
    assert search_text("alone") == "\nAlone\n"


def facility_writes(captured):
    """The statements that wrote facility rows, by their first word (INSERT or UPDATE)."""
    written = re.compile(r'^(INSERT INTO|UPDATE) "directory_facility" ')
    return [
        match[1].split()[0]
        for query in captured.captured_queries
        if (match := written.match(query["sql"]))
    ]


def test_import_writes_each_facility_row_once():
    # An UPDATE after the INSERT leaves a dead copy of every new row on PostgreSQL.
    records = [
        FacilityRecord(slug=f"f{n}", organization=LANTERN, programs=[ProgramRecord()])
        for n in range(3)
    ]
    with CaptureQueriesContext(connection) as captured:
        load(*records)
    assert facility_writes(captured) == ["INSERT"]
    with CaptureQueriesContext(connection) as captured:
        load(*records)
    assert facility_writes(captured) == ["UPDATE"]
    # Renaming the organization rewrites the text of its facilities outside the file too.
    renamed = {**records[0], "organization": {"slug": "lantern", "name": "Beacon Care"}}
    with CaptureQueriesContext(connection) as captured:
        load(renamed)
    assert facility_writes(captured) == ["UPDATE", "UPDATE"]
    assert [search_text(f"f{n}").split("\n")[0] for n in range(3)] == ["Beacon Care"] * 3


def test_reimport_replaces_the_search_text():
    load(FacilityRecord(slug="harbor", programs=[ProgramRecord(name="Old Track")]))
    load(FacilityRecord(slug="harbor", programs=[ProgramRecord(name="New Track")]))
    assert "New Track" in search_text("harbor")
    assert "Old Track" not in search_text("harbor")


def test_an_organization_renamed_by_an_import_is_renamed_in_its_other_facilities(api):
    load(
        FacilityRecord(slug="first", organization=LANTERN),
        FacilityRecord(slug="second", organization=LANTERN),
    )
    load(FacilityRecord(slug="first", organization={"slug": "lantern", "name": "Beacon Care"}))
    assert search_text("second").startswith("Beacon Care\n")
    assert slugs(api, "q=beacon&ordering=name") == ["first", "second"]
    assert slugs(api, "q=lantern") == []


def test_refresh_schedule_refreshes_the_search_text(api):
    """The admin calls refresh_schedule after saving a facility or a program."""
    load(FacilityRecord(slug="harbor", programs=[ProgramRecord(name="Evening IOP")]))
    Program.objects.filter(facility__slug="harbor").update(name="Sunrise Track")
    Facility.objects.filter(slug="harbor").update(description="Now with yoga.")
    assert slugs(api, "q=sunrise") == []
    refresh_schedule(Facility.objects.get(slug="harbor"))
    assert slugs(api, "q=sunrise") == ["harbor"]
    assert slugs(api, "q=yoga") == ["harbor"]
    assert slugs(api, "q=evening") == []


def test_every_word_may_come_from_a_different_part(api):
    load(
        FacilityRecord(
            slug="harbor",
            name="Harbor House",
            organization=LANTERN,
            programs=[ProgramRecord(name="Evening IOP", description="family sessions")],
        ),
        FacilityRecord(slug="other", name="Other Place"),
    )
    assert slugs(api, "q=harbor lantern family") == ["harbor"]
    assert slugs(api, "q=harbor lantern missing") == []


def test_representation_does_not_fetch_the_search_text(api):
    load(FacilityRecord(slug="harbor"))
    with CaptureQueriesContext(connection) as queries:
        assert api.get(f"{FACILITIES_URL}?q=harbor").status_code == 200
        assert api.get("/api/v1/programs/").status_code == 200
        assert api.get(f"{FACILITIES_URL}harbor/").status_code == 200
    selected = [q["sql"].split(" FROM ")[0] for q in queries if q["sql"].startswith("SELECT")]
    assert selected
    assert not any("search_text" in columns for columns in selected)


def test_level_and_neighborhood_filters_compare_ids_not_slugs(api):
    load(FacilityRecord(slug="harbor", programs=[ProgramRecord(level="iop")]))
    url = (
        f"{FACILITIES_URL}?level=iop&min_level=outpatient&lives_at_home=true&neighborhood=echo-park"
    )
    with CaptureQueriesContext(connection) as queries:
        response = api.get(url)
    assert [r["slug"] for r in response.json()["results"]] == ["harbor"]
    searches = [q["sql"] for q in queries if "COUNT(*)" in q["sql"]]
    assert searches
    assert "directory_carelevel" not in searches[0]
    assert "directory_neighborhood" not in searches[0]


def search_statement(api, query, marker):
    """The slugs a facility search finds, and the first statement it sent with ``marker``."""
    with CaptureQueriesContext(connection) as queries:
        found = slugs(api, query)
    return found, next(q["sql"] for q in queries if marker in q["sql"])


def available_count_sql(api, query):
    """The count statement of an ``available`` search that finds a by-appointment program."""
    load(FacilityRecord(slug="harbor", open_24_7=True, programs=[ProgramRecord()]))
    found, count = search_statement(api, query, "COUNT(*)")
    assert found == ["harbor"]
    return count


def test_available_narrows_programs_by_their_session_days_before_reading_sessions(api):
    # Two windows with different clock times: the sessions themselves decide.
    count = available_count_sql(api, "available=mon@09:00-12:00&available=mon@13:00-15:00")
    # By appointment (no days) or meeting on Mondays only: an index condition.
    assert '"session_days" IN (0, 1)' in count
    assert '"session_days" = 0' in count  # by appointment
    assert count.count("directory_session") == 1  # only "no session outside the windows"
    assert "first_start_minute" not in count


def test_windows_of_the_same_clock_times_are_decided_without_reading_sessions(api):
    count = available_count_sql(api, "available=mon,wed@09:00-12:00")
    assert '"session_days" IN (0, 1, 4, 5)' in count
    assert '"first_start_minute" >= 540' in count
    assert '"last_end_minute" <= 720' in count
    assert "directory_session" not in count


def test_keyword_search_matches_the_stored_search_document_on_postgresql():
    """The predicate reads the stored vector its GIN index covers (published rows), so the
    planner can use the index and a recheck never parses the text again."""
    if connection.vendor != "postgresql":
        pytest.skip("GIN indexes are PostgreSQL's")
    load(FacilityRecord(slug="harbor", description="therapy"))
    Facility.objects.filter(slug="harbor").update(description="Trauma therapy")
    refresh_schedule(Facility.objects.get(slug="harbor"))
    queryset = Facility.objects.published().matching_text(["therapy"]).order_by()
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'directory_facility' "
            "AND indexname LIKE 'facility_search%%'"
        )
        indexes = dict(cursor.fetchall())
        cursor.execute(
            "SELECT search_document = to_tsvector('english', search_text), search_text "
            "FROM directory_facility WHERE slug = 'harbor'"
        )
        kept, text = cursor.fetchone()
        sql, params = queryset.values("id").query.sql_with_params()
        cursor.execute(f"EXPLAIN {sql}", params)
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert list(indexes) == ["facility_search_document"]
    assert (
        "USING gin (search_document) WHERE ((status)::text = 'published'::text)"
        in (indexes["facility_search_document"])
    )
    assert (kept, "Trauma therapy" in text) == (True, True)
    assert "search_document @@ '''therapi'''::tsquery" in plan
    assert "to_tsvector" not in plan
    assert "numnode" not in plan  # the stop-word test folds away: one indexable predicate


def _gunicorn_config():
    import importlib.util
    from pathlib import Path

    from django.conf import settings

    path = Path(settings.BASE_DIR) / "config" / "gunicorn.conf.py"
    spec = importlib.util.spec_from_file_location("gunicorn_conf", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_gunicorn_config_freezes_the_loaded_app():
    thresholds = gc.get_threshold()
    try:
        _gunicorn_config().post_worker_init(worker=None)
        assert gc.get_freeze_count() > 0
        assert gc.get_threshold() == (50_000, 20, 20)
    finally:
        gc.unfreeze()
        gc.set_threshold(*thresholds)


@pytest.fixture
def serving_thresholds():
    """The serving thresholds, from a full collection (every count at 0); restored after."""
    from config.process import GC_THRESHOLDS

    thresholds = gc.get_threshold()
    gc.set_threshold(*GC_THRESHOLDS)
    gc.collect()
    yield
    gc.set_threshold(*thresholds)


def _young_objects():
    from config.process import YOUNG_BETWEEN_REQUESTS

    # A few more than the mark: what the test frees meanwhile counts against it.
    return [[] for _ in range(YOUNG_BETWEEN_REQUESTS + 1_000)]


def test_between_requests_nothing_is_collected_while_the_young_generation_is_small(
    serving_thresholds,
):
    from config.process import collect_between_requests

    assert collect_between_requests() is None
    assert gc.get_count()[1:] == (0, 0)


@pytest.mark.parametrize(
    ("collected", "times", "expected", "counts_after"),
    [
        (None, 0, 0, (1, 0)),  # a young collection: one more since the last middle one
        (0, 20, 0, (21, 0)),  # 20 young collections (threshold 20): still a young one
        (0, 21, 1, (0, 1)),  # 21 young collections: a middle one
        (1, 20, 0, (1, 20)),  # 20 middle collections: not yet a full one
        (1, 21, 2, (0, 0)),  # 21 middle collections: a full one
    ],
)
def test_between_requests_the_collector_runs_the_generation_it_would_run_next(
    serving_thresholds, collected, times, expected, counts_after
):
    from config.process import collect_between_requests

    for _ in range(times):
        gc.collect(collected)
    young = _young_objects()
    assert collect_between_requests() == expected
    assert gc.get_count()[1:] == counts_after
    del young  # alive until the collection ran


def test_gunicorn_workers_collect_once_a_request_is_handled_and_released(monkeypatch):
    """config/workers.py: the collection runs after gunicorn's sync worker has handled the
    request (answer sent, connection closed), even when handling it failed."""
    from gunicorn.workers.sync import SyncWorker

    from config import workers

    events = []

    def handle(worker, listener, client, addr):
        events.append(("handled", client))
        if client == "broken":
            raise OSError("reset by peer")

    monkeypatch.setattr(SyncWorker, "handle", handle)
    monkeypatch.setattr(workers, "collect_between_requests", lambda: events.append("collected"))
    worker = workers.CollectingSyncWorker.__new__(workers.CollectingSyncWorker)
    worker.handle(None, "client", None)
    with pytest.raises(OSError):
        worker.handle(None, "broken", None)
    assert _gunicorn_config().worker_class == "config.workers.CollectingSyncWorker"
    assert events == [("handled", "client"), "collected", ("handled", "broken"), "collected"]


# --- Growth fixes: stored rank document (session 2), ordering=level by level (session 14) ---


def _level_ordering_reference(url_query):
    """Return (slug, lowest_rank) of ``url_query`` computed the old way: the EXISTS
    filter, then a correlated subquery per facility for the rank."""
    from django.db.models import F, OuterRef, Subquery
    from django.http import QueryDict
    from django.utils import timezone

    from directory.filters import FacilityFilterSet

    filterset = FacilityFilterSet(QueryDict(url_query), queryset=Facility.objects.published())
    assert filterset.is_valid(), filterset.errors
    data = filterset.form.cleaned_data
    programs = filterset.matching_programs(data)
    facilities = filterset.matching_facilities(
        Facility.objects.published(), data, now=timezone.now()
    )
    if programs is not None:
        facilities = facilities.offering(programs)
    ranks = (programs if programs is not None else Program.objects.all()).filter(
        facility=OuterRef("pk")
    )
    ranks = ranks.order_by("care_level__rank").values("care_level__rank")[:1]
    ordered = facilities.annotate(lowest_rank=Subquery(ranks)).order_by(
        F("lowest_rank").asc(nulls_last=True), "name", "slug"
    )
    return list(ordered.values_list("slug", "lowest_rank"))


@pytest.fixture
def levels_world():
    from tests.factories import SessionRecord

    weekend = [SessionRecord(day="sat", starts_at="09:00", ends_at="12:00")]
    evening = [SessionRecord(day="mon", starts_at="18:00", ends_at="21:00")]
    load(
        FacilityRecord(
            slug="b-weekend-iop",
            programs=[
                ProgramRecord(level="iop", sessions=weekend),
                ProgramRecord(level="outpatient", sessions=evening),
            ],
        ),
        FacilityRecord(
            slug="a-weekend-php",
            programs=[ProgramRecord(level="php", sessions=weekend, dual_diagnosis=True)],
        ),
        FacilityRecord(
            slug="c-evening-outpatient",
            programs=[ProgramRecord(level="outpatient", sessions=evening)],
        ),
        FacilityRecord(slug="d-24-7", open_24_7=True, programs=[ProgramRecord(level="outpatient")]),
        FacilityRecord(slug="e-no-programs", programs=[]),
        FacilityRecord(slug="f-residential", programs=[ProgramRecord(level="residential")]),
    )


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        (
            "ordering=level&available=sat@08:00-13:00",
            [("d-24-7", 1), ("b-weekend-iop", 2), ("a-weekend-php", 3)],
        ),
        ("ordering=level&dual_diagnosis=true", [("a-weekend-php", 3)]),
        ("ordering=level&level=inpatient&available=sat@08:00-13:00", []),
        (
            "ordering=level",
            [
                ("b-weekend-iop", 1),
                ("c-evening-outpatient", 1),
                ("d-24-7", 1),
                ("a-weekend-php", 3),
                ("f-residential", 4),
                ("e-no-programs", None),
            ],
        ),
    ],
)
def test_ordering_by_level_matches_the_per_facility_formulation(api, levels_world, query, expected):
    """Found level by level, the pages filter and order exactly as the EXISTS filter plus
    a subquery per facility (counts included)."""
    assert _level_ordering_reference(query) == expected
    response = api.get(f"{FACILITIES_URL}?{query}").json()
    assert response["count"] == len(expected)
    assert [r["slug"] for r in response["results"]] == [slug for slug, _ in expected]


def test_ordering_by_level_pages_cross_levels_and_end(api, levels_world):
    """Pages of one follow the order across levels; past the last page is Django's 404."""
    query = "ordering=level&available=sat@08:00-13:00&page_size=1"
    pages = [api.get(f"{FACILITIES_URL}?{query}&page={n}").json() for n in (1, 2, 3)]
    assert [[r["slug"] for r in page["results"]] for page in pages] == [
        ["d-24-7"],
        ["b-weekend-iop"],
        ["a-weekend-php"],
    ]
    assert [page["count"] for page in pages] == [3, 3, 3]
    assert pages[2]["next"] is None
    response = api.get(f"{FACILITIES_URL}?{query}&page=4")
    assert response.status_code == 404
    assert response.json() == {"detail": "Invalid page."}


def test_ordering_by_level_with_a_near_search_keeps_the_distances(api):
    load(
        FacilityRecord(slug="b-near-iop", programs=[ProgramRecord(level="iop", detox=True)]),
        FacilityRecord(
            slug="a-far-outpatient",
            latitude=34.2,
            longitude=-118.3,
            programs=[ProgramRecord(level="outpatient", detox=True)],
        ),
        FacilityRecord(slug="c-no-detox", programs=[ProgramRecord(level="outpatient")]),
    )
    response = api.get(
        f"{FACILITIES_URL}?near=34.0779,-118.2606&radius_mi=20&ordering=level&detox=true"
    ).json()
    # 8.73 great-circle miles from Echo Park's point to (34.2, -118.3), computed apart.
    assert [(r["slug"], r["distance_mi"]) for r in response["results"]] == [
        ("a-far-outpatient", 8.73),
        ("b-near-iop", 0.0),
    ]
    assert response["count"] == 2


def test_ordering_by_level_finds_a_page_level_by_level_and_counts_apart(api, levels_world):
    """The page's ids: one query, a part per level the search allows (``available``
    excludes round-the-clock levels), each in name order and limited to the page's end;
    no grouping of every matching program. The count: the same facilities and programs,
    compiled once for both."""
    url = f"{FACILITIES_URL}?ordering=level&available=sat@08:00-13:00&page_size=2"
    with CaptureQueriesContext(connection) as queries:
        response = api.get(url).json()
    assert response["count"] == 3
    assert [r["slug"] for r in response["results"]] == ["d-24-7", "b-weekend-iop"]
    searches = [q["sql"] for q in queries if 'FROM "directory_facility"' in q["sql"]]
    ids, rows, count = searches[0], searches[1], searches[-1]
    assert ids.count("UNION ALL") == 2  # outpatient, intensive outpatient, partial
    assert re.findall(r"AS level_(\d)", ids) == ["1", "2", "3"]
    assert ids.count('"level_slug" LIMIT 2)') == 3
    assert ids.endswith("ORDER BY 2, 3, 4 LIMIT 2 OFFSET 0")
    assert "GROUP BY" not in ids
    assert "directory_session" not in ids  # one window: by the programs' clock spans
    # A part's levels: its own, and not the lower ones; the facilities' own statement
    # has no program condition (not offering's EXISTS: the parts say it).
    levels = re.findall(r'(NOT )?EXISTS \(SELECT 1 FROM .*?"care_level_id" IN \(([\d, ]+)\)\)', ids)
    assert levels == [("", "1"), ("", "2"), ("NOT ", "1"), ("", "3"), ("NOT ", "1, 2")]
    facilities = re.search(r'"level_slug" FROM \((SELECT .*?)\) AS level_facility WHERE', ids)
    assert "directory_program" not in facilities.group(1)
    programs = re.search(r"EXISTS \(SELECT 1 FROM \((SELECT .*?)\) AS level_program WHERE", ids)
    assert count == (
        f"SELECT COUNT(*) FROM ({facilities.group(1)}) AS level_facility WHERE EXISTS "
        f'(SELECT 1 FROM ({programs.group(1)}) AS level_program WHERE level_program."facility_id" '
        '= level_facility."level_pk")'
    )
    # The rows are then read by id, without searching again.
    assert "directory_session" not in rows
    assert "UNION" not in rows
    assert "ORDER BY" not in rows


def test_ordering_by_level_with_a_level_no_program_offers_is_empty(api, levels_world):
    with CaptureQueriesContext(connection) as queries:
        response = api.get(f"{FACILITIES_URL}?ordering=level&level=inpatient&detox=true").json()
    assert response == {"count": 0, "next": None, "previous": None, "results": []}
    searches = [q["sql"] for q in queries if 'FROM "directory_facility"' in q["sql"]]
    assert len(searches) == 1  # the page's ids; none on the first page is a count of 0
    assert re.findall(r"AS level_(\d)", searches[0]) == ["5"]


@pytest.mark.parametrize(
    "query", ["level=residential&lives_at_home=true", "min_level=php&max_level=iop"]
)
def test_ordering_by_level_with_no_level_allowed_finds_nothing(api, levels_world, query):
    """No care level passes the level filters together: an empty page, no search query."""
    with CaptureQueriesContext(connection) as queries:
        response = api.get(f"{FACILITIES_URL}?ordering=level&{query}")
    assert response.status_code == 200
    assert response.json() == {"count": 0, "next": None, "previous": None, "results": []}
    assert not [q for q in queries if 'FROM "directory_facility"' in q["sql"]]


def test_ordering_by_level_filtered_again_is_not_paged_by_level(api, levels_world):
    """A ``by_lowest_level`` queryset filtered afterwards is paged by Django's path (the
    parts would not know the new filter), and keeps the filter."""
    from django.core.paginator import Paginator
    from django.db.models import Value

    from directory.api.pagination import IdsFirstPaginator, by_level

    programs = Program.objects.filter(care_level__slug__in=["iop", "php"])
    ordered = Facility.objects.published().by_lowest_level(programs)
    assert by_level(ordered) and by_level(ordered.with_matched_programs(programs))
    again = ordered.exclude(slug="a-weekend-php")
    assert not by_level(again)
    assert not by_level(ordered.order_by("name"))
    assert not by_level(ordered.order_by("lowest_rank"))
    assert not by_level(ordered.reverse())
    assert not by_level(ordered[:1])
    assert not by_level(ordered.annotate(n=Value(1)))
    assert by_level(Facility.objects.published().near(34.0, -118.2, 10).by_lowest_level(programs))
    page = IdsFirstPaginator(again.with_matched_programs(programs), 20).page(1)
    assert [f.slug for f in page] == ["b-weekend-iop"]
    assert Paginator(ordered, 20).count == 2


def test_ranking_reads_the_stored_rank_document_on_postgresql(api):
    """rank_document (migration 0008) is generated by the database from name and
    description, so every write path keeps it; ranking reads it instead of parsing text."""
    if connection.vendor != "postgresql":
        pytest.skip("ranking is PostgreSQL full-text search")
    load(
        FacilityRecord(slug="once", name="Alder House", description="Group therapy."),
        FacilityRecord(slug="twice", name="Therapy Birch", description="Family therapy."),
    )
    Facility.objects.filter(slug="once").update(description="Therapy, therapy and therapy.")
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM directory_facility WHERE rank_document IS DISTINCT FROM "
            "to_tsvector('english', COALESCE(name, '') || ' ' || COALESCE(description, ''))"
        )
        assert cursor.fetchone() == (0,)
    with CaptureQueriesContext(connection) as queries:
        assert slugs(api, "q=therapy&ordering=relevance") == ["once", "twice"]
    page = next(q["sql"] for q in queries if "ts_rank" in q["sql"])
    assert 'ts_rank("directory_facility"."rank_document"' in page
    ranks = dict(
        Facility.objects.published().ranked_by_text(["therapy"]).values_list("slug", "text_rank")
    )
    from django.contrib.postgres.search import SearchQuery, SearchRank, SearchVector

    query = SearchQuery("therapy", config="english", search_type="plain")
    document = SearchVector("name", "description", config="english")
    expected = dict(
        Facility.objects.annotate(text_rank=SearchRank(document, query)).values_list(
            "slug", "text_rank"
        )
    )
    assert ranks == expected


def facility_columns(sql):
    """The columns of ``directory_facility`` (the outer query's table) a statement reads."""
    return set(re.findall(r'"directory_facility"\."(\w+)"', sql))


def index_columns(name):
    """The columns a facility index holds: its key, its INCLUDE columns, and the status
    its condition implies (``WHERE status = 'published'``)."""
    index = next(index for index in Facility._meta.indexes if index.name == name)
    fields = [*index.fields, *index.include] + (["status"] if index.condition else [])
    return {Facility._meta.get_field(field).column for field in fields}


def test_a_near_search_with_language_and_payment_reads_the_coordinates_index_alone(api):
    """``facility_published_coords`` holds every facility column such a search reads (its
    filters and the distance order's tie-break), so PostgreSQL can answer it from the
    index alone, never reading the wide rows (migration 0013)."""
    load(
        FacilityRecord(slug="echo", languages=["en", "es"], payment=["medi-cal"]),
        FacilityRecord(slug="english-only", languages=["en"], payment=["medi-cal"]),
        FacilityRecord(slug="far", latitude=34.6, longitude=-118.1, languages=["es"]),
    )
    query = "near=34.0779,-118.2606&radius_mi=5&language=es&payment=medi-cal"
    found, ids = search_statement(api, query, "COUNT(*) OVER")
    assert found == ["echo"]
    assert facility_columns(ids) == {
        "id",
        "status",
        "latitude",
        "longitude",
        "language_codes",
        "payment_codes",
        "name",
        "slug",
    }
    assert facility_columns(ids) <= index_columns("facility_published_coords")


def test_every_code_of_the_vocabularies_is_kept_whole_in_the_codes_columns():
    """``CodesOf`` splits the JSON's text (PostgreSQL): every language and payment code
    the import accepts comes back as itself."""
    from directory.choices import LANGUAGE_CODES, Payment

    languages, payment = sorted(LANGUAGE_CODES), sorted(Payment.values)
    load(FacilityRecord(slug="echo", languages=languages, payment=payment))
    kept = Facility.objects.filter(slug="echo").values_list("language_codes", "payment_codes")
    assert kept.get() == (languages, payment)


def test_the_codes_columns_follow_every_write_of_languages_and_payment():
    """``language_codes`` and ``payment_codes`` are the database's copies (generated
    columns): an import, a queryset update and an emptied list all show in them."""
    load(FacilityRecord(slug="echo", languages=["en", "es"], payment=["medi-cal", "medicare"]))
    echo = Facility.objects.filter(slug="echo")
    imported = echo.values_list("language_codes", "payment_codes").get()
    echo.update(languages=["ko"], payment=[])
    updated = echo.values_list("language_codes", "payment_codes").get()
    assert (imported, updated) == ((["en", "es"], ["medi-cal", "medicare"]), (["ko"], []))


def test_language_and_payment_are_tested_on_the_arrays_their_exact_indexes_hold():
    """Migration 0023: ``language`` and ``payment`` test the ``text[]`` codes (``&&``),
    which GIN indexes answer exactly, not jsonb (``?|``: candidates PostgreSQL tested again
    with every other condition of the bitmap). The indexes are not partial, so PostgreSQL
    may combine them with ``facility_search_document`` (``WHERE published``): it never
    combines two indexes whose conditions overlap. The plan at scale is in
    docs/performance.md (session 15)."""
    if connection.vendor != "postgresql":
        pytest.skip("GIN indexes are PostgreSQL's")
    load(
        FacilityRecord(slug="harbor", description="Trauma therapy", payment=["medi-cal"]),
        FacilityRecord(slug="echo", description="Trauma therapy", payment=["medicare"]),
        FacilityRecord(slug="lantern", description="Trauma therapy", languages=["ko"]),
    )
    queryset = (
        Facility.objects.published()
        .matching_text(["therapy"])
        .accepting_payment(["medi-cal", "self-pay"])
        .speaking(["en", "es"])
        .order_by()
    )
    sql, params = queryset.values("id").query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'directory_facility' "
            "AND indexdef LIKE '%%USING gin%%'"
        )
        indexes = {name: definition.split(" USING ")[1] for name, definition in cursor}
        cursor.execute(f"SELECT slug FROM directory_facility WHERE id IN ({sql})", params)
        found = [row[0] for row in cursor.fetchall()]
    assert found == ["harbor"]
    assert '"payment_codes" && %s::text[]' in sql
    assert '"language_codes" && %s::text[]' in sql
    assert "?|" not in sql
    assert indexes == {
        "facility_language_codes": "gin (language_codes)",
        "facility_payment_codes": "gin (payment_codes)",
        "facility_search_document": (
            "gin (search_document) WHERE ((status)::text = 'published'::text)"
        ),
    }


def test_a_program_near_search_tests_the_circle_on_the_facility_it_joins(api):
    """``ProgramQuerySet.near``: the circle and the status are tested on the facility the
    program joins for its distance, so the index of published facilities' coordinates
    finds them; in a subquery on the facilities, PostgreSQL read each one again by id for
    its distance (issue 6)."""
    load(
        FacilityRecord(slug="echo", programs=[ProgramRecord(name="A"), ProgramRecord(name="B")]),
        FacilityRecord(slug="inpatient-only", programs=[ProgramRecord(level="inpatient")]),
        FacilityRecord(slug="far", latitude=34.6, longitude=-118.1, programs=[ProgramRecord()]),
        FacilityRecord(slug="draft", status="draft", programs=[ProgramRecord()]),
    )
    query = "near=34.0779,-118.2606&radius_mi=5&level=outpatient"
    with CaptureQueriesContext(connection) as queries:
        response = api.get(f"/api/v1/programs/?{query}")
    assert [(r["name"], r["facility"]["slug"]) for r in response.json()["results"]] == [
        ("A", "echo"),
        ("B", "echo"),
    ]
    ids = next(q["sql"] for q in queries if "COUNT(*) OVER" in q["sql"])
    assert "EXISTS" not in ids
    assert facility_columns(ids) == {"id", "status", "latitude", "longitude"}
    assert facility_columns(ids) <= index_columns("facility_published_coords")


def index_definition(name):
    """PostgreSQL's definition of an index (for those only its migrations create)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT indexdef FROM pg_indexes WHERE indexname = %s", [name])
        (definition,) = cursor.fetchone()
    return definition


def test_open_at_in_a_service_area_counts_from_indexes_alone(api):
    """The facilities of the area's neighborhoods and whether they are open 24/7 come from
    ``facility_published_hood_name`` alone on PostgreSQL (migration 0014; their hours and
    closures from ``hours_span`` or ``hours_start`` and ``closure_dates``)."""
    evening = [HoursRecord(day="wed", opens_at="17:00", closes_at="21:00")]
    load(
        FacilityRecord(slug="echo", hours=evening),
        FacilityRecord(slug="always", open_24_7=True),
        FacilityRecord(slug="mornings", hours=[HoursRecord(day="wed", closes_at="12:00")]),
        FacilityRecord(slug="harbor", neighborhood="long-beach", hours=evening),
    )
    found, count = search_statement(api, "open_at=2026-03-04T19:30&service_area=4", "COUNT(*)")
    assert found == ["always", "echo"]
    assert facility_columns(count) == {"id", "status", "neighborhood_id", "open_24_7"}
    if connection.vendor == "postgresql":
        assert index_definition("facility_published_hood_name").endswith(
            "USING btree (neighborhood_id, name, slug) INCLUDE (id, open_24_7) "
            "WHERE ((status)::text = 'published'::text)"
        )


def test_ordering_by_level_reads_facilities_from_the_published_name_index_alone(api, levels_world):
    """Apart from its programs, the ids search reads the facilities' id, status, name and
    slug: ``facility_published_name`` holds them (migration 0013), so no facility row is
    read."""
    query = "ordering=level&available=sat@08:00-13:00"
    found, ids = search_statement(api, query, "UNION ALL")
    assert found == ["d-24-7", "b-weekend-iop", "a-weekend-php"]
    assert facility_columns(ids) == {"id", "status", "name", "slug"}
    assert facility_columns(ids) <= index_columns("facility_published_name")


# --- Range indexes (session 9, migration 0017) -------------------------------------------------


def plan_uses(queryset, index):
    """Whether PostgreSQL can answer the queryset's statement with this index: its plan names
    it when reading the table otherwise is made costly (no setting makes it use an index
    whose expression or condition the query does not state)."""
    sql, params = queryset.query.get_compiler(connection=connection).as_sql()
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("SET LOCAL enable_indexonlyscan = off")
        cursor.execute(f"EXPLAIN {sql}", params)
        plan = "\n".join(row[0] for row in cursor.fetchall())
    return index in plan


def test_available_tests_open_spans_by_the_range_index_on_postgresql(api):
    """A program by appointment fits when its facility's open span overlaps a window by an
    hour: on PostgreSQL a range test over the spans lasting that long, which the GiST index
    ``open_span_range`` answers (its condition is the query's minimum)."""
    load(
        FacilityRecord(
            slug="evenings",
            hours=[HoursRecord(day="tue", opens_at="17:00", closes_at="21:00")],
            programs=[ProgramRecord()],
        ),
        FacilityRecord(
            slug="mornings",
            hours=[HoursRecord(day="tue", opens_at="08:00", closes_at="12:00")],
            programs=[ProgramRecord()],
        ),
    )
    # Shorter than two hours, the span must contain the window's middle; longer, overlap it.
    found, short = search_statement(api, "available=tue@18:00-19:30", "COUNT(*)")
    assert found == ["evenings"]
    found, long = search_statement(api, "available=tue@17:00-21:00", "COUNT(*)")
    assert found == ["evenings"]
    if connection.vendor != "postgresql":
        pytest.skip("the GiST range indexes are PostgreSQL's")
    span = 'int4range(U0."start_minute", U0."end_minute", \'[]\')'
    assert f"{span} @>" in short and f"{span} &&" in long
    minimum = schedule.BY_APPOINTMENT_MINIMUM_MINUTES
    assert index_definition("open_span_range").endswith(
        "USING gist (int4range(start_minute, end_minute, '[]'::text)) "
        f"WHERE (end_minute >= (start_minute + {minimum}))"
    )
    # The spans test as the search states it (querysets.intervals_reaching, the minimum):
    # its expression and condition are the index's.
    for text in ("tue@18:00-19:30", "tue@17:00-21:00"):
        (window,) = schedule.parse_window(text)
        spans = OpenSpan.objects.filter(
            intervals_reaching(window.overlap_bounds(minimum)),
            end_minute__gte=F("start_minute") + minimum,
        )
        assert plan_uses(spans, "open_span_range"), text
    assert index_definition("facility_open_24_7").endswith("USING btree (id) WHERE open_24_7")


def test_open_at_finds_hours_past_midnight_by_the_range_index_on_postgresql(api):
    """`open_at` probes the hours that started the day before and still run: few, found by
    ``hours_span_range`` rather than by reading all of that day's hours."""
    load(
        FacilityRecord(
            slug="late", hours=[HoursRecord(day="tue", opens_at="20:00", closes_at="02:00")]
        ),
        FacilityRecord(
            slug="day", hours=[HoursRecord(day="tue", opens_at="09:00", closes_at="17:00")]
        ),
    )
    found, count = search_statement(api, "open_at=2026-12-02T01:30", "COUNT(*)")  # a Wednesday
    assert found == ["late"]
    if connection.vendor != "postgresql":
        pytest.skip("the GiST range indexes are PostgreSQL's")
    assert index_definition("hours_span_range").endswith(
        "USING gist (int4range(start_minute, end_minute, '[]'::text))"
    )
    span = 'int4range(U0."start_minute", U0."end_minute", \'[]\')'
    assert f"{span} @> int4range(" in count
    # Yesterday's probe at Wednesday 01:30: hours started by Tuesday's last minute that
    # still run at 01:30 (schedule.open_probes).
    (_, yesterday_probe) = schedule.open_probes(schedule.parse_instant("2026-12-02T01:30"))
    yesterday = Hours.objects.filter(intervals_reaching([yesterday_probe.bound]))
    assert plan_uses(yesterday, "hours_span_range")


@pytest.mark.parametrize("index_name", ["program_level_facility", "program_facility_filters"])
def test_the_program_filters_read_only_columns_the_covering_program_indexes_hold(api, index_name):
    """``program_level_facility`` (by level, then facility) and ``program_facility_filters``
    (the foreign key's, by facility) hold every program column the program filters read
    (PROGRAM_FILTER_COLUMNS), so a facility search probes each candidate's programs, or
    merges them with the facilities in facility order, from an index alone; a filter on
    another column would quietly make each probe read rows."""
    from directory.models import PROGRAM_FILTER_COLUMNS

    query = (
        "level=iop&dual_diagnosis=true&detox=false&accepting=true&telehealth=false&age=30"
        "&available=mon@17:00-21:00&available=tue@18:00-20:00&max_days_per_week=3"
        "&min_hours_per_week=2&max_hours_per_week=12"
    )
    load(
        FacilityRecord(
            slug="evening",
            programs=[
                ProgramRecord(
                    level="iop",
                    dual_diagnosis=True,
                    sessions=[SessionRecord(day="mon", starts_at="18:00", ends_at="21:00")],
                )
            ],
        )
    )
    found, count = search_statement(api, query, "COUNT(*)")
    assert found == ["evening"]
    (alias,) = re.findall(r'FROM "directory_program" (\w+) WHERE', count)
    read = set(re.findall(rf'\b{alias}\."(\w+)"', count))
    index = next(i for i in Program._meta.indexes if i.name == index_name)
    held = {Program._meta.get_field(name).column for name in [*index.fields, *index.include]}
    assert [*index.fields, *index.include] == {
        "program_level_facility": ["care_level", "facility", "id", *PROGRAM_FILTER_COLUMNS],
        "program_facility_filters": ["facility", "id", "care_level", *PROGRAM_FILTER_COLUMNS],
    }[index_name]
    assert read <= held  # the id too: the sessions test correlates on it
    assert read >= {"minutes_per_week", "days_per_week", "session_days", "facility_id"}


def test_a_program_page_is_found_by_ids_from_the_default_order_index_alone(api):
    """The first page of a program search in its default order asks for its ids first, and
    every program column that query reads is held by ``program_default_order`` (key and
    INCLUDE, migration 0018): PostgreSQL walks the index alone, however few programs
    match, where reading each passed program's row cost 24 ms at 100,000 facilities."""
    load(
        FacilityRecord(
            slug="korean",
            languages=["ko"],
            programs=[
                ProgramRecord(
                    name="Evening IOP",
                    level="iop",
                    dual_diagnosis=True,
                    sessions=[SessionRecord(day="mon", starts_at="18:00", ends_at="21:00")],
                )
            ],
        ),
        FacilityRecord(slug="english", languages=["en"], programs=[ProgramRecord()]),
    )
    query = (
        "min_hours_per_week=2&max_hours_per_week=12&max_days_per_week=3&age=30"
        "&dual_diagnosis=true&accepting=true&level=iop&available=mon@17:00-22:00&language=ko"
    )
    with CaptureQueriesContext(connection) as queries:
        response = api.get(f"/api/v1/programs/?{query}")
    assert [r["facility"]["slug"] for r in response.json()["results"]] == ["korean"]
    (ids,) = [
        q["sql"] for q in queries if q["sql"].startswith('SELECT "directory_program"."id" AS "pk"')
    ]
    read = set(re.findall(r'"directory_program"\."(\w+)"', ids))
    index = next(i for i in Program._meta.indexes if i.name == "program_default_order")
    held = {Program._meta.get_field(name).column for name in [*index.fields, *index.include]}
    assert read >= {"minutes_per_week", "days_per_week", "facility_id", "care_level_id"}
    assert read <= held


def text_match_cost():
    function = text_match_migration().MATCH_FUNCTION
    with connection.cursor() as cursor:
        cursor.execute("SELECT procost FROM pg_proc WHERE oid = %s::regprocedure", [function])
        return cursor.fetchone()[0]


def skip_unless_superuser():
    """Migration 0019 changes the cost only when a superuser runs it (as CI's user is)."""
    if connection.vendor != "postgresql":
        pytest.skip("a PostgreSQL planner cost")
    with connection.cursor() as cursor:
        cursor.execute("SELECT rolsuper FROM pg_roles WHERE rolname = current_user")
        if not cursor.fetchone()[0]:
            pytest.skip("the tests' database user is not a superuser")


def text_match_migration():
    return importlib.import_module("directory.migrations.0019_text_match_cost")


def test_matching_a_text_search_vector_is_rated_above_a_comparison():
    """Migration 0019: at PostgreSQL's cost (1) the planner counted a one-word search by
    matching every published row rather than reading the GIN index's matches."""
    skip_unless_superuser()
    assert text_match_cost() == text_match_migration().MATCH_COST == 10


def test_without_a_superuser_the_migration_leaves_the_cost_and_says_so():
    skip_unless_superuser()
    migration = text_match_migration()
    role = f"directory_test_{uuid.uuid4().hex[:12]}"  # roles are the cluster's
    with connection.cursor() as cursor:
        cursor.execute(f"CREATE ROLE {role} NOSUPERUSER")  # rolled back with the test
        cursor.execute(f"SET ROLE {role}")
        with (
            pytest.warns(UserWarning) as warned,
            connection.schema_editor(atomic=False) as editor,
        ):
            migration.set_cost(migration.POSTGRESQL_COST)(None, editor)
        cursor.execute("RESET ROLE")
    statement = "ALTER FUNCTION pg_catalog.ts_match_vq(tsvector, tsquery) COST 1"
    assert [str(warning.message) for warning in warned] == [
        migration.NOT_SUPERUSER.format(
            user=role, function="ts_match_vq(tsvector, tsquery)", statement=statement
        )
    ]
    assert text_match_cost() == migration.MATCH_COST


def test_the_app_sets_what_its_searches_were_measured_with_on_postgresql(settings):
    """config/settings.py: per connection, no JIT, 16 MB to sort in, random reads rated as
    in memory, and no parallel workers (a worker per core serves the requests)."""
    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL's settings")
    if "options=" in os.environ.get("DATABASE_URL", ""):
        pytest.skip("DATABASE_URL gives its own options")
    shown = {}
    with connection.cursor() as cursor:
        for name in settings.POSTGRESQL_SESSION:
            cursor.execute(f"SHOW {name}")
            shown[name] = cursor.fetchone()[0]
    assert (
        shown
        == settings.POSTGRESQL_SESSION
        == {
            "jit": "off",
            "work_mem": "16MB",
            "random_page_cost": "1.1",
            "max_parallel_workers_per_gather": "0",
        }
    )


def test_the_programs_facility_column_has_only_the_indexes_searches_read_on_postgresql():
    """Migration 0020 drops Django's plain index on ``directory_program.facility_id`` only
    (Django's AlterField would have dropped migration 0006's ``program_by_appointment`` as
    well); migration 0021 drops ``program_by_appointment``, which no search reads."""
    if connection.vendor != "postgresql":
        pytest.skip("migration 0006's partial indexes are PostgreSQL's")
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT indexname FROM pg_indexes WHERE tablename = 'directory_program' "
            "AND indexdef LIKE '%%(facility_id)%%'"
        )
        on_facility = {name for (name,) in cursor.fetchall()}
    assert on_facility == {"program_facility_filters", "program_published_facility"}


def test_no_index_of_names_and_descriptions_is_kept_beside_the_stored_documents_on_postgresql():
    """Migration 0021: ``q`` reads ``search_document`` and ranks by ``rank_document``; the
    GIN indexes migration 0003 built over names and descriptions are gone."""
    if connection.vendor != "postgresql":
        pytest.skip("text-search indexes are PostgreSQL's")
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT tablename, indexname FROM pg_indexes WHERE indexdef LIKE '%%to_tsvector%%'"
        )
        text_search = set(cursor.fetchall())
    assert text_search == set()


@pytest.mark.parametrize(
    ("table", "expected"),
    [
        ("directory_openspan", {"open_span": ["facility_id", "start_minute", "end_minute"]}),
        ("directory_closure", {"closure_dates": ["facility_id", "starts_on", "ends_on"]}),
    ],
)
def test_a_facilitys_child_rows_are_found_by_one_index_that_begins_with_it(table, expected):
    """Migration 0021 drops the foreign keys' own indexes, which these duplicated."""
    with connection.cursor() as cursor:
        constraints = connection.introspection.get_constraints(cursor, table)
    on_facility = {
        name: found["columns"]
        for name, found in constraints.items()
        if found["index"] and "facility_id" in found["columns"]
    }
    assert on_facility == expected


def test_programs_keep_statistics_of_care_level_and_session_days_together_on_postgresql():
    """Migration 0022: the two columns' most common combinations, so that a level whose
    programs never meet on a window's days is expected to have no match (see
    ``querysets.LevelPages``)."""
    if connection.vendor != "postgresql":
        pytest.skip("extended statistics are PostgreSQL's")
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT s.stxname, s.stxkind::text, array_agg(a.attname ORDER BY a.attnum) "
            "FROM pg_statistic_ext s JOIN pg_attribute a "
            "ON a.attrelid = s.stxrelid AND a.attnum = ANY (s.stxkeys) "
            "WHERE s.stxrelid = 'directory_program'::regclass GROUP BY s.stxname, s.stxkind"
        )
        statistics = cursor.fetchall()
    assert statistics == [("program_level_days_mcv", "{m}", ["care_level_id", "session_days"])]
