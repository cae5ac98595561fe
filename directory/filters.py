"""Search filters of DESIGN §5 for facilities and programs.

Program-level filters must all hold for the same program, so they are not
applied one by one across the facility→program relation (which would mean
"some program for each condition"). Instead they narrow one program queryset,
and a facility matches when one of those programs is its own. Each filter only
parses and checks its parameter; what it means lives in directory.querysets.
"""

import math

import django_filters
from django import forms
from django.core.exceptions import ValidationError
from django.db import connection
from django.db.models import F
from django.http import QueryDict

from directory import reference, schedule
from directory.choices import LANGUAGE_CODES, Payment
from directory.models import Facility, Neighborhood, Program

UNKNOWN_PARAMETER = "unknown query parameter"
UNKNOWN_PARAMETER_HINT = "unknown query parameter; did you mean '{suggestion}'?"
NUL_CHARACTER = "must not contain a NUL character"
REPEATED = "give this parameter once, not {count} times"
NOT_ASCII_NUMBER = "expected plain ASCII digits, got '{value}'"
NO_SEARCHABLE_WORDS = "no searchable words in '{value}': use letters or digits"
UNKNOWN_LEVEL = "unknown care level '{value}'; expected one of {choices}"
UNKNOWN_NEIGHBORHOOD = "unknown neighborhood '{value}'"
UNKNOWN_LANGUAGE = (
    "unknown language '{value}': expected ISO 639-1 two-letter codes (e.g. es, ko) or asl"
)
UNKNOWN_PAYMENT = "unknown payment option '{value}'; expected one of {choices}"
INVALID_SERVICE_AREA = "invalid service area '{value}': expected a number from 1 to 8"
INVALID_BOOLEAN = "expected true or false, got '{value}'"
INVALID_AGE = "expected an age in whole years from 0 to 150, got '{value}'"
INVALID_NEAR = "expected LAT,LNG in decimal degrees (e.g. 34.0779,-118.2606), got '{value}'"
NEAR_OUT_OF_RANGE = "latitude must be within -90..90 and longitude within -180..180, got '{value}'"
INVALID_RADIUS = "expected miles greater than 0 and at most 100, got '{value}'"
RADIUS_WITHOUT_NEAR = "radius_mi needs near=LAT,LNG"
DISTANCE_WITHOUT_NEAR = "ordering=distance needs near=LAT,LNG"
RELEVANCE_WITHOUT_Q = "ordering=relevance needs q"
INVALID_DAYS_PER_WEEK = "expected a whole number of days from 1 to 7, got '{value}'"
INVALID_HOURS_PER_WEEK = "expected hours from 0 to 168, got '{value}'"
HOURS_RANGE = "min_hours_per_week is above max_hours_per_week"
EMPTY_VALUE = "must not be empty"
Q_TOO_LONG = "at most {limit} characters, got {length}"
Q_LIMIT = 200
DEFAULT_RADIUS_MI = 10.0
MAX_RADIUS_MI = 100.0
# Parameters handled by the views and pagination rather than by a filter.
PAGING_PARAMETERS = frozenset({"page", "page_size", "format"})


class ListWidget(forms.TextInput):
    """Read a parameter given as repeats, comma-separated values, or both.

    A text input when drawn (the browsable API draws the filter form).
    """

    def __init__(self, *, split_commas=True):
        super().__init__()
        self.split_commas = split_commas

    def format_value(self, value):
        return ",".join(value) if isinstance(value, list | tuple) else super().format_value(value)

    def value_from_datadict(self, data, files, name):
        values = data.getlist(name) if hasattr(data, "getlist") else [data.get(name)]
        values = [value for value in values if value is not None]
        if self.split_commas:
            values = [part for value in values for part in value.split(",")]
        return values

    def value_omitted_from_data(self, data, files, name):
        return name not in data


class CodeListField(forms.Field):
    """A list of codes, each checked against a vocabulary; "any of" in the filter."""

    widget = ListWidget

    def __init__(self, *, allowed, message, **kwargs):
        self.allowed = allowed
        self.message = message
        kwargs.setdefault("required", False)
        super().__init__(**kwargs)

    def to_python(self, values):
        if not values:
            return None
        cleaned = [value.strip() for value in values]
        if any(not value for value in cleaned):
            raise ValidationError(EMPTY_VALUE, code="empty")
        allowed = self.allowed() if callable(self.allowed) else self.allowed
        unknown = [value for value in cleaned if value not in allowed]
        if unknown:
            raise ValidationError(
                [ValidationError(self.message.format(value=value[:50])) for value in unknown]
            )
        return sorted(set(cleaned))


class ServiceAreaListField(forms.Field):
    widget = ListWidget

    def to_python(self, values):
        if not values:
            return None
        numbers = []
        for value in values:
            text = value.strip()
            if not (text.isascii() and text.isdigit() and 1 <= int(text) <= 8):
                raise ValidationError(INVALID_SERVICE_AREA.format(value=value[:50]))
            numbers.append(int(text))
        return sorted(set(numbers))


class StrictBooleanField(forms.Field):
    """true/false (also 1/0, any case); anything else is an error, never "no filter"."""

    TRUE = frozenset({"true", "1"})
    FALSE = frozenset({"false", "0"})

    def to_python(self, value):
        if value in (None, ""):
            return None
        text = value.strip().lower()
        if text in self.TRUE:
            return True
        if text in self.FALSE:
            return False
        raise ValidationError(INVALID_BOOLEAN.format(value=value[:50]))


class BoundedNumberField(forms.Field):
    """A finite number within [minimum, maximum] (optionally excluding the minimum)."""

    def __init__(self, *, minimum, maximum, message, whole=False, exclusive_minimum=False, **kw):
        self.minimum, self.maximum = minimum, maximum
        self.message, self.whole, self.exclusive_minimum = message, whole, exclusive_minimum
        kw.setdefault("required", False)
        super().__init__(**kw)

    def to_python(self, value):
        if value in (None, ""):
            return None
        # int() and float() accept other scripts' digits and surrounding spaces; a URL
        # parameter is plain ASCII.
        if not value.isascii() or value != value.strip():
            raise ValidationError(self.message.format(value=value[:50]))
        try:
            number = int(value) if self.whole else float(value)
        except (TypeError, ValueError):
            raise ValidationError(self.message.format(value=value[:50])) from None
        below = number <= self.minimum if self.exclusive_minimum else number < self.minimum
        if not math.isfinite(number) or below or number > self.maximum:
            raise ValidationError(self.message.format(value=value[:50]))
        return number


class PointField(forms.Field):
    def to_python(self, value):
        if value in (None, ""):
            return None
        parts = value.split(",")
        if not value.isascii() or any(part != part.strip() for part in parts):
            raise ValidationError(INVALID_NEAR.format(value=value[:50]))
        try:
            latitude, longitude = (float(part) for part in parts)
        except ValueError:
            raise ValidationError(INVALID_NEAR.format(value=value[:50])) from None
        if not (math.isfinite(latitude) and math.isfinite(longitude)):
            raise ValidationError(INVALID_NEAR.format(value=value[:50]))
        if not (-90 <= latitude <= 90 and -180 <= longitude <= 180):
            raise ValidationError(NEAR_OUT_OF_RANGE.format(value=value[:50]))
        return latitude, longitude


class WindowListField(forms.Field):
    """The client's free weekly windows; repeatable only (commas belong to the day list)."""

    widget = ListWidget(split_commas=False)

    def to_python(self, values):
        if not values:
            return None
        windows = []
        errors = []
        for value in values:
            try:
                windows.extend(schedule.parse_window(value))
            except schedule.ScheduleError as error:
                errors.append(ValidationError(str(error)))
        if errors:
            raise ValidationError(errors)
        return windows


class InstantField(forms.Field):
    def to_python(self, value):
        if value in (None, ""):
            return None
        try:
            return schedule.parse_instant(value)
        except schedule.ScheduleError as error:
            raise ValidationError(str(error)) from None


class KeywordsField(forms.CharField):
    """Words to search for: letters or digits. Punctuation-only tokens are dropped (neither
    database can search them the same way); a q with no word left is a 400, never "all"."""

    def to_python(self, value):
        value = super().to_python(value)
        if len(value) > Q_LIMIT:
            raise ValidationError(Q_TOO_LONG.format(limit=Q_LIMIT, length=len(value)))
        if not value.strip():
            return None
        words = [word for word in value.split() if any(ch.isalnum() for ch in word)]
        if not words:
            raise ValidationError(NO_SEARCHABLE_WORDS.format(value=value[:50]))
        return words


class CareLevelField(forms.Field):
    """A care level given by slug; its rank is what min_level/max_level compare."""

    def to_python(self, value):
        if value in (None, ""):
            return None
        levels = reference.care_levels()
        if value not in levels:
            raise ValidationError(UNKNOWN_LEVEL.format(value=value[:50], choices=", ".join(levels)))
        return levels[value]


class SearchForm(forms.Form):
    """Reject what a typo would otherwise silently drop: unknown parameters and NULs."""

    def clean(self):
        cleaned = super().clean()
        for name in self.data:
            if any("\x00" in value for value in self.data.getlist(name)):
                self._errors[name] = self.error_class([NUL_CHARACTER])
        known = set(self.fields) | PAGING_PARAMETERS
        for name in sorted(set(self.data) - known):
            self._errors[name] = self.error_class([self.unknown_message(name, known)])
        for name in sorted(set(self.data) & known):
            count = len(self.data.getlist(name))
            field = self.fields.get(name)
            repeatable = field is not None and isinstance(field.widget, ListWidget)
            if count > 1 and not repeatable:
                self._errors.setdefault(name, self.error_class([REPEATED.format(count=count)]))
        if cleaned.get("radius_mi") is not None and cleaned.get("near") is None:
            self._errors.setdefault("radius_mi", self.error_class([RADIUS_WITHOUT_NEAR]))
        if cleaned.get("ordering") == "distance" and cleaned.get("near") is None:
            self._errors.setdefault("ordering", self.error_class([DISTANCE_WITHOUT_NEAR]))
        if cleaned.get("ordering") == "relevance" and not cleaned.get("q"):
            self._errors.setdefault("ordering", self.error_class([RELEVANCE_WITHOUT_Q]))
        minimum = cleaned.get("min_hours_per_week")
        maximum = cleaned.get("max_hours_per_week")
        if minimum is not None and maximum is not None and minimum > maximum:
            self._errors.setdefault("min_hours_per_week", self.error_class([HOURS_RANGE]))
        return cleaned

    @staticmethod
    def unknown_message(name, known):
        import difflib

        close = difflib.get_close_matches(name, sorted(known), n=1)
        return UNKNOWN_PARAMETER_HINT.format(suggestion=close[0]) if close else UNKNOWN_PARAMETER


class Filter(django_filters.Filter):
    """A filter that only parses; SearchFilterSet applies it at the program or facility level.

    ``schema`` and ``example`` document the parameter in OpenAPI (directory.api.schema);
    ``many`` marks a list parameter.
    """

    def __init__(self, *, level, field_class, schema, example, many=False, **kwargs):
        self.level = level
        self.field_class = field_class
        self.schema = schema
        self.example = example
        self.many = many
        super().__init__(**kwargs)


def _filter(level, field_class, label, *, schema, example, many=False, **field_kwargs):
    return Filter(
        level=level,
        field_class=field_class,
        label=label,
        schema=schema,
        example=example,
        many=many,
        **field_kwargs,
    )


BOOLEAN = {"type": "boolean"}
STRING = {"type": "string"}
LEVELS = {"type": "string", "enum": ["outpatient", "iop", "php", "residential", "inpatient"]}
ORDERINGS = ("name", "-name", "distance", "-verified_at", "level")
# Facilities may also be ordered by how well their own name and description match `q`.
FACILITY_ORDERINGS = (*ORDERINGS, "relevance")


PROGRAM, FACILITY, NONE = "program", "facility", None
# The parameters of a near search's circle.
CIRCLE = ("near", "radius_mi")


class ParsingFilterSet(django_filters.FilterSet):
    """A FilterSet whose filters only parse (``filter_queryset`` reads the cleaned data).

    django-filter deep-copies ``base_filters`` for every instance (so that ``Filter.filter``
    can reach its FilterSet through ``filter.parent``) and builds a new form class from the
    copies' new form fields, for every request. Filters that never filter need neither: the
    instances share the class's filters, and each class builds its form class once. The form
    itself is still made per request (Django copies its fields for each form).
    """

    def __init__(self, data=None, queryset=None, *, request=None, prefix=None):
        if queryset is None:
            queryset = self._meta.model._default_manager.all()
        self.is_bound = data is not None
        self.data = data or QueryDict()
        self.queryset = queryset
        self.request = request
        self.form_prefix = prefix
        self.filters = self.base_filters

    def get_form_class(self):
        cls = type(self)
        # The class's own attribute: a subclass has other filters, hence its own form class.
        form_class = cls.__dict__.get("_form_class")
        if form_class is None:
            form_class = super().get_form_class()
            cls._form_class = form_class
        return form_class


def _ordering_filter(orderings):
    return _filter(
        NONE,
        forms.ChoiceField,
        "Order of results",
        choices=[(c, c) for c in orderings],
        schema={"type": "string", "enum": list(orderings)},
        example="distance",
    )


# The program filters that only choose care levels (``allowed_levels``).
LEVEL_FILTERS = ("level", "min_level", "max_level", "lives_at_home")


def near_circle(data):
    """Return ``(latitude, longitude, radius_mi)`` of a ``near`` search, else None."""
    if not data.get("near"):
        return None
    return (*data["near"], data.get("radius_mi") or DEFAULT_RADIUS_MI)


def allowed_levels(data):
    """Return the care levels the search's level filters allow together, least intensive
    first, or None when it has none (LEVEL_FILTERS)."""
    tests = []
    if data.get("level"):
        tests.append(lambda level: level.slug in data["level"])
    if data.get("min_level"):
        tests.append(lambda level: level.rank >= data["min_level"].rank)
    if data.get("max_level"):
        tests.append(lambda level: level.rank <= data["max_level"].rank)
    if data.get("lives_at_home") is not None:
        tests.append(lambda level: level.lives_at_home == data["lives_at_home"])
    if not tests:
        return None
    levels = reference.care_levels().values()
    return [level for level in levels if all(test(level) for test in tests)]


class SearchFilterSet(ParsingFilterSet):
    level = _filter(
        PROGRAM,
        CodeListField,
        "Care level slug(s), any of",
        allowed=reference.care_level_slugs,
        message="unknown care level '{value}'",
        schema=LEVELS,
        example="iop",
        many=True,
    )
    min_level = _filter(
        PROGRAM,
        CareLevelField,
        "Lowest care level (by rank, inclusive)",
        schema=LEVELS,
        example="iop",
    )
    max_level = _filter(
        PROGRAM,
        CareLevelField,
        "Highest care level (by rank, inclusive)",
        schema=LEVELS,
        example="php",
    )
    lives_at_home = _filter(
        PROGRAM, StrictBooleanField, "The client lives at home", schema=BOOLEAN, example=True
    )
    dual_diagnosis = _filter(
        PROGRAM, StrictBooleanField, "Treats co-occurring disorders", schema=BOOLEAN, example=True
    )
    detox = _filter(
        PROGRAM,
        StrictBooleanField,
        "Medically supervised withdrawal",
        schema=BOOLEAN,
        example=False,
    )
    accepting = _filter(
        PROGRAM, StrictBooleanField, "Accepting new clients", schema=BOOLEAN, example=True
    )
    telehealth = _filter(
        PROGRAM, StrictBooleanField, "Offers telehealth", schema=BOOLEAN, example=True
    )
    age = _filter(
        PROGRAM,
        BoundedNumberField,
        "An age the program serves",
        minimum=0,
        maximum=150,
        whole=True,
        message=INVALID_AGE,
        schema={"type": "integer", "minimum": 0, "maximum": 150},
        example=16,
    )
    available = _filter(
        PROGRAM,
        WindowListField,
        "The client's free windows, DAYS@HH:MM-HH:MM",
        schema={"type": "string", "pattern": r"^[a-z,-]+@\d{2}:\d{2}-\d{2}:\d{2}$"},
        example="mon-fri@18:00-21:30",
        many=True,
    )
    max_days_per_week = _filter(
        PROGRAM,
        BoundedNumberField,
        "At most this many days a week",
        minimum=1,
        maximum=7,
        whole=True,
        message=INVALID_DAYS_PER_WEEK,
        schema={"type": "integer", "minimum": 1, "maximum": 7},
        example=3,
    )
    min_hours_per_week = _filter(
        PROGRAM,
        BoundedNumberField,
        "At least this many hours a week",
        minimum=0,
        maximum=168,
        message=INVALID_HOURS_PER_WEEK,
        schema={"type": "number", "minimum": 0, "maximum": 168},
        example=9,
    )
    max_hours_per_week = _filter(
        PROGRAM,
        BoundedNumberField,
        "At most this many hours a week",
        minimum=0,
        maximum=168,
        message=INVALID_HOURS_PER_WEEK,
        schema={"type": "number", "minimum": 0, "maximum": 168},
        example=19,
    )
    neighborhood = _filter(
        FACILITY,
        CodeListField,
        "Neighborhood slug(s), any of",
        allowed=reference.neighborhood_slugs,
        message=UNKNOWN_NEIGHBORHOOD,
        schema=STRING,
        example="echo-park",
        many=True,
    )
    service_area = _filter(
        FACILITY,
        ServiceAreaListField,
        "Service area number(s) 1-8, any of",
        schema={"type": "integer", "minimum": 1, "maximum": 8},
        example=4,
        many=True,
    )
    near = _filter(
        FACILITY,
        PointField,
        "LAT,LNG: only facilities within radius_mi",
        schema={"type": "string", "pattern": r"^-?\d+(\.\d+)?,-?\d+(\.\d+)?$"},
        example="34.0779,-118.2606",
    )
    radius_mi = _filter(
        FACILITY,
        BoundedNumberField,
        "Radius in miles around near (default 10)",
        minimum=0,
        maximum=MAX_RADIUS_MI,
        exclusive_minimum=True,
        message=INVALID_RADIUS,
        schema={
            "type": "number",
            "exclusiveMinimum": True,
            "minimum": 0,
            "maximum": 100,
            "default": 10,
        },
        example=5,
    )
    open_at = _filter(
        FACILITY,
        InstantField,
        "Open at this ISO 8601 instant",
        schema={"type": "string", "format": "date-time"},
        example="2026-12-01T18:30:00-08:00",
    )
    open_now = _filter(
        FACILITY,
        StrictBooleanField,
        "Open now (false does not filter)",
        schema=BOOLEAN,
        example=True,
    )
    language = _filter(
        FACILITY,
        CodeListField,
        "Language code(s), any of",
        allowed=LANGUAGE_CODES,
        message=UNKNOWN_LANGUAGE,
        schema={"type": "string", "enum": sorted(LANGUAGE_CODES)},
        example="es",
        many=True,
    )
    payment = _filter(
        FACILITY,
        CodeListField,
        "Payment option(s), any of",
        allowed=frozenset(Payment.values),
        message=UNKNOWN_PAYMENT.format(value="{value}", choices=", ".join(sorted(Payment.values))),
        schema={"type": "string", "enum": sorted(Payment.values)},
        example="medi-cal",
        many=True,
    )
    q = _filter(
        FACILITY,
        KeywordsField,
        "Keywords; all must match",
        required=False,
        schema={"type": "string", "maxLength": Q_LIMIT},
        example="trauma family",
    )
    ordering = _ordering_filter(ORDERINGS)

    class Meta:
        form = SearchForm
        fields = []

    # --- applying the filters --------------------------------------------------------------

    def matching_programs(self, data, programs=None):
        """Return the programs satisfying every program-level filter, or None if none is given.

        ``programs`` is the queryset to narrow (all programs by default).
        """
        if not any(data.get(name) is not None for name in self.names_at(PROGRAM)):
            return None
        programs = Program.objects.all() if programs is None else programs
        levels = allowed_levels(data)
        if levels is not None:
            programs = programs.at_levels(levels)
        for name, field in (
            ("dual_diagnosis", "dual_diagnosis"),
            ("detox", "detox"),
            ("accepting", "accepting_new_clients"),
            ("telehealth", "telehealth"),
        ):
            if data.get(name) is not None:
                programs = programs.filter(**{field: data[name]})
        if data.get("age") is not None:
            programs = programs.serving_age(data["age"])
        if data.get("available"):
            programs = programs.fitting_windows(data["available"])
        if data.get("max_days_per_week") is not None:
            programs = programs.meeting_at_most_days(data["max_days_per_week"])
        if data.get("min_hours_per_week") is not None or data.get("max_hours_per_week") is not None:
            programs = programs.weekly_hours_between(
                data.get("min_hours_per_week"), data.get("max_hours_per_week")
            )
        return programs

    def matching_facilities(self, facilities, data, *, now):
        """Return the facilities satisfying every facility-level filter."""
        if data.get("neighborhood"):
            facilities = facilities.in_neighborhoods(data["neighborhood"])
        if data.get("service_area"):
            facilities = facilities.in_service_areas(data["service_area"])
        if circle := near_circle(data):
            facilities = facilities.near(*circle)
        if data.get("open_at"):
            facilities = facilities.open_at(data["open_at"])
        if data.get("open_now"):
            facilities = facilities.open_at(now)
        if data.get("language"):
            facilities = facilities.speaking(data["language"])
        if data.get("payment"):
            facilities = facilities.accepting_payment(data["payment"])
        if data.get("q"):
            facilities = facilities.matching_text(data["q"])
        return facilities

    def names_at(self, level):
        return [name for name, f in self.filters.items() if f.level == level]

    def offering(self, facilities, programs, data):
        """Keep the facilities offering one of ``programs``, the search's matching ones.

        When the search's only program filters are care levels (LEVEL_FILTERS), the
        facilities' ``levels`` answer that without reading a program. With other program
        filters too, a ``near`` search also tests ``levels`` first: the facilities in the
        circle come from the coordinates index, which holds their levels, so those without
        an allowed level are never probed for a program (issue 6: at 100,000 facilities
        ``near_level_available_dual`` 128 -> 87 ms). Elsewhere that extra test made plans
        worse (``level_range`` 37 -> 48 ms, measured), so it is not added.
        """
        levels = allowed_levels(data)
        if levels is None:
            return facilities.offering(programs)
        slugs = [level.slug for level in levels]
        others = [
            name
            for name in self.names_at(PROGRAM)
            if name not in LEVEL_FILTERS and data.get(name) is not None
        ]
        if not others:
            return facilities.offering_levels(slugs)
        if data.get("near"):
            facilities = facilities.offering_levels(slugs)
        return facilities.offering(programs)

    def resolve_ordering(self, data):
        """Return the requested ordering, else distance with near, else None (by name)."""
        if data.get("ordering"):
            return data["ordering"]
        return "distance" if data.get("near") else None


class FacilityFilterSet(SearchFilterSet):
    ordering = _ordering_filter(FACILITY_ORDERINGS)

    class Meta(SearchFilterSet.Meta):
        model = Facility

    def filter_queryset(self, queryset):
        from django.utils import timezone

        data = self.form.cleaned_data
        programs = self.matching_programs(data)
        facilities = self.matching_facilities(queryset, data, now=timezone.now())
        ordering = self.resolve_ordering(data)
        if programs is not None and ordering != "level":
            facilities = self.offering(facilities, programs, data)
        if ordering == "distance":
            facilities = facilities.order_by("distance_mi", "name", "slug")
        elif ordering == "-verified_at":
            facilities = facilities.order_by(F("verified_at").desc(nulls_last=True), "name", "slug")
        elif ordering == "level" and programs is not None:
            facilities = facilities.by_lowest_level(programs)  # offering a match, too
        elif ordering == "level":
            facilities = facilities.with_lowest_rank().order_by(
                F("lowest_rank").asc(nulls_last=True), "name", "slug"
            )
        elif ordering == "-name":
            facilities = facilities.order_by("-name", "-slug")
        elif ordering == "relevance" and connection.vendor == "postgresql":
            facilities = facilities.ranked_by_text(data["q"]).order_by("-text_rank", "name", "slug")
        else:
            facilities = facilities.order_by("name", "slug")
        return facilities.with_matched_programs(programs)


class ProgramFilterSet(SearchFilterSet):
    class Meta(SearchFilterSet.Meta):
        model = Program

    def filter_queryset(self, queryset):
        """Return the visible programs matching the search (the view gives all programs)."""
        from django.utils import timezone

        data = self.form.cleaned_data
        programs = self.matching_programs(data, queryset)
        if programs is not None:
            queryset = programs
        # The circle is tested on the program's own join with its facility (see
        # ProgramQuerySet.near), which also keeps to published ones; the other facility
        # filters in a subquery.
        circle = near_circle(data)
        others = {name: value for name, value in data.items() if name not in CIRCLE}
        if any(others.get(name) for name in self.names_at(FACILITY)):
            facilities = self.matching_facilities(
                Facility.objects.all(), others, now=timezone.now()
            )
            queryset = queryset.visible(facilities)
        elif circle is None:
            queryset = queryset.visible()
        if circle is not None:
            queryset = queryset.near(*circle)
        ordering = self.resolve_ordering(data)
        order = {
            "distance": ["distance_mi", "name", "id"],
            "-verified_at": [F("facility__verified_at").desc(nulls_last=True), "name", "id"],
            "level": ["care_level__rank", "name", "id"],
            "-name": ["-name", "-id"],
        }.get(ordering, ["name", "facility_name", "id"])  # program_default_order
        return queryset.order_by(*order).for_search_results()


class NeighborhoodFilterSet(ParsingFilterSet):
    service_area = _filter(
        NONE,
        ServiceAreaListField,
        "Service area number(s) 1-8, any of",
        schema={"type": "integer", "minimum": 1, "maximum": 8},
        example=4,
        many=True,
    )
    q = _filter(
        NONE,
        forms.CharField,
        "Part of the neighborhood's name",
        required=False,
        max_length=Q_LIMIT,
        schema={"type": "string", "maxLength": Q_LIMIT},
        example="echo",
    )

    class Meta:
        model = Neighborhood
        form = SearchForm
        fields = []

    def filter_queryset(self, queryset):
        data = self.form.cleaned_data
        if data.get("service_area"):
            queryset = queryset.filter(service_area__in=data["service_area"])
        if data.get("q"):
            queryset = queryset.filter(name__icontains=data["q"].strip())
        return queryset
