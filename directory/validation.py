"""Domain rules shared by every way data comes in: import, the write API and the admin.

Messages are constants so that tests (and curators' tools) can rely on them.
"""

from directory import schedule

AGE_RANGE = "min_age {min_age} is above max_age {max_age}"
CLOSURE_RANGE = "starts_on {starts_on} is after ends_on {ends_on}"
COORDINATES_PAIR = "latitude and longitude go together: give both or neither"
UNKNOWN_NEIGHBORHOOD = "unknown neighborhood '{value}'"
UNKNOWN_LEVEL = "unknown care level '{value}'"
UNKNOWN_LANGUAGE = (
    "unknown language '{value}': expected an ISO 639-1 two-letter code (e.g. 'es') or 'asl'"
)
UNKNOWN_PAYMENT = (
    "unknown payment option '{value}': expected one of free, medi-cal, medicare, "
    "private-insurance, self-pay, sliding-scale, tricare, va"
)


def age_range_problem(min_age, max_age):
    """Return the message for an impossible age range, or None when the range is fine.

    A missing bound is open, so any range with one is fine.
    """
    if min_age is not None and max_age is not None and min_age > max_age:
        return AGE_RANGE.format(min_age=min_age, max_age=max_age)
    return None


def closure_range_problem(starts_on, ends_on):
    """Return the message for a closure that ends before it starts, or None."""
    if starts_on and ends_on and starts_on > ends_on:
        return CLOSURE_RANGE.format(starts_on=starts_on, ends_on=ends_on)
    return None


def coordinates_problem(latitude, longitude):
    """Return the message when only one of latitude and longitude is given, or None."""
    if (latitude is None) != (longitude is None):
        return COORDINATES_PAIR
    return None


def interval_problem(day, starts_at, ends_at):
    """Return the message for an empty weekly interval (start equal to end), or None."""
    try:
        schedule.Interval.weekly(day, starts_at, ends_at)
    except schedule.ScheduleError as error:
        return str(error)
    return None
