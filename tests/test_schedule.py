import random
from datetime import UTC, date, datetime, time, timedelta, timezone

import pytest

from directory import schedule
from directory.schedule import (
    DAYS,
    EMPTY_INTERVAL,
    INVALID_DAYS,
    INVALID_INSTANT,
    INVALID_INTERVAL,
    INVALID_TIME,
    INVALID_WINDOW,
    LOS_ANGELES,
    MINUTES_PER_DAY,
    MINUTES_PER_WEEK,
    UNKNOWN_DAY,
    Interval,
    OpenProbe,
    ScheduleError,
    days_per_week,
    fits_by_appointment,
    fits_sessions,
    format_time,
    hours_per_week,
    is_open,
    longest_overlap,
    merge,
    minute_of_day,
    open_probes,
    parse_day,
    parse_days,
    parse_instant,
    parse_time,
    parse_window,
    to_local,
)

MON, TUE, WED, THU, FRI, SAT, SUN = range(7)
PDT = timezone(timedelta(hours=-7))
PST = timezone(timedelta(hours=-8))


def at(day, hhmm):
    """Return the minute of the week of day at 'HH:MM'."""
    return day * MINUTES_PER_DAY + minute_of_day(parse_time(hhmm))


def weekly(day, starts_at, ends_at):
    return Interval.weekly(day, parse_time(starts_at), parse_time(ends_at))


def window(text):
    (interval,) = parse_window(text)
    return interval


def minutes_covered(intervals):
    """Return the set of minutes of the week (mod a week) the intervals cover, end excluded."""
    return {m % MINUTES_PER_WEEK for i in intervals for m in range(i.start, i.end)}


# --- days and times ---------------------------------------------------------------------------


def test_days_are_indexed_like_date_weekday():
    assert DAYS[date(2026, 12, 7).weekday()] == "mon"
    assert DAYS[date(2026, 12, 6).weekday()] == "sun"


@pytest.mark.parametrize(("text", "expected"), [("mon", 0), ("wed", 2), ("sun", 6)])
def test_it_parses_a_day(text, expected):
    assert parse_day(text) == expected


@pytest.mark.parametrize("text", ["funday", "", "Mon", "monday", " mon", "mon "])
def test_it_rejects_an_unknown_day(text):
    with pytest.raises(ScheduleError) as error:
        parse_day(text)
    assert str(error.value) == UNKNOWN_DAY.format(value=text)
    assert str(error.value) == f"unknown day '{text}'"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("00:00", time(0, 0)),
        ("07:05", time(7, 5)),
        ("18:30", time(18, 30)),
        ("23:59", time(23, 59)),
    ],
)
def test_it_parses_a_time(text, expected):
    assert parse_time(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "24:00",
        "7:00",
        "07:0",
        "07:60",
        "18:00:00",
        "",
        "1800",
        " 18:00",
        "18:00\n",
        "١٨:٠٠",
        "ab:cd",
    ],
)
def test_it_rejects_a_time_not_written_hh_mm(text):
    with pytest.raises(ScheduleError) as error:
        parse_time(text)
    assert str(error.value) == INVALID_TIME.format(value=text)


def test_it_formats_a_time_as_hh_mm_and_drops_seconds():
    assert format_time(time(7, 5)) == "07:05"
    assert format_time(time(23, 59, 59)) == "23:59"


@pytest.mark.parametrize(
    ("t", "expected"), [(time(0, 0), 0), (time(1, 30), 90), (time(23, 59, 59), 1439)]
)
def test_it_counts_minutes_since_midnight(t, expected):
    assert minute_of_day(t) == expected


# --- Interval.weekly --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("day", "starts_at", "ends_at", "start", "end"),
    [
        (MON, "08:00", "18:00", 480, 1080),
        (FRI, "22:00", "02:00", at(FRI, "22:00"), at(SAT, "02:00")),
        (MON, "08:00", "00:00", 480, MINUTES_PER_DAY),
        (SAT, "08:00", "00:00", at(SAT, "08:00"), at(SUN, "00:00")),
        (SUN, "21:00", "02:00", at(SUN, "21:00"), MINUTES_PER_WEEK + 120),
        (SUN, "08:00", "00:00", at(SUN, "08:00"), MINUTES_PER_WEEK),
        (SUN, "00:00", "23:59", at(SUN, "00:00"), at(SUN, "23:59")),
        (TUE, "00:01", "00:00", at(TUE, "00:01"), at(WED, "00:00")),
    ],
)
def test_a_weekly_interval_ends_the_next_day_when_its_end_is_not_after_its_start(
    day, starts_at, ends_at, start, end
):
    assert weekly(day, starts_at, ends_at) == Interval(start, end)


def test_a_sunday_night_interval_runs_past_the_end_of_the_week():
    interval = weekly(SUN, "21:00", "02:00")
    assert interval.end == 6 * 1440 + 1260 + 300 == MINUTES_PER_WEEK + 120
    assert interval.end > MINUTES_PER_WEEK
    assert interval.day == SUN
    assert interval.minutes == 300


def test_an_interval_knows_its_start_day_and_length():
    interval = weekly(FRI, "22:00", "02:00")
    assert (interval.day, interval.minutes) == (FRI, 240)


def test_a_weekly_interval_cannot_be_empty():
    with pytest.raises(ScheduleError) as error:
        weekly(MON, "18:00", "18:00")
    assert str(error.value) == EMPTY_INTERVAL.format(value="18:00")
    assert str(error.value) == "start and end are both 18:00: an interval cannot be empty"


@pytest.mark.parametrize("day", [-1, 7])
def test_a_weekly_interval_needs_a_real_day(day):
    with pytest.raises(ScheduleError) as error:
        Interval.weekly(day, time(8), time(9))
    assert str(error.value) == UNKNOWN_DAY.format(value=day)


@pytest.mark.parametrize(
    ("start", "end"),
    [(-1, 10), (MINUTES_PER_WEEK, MINUTES_PER_WEEK + 10), (10, 10), (10, 5), (10, 10 + 10081)],
)
def test_an_interval_outside_its_invariants_is_refused(start, end):
    with pytest.raises(ScheduleError) as error:
        Interval(start, end)
    assert str(error.value) == INVALID_INTERVAL.format(value=(start, end))


def test_intervals_sort_by_start_then_end():
    assert sorted([Interval(60, 90), Interval(0, 120), Interval(0, 30)]) == [
        Interval(0, 30),
        Interval(0, 120),
        Interval(60, 90),
    ]


# --- days lists and windows -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("mon", (MON,)),
        ("sun", (SUN,)),
        ("mon-fri", (MON, TUE, WED, THU, FRI)),
        ("sat-sun", (SAT, SUN)),
        ("fri-mon", (MON, FRI, SAT, SUN)),
        ("sun-mon", (MON, SUN)),
        ("sun-sat", (MON, TUE, WED, THU, FRI, SAT, SUN)),
        ("mon-mon", (MON,)),
        ("mon,wed,fri", (MON, WED, FRI)),
        ("fri,mon", (MON, FRI)),
        ("mon,mon", (MON,)),
        ("mon-wed,fri", (MON, TUE, WED, FRI)),
        ("sat-mon,tue-wed", (MON, TUE, WED, SAT, SUN)),
        ("mon-wed,tue-thu", (MON, TUE, WED, THU)),
        ("daily", (MON, TUE, WED, THU, FRI, SAT, SUN)),
        ("weekdays", (MON, TUE, WED, THU, FRI)),
        ("weekends", (SAT, SUN)),
    ],
)
def test_it_parses_every_form_of_days(text, expected):
    assert parse_days(text) == expected


@pytest.mark.parametrize(
    "text", ["", "mon-", "-mon", "mon-wed-fri", "mon,", ",mon", "mon,,fri", "-", ","]
)
def test_it_rejects_malformed_days(text):
    with pytest.raises(ScheduleError) as error:
        parse_days(text)
    assert str(error.value) == INVALID_DAYS.format(value=text)


@pytest.mark.parametrize(
    ("text", "bad_day"),
    [
        ("funday", "funday"),
        ("Mon", "Mon"),
        ("mon-Fri", "Fri"),
        ("mon,funday", "funday"),
        ("mon, wed", " wed"),
        ("daily,mon", "daily"),
        ("mon@", "mon@"),
    ],
)
def test_it_names_the_unknown_day_in_well_formed_days(text, bad_day):
    with pytest.raises(ScheduleError) as error:
        parse_days(text)
    assert str(error.value) == UNKNOWN_DAY.format(value=bad_day)


def test_it_parses_a_window_into_one_interval_per_day():
    assert parse_window("mon-wed@18:00-21:00") == (
        weekly(MON, "18:00", "21:00"),
        weekly(TUE, "18:00", "21:00"),
        weekly(WED, "18:00", "21:00"),
    )


def test_a_window_ending_before_it_starts_runs_into_the_next_day():
    assert parse_window("sun@21:00-02:00") == (Interval(at(SUN, "21:00"), MINUTES_PER_WEEK + 120),)
    assert parse_window("fri-sat@22:00-02:00") == (
        Interval(at(FRI, "22:00"), at(SAT, "02:00")),
        Interval(at(SAT, "22:00"), at(SUN, "02:00")),
    )


def test_a_wrapping_day_range_window_is_in_weekday_order():
    assert [w.day for w in parse_window("fri-mon@09:00-10:00")] == [MON, FRI, SAT, SUN]


@pytest.mark.parametrize(
    "text",
    [
        "",
        "mon",
        "mon@",
        "@18:00-21:00",
        "mon@18:00",
        "mon@18:00-",
        "mon@-21:00",
        "mon@18:00-21:00-22:00",
        "mon@@18:00-21:00",
        "mon@18:00-21:00@tue",
    ],
)
def test_it_rejects_a_window_not_shaped_days_at_times(text):
    with pytest.raises(ScheduleError) as error:
        parse_window(text)
    assert str(error.value) == INVALID_WINDOW.format(value=text)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("funday@18:00-21:00", UNKNOWN_DAY.format(value="funday")),
        ("mon-@18:00-21:00", INVALID_DAYS.format(value="mon-")),
        ("mon@24:00-01:00", INVALID_TIME.format(value="24:00")),
        ("mon@7:00-09:00", INVALID_TIME.format(value="7:00")),
        ("mon@07:00-9:00", INVALID_TIME.format(value="9:00")),
        ("mon@18:00-18:00", EMPTY_INTERVAL.format(value="18:00")),
        ("mon@ 18:00-21:00", INVALID_TIME.format(value=" 18:00")),
        ("mon @18:00-21:00", UNKNOWN_DAY.format(value="mon ")),
    ],
)
def test_it_names_what_is_wrong_inside_a_window(text, message):
    with pytest.raises(ScheduleError) as error:
        parse_window(text)
    assert str(error.value) == message


# --- containment and overlap ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("window_text", "session", "expected"),
    [
        ("mon@18:00-21:00", weekly(MON, "18:00", "21:00"), True),
        ("mon@17:00-22:00", weekly(MON, "18:00", "21:00"), True),
        ("mon@18:00-20:59", weekly(MON, "18:00", "21:00"), False),
        ("mon@18:01-21:00", weekly(MON, "18:00", "21:00"), False),
        ("tue@18:00-21:00", weekly(MON, "18:00", "21:00"), False),
        ("fri@21:00-03:00", weekly(FRI, "22:00", "02:00"), True),
        ("fri@22:00-02:00", weekly(FRI, "22:00", "02:00"), True),
        ("fri@22:00-01:59", weekly(FRI, "22:00", "02:00"), False),
        ("sat@00:00-03:00", weekly(FRI, "22:00", "02:00"), False),
        ("sun@21:00-02:00", weekly(MON, "00:30", "01:00"), True),
        ("sun@21:00-02:00", weekly(MON, "00:00", "02:00"), True),
        ("sun@21:00-02:00", weekly(MON, "01:00", "02:01"), False),
        ("sun@21:00-02:00", weekly(SUN, "22:00", "01:00"), True),
        ("sun@21:00-02:00", weekly(SUN, "20:59", "01:00"), False),
        ("mon@00:00-02:00", weekly(SUN, "23:00", "01:00"), False),
        ("sun@21:00-02:00", weekly(TUE, "00:30", "01:00"), False),
    ],
)
def test_a_window_contains_a_session_edges_included(window_text, session, expected):
    assert window(window_text).contains(session) is expected


def test_containment_bounds_are_the_interval_and_the_interval_a_week_earlier():
    assert window("sun@21:00-02:00").containment_bounds() == [
        (at(SUN, "21:00"), MINUTES_PER_WEEK + 120),
        (at(SUN, "21:00") - MINUTES_PER_WEEK, 120),
    ]


def sample_intervals(count, seed):
    """Return intervals at awkward places: week edges, day edges and random ones."""
    rng = random.Random(seed)
    edges = [0, 1, 59, 60, 1439, 1440, at(SUN, "21:00"), MINUTES_PER_WEEK - 1]
    lengths = [1, 30, 60, 300, 1439]
    intervals = [Interval(start, start + length) for start in edges for length in lengths]
    while len(intervals) < count:
        start = rng.randrange(MINUTES_PER_WEEK)
        intervals.append(Interval(start, start + rng.choice(lengths + [rng.randrange(1, 1440)])))
    return intervals


def test_containment_bounds_agree_with_contains_everywhere():
    windows = sample_intervals(120, seed=1)
    sessions = sample_intervals(400, seed=2) + [
        Interval(x.start + d, x.end - d)
        for x in windows
        for d in (0, 1)
        if x.minutes > 2 * d and x.start + d < MINUTES_PER_WEEK
    ]
    outcomes = set()
    for w in windows:
        bounds = w.containment_bounds()
        for x in sessions:
            by_bounds = any(lo <= x.start and x.end <= hi for lo, hi in bounds)
            assert by_bounds is w.contains(x), (w, x)
            outcomes.add(by_bounds)
    assert outcomes == {True, False}


def test_contains_agrees_with_covered_minutes():
    windows = sample_intervals(60, seed=3)
    sessions = sample_intervals(120, seed=4)
    for w in windows:
        covered = minutes_covered([w])
        for x in sessions:
            assert w.contains(x) is minutes_covered([x]).issubset(covered), (w, x)


@pytest.mark.parametrize(
    ("a", "b", "expected"),
    [
        (weekly(MON, "08:00", "12:00"), weekly(MON, "11:00", "13:00"), 60),
        (weekly(MON, "08:00", "12:00"), weekly(MON, "12:00", "13:00"), 0),
        (weekly(MON, "08:00", "12:00"), weekly(TUE, "08:00", "12:00"), 0),
        (weekly(MON, "08:00", "12:00"), weekly(MON, "09:00", "10:00"), 60),
        (weekly(SUN, "21:00", "02:00"), weekly(MON, "00:00", "03:00"), 120),
        (weekly(MON, "00:00", "03:00"), weekly(SUN, "21:00", "02:00"), 120),
        (weekly(SUN, "23:00", "01:00"), weekly(SUN, "21:00", "02:00"), 120),
    ],
)
def test_overlap_counts_minutes_across_the_week_wrap_and_touching_is_zero(a, b, expected):
    assert a.overlap(b) == expected
    assert b.overlap(a) == expected


# --- merge and longest overlap ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("intervals", "expected"),
    [
        ([], ()),
        ([weekly(MON, "08:00", "12:00")], (weekly(MON, "08:00", "12:00"),)),
        (
            [weekly(MON, "12:00", "18:00"), weekly(MON, "08:00", "12:00")],
            (weekly(MON, "08:00", "18:00"),),
        ),
        (
            [weekly(MON, "08:00", "12:00"), weekly(MON, "10:00", "11:00")],
            (weekly(MON, "08:00", "12:00"),),
        ),
        (
            [weekly(MON, "08:00", "12:00"), weekly(MON, "12:01", "18:00")],
            (weekly(MON, "08:00", "12:00"), weekly(MON, "12:01", "18:00")),
        ),
        (
            [weekly(MON, "08:00", "00:00"), weekly(TUE, "00:00", "08:00")],
            (Interval(at(MON, "08:00"), at(TUE, "08:00")),),
        ),
        (
            [weekly(SUN, "21:00", "02:00"), weekly(MON, "01:00", "05:00")],
            (Interval(at(SUN, "21:00"), MINUTES_PER_WEEK + 300),),
        ),
        (
            [weekly(SUN, "21:00", "02:00"), weekly(MON, "00:00", "00:30")],
            (Interval(at(SUN, "21:00"), MINUTES_PER_WEEK + 120),),
        ),
        (
            [weekly(SUN, "21:00", "01:00"), weekly(MON, "01:00", "02:00")],
            (Interval(at(SUN, "21:00"), MINUTES_PER_WEEK + 120),),
        ),
        (
            [weekly(SUN, "20:00", "00:00"), weekly(MON, "00:00", "08:00")],
            (Interval(at(SUN, "20:00"), MINUTES_PER_WEEK + 480),),
        ),
        (
            [
                weekly(SUN, "21:00", "06:00"),
                weekly(MON, "01:00", "02:00"),
                weekly(MON, "05:00", "07:00"),
                weekly(MON, "09:00", "10:00"),
            ],
            (weekly(MON, "09:00", "10:00"), Interval(at(SUN, "21:00"), MINUTES_PER_WEEK + 420)),
        ),
    ],
)
def test_merge_joins_overlapping_and_touching_intervals_across_the_week(intervals, expected):
    assert merge(intervals) == expected


def test_merge_keeps_one_minute_gaps_between_days():
    almost = [weekly(day, "00:00", "23:59") for day in range(7)]
    assert merge(almost) == tuple(almost)
    overnight = [weekly(day, "12:00", "11:59") for day in range(7)]
    assert merge(overnight) == tuple(overnight)


def test_merge_of_hours_covering_the_whole_week_is_one_whole_week():
    whole = [weekly(day, "12:00", "12:30") for day in range(7)] + [
        weekly(day, "12:30", "12:00") for day in range(7)
    ]
    assert merge(whole) == (Interval(0, MINUTES_PER_WEEK),)
    days = [weekly(day, "00:00", "12:00") for day in range(7)]
    nights = [weekly(day, "12:00", "00:00") for day in range(7)]
    assert merge(days + nights) == (Interval(0, MINUTES_PER_WEEK),)


def test_merge_agrees_with_covered_minutes():
    rng = random.Random(5)
    pool = sample_intervals(200, seed=6)
    for _ in range(300):
        intervals = rng.sample(pool, rng.randrange(1, 40))
        merged = merge(intervals)
        assert minutes_covered(merged) == minutes_covered(intervals)
        assert all(0 <= m.start < MINUTES_PER_WEEK for m in merged)
        assert list(merged) == sorted(merged)
        if merged != (Interval(0, MINUTES_PER_WEEK),):
            # Disjoint and not touching, across the week's end too.
            for a, b in zip(merged, merged[1:] + (merged[0],), strict=True):
                if a is not b:
                    assert (b.start - a.end) % MINUTES_PER_WEEK != 0 and a.overlap(b) == 0


def test_touching_hours_are_joined_for_the_longest_overlap():
    hours = [weekly(MON, "08:00", "12:00"), weekly(MON, "12:00", "18:00")]
    assert longest_overlap(hours, window("mon@11:30-12:40")) == 70
    assert longest_overlap(hours[:1], window("mon@11:30-12:40")) == 30


@pytest.mark.parametrize(
    ("hours", "window_text", "expected"),
    [
        ([], "mon@08:00-09:00", 0),
        ([weekly(MON, "08:00", "18:00")], "tue@08:00-09:00", 0),
        ([weekly(MON, "08:00", "18:00")], "mon@18:00-19:00", 0),
        ([weekly(SUN, "22:00", "00:00"), weekly(MON, "00:00", "01:00")], "sun@23:00-02:00", 120),
        ([weekly(SAT, "20:00", "02:00")], "sun@01:00-03:00", 60),
        ([weekly(day, "00:00", "12:00") for day in range(7)], "mon@11:00-13:00", 60),
        (
            [weekly(day, "00:00", "12:00") for day in range(7)]
            + [weekly(day, "12:00", "00:00") for day in range(7)],
            "sun@21:00-02:00",
            300,
        ),
    ],
)
def test_longest_overlap_is_continuous_and_wrap_aware(hours, window_text, expected):
    assert longest_overlap(hours, window(window_text)) == expected


# --- fitting a client's windows ---------------------------------------------------------------


def test_sessions_in_different_windows_fit():
    sessions = [weekly(MON, "18:00", "21:00"), weekly(SAT, "10:00", "12:00")]
    windows = parse_window("mon-fri@18:00-21:00") + parse_window("weekends@09:00-13:00")
    assert fits_sessions(sessions, windows) is True


def test_one_session_outside_every_window_does_not_fit():
    sessions = [weekly(MON, "18:00", "21:00"), weekly(SAT, "08:00", "12:00")]
    windows = parse_window("mon-fri@18:00-21:00") + parse_window("weekends@09:00-13:00")
    assert fits_sessions(sessions, windows) is False


def test_a_session_spanning_two_touching_windows_does_not_fit_either():
    sessions = [weekly(MON, "18:00", "21:00")]
    windows = parse_window("mon@17:00-19:00") + parse_window("mon@19:00-22:00")
    assert fits_sessions(sessions, windows) is False


@pytest.mark.parametrize(
    ("sessions", "window_text", "expected"),
    [
        ([weekly(MON, "18:00", "21:00")], "mon@18:00-21:00", True),
        ([weekly(MON, "18:00", "21:00")], "mon@18:00-20:59", False),
        ([weekly(FRI, "22:00", "02:00")], "fri@20:00-03:00", True),
        ([weekly(MON, "00:30", "01:00")], "sun@21:00-02:00", True),
        ([weekly(MON, "00:30", "01:00")], "mon@21:00-02:00", False),
        ([], "daily@00:00-23:59", False),
    ],
)
def test_fits_sessions_at_the_edges(sessions, window_text, expected):
    assert fits_sessions(sessions, parse_window(window_text)) is expected


def test_fits_sessions_accepts_iterators():
    sessions = iter([weekly(MON, "18:00", "19:00"), weekly(TUE, "18:00", "19:00")])
    assert fits_sessions(sessions, iter(parse_window("mon-tue@18:00-19:00"))) is True


@pytest.mark.parametrize(
    ("hours", "window_text", "expected"),
    [
        ([weekly(MON, "08:00", "18:00")], "mon@17:00-20:00", True),
        ([weekly(MON, "08:00", "18:00")], "mon@17:01-20:00", False),
        ([weekly(MON, "08:00", "12:00"), weekly(MON, "12:00", "18:00")], "mon@11:30-12:30", True),
        ([weekly(MON, "08:00", "12:00"), weekly(MON, "12:30", "18:00")], "mon@11:30-12:45", False),
        ([weekly(SUN, "23:00", "00:00"), weekly(MON, "00:00", "06:00")], "sun@23:30-00:30", True),
        ([weekly(FRI, "22:00", "02:00")], "sat@01:00-03:00", True),
        ([weekly(FRI, "22:00", "02:00")], "sat@01:01-03:00", False),
        ([], "mon@08:00-18:00", False),
    ],
)
def test_by_appointment_needs_sixty_continuous_minutes_of_open_hours(hours, window_text, expected):
    assert fits_by_appointment(hours, parse_window(window_text), open_24_7=False) is expected


def test_by_appointment_minimum_can_be_changed():
    hours = [weekly(MON, "08:00", "18:00")]
    assert fits_by_appointment(hours, parse_window("mon@17:30-19:00"), open_24_7=False) is False
    assert (
        fits_by_appointment(hours, parse_window("mon@17:30-19:00"), open_24_7=False, minimum=30)
        is True
    )


def test_by_appointment_with_any_window_fits_a_24_7_facility_without_hours():
    assert fits_by_appointment([], parse_window("sun@23:30-00:30"), open_24_7=True) is True
    assert fits_by_appointment([], parse_window("wed@03:00-04:00"), open_24_7=True) is True


def test_by_appointment_a_window_shorter_than_the_minimum_never_fits_even_24_7():
    assert fits_by_appointment([], parse_window("wed@03:00-03:59"), open_24_7=True) is False
    assert fits_by_appointment([], [], open_24_7=True) is False


def test_days_and_hours_per_week_of_three_three_hour_sessions():
    sessions = parse_window("mon,wed,fri@18:00-21:00")
    assert days_per_week(sessions) == 3
    assert hours_per_week(sessions) == 9.0


def test_an_overnight_session_counts_for_its_start_day():
    sessions = [weekly(FRI, "22:00", "02:00"), weekly(SAT, "09:00", "10:00")]
    assert days_per_week(sessions) == 2
    assert days_per_week([weekly(FRI, "22:00", "02:00")]) == 1
    assert hours_per_week(sessions) == 5.0


def test_two_sessions_on_one_day_count_one_day():
    sessions = [weekly(MON, "09:00", "10:00"), weekly(MON, "18:00", "19:20")]
    assert days_per_week(sessions) == 1
    assert hours_per_week(sessions) == 2.33


def test_no_sessions_is_zero_days_and_zero_hours():
    assert days_per_week([]) == 0
    assert hours_per_week([]) == 0.0


# --- instants ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-12-01T18:30", datetime(2026, 12, 1, 18, 30, tzinfo=PST)),
        ("2026-12-01 18:30", datetime(2026, 12, 1, 18, 30, tzinfo=PST)),
        ("2026-12-01T18:30:15.5", datetime(2026, 12, 1, 18, 30, 15, 500000, tzinfo=PST)),
        ("2026-07-01T18:30", datetime(2026, 7, 1, 18, 30, tzinfo=PDT)),
        ("2026-12-01T18:30:00-08:00", datetime(2026, 12, 1, 18, 30, tzinfo=PST)),
        ("2026-12-01T18:30:00-05:00", datetime(2026, 12, 1, 15, 30, tzinfo=PST)),
        ("2026-12-02T02:30Z", datetime(2026, 12, 1, 18, 30, tzinfo=PST)),
        ("2026-12-02T02:30+00:00", datetime(2026, 12, 1, 18, 30, tzinfo=PST)),
        ("2026-03-08T02:30", datetime(2026, 3, 8, 3, 30, tzinfo=PDT)),
        ("2026-03-08T02:00", datetime(2026, 3, 8, 3, 0, tzinfo=PDT)),
        ("2026-03-08T01:59", datetime(2026, 3, 8, 1, 59, tzinfo=PST)),
        ("2026-03-08T03:00", datetime(2026, 3, 8, 3, 0, tzinfo=PDT)),
        ("2026-11-01T01:30", datetime(2026, 11, 1, 1, 30, tzinfo=PDT)),
        ("2026-11-01T01:30-08:00", datetime(2026, 11, 1, 1, 30, tzinfo=PST)),
        ("2026-11-01T02:00", datetime(2026, 11, 1, 2, 0, tzinfo=PST)),
    ],
)
def test_it_parses_an_instant_into_los_angeles_time(text, expected):
    instant = parse_instant(text)
    assert instant.tzinfo is LOS_ANGELES
    # isoformat, not ==: PEP 495 makes == across zones False for a repeated local time.
    assert instant.isoformat() == expected.isoformat()


def test_a_spring_forward_gap_moves_forward_by_the_gap():
    instant = parse_instant("2026-03-08T02:30")
    assert instant.isoformat() == "2026-03-08T03:30:00-07:00"


def test_a_repeated_fall_back_time_is_its_first_occurrence():
    instant = parse_instant("2026-11-01T01:30")
    assert instant.isoformat() == "2026-11-01T01:30:00-07:00"
    assert instant.fold == 0


@pytest.mark.parametrize(
    "text",
    [
        "",
        "now",
        "2026-12-01",
        "2026-12-01T",
        "2026-12-01T18",
        "2026-12-01x18:30",
        "20261201T1830",
        "2026-W49-2T18:30",
        "2026-13-01T18:30",
        "2026-02-30T18:30",
        "2026-12-01T24:00",
        "2026-12-01T18:30+25:00",
        "2026-12-01T18:30 08:00",
        " 2026-12-01T18:30",
        "2026-12-01T18:30\n",
        "9999-12-31T23:59",
        "0001-01-01T00:00",
        "0001-01-01T00:00+14:00",
    ],
)
def test_it_rejects_garbage_instants(text):
    with pytest.raises(ScheduleError) as error:
        parse_instant(text)
    assert str(error.value) == INVALID_INSTANT.format(value=text)


@pytest.mark.parametrize(
    ("instant", "expected"),
    [
        (datetime(2026, 3, 8, 2, 30), "2026-03-08T03:30:00-07:00"),
        (datetime(2026, 3, 8, 2, 30, fold=1), "2026-03-08T03:30:00-07:00"),
        (datetime(2026, 11, 1, 1, 30, fold=1), "2026-11-01T01:30:00-07:00"),
        (datetime(2026, 12, 1, 18, 30), "2026-12-01T18:30:00-08:00"),
        (datetime(2026, 12, 2, 2, 30, tzinfo=UTC), "2026-12-01T18:30:00-08:00"),
        (
            datetime(2026, 11, 1, 1, 30, fold=1, tzinfo=LOS_ANGELES),
            "2026-11-01T01:30:00-08:00",
        ),
    ],
)
def test_to_local_reads_naive_instants_as_los_angeles_wall_clock(instant, expected):
    assert to_local(instant).isoformat() == expected


# --- open at an instant -----------------------------------------------------------------------


def test_open_probes_look_at_today_and_yesterday():
    assert open_probes(parse_instant("2026-12-05T01:00")) == (
        OpenProbe(
            date(2026, 12, 5),
            at(SAT, "00:00"),
            at(SAT, "23:59"),
            at(SAT, "01:00"),
            at(SAT, "01:00"),
        ),
        OpenProbe(
            date(2026, 12, 4),
            at(FRI, "00:00"),
            at(FRI, "23:59"),
            at(SAT, "01:00"),
            at(SAT, "01:00"),
        ),
    )


def test_an_instant_past_the_minute_needs_an_interval_ending_after_it():
    (today, _) = open_probes(parse_instant("2026-12-05T01:00:30"))
    assert (today.minute, today.end_at_least) == (at(SAT, "01:00"), at(SAT, "01:01"))


def test_on_monday_the_yesterday_probe_looks_past_the_end_of_the_week():
    assert open_probes(parse_instant("2026-12-07T02:00")) == (
        OpenProbe(date(2026, 12, 7), 0, 1439, 120, 120),
        OpenProbe(
            date(2026, 12, 6),
            at(SUN, "00:00"),
            at(SUN, "23:59"),
            MINUTES_PER_WEEK + 120,
            MINUTES_PER_WEEK + 120,
        ),
    )


def test_a_probe_bounds_an_interval_by_the_start_it_needs_and_the_end_it_needs():
    today, yesterday = open_probes(parse_instant("2026-12-05T01:00:30"))
    # Today's hours must have started by 01:00; yesterday's by Friday's last minute.
    assert today.bound == (at(SAT, "01:00"), at(SAT, "01:01"))
    assert yesterday.bound == (at(FRI, "23:59"), at(SAT, "01:01"))


def test_open_probes_use_the_wall_clock_after_a_dst_gap():
    (today, _) = open_probes(datetime(2026, 3, 8, 2, 30))
    assert today == OpenProbe(
        date(2026, 3, 8), at(SUN, "00:00"), at(SUN, "23:59"), at(SUN, "03:30"), at(SUN, "03:30")
    )


# 2026-12-04 is a Friday, 2026-12-05 a Saturday, 2026-12-07 a Monday.
OFFICE = [weekly(day, "09:00", "17:00") for day in range(5)]
FRIDAY_NIGHT = [weekly(FRI, "22:00", "02:00")]
SUNDAY_NIGHT = [weekly(SUN, "23:00", "03:00")]


@pytest.mark.parametrize(
    ("hours", "closures", "instant", "expected"),
    [
        (OFFICE, [], "2026-12-01T12:00", True),
        (OFFICE, [], "2026-12-01T09:00", True),
        (OFFICE, [], "2026-12-01T08:59", False),
        (OFFICE, [], "2026-12-01T17:00", True),
        # Seconds count: half a minute after closing is closed (DESIGN §4 edges only).
        (OFFICE, [], "2026-12-01T17:00:59", False),
        (OFFICE, [], "2026-12-01T16:59:59", True),
        (OFFICE, [], "2026-12-01T17:01", False),
        (OFFICE, [], "2026-12-05T12:00", False),
        (OFFICE, [], "2026-12-01T20:00Z", True),
        (OFFICE, [], "2026-12-02T01:00Z", True),
        (OFFICE, [], "2026-12-02T01:01Z", False),
        (OFFICE, [(date(2026, 12, 1), date(2026, 12, 1))], "2026-12-01T12:00", False),
        (OFFICE, [(date(2026, 11, 30), date(2026, 12, 2))], "2026-12-01T12:00", False),
        (OFFICE, [(date(2026, 12, 2), date(2026, 12, 3))], "2026-12-01T12:00", True),
        (FRIDAY_NIGHT, [], "2026-12-04T23:00", True),
        (FRIDAY_NIGHT, [], "2026-12-05T01:00", True),
        (FRIDAY_NIGHT, [], "2026-12-05T02:00", True),
        (FRIDAY_NIGHT, [], "2026-12-05T02:01", False),
        (FRIDAY_NIGHT, [], "2026-12-04T21:59", False),
        (FRIDAY_NIGHT, [], "2026-12-06T01:00", False),
        (FRIDAY_NIGHT, [(date(2026, 12, 4), date(2026, 12, 4))], "2026-12-05T01:00", False),
        (FRIDAY_NIGHT, [(date(2026, 12, 5), date(2026, 12, 5))], "2026-12-05T01:00", True),
        (FRIDAY_NIGHT, [(date(2026, 12, 5), date(2026, 12, 5))], "2026-12-04T23:00", True),
        (SUNDAY_NIGHT, [], "2026-12-07T02:00", True),
        (SUNDAY_NIGHT, [], "2026-12-06T23:30", True),
        (SUNDAY_NIGHT, [], "2026-12-07T03:01", False),
        (SUNDAY_NIGHT, [], "2026-12-05T02:00", False),
        (SUNDAY_NIGHT, [(date(2026, 12, 6), date(2026, 12, 6))], "2026-12-07T02:00", False),
        (SUNDAY_NIGHT, [(date(2026, 12, 7), date(2026, 12, 7))], "2026-12-07T02:00", True),
        ([], [], "2026-12-01T12:00", False),
    ],
)
def test_is_open_follows_the_weekly_hours_and_closures(hours, closures, instant, expected):
    assert (
        is_open(hours, open_24_7=False, closures=closures, instant=parse_instant(instant))
        is expected
    )


@pytest.mark.parametrize(
    ("instant", "expected"),
    [
        # 02:30 does not exist on 2026-03-08; it is read as 03:30 PDT.
        ("2026-03-08T02:30", True),
        ("2026-03-08T02:00", True),
        ("2026-03-08T01:59", False),
        ("2026-03-08T04:00", True),
        ("2026-03-08T04:01", False),
        # 01:30 happens twice on 2026-11-01; both are wall-clock 01:30 and closed.
        ("2026-11-01T01:30", False),
        ("2026-11-01T01:30-08:00", False),
        ("2026-11-01T02:30", True),
    ],
)
def test_is_open_compares_wall_clock_times_on_dst_days(instant, expected):
    hours = [weekly(SUN, "02:00", "02:59"), weekly(SUN, "03:00", "04:00")]
    assert is_open(hours, open_24_7=False, closures=[], instant=parse_instant(instant)) is expected


def test_is_open_takes_a_naive_instant_in_the_spring_forward_gap():
    hours = [weekly(SUN, "03:15", "03:45")]
    assert is_open(hours, open_24_7=False, closures=[], instant=datetime(2026, 3, 8, 2, 30))


@pytest.mark.parametrize(
    ("closures", "instant", "expected"),
    [
        ([], "2026-12-25T03:00", True),
        ([(date(2026, 12, 24), date(2026, 12, 25))], "2026-12-25T03:00", False),
        ([(date(2026, 12, 24), date(2026, 12, 25))], "2026-12-24T00:00", False),
        ([(date(2026, 12, 24), date(2026, 12, 25))], "2026-12-25T23:59", False),
        ([(date(2026, 12, 24), date(2026, 12, 25))], "2026-12-26T00:00", True),
        ([(date(2026, 12, 24), date(2026, 12, 25))], "2026-12-23T23:59", True),
        # 08:00 UTC on the 26th is still the 25th in Los Angeles.
        ([(date(2026, 12, 24), date(2026, 12, 25))], "2026-12-26T07:59Z", False),
        ([(date(2026, 12, 24), date(2026, 12, 25))], "2026-12-26T08:00Z", True),
        ([], "2026-03-08T02:30", True),
    ],
)
def test_a_24_7_facility_is_open_except_on_closure_dates(closures, instant, expected):
    assert (
        is_open(
            [weekly(MON, "09:00", "10:00")],
            open_24_7=True,
            closures=closures,
            instant=parse_instant(instant),
        )
        is expected
    )


def test_is_open_accepts_generators():
    hours = (h for h in FRIDAY_NIGHT)
    closures = (c for c in [(date(2026, 12, 5), date(2026, 12, 5))])
    instant = parse_instant("2026-12-05T01:00")
    assert is_open(hours, open_24_7=False, closures=closures, instant=instant) is True


def test_is_open_agrees_with_open_probes_on_a_grid():
    """The reference rule: open iff some interval holds the wall-clock minute this week or last."""
    hours = sample_intervals(40, seed=7)[-12:] + FRIDAY_NIGHT + SUNDAY_NIGHT
    start = datetime(2026, 12, 7)
    for step in range(0, 7 * MINUTES_PER_DAY, 37):
        local = start + timedelta(minutes=step)
        minute = local.weekday() * MINUTES_PER_DAY + local.hour * 60 + local.minute
        expected = any(
            h.start <= m <= h.end for h in hours for m in (minute, minute + MINUTES_PER_WEEK)
        )
        assert is_open(hours, open_24_7=False, closures=[], instant=local) is expected, local


# --- the SQL-facing bounds agree with the pure rules -------------------------------------------


def _span_overlaps(rows, window, minimum):
    """Evaluate stored span rows the way the SQL does (directory.querysets.fitting_windows)."""
    return any(
        end - start >= minimum and start <= at_most and end >= at_least
        for start, end in rows
        for at_most, at_least in window.overlap_bounds(minimum)
    )


OVERLAP_CASES = [
    # (hours, window, expected by fits_by_appointment)
    ("mon@08:00-12:00 mon@12:00-18:00", "mon@11:30-12:40", True),
    ("mon@08:00-09:00", "mon@08:01-09:00", False),
    ("mon@08:00-09:00", "mon@08:00-09:00", True),
    ("mon@08:00-09:00", "mon@07:00-08:59", False),
    ("sun@20:00-04:00", "mon@00:30-02:00", True),
    ("sun@20:00-04:00", "sun@23:30-00:45", True),
    ("mon@00:00-04:00", "sun@23:30-00:45", False),
    ("mon@00:00-04:00", "sun@23:00-01:00", True),
    ("daily@00:00-12:00 daily@12:00-00:00", "sun@23:30-00:45", True),
    ("daily@00:00-12:00 daily@12:00-00:00", "wed@03:00-03:59", False),
    ("tue@09:00-09:30 tue@10:00-10:50", "tue@08:00-12:00", False),
]


@pytest.mark.parametrize(("hours", "window", "expected"), OVERLAP_CASES)
def test_overlap_bounds_agree_with_fits_by_appointment(hours, window, expected):
    intervals = [i for text in hours.split() for i in schedule.parse_window(text)]
    (window_interval,) = schedule.parse_window(window)
    assert schedule.fits_by_appointment(intervals, [window_interval], open_24_7=False) is expected
    rows = schedule.span_rows(intervals)
    assert _span_overlaps(rows, window_interval, 60) is expected


def test_span_rows_store_the_whole_week_as_two_weeks():
    hours = schedule.parse_window("daily@00:00-12:00") + schedule.parse_window("daily@12:00-00:00")
    assert schedule.span_rows(hours) == [(0, 2 * schedule.MINUTES_PER_WEEK)]


def test_a_day_mask_has_one_bit_per_day_monday_first():
    assert schedule.day_mask([]) == 0
    assert schedule.day_mask([0, 2, 2, 6]) == 0b1000101
    assert schedule.day_mask(range(7)) == schedule.EVERY_DAY == 127


def test_day_submasks_are_the_non_empty_sets_of_those_days():
    saturday_sunday = schedule.day_mask([5, 6])
    assert schedule.day_submasks(saturday_sunday) == [32, 64, 96]
    assert schedule.day_submasks(0) == []
    assert schedule.day_submasks(schedule.EVERY_DAY) == list(range(1, 128))


@pytest.mark.parametrize(
    ("window_text", "days"),
    [
        ("mon@09:00-12:00", [0]),
        ("fri@22:00-02:00", [4, 5]),
        ("fri@22:00-00:00", [4]),  # ends at midnight: nothing inside starts on Saturday
        ("sun@21:00-02:00", [6, 0]),
        ("sat-sun@09:00-14:00", [5, 6]),
    ],
)
def test_a_window_reaches_the_days_its_sessions_can_start_on(window_text, days):
    reached = 0
    for window in parse_window(window_text):
        reached |= window.start_day_mask()
    assert reached == schedule.day_mask(days)


def test_whatever_lies_inside_a_window_starts_on_a_day_it_reaches():
    windows = sample_intervals(120, seed=3)
    sessions = sample_intervals(400, seed=4)
    inside = 0
    for w in windows:
        for x in sessions:
            if w.contains(x):
                inside += 1
                assert w.start_day_mask() & schedule.day_mask([x.day]), (w, x)
    assert inside > 100


def _weekly(day, starts_at, ends_at):
    return schedule.Interval.weekly(day, time.fromisoformat(starts_at), time.fromisoformat(ends_at))


def test_clock_span_is_the_earliest_start_and_latest_end_on_each_sessions_own_clock():
    sessions = [
        _weekly(0, "18:00", "21:00"),
        _weekly(6, "22:30", "00:30"),
        _weekly(2, "09:15", "10:00"),
    ]
    assert schedule.clock_span(sessions) == (555, 1470)  # 09:15; 00:30 the next day = 24:30
    assert schedule.clock_span([]) == (0, 0)


@pytest.mark.parametrize(
    ("window", "expected"),
    [
        ("mon-fri@17:00-21:30", (1020, 1290)),
        ("sun@08:00-00:00", (480, 1440)),  # ending at midnight: still that day's clock
        ("sat@22:00-01:00", None),  # past midnight: the next day's clock too
    ],
)
def test_uniform_clock_span_of_one_window_text(window, expected):
    assert schedule.uniform_clock_span(schedule.parse_window(window)) == expected


def test_uniform_clock_span_needs_the_same_times_every_window():
    windows = [*schedule.parse_window("mon@09:00-12:00"), *schedule.parse_window("tue@09:00-12:01")]
    assert schedule.uniform_clock_span(windows) is None
    assert schedule.uniform_clock_span([]) is None


@pytest.mark.parametrize(
    ("day", "starts_at", "ends_at", "clock"),
    [
        (0, "18:00", "21:00", (1080, 1260)),
        (6, "22:30", "00:30", (1350, 1470)),
        (3, "08:00", "00:00", (480, 1440)),
    ],
)
def test_an_intervals_clock_is_its_times_on_the_day_it_starts(day, starts_at, ends_at, clock):
    assert _weekly(day, starts_at, ends_at).clock == clock
