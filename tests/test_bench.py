"""The benchmark command (issue 6): its report's shape, its dataset, and the data it spares.

Small runs only and no timing assertions: the figures belong to docs/performance.md.
"""

import json
from types import SimpleNamespace

import pytest
from django.core.management import CommandError, call_command
from django.db import connection, connections
from django.db.models import Count

from directory import bench
from directory.models import Facility, Hours, OpenSpan, Program, Session
from tests.factories import FacilityRecord, ProgramRecord, load

pytestmark = pytest.mark.django_db

QUERY_FIELDS = {
    "url",
    "api_p50_ms",
    "api_p95_ms",
    "sql_p50_ms",
    "sql_p95_ms",
    "queries",
    "count",
    "api_cached_p50_ms",
}


def run_bench(tmp_path, *extra):
    output = tmp_path / "bench.json"
    call_command(
        "bench", "--facilities", "200", "--runs", "2", "--output", str(output), *extra, verbosity=0
    )
    return json.loads(output.read_text())


def dataset_fingerprint():
    synthetic = Facility.objects.filter(source=bench.SYNTHETIC)
    return {
        "slugs": sorted(synthetic.values_list("slug", flat=True)),
        "programs": list(
            synthetic.annotate(n=Count("programs")).order_by("slug").values_list("n", flat=True)
        ),
        "sessions": Session.objects.filter(program__facility__in=synthetic).count(),
        "hours": Hours.objects.filter(facility__in=synthetic).count(),
        "published": synthetic.filter(status="published").count(),
    }


def test_it_reports_every_field_for_every_query(tmp_path):
    report = run_bench(tmp_path)

    assert report["facilities"] == 200
    assert {"cpu", "cores", "python", "db"} <= set(report["machine"])
    assert {"vendor", "version"} <= set(report["machine"]["db"])
    assert report["import_facilities_per_second"] > 0
    assert report["search_rps"] is None and report["trivial_rps"] is None
    assert set(report["queries"]) == {*bench.QUERY_MIX, "deep_page"}
    for name, timing in report["queries"].items():
        assert set(timing) >= QUERY_FIELDS, name
        assert timing["status"] == 200, (name, timing.get("error"))
        assert timing["queries"] >= 1, name
    # Timed with the answer cache off: the search's own queries, no data version read.
    assert (
        report["queries"]["list"]["queries"],
        report["queries"]["programs_list"]["queries"],
    ) == (3, 3)


def test_the_query_mix_covers_every_filter_family():
    parameters = {
        part.split("=")[0]
        for url in bench.QUERY_MIX.values()
        for part in url.partition("?")[2].split("&")
        if part
    }
    families = [
        {"level"},
        {"min_level", "max_level"},
        {"lives_at_home"},
        {"dual_diagnosis"},
        {"detox"},
        {"accepting"},
        {"telehealth"},
        {"age"},
        {"available"},
        {"max_days_per_week"},
        {"min_hours_per_week", "max_hours_per_week"},
        {"neighborhood"},
        {"service_area"},
        {"near", "radius_mi"},
        {"open_at"},
        {"language"},
        {"payment"},
        {"q"},
        {"ordering"},
    ]
    assert [family for family in families if not family <= parameters] == []
    assert any(url.startswith("/api/v1/programs/") for url in bench.QUERY_MIX.values())


def test_the_dataset_is_the_same_for_the_same_seed():
    bench.load_dataset(200, seed=42)
    first = dataset_fingerprint()
    bench.load_dataset(200, seed=42)

    assert dataset_fingerprint() == first
    assert Facility.objects.filter(source=bench.SYNTHETIC).count() == 200
    # The first dataset's rows went with their history; only the second's is left.
    assert Facility.history.filter(source=bench.SYNTHETIC).count() == 200


def test_another_seed_gives_another_dataset():
    bench.load_dataset(50, seed=42)
    first = dataset_fingerprint()
    bench.load_dataset(50, seed=7)

    assert dataset_fingerprint()["slugs"] != first["slugs"]


def test_the_dataset_spans_the_whole_spectrum_and_the_week():
    bench.load_dataset(300, seed=42)
    facilities = Facility.objects.filter(source=bench.SYNTHETIC)

    levels = set(Program.objects.values_list("care_level__slug", flat=True))
    assert levels == {"outpatient", "iop", "php", "residential", "inpatient"}
    per_facility = facilities.annotate(n=Count("programs")).values_list("n", flat=True)
    assert min(per_facility) >= 1 and max(per_facility) <= 4
    assert facilities.filter(open_24_7=True).exists()
    # Overnight hours: closing on the clock before opening means the next day.
    assert any(h.closes_at < h.opens_at for h in Hours.objects.all())
    assert Session.objects.filter(day__in=[5, 6]).exists()
    assert Session.objects.filter(starts_at__gte="17:00").exists()
    assert OpenSpan.objects.exists()
    assert Program.objects.filter(minutes_per_week__gt=0, days_per_week__gt=0).exists()


def test_reuse_skips_loading_the_same_dataset():
    bench.load_dataset(60, seed=42)

    assert bench.load_dataset(60, seed=42, reuse=True).reused
    assert not bench.load_dataset(60, seed=43, reuse=True).reused


def test_it_refuses_a_database_with_real_listings_and_deletes_nothing(tmp_path):
    load(FacilityRecord(slug="harbor-house", source="curated"))

    with pytest.raises(CommandError, match="not synthetic"):
        run_bench(tmp_path)

    assert list(Facility.objects.values_list("slug", flat=True)) == ["harbor-house"]


def test_with_keep_it_runs_beside_real_listings_and_keeps_them(tmp_path):
    load(FacilityRecord(slug="harbor-house", source="curated", programs=[ProgramRecord()]))
    bench.load_dataset(30, seed=1)

    run_bench(tmp_path, "--keep", "--only", "list")

    real = Facility.objects.exclude(source=bench.SYNTHETIC)
    assert list(real.values_list("slug", "source")) == [("harbor-house", "curated")]
    assert Facility.history.filter(slug="harbor-house").count() == 1
    assert Program.objects.filter(facility__slug="harbor-house").count() == 1
    assert Facility.objects.filter(source=bench.SYNTHETIC).count() == 200


def test_it_reads_wrk_output():
    output = """Running 10s test @ http://127.0.0.1:8000/api/v1/service-areas/
  2 threads and 16 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency    21.04ms    3.10ms  40.12ms   80.00%
  Latency Distribution
     50%   20.51ms
     75%   22.40ms
     90%   24.93ms
     99%    1.02s
  7604 requests in 10.01s, 3.12MB read
  Socket errors: connect 0, read 0, write 0, timeout 12
  Non-2xx or 3xx responses: 3
Requests/sec:    759.66
Transfer/sec:    319.21KB
"""
    figures = bench.parse_wrk(output)

    assert figures == {
        "requests_per_second": 759.66,
        "non_2xx": 3,
        "socket_errors": {"connect": 0, "read": 0, "write": 0, "timeout": 12},
        "latency_ms": {"50": 20.51, "90": 24.93, "99": 1020.0},
    }


def test_statistics_cover_the_reference_tables_the_searches_join():
    """A server without autovacuum (CI's) never analyzes what the migrations loaded."""
    if connection.vendor != "postgresql":
        pytest.skip("SQLite's ANALYZE takes the whole database")
    bench.refresh_statistics()
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT DISTINCT tablename FROM pg_stats WHERE tablename IN "
            "('directory_neighborhood', 'directory_servicearea', 'directory_carelevel')"
        )
        analyzed = {row[0] for row in cursor.fetchall()}
    assert analyzed == {"directory_neighborhood", "directory_servicearea", "directory_carelevel"}


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
@pytest.mark.usefixtures("migrated_data_restored")
def test_after_a_load_the_indexes_are_rebuilt_and_the_tables_vacuumed():
    """Indexes grown row by row during an import are left with half-empty pages: the
    benchmark rebuilds them (REINDEX TABLE gives each a new file) before timing, then
    vacuums and analyzes, as docs/operations.md says to after a large import."""
    if connection.vendor != "postgresql":
        pytest.skip("SQLite's ANALYZE takes the whole database")

    def state():
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_relation_filenode('program_level_facility')")
            (filenode,) = cursor.fetchone()
            cursor.execute(
                "SELECT coalesce(vacuum_count, 0), coalesce(analyze_count, 0) "
                "FROM pg_stat_user_tables WHERE relname = 'directory_program'"
            )
            return filenode, cursor.fetchone()

    before, (vacuums, analyses) = state()
    bench.refresh_statistics()
    after, counts = state()
    assert after != before
    assert counts == (vacuums + 1, analyses + 1)


def test_it_refuses_to_load_anything_but_loopback():
    with pytest.raises(bench.BenchError, match="loopback"):
        bench.wrk("http://10.0.0.1:8000/healthz", duration=1)


@pytest.mark.parametrize(
    ("samples", "fraction", "expected"),
    [([3, 1, 2], 0.5, 2), ([1, 2, 3, 4], 0.5, 2.5), ([5], 0.95, 5), ([0, 10], 0.95, 9.5)],
)
def test_percentiles_interpolate_between_ranks(samples, fraction, expected):
    assert bench.percentile(samples, fraction) == pytest.approx(expected)


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
@pytest.mark.usefixtures("migrated_data_restored")
def test_alongside_times_each_search_on_both_databases_in_turns(monkeypatch):
    """``--alongside``: a second connection (here to the same database, which holds the
    dataset) becomes Django's default in turns; each search's figures there come under
    ``alongside``, and its p95 is compared with the p95 here."""
    bench.load_dataset(200, seed=42)
    alongside = bench.Alongside(dict(connection.settings_dict))
    turns = []
    sample = bench.SearchSamples.sample

    def recorded(samples, runs):  # which database each turn ran on, and how many runs
        turns.append((connections["default"] is alongside.wrapper, runs))
        return sample(samples, runs)

    monkeypatch.setattr(bench.SearchSamples, "sample", recorded)
    try:
        report = bench.run(
            facilities=200, runs=25, reuse=True, names=["neighborhood"], alongside=alongside
        )
    finally:
        alongside.close()
    # Turns of ten, the first on the other database, then alternating who goes first.
    assert turns == [(True, 10), (False, 10), (False, 10), (True, 10), (True, 5), (False, 5)]
    assert connections["default"] is not alongside.wrapper
    timing = report["queries"]["neighborhood"]
    there = timing["alongside"]
    assert set(there) >= QUERY_FIELDS - {"api_cached_p50_ms"}
    assert (there["status"], there["count"], there["queries"]) == (200, timing["count"], 3)
    assert timing["api_p95_over_alongside"] == round(timing["api_p95_ms"] / there["api_p95_ms"], 2)
    assert report["alongside"]["dataset"]["synthetic_facilities"] == 200
    growth = report["targets"]["growth"]
    assert (growth["of"], growth["highest"]) == (
        1,
        {"query": "neighborhood", "ratio": timing["api_p95_over_alongside"]},
    )


def test_alongside_refuses_another_engine(tmp_path):
    other = "sqlite:///other.db" if connection.vendor == "postgresql" else "postgres://x@y/z"
    with pytest.raises(CommandError, match="not the configured database's engine"):
        run_bench(tmp_path, "--alongside", other)


def test_alongside_refuses_a_database_that_does_not_answer():
    missing = "la_care_no_such_database"
    if connection.vendor == "sqlite":
        missing = "/no/such/folder/la_care.sqlite3"
    alongside = bench.Alongside({**connection.settings_dict, "NAME": missing})
    with pytest.raises(bench.BenchError, match=f"--alongside: {missing} does not answer: "):
        alongside.check(seed=42)
    alongside.close()


def test_between_timed_requests_it_runs_what_gunicorn_runs_after_each_answer(monkeypatch):
    """The serving worker's collection (config/workers.py) runs after each timed request,
    outside its time: on a clock that ticks once a reading, and 100 times during a
    collection, every request took one tick."""
    ticks = {"now": 0, "collections": 0}

    def perf_counter():
        ticks["now"] += 1
        return ticks["now"]

    def collect():
        ticks["now"] += 100
        ticks["collections"] += 1

    samples = bench.SearchSamples("/api/v1/care-levels/")
    assert samples.prepare(warm_up=1)
    monkeypatch.setattr(bench, "time", SimpleNamespace(perf_counter=perf_counter))
    monkeypatch.setattr(bench, "collect_between_requests", collect)
    samples.sample(7)
    assert (samples.api, ticks["collections"]) == ([1] * 7, 7)


def test_any_url_can_be_timed_as_the_mix_is(settings):
    """``timing_settings`` (what run_query_mix times under) lets a shell time a URL outside
    the mix (docs/performance.md, session 16): DEBUG off, the test client's host allowed,
    no throttle, no answer cache, and the settings back as they were afterwards."""
    settings.DEBUG, settings.API_CACHE_SECONDS = True, 600
    load(
        FacilityRecord(slug="harbor", neighborhood="echo-park"),
        FacilityRecord(slug="lantern", neighborhood="echo-park"),
        FacilityRecord(slug="willow", neighborhood="long-beach"),
    )
    with bench.timing_settings():
        from django.conf import settings as during

        timed = (during.DEBUG, "testserver" in during.ALLOWED_HOSTS)
        limits = (during.ANON_THROTTLE_RATE, during.API_CACHE_SECONDS)
        result = bench.measure("/api/v1/facilities/?neighborhood=echo-park&page_size=1", runs=2)
    assert (timed, limits) == ((False, True), ("none", 0))
    assert (settings.DEBUG, settings.API_CACHE_SECONDS) == (True, 600)
    assert (result["status"], result["count"], result["results"]) == (200, 2, 1)
    assert len(result["statements"]) == result["queries"] == 3


def timing(api_p50, api_p95, sql_p50, queries=3):
    return {
        "api_p50_ms": api_p50,
        "api_p95_ms": api_p95,
        "sql_p50_ms": sql_p50,
        "queries": queries,
        "status": 200,
    }


def side_by_side_report():
    """The configured database holds the smaller dataset; the larger one is alongside."""
    return {
        "dataset": {"synthetic_facilities": 10_000},
        "alongside": {"dataset": {"synthetic_facilities": 100_000}},
        "search_over_trivial_rps": 0.62,
        "queries": {
            "cheap": {**timing(9.0, 24.0, 2.0), "alongside": timing(15.0, 22.0, 3.0)},
            "counts": {**timing(42.0, 50.0, 16.0), "alongside": timing(113.0, 144.0, 94.0, 4)},
            "broken": {"url": "/api/v1/x", "status": 500, "error": "boom"},
            # Timed here only: out of everything the larger dataset's figures decide.
            "far": {**timing(5.0, 6.0, 1.0), "alongside": {"url": "/y", "status": 500}},
        },
    }


def test_targets_compare_the_larger_dataset_with_the_smaller_whichever_is_configured():
    figures = bench.targets(side_by_side_report())

    assert figures == {
        "not_timed": {"broken": 500, "far (alongside)": 500},
        # At the larger size: 15/3 and 113/94.
        "overhead": {"limit": 3, "met": 1, "of": 2, "highest": {"query": "cheap", "ratio": 5.0}},
        # 22/24 and 144/50.
        "growth": {"limit": 3, "met": 2, "of": 2, "highest": {"query": "counts", "ratio": 2.88}},
        # Growth needs d ≥ (22 − 72)/2 = −25 and (144 − 150)/2 = −3; overhead allows
        # d ≤ 9 − 15 = −6 and 282 − 113 = 169: −3 > −6.
        "python_shift_ms": {
            "growth_needs_at_least": {"query": "counts", "ms": -3.0},
            "overhead_allows_at_most": {"query": "cheap", "ms": -6.0},
            "one_shift_meets_both": False,
        },
        "throughput": {"limit": 0.4, "ratio": 0.62, "met": True},
        # On either database (4 alongside).
        "queries": {"limit": 6, "highest": {"query": "counts", "queries": 4}, "met": True},
    }
    assert bench.format_targets(figures).splitlines() == [
        "API/SQL p50 <= 3: 1 of 2; highest cheap 5.0",
        "p95 larger/smaller <= 3: 2 of 2; highest counts 2.88",
        "one change of every request's Python time, in ms: growth needs at least -3.0 "
        "(counts), overhead allows at most -6.0 (cheap): no change meets both",
        "typical search / trivial requests/s >= 0.4: 0.62",
        "queries per search <= 6: at most 4 (counts)",
        "not timed (no 200): broken 500, far (alongside) 500",
    ]


def test_targets_say_when_one_change_of_python_time_meets_both():
    report = side_by_side_report()
    report["queries"]["cheap"]["alongside"] = timing(8.0, 20.0, 3.0)  # allows 9 − 8 = 1
    shift = bench.targets(report)["python_shift_ms"]
    assert shift == {
        "growth_needs_at_least": {"query": "counts", "ms": -3.0},
        "overhead_allows_at_most": {"query": "cheap", "ms": 1.0},
        "one_shift_meets_both": True,
    }


def test_a_ratio_just_over_a_limit_is_not_met_though_it_shows_rounded():
    report = side_by_side_report()
    del report["queries"]["far"]
    report["queries"]["cheap"]["alongside"] = timing(9.012, 22.0, 3.0, queries=7)
    report["search_over_trivial_rps"] = 0.39
    figures = bench.targets(report)
    assert (figures["overhead"]["met"], figures["overhead"]["highest"]) == (
        1,
        {"query": "cheap", "ratio": 3.0},
    )
    assert bench.format_targets(figures).splitlines()[3:5] == [
        "typical search / trivial requests/s >= 0.4: 0.39 (not met)",
        "queries per search <= 6: at most 7 (cheap) (not met)",
    ]


def test_a_search_timed_at_zero_is_left_out_of_the_ratio_it_would_divide_by_zero():
    report = side_by_side_report()
    del report["queries"]["far"]
    report["queries"]["counts"]["alongside"]["sql_p50_ms"] = 0.0  # overhead: SQL p50 at 100k
    report["queries"]["cheap"]["api_p95_ms"] = 0.0  # growth: p95 at 10k
    figures = bench.targets(report)
    assert (figures["overhead"]["of"], figures["overhead"]["highest"]["query"]) == (1, "cheap")
    assert (figures["growth"]["of"], figures["growth"]["highest"]["query"]) == (1, "counts")


def test_targets_without_alongside_or_http_leave_growth_and_throughput_out(tmp_path):
    report = run_bench(tmp_path, "--only", "neighborhood", "--only", "deep_page")
    figures = report["targets"]
    timings = report["queries"]
    ratios = {
        name: timings[name]["api_p50_ms"] / timings[name]["sql_p50_ms"]
        for name in ("neighborhood", "deep_page")
    }
    highest = max(ratios, key=ratios.get)
    assert figures == {
        "not_timed": {},
        "overhead": {
            "limit": 3,
            "met": sum(ratio <= 3 for ratio in ratios.values()),
            "of": 2,
            "highest": {"query": highest, "ratio": timings[highest]["api_over_sql_p50"]},
        },
        "growth": None,
        "python_shift_ms": None,
        "throughput": None,
        "queries": {"limit": 6, "highest": {"query": "deep_page", "queries": 4}, "met": True},
    }


def test_a_search_that_does_not_answer_200_fails_the_command_with_its_status(tmp_path, monkeypatch):
    monkeypatch.setitem(bench.QUERY_MIX, "neighborhood", "/api/v1/facilities/?radius_mi=5")
    with pytest.raises(
        CommandError, match=r"^queries that did not answer 200: \{'neighborhood': 400\}$"
    ):
        run_bench(tmp_path, "--only", "neighborhood")
