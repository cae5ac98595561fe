"""Named read predicates over facilities and programs: the search rules of DESIGN §5.

Each predicate is a queryset method so that filters, views, the admin and the
benchmark say the same thing in the same words. Time rules come from
``directory.schedule`` (pure Python); these methods only translate them to SQL.
"""

import functools
import math
import operator
from dataclasses import dataclass

from django.core.exceptions import EmptyResultSet
from django.db import connection, connections, models
from django.db.models import (
    BooleanField,
    Exists,
    Expression,
    F,
    Func,
    IntegerField,
    OuterRef,
    Prefetch,
    Q,
    Subquery,
    TextField,
    Value,
)
from django.db.models.functions import ASin, Cos, Power, Radians, Sin, Sqrt
from django.db.models.lookups import Exact

from directory import schedule
from directory.choices import Status

EARTH_RADIUS_MI = 3958.8
MILES_PER_DEGREE_LATITUDE = 69.0
SEARCH_CONFIG = "english"


def great_circle_miles(latitude, longitude, *, prefix=""):
    """Return an expression for the haversine distance in miles from a point to a facility."""
    lat = Radians(F(f"{prefix}latitude"))
    lng = Radians(F(f"{prefix}longitude"))
    lat0 = math.radians(latitude)
    lng0 = math.radians(longitude)
    half_dlat = Sin((lat - Value(lat0)) / 2)
    half_dlng = Sin((lng - Value(lng0)) / 2)
    a = Power(half_dlat, 2) + Value(math.cos(lat0)) * Cos(lat) * Power(half_dlng, 2)
    return Value(2 * EARTH_RADIUS_MI) * ASin(Sqrt(a))


def within_circle(queryset, latitude, longitude, radius_mi, *, prefix=""):
    """Return the queryset's rows whose facility (through ``prefix``) lies within radius_mi
    great-circle miles, annotated with ``distance_mi``.

    Facilities without coordinates never match. The bounding box comes first so the
    database can use the coordinates index before computing distances.
    """
    return (
        queryset.filter(bounding_box(latitude, longitude, radius_mi, prefix=prefix))
        .annotate(distance_mi=great_circle_miles(latitude, longitude, prefix=prefix))
        .filter(distance_mi__lte=radius_mi)
    )


def bounding_box(latitude, longitude, radius_mi, *, prefix=""):
    """Return a Q for the latitude/longitude box around a circle, answerable from an index.

    The box contains the circle, so it never drops a facility the distance test keeps.
    """
    dlat = radius_mi / MILES_PER_DEGREE_LATITUDE
    # Near the poles the longitude span grows without bound; clamp the cosine.
    cos_lat = max(math.cos(math.radians(latitude)), 1e-6)
    dlng = min(radius_mi / (MILES_PER_DEGREE_LATITUDE * cos_lat), 180.0)
    return Q(
        **{
            f"{prefix}latitude__gte": latitude - dlat,
            f"{prefix}latitude__lte": latitude + dlat,
            f"{prefix}longitude__gte": longitude - dlng,
            f"{prefix}longitude__lte": longitude + dlng,
        }
    )


class WeekSpan(Func):
    """``int4range(start, end, '[]')``: an interval of minutes of the week (PostgreSQL).

    Over a table's ``start_minute`` and ``end_minute`` (the default) it is the expression
    of the GiST indexes of migration 0017 (``hours_span_range``, ``open_span_range``),
    which answer whether a row's interval overlaps or contains a constant one.
    """

    template = "int4range(%(expressions)s, '[]')"

    def __init__(self, start="start_minute", end="end_minute"):
        from django.contrib.postgres.fields import IntegerRangeField

        start, end = (F(x) if isinstance(x, str) else Value(x) for x in (start, end))
        super().__init__(start, end, output_field=IntegerRangeField())


class RangeTest(Func):
    """``left <symbol> right`` over two ``WeekSpan``s: ``&&`` (overlaps), ``@>`` (contains)."""

    output_field = BooleanField()
    template = "(%(expressions)s)"

    def __init__(self, left, symbol, right):
        self.arg_joiner = f" {symbol} "
        super().__init__(left, right)


def intervals_reaching(bounds):
    """Return a Q: the row's [start_minute, end_minute] reaches one of these bounds.

    Each bound is ``(start_at_most, end_at_least)``: ``start_minute <= start_at_most and
    end_minute >= end_at_least`` (``schedule.Interval.overlap_bounds`` for open spans,
    ``schedule.open_probes`` for opening hours). On PostgreSQL that is said as a range test
    the GiST indexes ``open_span_range`` and ``hours_span_range`` answer, where a B-tree
    bounds one end only (at 100,000 facilities a weekend window read every open span,
    40 ms, where the GiST index reads the 38,000 that overlap, 16 ms): the interval
    overlaps [end_at_least, start_at_most], or, when that range does not exist (a
    window shorter than twice the minimum, an instant), contains [start_at_most,
    end_at_least].
    """
    reaching = Q(pk__in=[])
    for start_at_most, end_at_least in bounds:
        if connection.vendor != "postgresql":
            reaching |= Q(start_minute__lte=start_at_most, end_minute__gte=end_at_least)
        elif end_at_least <= start_at_most:
            reaching |= Q(RangeTest(WeekSpan(), "&&", WeekSpan(end_at_least, start_at_most)))
        else:
            reaching |= Q(RangeTest(WeekSpan(), "@>", WeekSpan(start_at_most, end_at_least)))
    return reaching


def _within_any(bounds):
    """Return a Q: the row's [start_minute, end_minute] lies inside one of the (lo, hi) bounds."""
    inside = Q(pk__in=[])
    for lo, hi in bounds:
        inside |= Q(start_minute__gte=lo, end_minute__lte=hi)
    return inside


class ProgramQuerySet(models.QuerySet):
    # A page in a column order is found by its ids first, the first page too
    # (api.pagination): the default order's index holds every column the program filters
    # read, so the ids come from it alone however few programs match (migration 0018).
    first_page_by_ids = True
    # The ids of the care levels ``at_levels`` allowed, or None when none narrowed them.
    level_ids = None

    def _clone(self):
        clone = super()._clone()
        clone.level_ids = self.level_ids
        return clone

    def visible(self, facilities=None):
        """Return programs of published facilities, the only ones anonymous users see.

        Without ``facilities``, by ``Program.published``, the copy of the facility's status
        kept with the program (no join). With ``facilities`` (a facility queryset), the
        programs of those of them that are published: the status is then read there, not
        also from the copy (with both, PostgreSQL misjudged how many programs pass, and the
        program filters lost their index-only scans: at 100k, 41 -> 60 ms for a count).
        """
        if facilities is None:
            return self.filter(published=True)
        return self.filter(Exists(facilities.published().filter(pk=OuterRef("facility_id"))))

    def at_levels(self, levels):
        """Return programs at any of these care levels (``CareLevel`` rows).

        By the levels' ids: the levels are reference data cached per process
        (directory.reference), so the database sees constants it can estimate and index,
        not a join on care levels.
        """
        ids = {level.pk for level in levels}
        clone = self.filter(care_level_id__in=sorted(ids))
        clone.level_ids = ids if self.level_ids is None else self.level_ids & ids
        return clone

    def _at_level_where(self, condition):
        """Filter by the care levels meeting ``condition`` (see ``at_levels``)."""
        from directory import reference

        return self.at_levels(
            level for level in reference.care_levels().values() if condition(level)
        )

    def serving_age(self, age):
        """Return programs serving this age; a missing bound is open."""
        return self.filter(
            Q(min_age__isnull=True) | Q(min_age__lte=age),
            Q(max_age__isnull=True) | Q(max_age__gte=age),
        )

    def meeting_at_most_days(self, days):
        """Return programs meeting on at most this many days a week.

        A program without sessions (days_per_week 0) is by appointment and counts as one day.
        """
        if days < 1:
            return self.none()
        return self.filter(days_per_week__lte=days)

    def weekly_hours_between(self, minimum=None, maximum=None):
        """Return programs whose sessions add up to between these hours a week (inclusive)."""
        queryset = self
        if minimum is not None:
            queryset = queryset.filter(minutes_per_week__gte=math.ceil(minimum * 60 - 1e-9))
        if maximum is not None:
            queryset = queryset.filter(minutes_per_week__lte=math.floor(maximum * 60 + 1e-9))
        return queryset

    def fitting_windows(self, windows):
        """Return programs a client can attend within these weekly windows (DESIGN §5).

        A program with sessions fits when each session lies inside one window; a
        program without sessions (by appointment) fits when its facility is open
        24/7 or its joined open hours overlap one window by at least an hour; a
        round-the-clock level never fits.
        """
        from directory.models import Facility, OpenSpan, Session

        minimum = schedule.BY_APPOINTMENT_MINIMUM_MINUTES
        windows = list(windows)
        sessions = Session.objects.filter(program=OuterRef("pk"))
        inside = _within_any(b for window in windows for b in window.containment_bounds())
        bounds = [bound for window in windows for bound in window.overlap_bounds(minimum)]
        spans = OpenSpan.objects.filter(
            intervals_reaching(bounds),
            facility=OuterRef("facility"),
            end_minute__gte=F("start_minute") + minimum,
        )
        # Open 24/7 overlaps any window long enough to hold the minimum (bounds exist).
        # A correlated EXISTS (an index probe per by-appointment program), not a join: the
        # condition then stays on programs alone and PostgreSQL evaluates it once, where as
        # a join filter it was evaluated again, hashing every session outside the windows
        # twice (session 5, at 100k: level_ordering_available 712 -> 448 ms; an uncorrelated
        # IN misled the planner under `near`: 22 s; docs/performance.md).
        open_24_7 = Facility.objects.filter(pk=OuterRef("facility_id"), open_24_7=True)
        always_open = Exists(open_24_7) if bounds else Q(pk__in=[])
        # session_days (the days sessions start on, kept by directory.services) is 0
        # exactly when the program has no sessions, i.e. is by appointment. A session can
        # only lie inside a window if it starts on a day the window reaches: the masks of
        # those days narrow the programs by index before any session is read. (Said once:
        # repeating it inside the OR made PostgreSQL underestimate the matches.)
        days = functools.reduce(operator.or_, (w.start_day_mask() for w in windows), 0)
        queryset = self._at_level_where(lambda level: not level.round_the_clock)
        if days != schedule.EVERY_DAY:
            queryset = queryset.filter(session_days__in=[0, *schedule.day_submasks(days)])
        span = schedule.uniform_clock_span(windows)
        if span is None:
            fits = ~Exists(sessions.exclude(inside))
        else:
            # Every window has the same clock times, and the programs' session days are
            # the windows' days (session_days, above): the clock span the program keeps
            # decides, and no session is read (at 100k PostgreSQL otherwise hashed every
            # session outside the windows, 390,693 at weekends, for any search).
            first_start, last_end = span
            fits = Q(first_start_minute__gte=first_start, last_end_minute__lte=last_end)
        with_sessions = Q(session_days__gt=0) & fits
        by_appointment = Q(session_days=0) & (always_open | Exists(spans))
        return queryset.filter(with_sessions | by_appointment)

    def near(self, latitude, longitude, radius_mi):
        """Return programs of published facilities within radius_mi great-circle miles,
        annotated with ``distance_mi``, their facility's distance.

        The circle and the status are tested on the facility the program joins (for
        ``distance_mi`` it joins one anyway), so PostgreSQL finds the facilities in the
        index of published facilities' coordinates, which holds their ids, and probes
        their programs. Tested in ``visible``'s subquery, each facility in the circle
        was read again by id for its distance (issue 6: at 100,000 facilities
        ``programs_near`` about 31 -> 20 ms SQL, docs/performance.md session 10).
        """
        published = self.filter(published_facility("facility__"))
        return within_circle(published, latitude, longitude, radius_mi, prefix="facility__")

    def for_search_results(self):
        """Return programs with their facility summary, in one query.

        Care level, facility, organization and neighborhood are joined; the sessions and
        the facility's opening hours come as JSON columns (``session_rows``,
        ``facility_hours_rows``: ``Program.session_list``, ``Facility.hours_list``).
        """
        from directory.models import HOURS_COLUMNS, Hours

        hours = Hours.objects.filter(facility=OuterRef("facility_id")).order_by()
        return (
            self.for_representation()
            .select_related("facility__organization", "facility__neighborhood")
            .defer(*(f"facility__{name}" for name in SEARCHED_ONLY))
            .annotate(facility_hours_rows=RowsAsJSON(hours, HOURS_COLUMNS))
        )

    def page_rows(self, ids):
        """Return these programs, if still visible, as a search represents them now.

        For a page whose ids a search found (api.pagination), so its other filters are not
        applied again; its annotations that are values (distance) come with the ids.
        """
        rows = self.model._default_manager.visible().filter(pk__in=ids)
        return rows.order_by().for_search_results()

    def for_representation(self):
        """Return the programs with what their representation reads, in one query.

        The care level is joined; the sessions come as a JSON column (``session_rows``,
        which ``Program.session_list`` reads).
        """
        from directory.models import SESSION_COLUMNS, Session

        sessions = Session.objects.filter(program=OuterRef("pk")).order_by()
        return self.select_related("care_level").annotate(
            session_rows=RowsAsJSON(sessions, SESSION_COLUMNS)
        )


class RowsAsJSON(Subquery):
    """A subquery's rows as one JSON text: an array with one array of its columns per row.

    ``[]`` when it has no rows. Row order is not kept: the reader sorts. Used to fetch a
    few small child rows with their parent's row instead of in a query of their own.
    """

    output_field = TextField()

    def __init__(self, queryset, columns):
        self.columns = columns
        super().__init__(queryset.values_list(*columns))

    def as_sql(self, compiler, connection, template=None, **extra_context):
        values = ", ".join(f"r.{connection.ops.quote_name(column)}" for column in self.columns)
        if connection.vendor == "postgresql":
            template = (
                f"(SELECT COALESCE(json_agg(json_build_array({values})), '[]')::text "
                "FROM (%(subquery)s) AS r)"
            )
        else:
            template = f"(SELECT json_group_array(json_array({values})) FROM (%(subquery)s) AS r)"
        return super().as_sql(compiler, connection, template=template, **extra_context)


class TableColumn(Expression):
    """A column of one of the query's tables, by alias, that no model field declares.

    Without ``alias``, the query's base table (e.g. ``directory_facility.rank_document``,
    a PostgreSQL-only generated column). Used for columns Django must never write.
    """

    contains_aggregate = False
    contains_column_references = True

    def __init__(self, column, output_field, alias=None):
        super().__init__(output_field=output_field)
        self.column, self.alias = column, alias

    def resolve_expression(self, query=None, *args, **kwargs):
        if self.alias is not None or query is None:
            return self
        clone = self.copy()
        clone.alias = query.get_initial_alias()
        return clone

    def as_sql(self, compiler, connection):
        # Relabeled aliases (U0 in a subquery) are not quoted, as Django's own columns.
        table = compiler.quote_name_unless_alias(self.alias)
        return f"{table}.{connection.ops.quote_name(self.column)}", []

    def relabeled_clone(self, relabels):
        return TableColumn(self.column, self.output_field, relabels.get(self.alias, self.alias))

    def get_group_by_cols(self):
        return [self]


# The order of ``FacilityQuerySet.by_lowest_level``.
LEVEL_ORDER = ("lowest_rank", "name", "slug")
# Facility columns that are only ever searched, never shown: a representation does not
# fetch them.
SEARCHED_ONLY = ("search_text", "language_codes", "payment_codes")
# The subqueries' aliases in the SQL ``LevelPages`` assembles.
FACILITY_ALIAS, PROGRAM_ALIAS = "level_facility", "level_program"


@dataclass(frozen=True)
class LevelOrder:
    """What ``FacilityQuerySet.by_lowest_level`` ordered: the facilities before it (every
    other filter of the search), the matching programs, and the WHERE clause it made, so
    that a queryset filtered again afterwards is not paged as if it had not been."""

    facilities: models.QuerySet
    programs: models.QuerySet
    where: object


class LevelPages:
    """The pages and the count of a ``by_lowest_level`` order (FacilityQuerySet).

    A page is one query, a ``UNION ALL`` of one part per care level the programs allow
    (``ProgramQuerySet.level_ids``), least intensive first: the facilities with a matching
    program at that level and none at a lower one, in name order, at most as many as the
    page's end (``LIMIT``), merged in the order's (level, name, slug). PostgreSQL walks
    ``facility_published_name`` and probes each facility's programs by
    ``program_level_facility`` until it has them, so a first page reads about as many
    facilities at 100,000 as at 10,000; for a level with few or no matches it reads those
    from the programs instead (migration 0022's statistics tell it which levels those
    are; without them, a level no program fitted at weekends was walked through all
    90,081 published facilities). The count is a query of its own, as for a column
    order: the facilities with a matching program, as ``offering`` counts them.
    Grouping every matching program to sort every match, as before, grew with the
    directory (issue 6, session 14: at 100,000 facilities 74 -> 56 ms of SQL for
    ``ordering=level&available=sat-sun@09:00-14:00``, about the same at 10,000).

    The SQL is assembled from two statements Django compiles once: the facilities (every
    other filter of the search; not ``offering``'s EXISTS, which made PostgreSQL expect
    too few matches per level and read them from the programs) and the matching
    programs, each a subquery that PostgreSQL flattens into the query around it. A
    queryset per level made Django resolve and compile the programs' conditions again
    for every level, which took longer than the query (10-15 ms a level for that search).
    """

    def __init__(self, ordered):
        from directory import reference

        self.db = ordered.db
        facilities, programs = ordered.level_order.facilities, ordered.level_order.programs
        # The search's annotations before the order are values of the row (a distance).
        self.values = list(facilities.query.annotation_select)
        self.levels = [
            level
            for level in reference.care_levels().values()
            if programs.level_ids is None or level.pk in programs.level_ids
        ]
        rows = facilities.prefetch_related(None).order_by()
        rows = rows.values(
            *self.values, level_pk=F("pk"), level_name=F("name"), level_slug=F("slug")
        )
        matching = programs.order_by().values("facility_id", "care_level_id")
        try:
            self.facilities = rows.query.get_compiler(self.db).as_sql()
            self.programs = matching.query.get_compiler(self.db).as_sql()
        except EmptyResultSet:
            # A search that can match nothing: no level allowed (level=residential with
            # lives_at_home=true), or an empty list of ids.
            self.levels, self.facilities, self.programs = [], None, None

    def count(self):
        """The number of facilities offering a matching program (as ``offering`` counts)."""
        if not self.levels:
            return 0
        (facilities, facility_params), (programs, program_params) = self.facilities, self.programs
        sql = (
            f"SELECT COUNT(*) FROM ({facilities}) AS {FACILITY_ALIAS} WHERE EXISTS (SELECT 1 "
            f"FROM ({programs}) AS {PROGRAM_ALIAS} WHERE {self._same_facility})"
        )
        return self._fetch(sql, [*facility_params, *program_params])[0][0]

    def ids(self, bottom, top):
        """Return ``{id: {"lowest_rank": rank, value: …}}`` for the rows from ``bottom`` to
        ``top``, in order."""
        if not self.levels:
            return {}
        quote = connections[self.db].ops.quote_name
        facility, program = FACILITY_ALIAS, PROGRAM_ALIAS
        values = "".join(f", {facility}.{quote(name)}" for name in self.values)
        (facilities, facility_params), (programs, program_params) = self.facilities, self.programs

        def matching(levels):
            ids = ", ".join(str(int(level.pk)) for level in levels)
            return (
                f"EXISTS (SELECT 1 FROM ({programs}) AS {program} WHERE {self._same_facility} "
                f"AND {program}.{quote('care_level_id')} IN ({ids}))"
            )

        parts, params = [], []
        for position, level in enumerate(self.levels):
            lower = self.levels[:position]
            condition = matching([level]) + (f" AND NOT {matching(lower)}" if lower else "")
            parts.append(
                f"SELECT * FROM (SELECT {facility}.{quote('level_pk')}, {int(level.rank)} "
                f"AS {quote('lowest_rank')}{values}, {facility}.{quote('level_name')}, "
                f"{facility}.{quote('level_slug')} FROM ({facilities}) AS {facility} "
                f"WHERE {condition} ORDER BY {facility}.{quote('level_name')}, "
                f"{facility}.{quote('level_slug')} LIMIT {int(top)}) AS level_{int(level.rank)}"
            )
            params += [*facility_params, *program_params, *(program_params if lower else ())]
        name = 3 + len(self.values)  # the name column's position; the slug's follows
        sql = " UNION ALL ".join(parts) + f" ORDER BY 2, {name}, {name + 1} LIMIT %s OFFSET %s"
        rows = self._fetch(sql, [*params, top - bottom, bottom])
        return {
            pk: {
                "lowest_rank": rank,
                **dict(zip(self.values, rest[: len(self.values)], strict=True)),
            }
            for pk, rank, *rest in rows
        }

    @property
    def _same_facility(self):
        quote = connections[self.db].ops.quote_name
        return f"{PROGRAM_ALIAS}.{quote('facility_id')} = {FACILITY_ALIAS}.{quote('level_pk')}"

    def _fetch(self, sql, params):
        with connections[self.db].cursor() as cursor:
            cursor.execute(sql, params)
            return cursor.fetchall()


def published_facility(prefix=""):
    """Return the condition that anonymous users may see a facility (reached through
    ``prefix``, e.g. ``"facility__"`` from a program)."""
    return Q(**{f"{prefix}status": Status.PUBLISHED})


class FacilityQuerySet(models.QuerySet):
    # What a ``by_lowest_level`` order was made of (``LevelOrder``), which pages it by level.
    level_order = None

    def _clone(self):
        clone = super()._clone()
        clone.level_order = self.level_order
        return clone

    def published(self):
        """Return the facilities anonymous users may see."""
        return self.filter(published_facility())

    def offering(self, programs):
        """Return facilities with at least one of these programs (the same-program rule)."""
        return self.filter(Exists(programs.filter(facility=OuterRef("pk"))))

    def offering_levels(self, slugs):
        """Return facilities with a program at any of these care levels (slugs).

        Read from ``Facility.levels``, derived from the programs: no program is read.
        """
        return self.filter(levels__any_of=list(slugs))

    def in_neighborhoods(self, slugs):
        """Return facilities in any of these neighborhoods (slugs known to exist).

        Compared by id from the cached reference data: constants the planner can estimate.
        """
        from directory import reference

        ids = reference.neighborhood_ids()
        return self.filter(neighborhood_id__in=sorted(ids[slug] for slug in slugs))

    def in_service_areas(self, numbers):
        # Kept as a join on purpose: with the neighborhoods' ids as constants the planner
        # switched open_at to hashed scans of every hours row (85 -> 160 ms at 100k).
        return self.filter(neighborhood__service_area__in=numbers)

    def speaking(self, languages):
        """Return facilities whose staff speak any of these languages."""
        return self.filter(language_codes__any_of=languages)

    def accepting_payment(self, options):
        """Return facilities accepting any of these payment options."""
        return self.filter(payment_codes__any_of=options)

    def near(self, latitude, longitude, radius_mi):
        """Return facilities within radius_mi great-circle miles, annotated with distance_mi."""
        return within_circle(self, latitude, longitude, radius_mi)

    def open_at(self, instant):
        """Return facilities open at this instant (DESIGN §4).

        Open means: open_24_7 and not closed on the instant's local date, or an
        hours interval contains the instant (edges included) and no closure
        covers the date that interval started on.
        """
        from directory.models import Closure, Hours

        probes = schedule.open_probes(instant)
        open_now = Q(pk__in=[])
        for probe in probes:
            start_at_most, end_at_least = probe.bound
            hours = Hours.objects.filter(
                facility=OuterRef("pk"),
                start_minute__gte=probe.first_start,
                start_minute__lte=start_at_most,
                end_minute__gte=end_at_least,
            )
            if connection.vendor == "postgresql":
                # The same bounds again as the range test hours_span_range answers: for
                # yesterday's probe it finds the few intervals running past midnight into
                # the instant, where a B-tree read all of yesterday's hours (at 100,000
                # facilities 92,000 rows, 7 ms, for none). The comparisons stay: for
                # today's probe the B-tree hours_start reads the day's hours faster.
                hours = hours.filter(intervals_reaching([probe.bound]))
            closed = Closure.objects.filter(
                facility=OuterRef("pk"),
                starts_on__lte=probe.started_on,
                ends_on__gte=probe.started_on,
            )
            open_now |= Exists(hours) & ~Exists(closed)
        local_date = schedule.to_local(instant).date()
        closed_today = Closure.objects.filter(
            facility=OuterRef("pk"), starts_on__lte=local_date, ends_on__gte=local_date
        )
        always_open = Q(open_24_7=True) & ~Exists(closed_today)
        return self.filter(always_open | open_now)

    def matching_text(self, words):
        """Return facilities where every word appears in the facility's, its organization's or
        one of its programs' name or description.

        PostgreSQL uses full-text search (English stemming), where a word that is an
        English stop word ("the") constrains nothing; SQLite matches each word as a
        case-insensitive substring. Plain whole words match the same on both. Both look in
        ``search_text``, the facility's derived copy of those texts (one per line), so a
        search is one predicate per facility; on PostgreSQL in its stored vector
        ``search_document`` (migration 0009), which the GIN index
        ``facility_search_document`` (published rows) answers.
        """
        if connection.vendor == "postgresql":
            return self._matching_text_postgresql(words)
        queryset = self
        for word in words:
            queryset = queryset.filter(search_text__icontains=word)
        return queryset

    def _matching_text_postgresql(self, words):
        from django.contrib.postgres.search import (
            SearchQuery,
            SearchVectorExact,
            SearchVectorField,
        )

        # Each word is its own plain query (its lexemes must all appear), AND-ed with
        # "&&", which drops a stop word's empty query: stop words constrain nothing.
        query = None
        for word in words:
            word_query = SearchQuery(word, config=SEARCH_CONFIG, search_type="plain")
            query = word_query if query is None else query & word_query
        stop_words_only = Exact(Func(query, function="numnode", output_field=IntegerField()), 0)
        # A lookup, not an annotation: the vector is never selected, only matched.
        document = TableColumn("search_document", SearchVectorField())
        matches = SearchVectorExact(document, query)
        return self.filter(Q(matches) | Q(stop_words_only))

    def ranked_by_text(self, words):
        """Annotate ``text_rank``: how well the facility's own name and description match.

        PostgreSQL only. The document is ``rank_document``, a stored generated column of
        ``directory_facility`` (migration 0008) equal to
        ``SearchVector("name", "description", config=SEARCH_CONFIG)``: the same
        ``ts_rank`` values, without parsing every match's text again to rank it.
        """
        from django.contrib.postgres.search import SearchQuery, SearchRank, SearchVectorField

        query = SearchQuery(" ".join(words), config=SEARCH_CONFIG, search_type="plain")
        document = TableColumn("rank_document", SearchVectorField())
        return self.annotate(text_rank=SearchRank(document, query))

    def with_matched_programs(self, programs):
        """Prefetch every program for the representation, marking those in ``programs``."""
        from directory.models import Program

        matched = Value(True) if programs is None else Exists(programs.filter(pk=OuterRef("pk")))
        prefetched = (
            Program.objects.for_representation()
            .annotate(matched=matched)
            .order_by("care_level__rank", "name", "id")
        )
        return self.for_representation(programs=prefetched)

    def with_lowest_rank(self, programs=None):
        """Annotate ``lowest_rank``: the rank of the least intensive of the facility's
        programs, or of those of it among ``programs`` (None when it has none)."""
        from directory.models import Program

        programs = Program.objects.all() if programs is None else programs
        ranks = programs.filter(facility=OuterRef("pk")).order_by("care_level__rank")
        return self.annotate(lowest_rank=Subquery(ranks.values("care_level__rank")[:1]))

    def by_lowest_level(self, programs):
        """Keep the facilities offering one of ``programs`` (as ``offering``), least intensive
        first: by ``lowest_rank``, the rank of the least intensive of their matching
        programs, then by name and slug.

        Iterated as it is, each facility's rank is a subquery. A page of it is found level
        by level instead, and it is counted as ``offering`` counts (``level_pages``, which
        api.pagination calls while it is neither reordered nor filtered again): neither
        sorts every match.
        """
        clone = self.offering(programs).with_lowest_rank(programs).order_by(*LEVEL_ORDER)
        clone.level_order = LevelOrder(self, programs, clone.query.where)
        return clone

    def level_pages(self):
        """Return the ``LevelPages`` of a ``by_lowest_level`` order."""
        return LevelPages(self)

    def page_rows(self, ids):
        """Return these facilities, if still published, as this search represents them now.

        For a page whose ids a search found (api.pagination), so its other filters are not
        applied again; its annotations that are values (distance) come with the ids, and
        its programs are prefetched as the search prefetches them
        (``with_matched_programs``: which of them match).
        """
        rows = self.model._default_manager.published().filter(pk__in=ids)
        rows = rows.order_by().for_representation()
        if self._prefetch_related_lookups:
            rows._prefetch_related_lookups = self._prefetch_related_lookups
        return rows

    def for_representation(self, programs=None):
        """Return the facilities with everything their representation reads, in two queries.

        Facilities (with organization and neighborhood joined, and their opening hours and
        closures as JSON columns: ``Facility.hours_list`` and ``closure_list`` read them),
        then their programs (``Facility.program_list``; see ProgramQuerySet.for_representation).
        Child rows come as JSON rather than as model instances: building hundreds of
        instances was most of a page's Python cost.
        """
        from directory.models import CLOSURE_COLUMNS, HOURS_COLUMNS, Closure, Hours, Program

        if programs is None:
            programs = Program.objects.for_representation().order_by(
                "care_level__rank", "name", "id"
            )
        closures = Closure.objects.filter(facility=OuterRef("pk")).order_by()
        hours = Hours.objects.filter(facility=OuterRef("pk")).order_by()
        return (
            self.select_related("organization", "neighborhood")
            .defer(*SEARCHED_ONLY)
            .annotate(
                closure_rows=RowsAsJSON(closures, CLOSURE_COLUMNS),
                hours_rows=RowsAsJSON(hours, HOURS_COLUMNS),
            )
            .prefetch_related(Prefetch("programs", queryset=programs, to_attr="program_list"))
        )
