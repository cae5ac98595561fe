"""Weekly time logic: days, wall-clock times, weekly intervals, windows and instants.

Pure Python, no ORM: this module is the single home of the time rules in DESIGN §4 and of
the ``available`` windows in §5. Times are Los Angeles wall-clock times; a weekly interval is
measured in minutes of the week, Monday 00:00 = 0.
"""

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
MINUTES_PER_DAY = 1440
MINUTES_PER_WEEK = 10080
LOS_ANGELES = ZoneInfo("America/Los_Angeles")
# By-appointment care fits a client's window when the facility is open for at least this long,
# continuously, inside it (DESIGN §5).
BY_APPOINTMENT_MINIMUM_MINUTES = 60

UNKNOWN_DAY = "unknown day '{value}'"
INVALID_TIME = "invalid time '{value}': expected HH:MM between 00:00 and 23:59"
EMPTY_INTERVAL = "start and end are both {value}: an interval cannot be empty"
INVALID_WINDOW = "invalid window '{value}': expected DAYS@HH:MM-HH:MM, e.g. mon-fri@18:00-21:00"
INVALID_DAYS = (
    "invalid days '{value}': expected a day (mon … sun), a range (mon-fri), "
    "a list (mon,wed,fri), daily, weekdays or weekends"
)
INVALID_INSTANT = (
    "invalid instant '{value}': expected ISO 8601, "
    "e.g. 2026-12-01T18:30 or 2026-12-01T18:30:00-08:00"
)
INVALID_INTERVAL = (
    "invalid interval {value}: expected 0 <= start < 10080 and start < end <= start + 10080"
)

DAY_KEYWORDS = {
    "daily": tuple(range(7)),
    "weekdays": (0, 1, 2, 3, 4),
    "weekends": (5, 6),
}

# [0-9] rather than \d: \d also matches non-ASCII digits such as '٠'.
TIME_PATTERN = re.compile(r"(?:[01][0-9]|2[0-3]):[0-5][0-9]")
WINDOW_PATTERN = re.compile(r"(?P<days>[^@]+)@(?P<starts_at>[^@-]+)-(?P<ends_at>[^@-]+)")
# fromisoformat alone is too lenient: it takes a bare date, week dates and any character as the
# date/time separator. The shape is checked here, the values by fromisoformat.
INSTANT_PATTERN = re.compile(
    r"[0-9]{4}-[0-9]{2}-[0-9]{2}[T ][0-9]{2}:[0-9]{2}(?::[0-9]{2}(?:\.[0-9]{1,6})?)?"
    r"(?:Z|[+-][0-9]{2}:[0-9]{2})?"
)


class ScheduleError(ValueError):
    """A day, time, window or instant that cannot be parsed; str() is the finished message."""


def parse_day(text: str) -> int:
    """Return the weekday index of 'mon' … 'sun' (0 = Monday, as date.weekday()).

    Only the exact lowercase abbreviations are accepted; anything else raises UNKNOWN_DAY.
    """
    try:
        return DAYS.index(text)
    except ValueError:
        raise ScheduleError(UNKNOWN_DAY.format(value=text)) from None


def parse_time(text: str) -> time:
    """Return the wall-clock time written as 'HH:MM' (two digits each, 00:00 to 23:59).

    Seconds, one-digit hours and 24:00 are rejected with INVALID_TIME.
    """
    if not isinstance(text, str) or not TIME_PATTERN.fullmatch(text):
        raise ScheduleError(INVALID_TIME.format(value=text))
    return time(int(text[:2]), int(text[3:]))


def format_time(t: time) -> str:
    """Return t as 'HH:MM'; seconds are dropped."""
    return f"{t.hour:02d}:{t.minute:02d}"


def minute_of_day(t: time) -> int:
    """Return the minutes since midnight of t, 0 to 1439; seconds are ignored."""
    return t.hour * 60 + t.minute


@dataclass(frozen=True, order=True)
class Interval:
    """A weekly interval in minutes of the week, Monday 00:00 = 0.

    start is in [0, MINUTES_PER_WEEK). end is after start and at most a week later; an end
    beyond MINUTES_PER_WEEK means the interval runs past Sunday midnight into Monday.
    """

    start: int
    end: int

    def __post_init__(self):
        if not (0 <= self.start < MINUTES_PER_WEEK and self.start < self.end):
            raise ScheduleError(INVALID_INTERVAL.format(value=(self.start, self.end)))
        if self.end - self.start > MINUTES_PER_WEEK:
            raise ScheduleError(INVALID_INTERVAL.format(value=(self.start, self.end)))

    @classmethod
    def weekly(cls, day: int, starts_at: time, ends_at: time) -> "Interval":
        """Return the interval from starts_at to ends_at on day (0 = Monday).

        An end at or before the start (on the clock) is on the next day: fri 22:00-02:00 ends
        Saturday 02:00, 08:00-00:00 ends at midnight, sun 21:00-02:00 ends Monday 02:00 (end
        beyond MINUTES_PER_WEEK). Equal start and end raise EMPTY_INTERVAL; so an interval lasts
        1 to 1439 minutes.
        """
        if not (isinstance(day, int) and 0 <= day < 7):
            raise ScheduleError(UNKNOWN_DAY.format(value=day))
        start = minute_of_day(starts_at)
        end = minute_of_day(ends_at)
        if start == end:
            raise ScheduleError(EMPTY_INTERVAL.format(value=format_time(starts_at)))
        if end < start:
            end += MINUTES_PER_DAY
        offset = day * MINUTES_PER_DAY
        return cls(offset + start, offset + end)

    @property
    def day(self) -> int:
        """Return the weekday (0 = Monday) on which the interval starts."""
        return self.start // MINUTES_PER_DAY

    @property
    def minutes(self) -> int:
        """Return the length of the interval in minutes."""
        return self.end - self.start

    @property
    def clock(self) -> tuple[int, int]:
        """Return (start, end) on the clock of the day it starts, in minutes since midnight.

        The end is past MINUTES_PER_DAY when the interval runs past midnight.
        """
        start = self.start % MINUTES_PER_DAY
        return (start, start + self.minutes)

    def contains(self, other: "Interval") -> bool:
        """Return True if other lies inside self, edges included (18:00-21:00 holds 18:00-21:00).

        Wrap-aware: a Monday-morning interval lies inside a Sunday-night one that runs into it.
        """
        return any(
            self.start <= other.start + shift and other.end + shift <= self.end
            for shift in (-MINUTES_PER_WEEK, 0, MINUTES_PER_WEEK)
        )

    def overlap(self, other: "Interval") -> int:
        """Return the minutes of the longest continuous overlap; 0 if disjoint or only touching.

        Wrap-aware. Both intervals last at most a week and start in the same week, so the
        copies of other one week earlier or later are the only ones that can meet self.
        """
        return max(
            max(0, min(self.end, other.end + shift) - max(self.start, other.start + shift))
            for shift in (-MINUTES_PER_WEEK, 0, MINUTES_PER_WEEK)
        )

    def start_day_mask(self) -> int:
        """Return the days on which an interval lying inside self can start, as a day mask.

        Bit d stands for day d (0 = Monday), as in ``day_mask``; an interval inside self
        starts in [start, end), so a window running past midnight adds the next day.
        """
        first, last = self.start // MINUTES_PER_DAY, (self.end - 1) // MINUTES_PER_DAY
        return day_mask(day % 7 for day in range(first, last + 1))

    def containment_bounds(self) -> list[tuple[int, int]]:
        """Return (lo, hi) pairs such that x lies inside self iff lo <= x.start and x.end <= hi.

        For SQL: any Interval x lies inside self exactly when one pair holds. The second pair is
        self moved a week back: an x starting early on Monday (x.start near 0) can only fall
        inside a Sunday-night self that runs past MINUTES_PER_WEEK through that copy. When self
        does not wrap, its hi is <= 0 and the pair never holds.
        """
        return [
            (self.start, self.end),
            (self.start - MINUTES_PER_WEEK, self.end - MINUTES_PER_WEEK),
        ]

    def overlap_bounds(self, minimum: int) -> list[tuple[int, int]]:
        """Return (start_at_most, end_at_least) pairs for "overlaps self by >= minimum".

        For SQL over stored open spans (see span_rows): a span [a, b] lasting at least minimum
        overlaps self by at least minimum continuous minutes iff a <= start_at_most and
        b >= end_at_least for one pair. One pair per copy of self a week earlier, the same week
        and a week later, since spans and windows may each run past Sunday midnight. A window
        shorter than minimum has no pairs: nothing can overlap it that long.
        """
        if self.minutes < minimum:
            return []
        return [
            (self.end + shift - minimum, self.start + shift + minimum)
            for shift in (-MINUTES_PER_WEEK, 0, MINUTES_PER_WEEK)
        ]


WHOLE_WEEK = Interval(0, MINUTES_PER_WEEK)


def parse_days(text: str) -> tuple[int, ...]:
    """Return the sorted, distinct weekdays (0 = Monday) named by text.

    Forms: a day ('mon'), a range ('mon-fri'; 'fri-mon' wraps to fri, sat, sun, mon; 'mon-mon'
    is mon), a comma list whose items are days or ranges ('mon-wed,fri'), or one of 'daily',
    'weekdays', 'weekends' on its own. A malformed text (empty, 'mon-', 'mon,,fri',
    'mon-wed-fri') raises INVALID_DAYS; a well-formed one naming a day that does not exist
    ('funday', 'mon-Fri') raises UNKNOWN_DAY with that name, the more useful message.
    """
    if text in DAY_KEYWORDS:
        return DAY_KEYWORDS[text]
    days = set()
    for item in text.split(","):
        ends = item.split("-")
        if len(ends) > 2 or not all(ends):
            raise ScheduleError(INVALID_DAYS.format(value=text))
        first, last = parse_day(ends[0]), parse_day(ends[-1])
        days.update((first + step) % 7 for step in range((last - first) % 7 + 1))
    return tuple(sorted(days))


def parse_window(text: str) -> tuple[Interval, ...]:
    """Return one Interval per day of a window 'DAYS@HH:MM-HH:MM', in weekday order.

    As with hours, an end at or before the start is on the next day (sun@21:00-02:00 ends
    Monday 02:00). Nothing is stripped: a text not of that shape raises INVALID_WINDOW; a bad
    day list, time or an empty interval raises the specific message.
    """
    match = WINDOW_PATTERN.fullmatch(text)
    if not match:
        raise ScheduleError(INVALID_WINDOW.format(value=text))
    days = parse_days(match["days"])
    starts_at = parse_time(match["starts_at"])
    ends_at = parse_time(match["ends_at"])
    return tuple(Interval.weekly(day, starts_at, ends_at) for day in days)


def merge(intervals: Iterable[Interval]) -> tuple[Interval, ...]:
    """Return the union of intervals as sorted, disjoint intervals; () for none.

    Overlapping and touching intervals are joined, across the week wrap too: one ending Monday
    01:00 of the next week (end = MINUTES_PER_WEEK + 60) joins one starting Monday 00:00 or
    01:00. Every start is in [0, MINUTES_PER_WEEK). A union covering the whole week is
    (Interval(0, MINUTES_PER_WEEK),).
    """
    spans: list[list[int]] = []
    for interval in sorted(intervals):
        if spans and interval.start <= spans[-1][1]:
            spans[-1][1] = max(spans[-1][1], interval.end)
        else:
            spans.append([interval.start, interval.end])
    # Only the last span can run past the week's end (all later starts would have joined it);
    # fold the spans it reaches at the start of the week into it.
    while len(spans) > 1 and spans[-1][1] - MINUTES_PER_WEEK >= spans[0][0]:
        first = spans.pop(0)
        spans[-1][1] = max(spans[-1][1], first[1] + MINUTES_PER_WEEK)
    if any(end - start >= MINUTES_PER_WEEK for start, end in spans):
        return (WHOLE_WEEK,)
    return tuple(Interval(start, end) for start, end in spans)


def longest_overlap(intervals: Iterable[Interval], window: Interval) -> int:
    """Return the longest continuous overlap in minutes between the union of intervals and window.

    Touching intervals count as one (08:00-12:00 and 12:00-18:00 overlap 11:30-12:40 by 70).
    0 when nothing overlaps or intervals is empty.
    """
    union = merge(intervals)
    # The whole week has no edges: a window across Sunday midnight overlaps it entirely.
    if union == (WHOLE_WEEK,):
        return window.minutes
    return max((interval.overlap(window) for interval in union), default=0)


def span_rows(hours: Iterable[Interval]) -> list[tuple[int, int]]:
    """Return the joined open hours as (start, end) rows to store for overlap_bounds.

    Like merge, except that the whole week is stored as two weeks, (0, 2 * MINUTES_PER_WEEK):
    a week with no edges must overlap a window across Sunday midnight as a whole, and a
    single week-long row would end at that midnight.
    """
    union = merge(hours)
    if union == (WHOLE_WEEK,):
        return [(0, 2 * MINUTES_PER_WEEK)]
    return [(interval.start, interval.end) for interval in union]


def fits_sessions(sessions: Iterable[Interval], windows: Iterable[Interval]) -> bool:
    """Return True if every session lies inside some single window.

    Different sessions may use different windows. No sessions returns False: a program
    without sessions is by appointment, see fits_by_appointment.
    """
    sessions, windows = list(sessions), list(windows)
    return bool(sessions) and all(
        any(window.contains(session) for window in windows) for session in sessions
    )


def fits_by_appointment(
    hours: Iterable[Interval],
    windows: Iterable[Interval],
    *,
    open_24_7: bool,
    minimum: int = BY_APPOINTMENT_MINIMUM_MINUTES,
) -> bool:
    """Return True if the open hours overlap one window by at least minimum continuous minutes.

    Touching hours are joined. open_24_7 counts as open all week, so it fits any window at
    least minimum long (DESIGN §5 asks for the same 60 minutes of the facility's hours "or
    open_24_7"); a shorter window never fits. No windows returns False.
    """
    hours = (WHOLE_WEEK,) if open_24_7 else merge(hours)
    return any(longest_overlap(hours, window) >= minimum for window in windows)


def days_per_week(sessions: Iterable[Interval]) -> int:
    """Return the number of distinct days on which sessions start; 0 for none.

    An overnight session counts only for its start day.
    """
    return day_mask(session.day for session in sessions).bit_count()


def clock_span(sessions: Iterable[Interval]) -> tuple[int, int]:
    """Return the sessions' earliest start and latest end on the clock; (0, 0) for none.

    In minutes since the midnight of the day each session starts, so an overnight session
    ends past MINUTES_PER_DAY. A program keeps both (``Program.first_start_minute`` and
    ``last_end_minute``): with windows of the same clock times every day they decide
    ``available`` without reading the sessions (``uniform_clock_span``).
    """
    clocks = [session.clock for session in sessions]
    if not clocks:
        return (0, 0)
    return (min(start for start, _ in clocks), max(end for _, end in clocks))


def uniform_clock_span(windows: Iterable[Interval]) -> tuple[int, int] | None:
    """Return the windows' clock times when all have the same and none runs past midnight.

    As (start, end) in minutes since midnight; None otherwise. Sessions that start on the
    windows' days then all lie inside a window exactly when their ``clock_span`` lies
    inside these times: each session starts no earlier and ends no later, on a day with a
    window of these very times; and a session inside such a window does the same.
    """
    clocks = {window.clock for window in windows}
    if len(clocks) != 1:
        return None
    ((start, end),) = clocks
    return (start, end) if end <= MINUTES_PER_DAY else None


def day_mask(days: Iterable[int]) -> int:
    """Return a set of weekdays (0 = Monday) as a bit mask: bit d for day d; 0 for none.

    A program keeps the mask of its sessions' start days (``Program.session_days``), so
    that ``available`` can skip, by index, the programs meeting on a day no window reaches.
    """
    mask = 0
    for day in days:
        mask |= 1 << day
    return mask


EVERY_DAY = (1 << len(DAYS)) - 1


def day_submasks(mask: int) -> list[int]:
    """Return every non-empty day mask whose days all lie in ``mask``, in increasing order."""
    return [candidate for candidate in range(1, EVERY_DAY + 1) if candidate & ~mask == 0]


def hours_per_week(sessions: Iterable[Interval]) -> float:
    """Return the summed length of sessions in hours, rounded to 2 decimals; 0.0 for none."""
    return hours_from_minutes(sum(session.minutes for session in sessions))


def hours_from_minutes(minutes: int) -> float:
    """Return minutes as hours rounded to 2 decimals, as the API shows week totals."""
    return round(minutes / 60, 2)


def to_local(instant: datetime) -> datetime:
    """Return instant as an aware Los Angeles datetime.

    A naive instant is Los Angeles wall-clock time. One that does not exist (spring forward)
    moves forward by the gap: 2026-03-08T02:30 is 03:30 PDT. One that exists twice (fall back)
    is its first occurrence: 2026-11-01T01:30 is 01:30 PDT (-07:00). Never raises for DST.
    """
    if instant.tzinfo is not None and instant.utcoffset() is not None:
        return instant.astimezone(LOS_ANGELES)
    # PEP 495: fold=0 picks the offset in force before a transition. For a repeated time that
    # is the first occurrence (PDT); for a skipped time it is PST, so 02:30-08:00 is 10:30 UTC.
    # Attaching tzinfo alone would leave the non-existent 02:30 on the clock; the round trip
    # through UTC turns it into the real wall-clock time 03:30 PDT, i.e. moves it by the gap.
    wall_clock = instant.replace(tzinfo=LOS_ANGELES, fold=0)
    return wall_clock.astimezone(UTC).astimezone(LOS_ANGELES)


def parse_instant(text: str) -> datetime:
    """Return the ISO 8601 instant text as an aware Los Angeles datetime.

    'YYYY-MM-DDTHH:MM[:SS[.ffffff]]' with an optional 'Z' or ±HH:MM offset (a space may replace
    the 'T'); without an offset it is Los Angeles wall-clock time, see to_local. A bare date,
    another ISO form or an impossible value raises INVALID_INSTANT.
    """
    if not isinstance(text, str) or not INSTANT_PATTERN.fullmatch(text):
        raise ScheduleError(INVALID_INSTANT.format(value=text))
    try:
        local = to_local(datetime.fromisoformat(text))
    except (ValueError, OverflowError):
        raise ScheduleError(INVALID_INSTANT.format(value=text)) from None
    # open_probes looks at the day before, which date.min does not have.
    if local.date() == date.min:
        raise ScheduleError(INVALID_INSTANT.format(value=text))
    return local


@dataclass(frozen=True)
class OpenProbe:
    """One way a weekly interval can contain an instant: it started on started_on.

    An interval qualifies if first_start <= interval.start <= last_start (it started on that
    weekday), interval.start <= minute and end_at_least <= interval.end (edges included), and
    started_on is not a closure date. end_at_least is minute for an instant on the minute, and
    minute + 1 for one with seconds: 18:00:30 lies after an 18:00 close.
    """

    started_on: date
    first_start: int
    last_start: int
    minute: int
    end_at_least: int

    @property
    def bound(self) -> tuple[int, int]:
        """Return (start_at_most, end_at_least): a qualifying interval starts by the earlier
        of last_start and minute, and ends at end_at_least or later (the shape of
        Interval.overlap_bounds, for SQL)."""
        return min(self.last_start, self.minute), self.end_at_least


def open_probes(instant: datetime) -> tuple[OpenProbe, ...]:
    """Return the probes for intervals starting today and yesterday (local dates) at instant.

    An interval lasts less than 24 hours, so one containing the instant started on its local
    date or the day before. minute is the minute of the week of the local wall-clock time;
    an instant past the minute (21:00:30) needs an interval ending after it (not at 21:00).
    On Monday the yesterday probe adds a week, because a Sunday-night interval's end runs past
    MINUTES_PER_WEEK.
    """
    local = to_local(instant)
    today = local.weekday()
    minute = today * MINUTES_PER_DAY + local.hour * 60 + local.minute
    past_the_minute = 1 if (local.second or local.microsecond) else 0
    yesterday = (today - 1) % 7
    monday_shift = 0 if today > 0 else MINUTES_PER_WEEK
    return (
        OpenProbe(
            started_on=local.date(),
            first_start=today * MINUTES_PER_DAY,
            last_start=today * MINUTES_PER_DAY + MINUTES_PER_DAY - 1,
            minute=minute,
            end_at_least=minute + past_the_minute,
        ),
        OpenProbe(
            started_on=local.date() - timedelta(days=1),
            first_start=yesterday * MINUTES_PER_DAY,
            last_start=yesterday * MINUTES_PER_DAY + MINUTES_PER_DAY - 1,
            minute=minute + monday_shift,
            end_at_least=minute + monday_shift + past_the_minute,
        ),
    )


def is_open(
    hours: Iterable[Interval],
    *,
    open_24_7: bool,
    closures: Iterable[tuple[date, date]],
    instant: datetime,
) -> bool:
    """Return True if a facility with these hours is open at instant; the reference rule.

    closures are inclusive (starts_on, ends_on) date pairs. A closure removes every interval
    that starts on one of its dates, so Friday 22:00-02:00 is closed on Saturday 01:00 by a
    Friday closure but not by a Saturday one. open_24_7 is open at every instant except on
    the closure dates (the instant's local date). Hours close inclusively: open at 21:00 of
    18:00-21:00.
    """
    hours, closures = list(hours), list(closures)

    def closed_on(day: date) -> bool:
        return any(starts_on <= day <= ends_on for starts_on, ends_on in closures)

    if open_24_7:
        return not closed_on(to_local(instant).date())
    return any(
        not closed_on(probe.started_on)
        and any(
            probe.first_start <= interval.start <= probe.last_start
            and interval.start <= probe.minute
            and probe.end_at_least <= interval.end
            for interval in hours
        )
        for probe in open_probes(instant)
    )
