"""Time filters of DESIGN §4–§5 through the URL: open_at, open_now, available, week totals."""

import random
from datetime import date, datetime, timedelta

import pytest

from directory import schedule
from tests.factories import ClosureRecord, FacilityRecord, HoursRecord, ProgramRecord, load
from tests.factories import SessionRecord as S

pytestmark = pytest.mark.django_db
URL = "/api/v1/facilities/"


def slugs(api, query):
    response = api.get(f"{URL}?{query}")
    assert response.status_code == 200, response.json()
    return {result["slug"] for result in response.json()["results"]}


def H(day, opens_at, closes_at):  # noqa: N802 (reads like the records it builds)
    return HoursRecord(day=day, opens_at=opens_at, closes_at=closes_at)


# 2026-12-01 is a Tuesday; 2026-12-04 a Friday; 2026-12-06 a Sunday.


@pytest.fixture
def hours_world():
    load(
        FacilityRecord(slug="day-clinic", hours=[H("tue", "09:00", "17:00")]),
        FacilityRecord(slug="late-fridays", hours=[H("fri", "22:00", "02:00")]),
        FacilityRecord(
            slug="closed-on-friday",
            hours=[H("fri", "22:00", "02:00")],
            closures=[ClosureRecord(starts_on="2026-12-04", ends_on="2026-12-04")],
        ),
        FacilityRecord(
            slug="closed-on-saturday",
            hours=[H("fri", "22:00", "02:00")],
            closures=[ClosureRecord(starts_on="2026-12-05", ends_on="2026-12-05")],
        ),
        FacilityRecord(slug="sunday-night", hours=[H("sun", "23:00", "03:00")]),
        FacilityRecord(
            slug="always-open",
            open_24_7=True,
            closures=[ClosureRecord(starts_on="2026-12-25", ends_on="2026-12-25")],
        ),
        FacilityRecord(
            slug="split-day", hours=[H("tue", "08:00", "12:00"), H("tue", "13:00", "17:00")]
        ),
    )


@pytest.mark.parametrize(
    ("instant", "expected"),
    [
        ("2026-12-01T09:00", {"day-clinic", "always-open", "split-day"}),
        ("2026-12-01T17:00", {"day-clinic", "always-open", "split-day"}),
        ("2026-12-01T17:01", {"always-open"}),
        ("2026-12-01T17:00:30", {"always-open"}),
        ("2026-12-01T16:59:59", {"day-clinic", "always-open", "split-day"}),
        ("2026-12-01T08:59", {"always-open", "split-day"}),
        ("2026-12-01T12:30", {"day-clinic", "always-open"}),
        # Friday 22:00–02:00 runs into Saturday; a closure removes it only on its start date.
        ("2026-12-05T01:00", {"late-fridays", "closed-on-saturday", "always-open"}),
        ("2026-12-05T02:00", {"late-fridays", "closed-on-saturday", "always-open"}),
        ("2026-12-05T02:01", {"always-open"}),
        ("2026-12-04T23:00", {"late-fridays", "closed-on-saturday", "always-open"}),
        # Sunday 23:00–03:00 runs into Monday.
        ("2026-12-07T02:30", {"sunday-night", "always-open"}),
        ("2026-12-06T23:30", {"sunday-night", "always-open"}),
        # 24/7 except on a closure date.
        ("2026-12-25T12:00", set()),
        # Offsets convert to Los Angeles time: 01:00 UTC on Wednesday is Tuesday 17:00.
        ("2026-12-02T01:00:00Z", {"day-clinic", "always-open", "split-day"}),
        ("2026-12-01T20:00:00-05:00", {"day-clinic", "always-open", "split-day"}),
        ("2026-12-01T20:01:00-05:00", {"always-open"}),
    ],
)
def test_open_at(api, hours_world, instant, expected):
    assert slugs(api, f"open_at={instant.replace('+', '%2B')}") == expected


def test_open_at_in_the_spring_forward_gap_moves_forward(api):
    # 2026-03-08 02:30 does not exist in Los Angeles; it means 03:30 PDT (a Sunday).
    load(
        FacilityRecord(slug="opens-at-three", hours=[H("sun", "03:00", "04:00")]),
        FacilityRecord(slug="closes-at-three", hours=[H("sun", "01:00", "02:59")]),
    )
    assert slugs(api, "open_at=2026-03-08T02:30") == {"opens-at-three"}


def test_open_at_a_repeated_fall_back_time_means_its_first_occurrence(api):
    # 2026-11-01 01:30 happens twice; the first is PDT (08:30 UTC). Compare wall clock either way.
    load(FacilityRecord(slug="night-owl", hours=[H("sun", "01:00", "02:00")]))
    assert slugs(api, "open_at=2026-11-01T01:30") == {"night-owl"}
    assert slugs(api, "open_at=2026-11-01T08:30:00Z") == {"night-owl"}


def test_open_now_uses_the_request_instant(api, hours_world, monkeypatch):
    from django.utils import timezone

    tuesday_ten = datetime(2026, 12, 1, 10, 0, tzinfo=schedule.LOS_ANGELES)
    monkeypatch.setattr(timezone, "now", lambda: tuesday_ten)
    assert slugs(api, "open_now=true") == {"day-clinic", "always-open", "split-day"}
    every_facility = {
        "day-clinic",
        "late-fridays",
        "closed-on-friday",
        "closed-on-saturday",
        "sunday-night",
        "always-open",
        "split-day",
    }
    assert slugs(api, "open_now=false") == every_facility


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("2026-12-01", schedule.INVALID_INSTANT.format(value="2026-12-01")),
        ("tomorrow", schedule.INVALID_INSTANT.format(value="tomorrow")),
        ("2026-13-01T10:00", schedule.INVALID_INSTANT.format(value="2026-13-01T10:00")),
    ],
)
def test_a_bad_instant_is_a_400(api, value, message):
    response = api.get(f"{URL}?open_at={value}")
    assert (response.status_code, response.json()) == (400, {"open_at": [message]})


@pytest.fixture
def schedule_world():
    load(
        FacilityRecord(
            slug="evening-iop",
            hours=[H("mon", "09:00", "21:00")],
            programs=[
                ProgramRecord(
                    level="iop",
                    sessions=[
                        S(day=d, starts_at="18:00", ends_at="21:00") for d in ("mon", "wed", "thu")
                    ],
                )
            ],
        ),
        FacilityRecord(
            slug="overnight-group",
            programs=[ProgramRecord(sessions=[S(day="sun", starts_at="22:30", ends_at="00:30")])],
        ),
        FacilityRecord(
            slug="day-php",
            programs=[
                ProgramRecord(
                    level="php",
                    sessions=[
                        S(day=d, starts_at="09:00", ends_at="15:00")
                        for d in ("mon", "tue", "wed", "thu", "fri")
                    ],
                )
            ],
        ),
        FacilityRecord(
            slug="by-appointment",
            hours=[H("tue", "08:00", "12:00"), H("tue", "12:00", "18:00")],
            programs=[ProgramRecord(name="Therapy")],
        ),
        FacilityRecord(slug="appointment-24-7", open_24_7=True, programs=[ProgramRecord()]),
        FacilityRecord(
            slug="residential",
            open_24_7=True,
            programs=[ProgramRecord(level="residential")],
        ),
    )


@pytest.mark.parametrize(
    ("windows", "expected"),
    [
        (["mon-fri@18:00-21:00"], {"evening-iop", "appointment-24-7"}),
        (["mon-fri@18:01-21:00"], {"appointment-24-7"}),
        (["mon@18:00-21:00", "wed-thu@17:00-22:00"], {"evening-iop", "appointment-24-7"}),
        (["mon,wed@18:00-21:00"], {"appointment-24-7"}),
        (["weekdays@09:00-15:00"], {"day-php", "by-appointment", "appointment-24-7"}),
        (["weekdays@09:00-14:59"], {"by-appointment", "appointment-24-7"}),
        # Touching hours are joined: 08–12 and 12–18 overlap 11:30–12:30 for 60 minutes.
        (["tue@11:30-12:30"], {"by-appointment", "appointment-24-7"}),
        (["tue@17:00-18:00"], {"by-appointment", "appointment-24-7"}),
        (["tue@17:01-19:00"], {"appointment-24-7"}),
        (["tue@17:30-18:29"], set()),
        # An overnight window runs into the next day, Sunday into Monday.
        (["sun@22:00-01:00"], {"overnight-group", "appointment-24-7"}),
        (["sun@22:30-00:29"], {"appointment-24-7"}),
        (["daily@00:00-23:59"], {"evening-iop", "day-php", "by-appointment", "appointment-24-7"}),
    ],
)
def test_available(api, schedule_world, windows, expected):
    query = "&".join(f"available={window}" for window in windows)
    assert slugs(api, query) == expected


@pytest.mark.parametrize(
    ("windows", "expected"),
    [
        # A window past midnight reaches Monday, where the Monday session starts.
        (["sun@22:00-01:00"], {"sunday-into-monday"}),
        (["sun@22:00-23:59"], set()),
        (["sun@22:00-23:59", "mon@00:00-01:00"], {"sunday-into-monday"}),
        (["sat-sun@22:00-23:59"], set()),
        (["daily@00:00-23:59"], {"sunday-into-monday", "saturday"}),
        (["sat@10:00-11:00"], {"saturday"}),
        (["weekends@10:00-11:00"], {"saturday"}),
        (["weekdays@10:00-11:00"], set()),
    ],
)
def test_available_with_sessions_on_the_days_windows_reach(api, windows, expected):
    load(
        FacilityRecord(
            slug="sunday-into-monday",
            programs=[
                ProgramRecord(
                    sessions=[
                        S(day="sun", starts_at="23:00", ends_at="23:45"),
                        S(day="mon", starts_at="00:15", ends_at="00:45"),
                    ]
                )
            ],
        ),
        FacilityRecord(
            slug="saturday",
            programs=[ProgramRecord(sessions=[S(day="sat", starts_at="10:00", ends_at="11:00")])],
        ),
    )
    query = "&".join(f"available={window}" for window in windows)
    assert slugs(api, query) == expected


def test_round_the_clock_levels_never_fit_a_window(api, schedule_world):
    # residential is open 24/7 and by appointment, as appointment-24-7: only its level differs.
    assert slugs(api, "available=wed@03:00-04:00") == {"appointment-24-7"}


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("funday@18:00-21:00", schedule.UNKNOWN_DAY.format(value="funday")),
        ("mon@18:00-18:00", schedule.EMPTY_INTERVAL.format(value="18:00")),
        ("mon@25:00-26:00", schedule.INVALID_TIME.format(value="25:00")),
        ("mon 18:00-21:00", schedule.INVALID_WINDOW.format(value="mon 18:00-21:00")),
    ],
)
def test_a_bad_window_is_a_400(api, value, message):
    response = api.get(f"{URL}?available={value}")
    assert (response.status_code, response.json()) == (400, {"available": [message]})


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        (
            "max_days_per_week=1",
            {"overnight-group", "by-appointment", "appointment-24-7", "residential"},
        ),
        (
            "max_days_per_week=3",
            {"evening-iop", "overnight-group", "by-appointment", "appointment-24-7", "residential"},
        ),
        (
            "max_days_per_week=4",
            {"evening-iop", "overnight-group", "by-appointment", "appointment-24-7", "residential"},
        ),
        ("min_hours_per_week=9", {"evening-iop", "day-php"}),
        ("min_hours_per_week=9.01", {"day-php"}),
        (
            "max_hours_per_week=2",
            {"overnight-group", "by-appointment", "appointment-24-7", "residential"},
        ),
        ("max_hours_per_week=1.99", {"by-appointment", "appointment-24-7", "residential"}),
        ("min_hours_per_week=20&max_hours_per_week=30", {"day-php"}),
    ],
)
def test_week_totals(api, schedule_world, query, expected):
    assert slugs(api, query) == expected


def test_programs_show_their_week_totals(api, schedule_world):
    results = api.get("/api/v1/programs/?ordering=level").json()["results"]
    totals = {r["facility"]["slug"]: (r["days_per_week"], r["hours_per_week"]) for r in results}
    assert totals == {
        "overnight-group": (1, 2.0),
        "by-appointment": (0, 0.0),
        "appointment-24-7": (0, 0.0),
        "evening-iop": (3, 9.0),
        "day-php": (5, 30.0),
        "residential": (0, 0.0),
    }


def _clock(minute):
    return f"{minute // 60:02d}:{minute % 60:02d}"


def test_windows_of_one_clock_time_match_the_session_rule_exactly(monkeypatch):
    """`available` with windows of the same clock times every day is decided from each
    program's clock span and session days (no session read). On any schedule (overnight
    sessions, Sunday into Monday, sessions and windows ending at midnight, programs by
    appointment whose facility is never open), for one to three window texts, it must
    agree with schedule.fits_sessions and with the sessions test it replaces."""
    from directory.models import Program

    rng = random.Random(6)
    times = [0, 30, 360, 540, 720, 1020, 1080, 1260, 1290, 1380, 1410, 1439]
    records = []
    for n in range(80):
        sessions = []
        for _ in range(rng.choice([0, 1, 1, 2, 3])):  # 0: by appointment, never open
            start, end = rng.sample(times, 2)
            sessions.append(
                S(day=schedule.DAYS[rng.randrange(7)], starts_at=_clock(start), ends_at=_clock(end))
            )
        records.append(FacilityRecord(slug=f"p{n}", programs=[ProgramRecord(sessions=sessions)]))
    load(*records)
    sessions_of = {
        program.pk: [
            schedule.Interval.weekly(s.day, s.starts_at, s.ends_at) for s in program.sessions.all()
        ]
        for program in Program.objects.prefetch_related("sessions")
    }
    uniform = 0
    for case in range(90):
        start, end = rng.sample(times, 2)  # end before start: past midnight
        if case % 3 == 0:
            start = 0  # a window from midnight: programs without sessions keep (0, 0)
            end = rng.choice(times[1:])
        elif case % 3 == 1:
            start, end = rng.choice(times[1:]), 0  # ending at midnight
        windows = []
        for _ in range(rng.randint(1, 3)):
            days = sorted(rng.sample(range(7), rng.randint(1, 7)))
            text = f"{','.join(schedule.DAYS[d] for d in days)}@{_clock(start)}-{_clock(end)}"
            windows.extend(schedule.parse_window(text))
        uniform += schedule.uniform_clock_span(windows) is not None
        found = set(Program.objects.fitting_windows(windows).values_list("pk", flat=True))
        fitting = {pk for pk, s in sessions_of.items() if schedule.fits_sessions(s, windows)}
        assert found == fitting, windows
        with monkeypatch.context() as patched:
            patched.setattr(schedule, "uniform_clock_span", lambda windows: None)
            by_sessions = set(Program.objects.fitting_windows(windows).values_list("pk", flat=True))
        assert by_sessions == fitting, windows
    assert uniform >= 40


def test_migration_0012_fills_each_programs_clock_span_as_the_import_computes_it():
    import importlib

    from django.apps import apps

    from directory.models import Program

    migration = importlib.import_module("directory.migrations.0012_program_clock_span")
    load(
        FacilityRecord(
            slug="mixed",
            programs=[
                ProgramRecord(
                    sessions=[
                        S(day="mon", starts_at="09:15", ends_at="12:00"),
                        S(day="sun", starts_at="22:30", ends_at="00:30"),
                    ]
                ),
                ProgramRecord(sessions=[S(day="wed", starts_at="18:00", ends_at="00:00")]),
                ProgramRecord(),  # by appointment
            ],
        )
    )
    spans = list(
        Program.objects.order_by("pk").values_list("first_start_minute", "last_end_minute")
    )
    assert spans == [(555, 1470), (1080, 1440), (0, 0)]
    Program.objects.update(first_start_minute=7, last_end_minute=7)
    Program.objects.filter(sessions__isnull=True).update(first_start_minute=0, last_end_minute=0)
    migration.fill_clock_spans(apps, None)
    assert (
        list(Program.objects.order_by("pk").values_list("first_start_minute", "last_end_minute"))
        == spans
    )


def _interval(hours):
    """The schedule.Interval of an hours record."""
    return schedule.Interval.weekly(
        schedule.parse_day(hours["day"]),
        schedule.parse_time(hours["opens_at"]),
        schedule.parse_time(hours["closes_at"]),
    )


def _random_hours(rng):
    """Up to five weekly intervals: overnight, Sunday into Monday, touching or to midnight."""
    times = [0, 30, 360, 480, 540, 720, 1020, 1080, 1170, 1260, 1380, 1410, 1439]
    hours = []
    for _ in range(rng.randint(0, 4)):
        start, end = rng.sample(times, 2)  # end before start: past midnight
        hours.append(H(schedule.DAYS[rng.randrange(7)], _clock(start), _clock(end)))
    if hours and rng.random() < 0.3:  # one starting where the first ends: joined into a span
        end = _interval(hours[0]).end  # past the day (or the week) when it runs overnight
        day, minute = schedule.DAYS[end // 1440 % 7], end % 1440
        hours.append(H(day, _clock(minute), _clock((minute + 150) % 1440)))
    return hours


@pytest.mark.parametrize(
    ("window", "hours", "fits"),
    [
        # A window of 2 hours or more: the span must reach an hour past its start and
        # start an hour before its end (PostgreSQL's overlap test).
        ("mon@12:00-14:00", H("mon", "13:00", "16:00"), True),
        ("mon@12:00-14:00", H("mon", "13:01", "16:00"), False),
        ("mon@12:00-14:00", H("mon", "10:00", "13:00"), True),
        ("mon@12:00-14:00", H("mon", "10:00", "12:59"), False),
        ("mon@12:00-15:00", H("mon", "14:00", "18:00"), True),
        ("mon@12:00-15:00", H("mon", "14:01", "18:00"), False),
        ("mon@12:00-15:00", H("mon", "09:00", "13:00"), True),
        ("mon@12:00-15:00", H("mon", "09:00", "12:59"), False),
        # Shorter than 2 hours: the span must cover the middle (PostgreSQL's containment).
        ("mon@12:00-13:30", H("mon", "12:30", "16:00"), True),
        ("mon@12:00-13:30", H("mon", "12:31", "16:00"), False),
        ("mon@12:00-13:30", H("mon", "10:00", "13:00"), True),
        ("mon@12:00-13:30", H("mon", "10:00", "12:59"), False),
        ("mon@12:00-13:00", H("mon", "12:00", "13:00"), True),
        ("mon@12:00-13:00", H("mon", "12:01", "14:00"), False),
        ("mon@12:00-13:00", H("mon", "11:00", "12:59"), False),
        # Sunday into Monday, and a window a week earlier in the spans' numbering.
        ("sun@23:00-01:00", H("mon", "00:00", "02:00"), True),
        ("sun@23:00-01:00", H("mon", "00:01", "02:00"), False),
        ("sun@23:00-01:00", H("sun", "22:00", "00:00"), True),
        ("sun@23:00-01:00", H("sun", "22:00", "23:59"), False),
        ("mon@00:00-02:00", H("sun", "23:00", "01:00"), True),
        ("mon@00:00-02:00", H("sun", "23:00", "00:59"), False),
    ],
)
def test_by_appointment_needs_an_hour_of_overlap_to_the_minute(api, window, hours, fits):
    """Each bound of the overlap test one minute either side of where it holds."""
    load(FacilityRecord(slug="clinic", hours=[hours], programs=[ProgramRecord()]))
    assert slugs(api, f"available={window}") == ({"clinic"} if fits else set())


def test_by_appointment_agrees_with_the_reference_rule_on_random_hours():
    """`available` for programs by appointment (the open spans' range test on PostgreSQL,
    their bounds on SQLite) agrees with schedule.fits_by_appointment: windows shorter
    than, as long as and longer than the hour, overnight ones, several at once."""
    from directory.models import Program

    rng = random.Random(17)
    facilities = {}
    for n in range(60):
        record = FacilityRecord(
            slug=f"f{n}",
            open_24_7=rng.random() < 0.1,
            hours=_random_hours(rng),
            programs=[ProgramRecord()],
        )
        facilities[record["slug"]] = record
    load(*facilities.values())
    slug_of = dict(Program.objects.values_list("pk", "facility__slug"))
    lengths = [45, 59, 60, 61, 90, 119, 120, 121, 240, 600]
    for case in range(120):
        windows = []
        for _ in range(rng.randint(1, 3)):
            start = rng.randrange(0, 1440, 15)
            end = (start + rng.choice(lengths)) % 1440
            days = sorted(rng.sample(range(7), rng.randint(1, 3)))
            text = f"{','.join(schedule.DAYS[d] for d in days)}@{_clock(start)}-{_clock(end)}"
            windows.extend(schedule.parse_window(text))
        found = {
            slug_of[pk]
            for pk in Program.objects.fitting_windows(windows).values_list("pk", flat=True)
        }
        expected = {
            slug
            for slug, record in facilities.items()
            if schedule.fits_by_appointment(
                [_interval(h) for h in record["hours"]],
                windows,
                open_24_7=record["open_24_7"],
            )
        }
        assert found == expected, (case, windows)


def test_open_at_agrees_with_the_reference_rule_on_random_hours():
    """`open_at` (the hours' range test on PostgreSQL, their bounds on SQLite) agrees with
    schedule.is_open at instants on and off the minute, overnight, on Monday after a
    Sunday night and on closure dates."""
    from directory.models import Facility

    rng = random.Random(23)
    closure_dates = ["2026-12-05", "2026-12-06", "2026-12-07", "2026-12-08"]
    facilities = {}
    for n in range(60):
        closures = []
        if rng.random() < 0.3:
            day = rng.choice(closure_dates)
            closures.append(ClosureRecord(starts_on=day, ends_on=day))
        record = FacilityRecord(
            slug=f"f{n}", open_24_7=rng.random() < 0.1, hours=_random_hours(rng), closures=closures
        )
        facilities[record["slug"]] = record
    load(*facilities.values())
    # Each interval's first and last minute and the minutes either side, in the days from
    # Saturday 2026-12-05 to Tuesday (which hold the closure dates), on and off the minute.
    monday = datetime(2026, 12, 7)
    edges = {
        monday + timedelta(weeks=week, minutes=minute + step)
        for record in facilities.values()
        for interval in map(_interval, record["hours"])
        for minute in (interval.start, interval.end)
        for step in (-1, 0, 1)
        for week in (-1, 0)
    }
    edges = sorted(i for i in edges if datetime(2026, 12, 5) <= i < datetime(2026, 12, 9))
    assert len(edges) > 100
    for case in range(300):
        instant = rng.choice(edges) + timedelta(seconds=rng.choice([0, 0, 30]))
        found = set(Facility.objects.open_at(instant).values_list("slug", flat=True))
        expected = {
            slug
            for slug, record in facilities.items()
            if schedule.is_open(
                [_interval(h) for h in record["hours"]],
                open_24_7=record["open_24_7"],
                closures=[
                    (date.fromisoformat(c["starts_on"]), date.fromisoformat(c["ends_on"]))
                    for c in record["closures"]
                ],
                instant=instant,
            )
        }
        assert found == expected, (case, instant)
