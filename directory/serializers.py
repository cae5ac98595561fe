"""Wire formats: the interchange file (DESIGN §6) and the API representations (DESIGN §5).

The representation of a facility is the interchange record plus computed
fields, so both are built from the same parts here. Serializers check shapes
and the rules of directory.validation; they hold no other business logic.
"""

import contextlib
from collections.abc import Mapping

from django.db.models.manager import BaseManager
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers
from rest_framework.fields import SkipField
from rest_framework.relations import PKOnlyObject

from directory import schedule, validation
from directory.api.fields import (
    ClockTimeField,
    CodeListField,
    DayField,
    StrictBooleanField,
    StrictCharField,
    StrictDateField,
    StrictFloatField,
    StrictIntegerField,
)
from directory.choices import LANGUAGE_CODES, Payment, Source, Status

UNKNOWN_FIELD = "unknown field"
# Fields of the API representation that an interchange file may carry (for
# example when a response is saved and re-imported); they are ignored.
SERVER_FIELDS = frozenset(
    {"id", "distance_mi", "matched_program_ids", "needs_verification", "days_per_week"}
    | {"hours_per_week"}
)


# --- representation plans ---------------------------------------------------------------------
#
# DRF's Serializer.to_representation deep-copies every declared field for each serializer
# instance (so for each request and each nested serializer) and reads each value through
# generic steps (a Mapping check, callable inspection, SkipField). For the fields used here
# that is most of the cost of a page of results. PlannedSerializer computes, once per class,
# what its readable fields are and how to read and convert each value, from one prototype
# instance whose fields are bound once; then it does per value what DRF does, in the same
# order, with the same field objects' ``to_representation``. Whatever the plan does not
# cover exactly takes DRF's own path.

_SIMPLE, _WHOLE, _METHOD, _GENERIC = "simple", "whole", "method", "generic"
_PLANS = {}


def _boolean_converter(field):
    # BooleanField.to_representation returns a bool as it is; other values take its path.
    return lambda value: value if value.__class__ is bool else field.to_representation(value)


# Functions giving the same results as these fields' to_representation, called directly.
_CONVERTERS = {
    serializers.CharField.to_representation: lambda field: str,
    serializers.IntegerField.to_representation: lambda field: int,
    serializers.FloatField.to_representation: lambda field: float,
    serializers.BooleanField.to_representation: _boolean_converter,
    ClockTimeField.to_representation: lambda field: schedule.format_time,
    DayField.to_representation: lambda field: schedule.DAYS.__getitem__,
}


class _Plan:
    """How a serializer class reads its readable fields: a list of entries, in field order.

    ``reads_context`` says some entry calls a method of the serializer (which may read the
    context), so the plan serves only live serializers, never a prototype nested in another.
    """

    def __init__(self, entries, reads_context):
        self.entries = entries
        self.reads_context = reads_context


def _pure_field(field):
    """Whether the field's representation depends on its value alone (not context, not request)."""
    if isinstance(field, serializers.ListField):
        return _pure_field(field.child)
    return isinstance(
        field,
        (
            serializers.CharField,
            serializers.IntegerField,
            serializers.FloatField,
            serializers.BooleanField,
            serializers.DateField,
            serializers.ChoiceField,
            DayField,
            ClockTimeField,
            DistanceField,
        ),
    )


def _nested_plannable(field):
    """Whether a nested serializer (or list of them) can run from a prototype.

    Not when it has code of its own that could read the context (which a prototype lacks).
    """
    serializer = field
    if isinstance(field, serializers.ListSerializer):
        if type(field).to_representation is not serializers.ListSerializer.to_representation:
            return False
        serializer = field.child
    if not isinstance(serializer, PlannedSerializer):
        return False
    if type(serializer).to_representation is not PlannedSerializer.to_representation:
        return False
    plan = _plan_for(type(serializer))
    return plan is not None and not plan.reads_context


def _plan_for(serializer_class):
    """Return the class's plan (built on first use), or None: DRF's own to_representation."""
    try:
        return _PLANS[serializer_class]
    except KeyError:
        pass
    _PLANS[serializer_class] = None  # while building (a recursive structure) and if refused
    try:
        prototype = serializer_class()
    except TypeError:
        return None
    entries = []
    reads_context = False
    for name, field in prototype.fields.items():
        if field.write_only:
            continue
        if isinstance(field, serializers.SerializerMethodField):
            entries.append((_METHOD, name, field.method_name, None, field))
            reads_context = True
            continue
        if not (_pure_field(field) or _nested_plannable(field)):
            return None
        converter = _CONVERTERS.get(type(field).to_representation)
        convert = field.to_representation if converter is None else converter(field)
        if type(field).get_attribute is not serializers.Field.get_attribute:
            entries.append((_GENERIC, name, None, None, field))
        elif field.source == "*":
            entries.append((_WHOLE, name, None, convert, field))
        elif len(field.source_attrs) == 1:
            entries.append((_SIMPLE, name, field.source_attrs[0], convert, field))
        else:
            entries.append((_GENERIC, name, None, None, field))
    plan = _Plan(entries, reads_context)
    _PLANS[serializer_class] = plan
    return plan


def _generic_value(field, instance):
    """DRF's Serializer.to_representation for one field; SkipField leaves it out."""
    attribute = field.get_attribute(instance)
    check_for_none = attribute.pk if isinstance(attribute, PKOnlyObject) else attribute
    return None if check_for_none is None else field.to_representation(attribute)


class PlannedSerializer(serializers.Serializer):
    """A serializer whose to_representation follows its class's plan (see above)."""

    def to_representation(self, instance):
        plan = _plan_for(type(self))
        if plan is None:
            return super().to_representation(instance)
        ret = {}
        mapping = instance.__class__ is dict or isinstance(instance, Mapping)
        for kind, name, attr, convert, field in plan.entries:
            if kind is _SIMPLE:
                try:
                    value = instance[attr] if mapping else getattr(instance, attr)
                except Exception:
                    pass  # DRF's path below: defaults, None, or its error
                else:
                    # Related managers are callable but not called (DRF's is_simple_callable).
                    if not callable(value) or isinstance(value, BaseManager):
                        ret[name] = None if value is None else convert(value)
                        continue
            elif kind is _WHOLE:
                ret[name] = convert(instance)
                continue
            elif kind is _METHOD:
                ret[name] = getattr(self, attr)(instance)
                continue
            with contextlib.suppress(SkipField):
                ret[name] = _generic_value(field, instance)
        return ret


class StrictSerializer(PlannedSerializer):
    """A serializer that reports keys it does not know instead of dropping them."""

    def to_internal_value(self, data):
        if not isinstance(data, dict):
            raise serializers.ValidationError(
                {"non_field_errors": [f"expected an object, got {type(data).__name__}"]}
            )
        unknown = set(data) - set(self.fields) - SERVER_FIELDS
        errors = {}
        try:
            value = super().to_internal_value(data)
        except serializers.ValidationError as error:
            errors = dict(error.detail)
        for name in sorted(unknown):
            errors[name] = [UNKNOWN_FIELD]
        if errors:
            raise serializers.ValidationError(errors)
        return value


class ReferenceSlugField(StrictCharField):
    """A slug naming a reference row (care level, neighborhood), checked against context.

    The import service puts ``{slug: id}`` maps in the serializer context so a
    file of thousands of records is checked without a query per record.
    """

    def __init__(self, *, context_key, unknown_message, **kwargs):
        self.context_key = context_key
        self.unknown_message = unknown_message
        super().__init__(**kwargs)

    def to_representation(self, value):
        return value.slug

    def to_internal_value(self, data):
        slug = super().to_internal_value(data)
        if slug not in self.context[self.context_key]:
            raise serializers.ValidationError(self.unknown_message.format(value=slug))
        return slug


class WeeklyIntervalSerializer(StrictSerializer):
    """A day and two clock times; an end before the start is the next day, equal is invalid."""

    start_field = end_field = None

    def validate(self, attrs):
        start, end = attrs[self.start_field], attrs[self.end_field]
        problem = validation.interval_problem(attrs["day"], start, end)
        if problem:
            raise serializers.ValidationError({self.end_field: [problem]})
        return attrs


class ParentRowsListSerializer(serializers.ListSerializer):
    """Reads children from the parent's ``Meta.parent_attribute`` of the child serializer.

    Those (``Facility.hours_list``, ``closure_list``, ``Program.session_list``) are dicts
    built from rows fetched with the parent as one JSON column, not model instances;
    ``Facility.program_list`` holds the programs ``for_representation`` prefetched.
    """

    def get_attribute(self, instance):
        return getattr(instance, self.child.Meta.parent_attribute)


class SessionSerializer(WeeklyIntervalSerializer):
    class Meta:
        list_serializer_class = ParentRowsListSerializer
        parent_attribute = "session_list"

    day = DayField()
    starts_at = ClockTimeField()
    ends_at = ClockTimeField()

    start_field, end_field = "starts_at", "ends_at"


class HoursSerializer(WeeklyIntervalSerializer):
    class Meta:
        list_serializer_class = ParentRowsListSerializer
        parent_attribute = "hours_list"

    day = DayField()
    opens_at = ClockTimeField()
    closes_at = ClockTimeField()

    start_field, end_field = "opens_at", "closes_at"


class ClosureSerializer(StrictSerializer):
    class Meta:
        list_serializer_class = ParentRowsListSerializer
        parent_attribute = "closure_list"

    starts_on = StrictDateField()
    ends_on = StrictDateField()
    reason = StrictCharField(max_length=200, allow_blank=True, default="")

    def validate(self, attrs):
        problem = validation.closure_range_problem(attrs["starts_on"], attrs["ends_on"])
        if problem:
            raise serializers.ValidationError({"ends_on": [problem]})
        return attrs


class OrganizationSerializer(StrictSerializer):
    slug = serializers.SlugField(max_length=100)
    name = StrictCharField(max_length=200)


class AddressSerializer(StrictSerializer):
    street = StrictCharField(max_length=200, allow_blank=True, default="")
    city = StrictCharField(max_length=100, allow_blank=True, default="")
    state = StrictCharField(max_length=2, allow_blank=True, default="CA")
    postal_code = StrictCharField(max_length=10, allow_blank=True, default="")


class ProgramRecordSerializer(StrictSerializer):
    class Meta:
        list_serializer_class = ParentRowsListSerializer
        parent_attribute = "program_list"

    name = StrictCharField(max_length=200)
    level = ReferenceSlugField(
        source="care_level", context_key="care_levels", unknown_message=validation.UNKNOWN_LEVEL
    )
    description = StrictCharField(allow_blank=True, default="")
    dual_diagnosis = StrictBooleanField(default=False)
    detox = StrictBooleanField(default=False)
    accepting_new_clients = StrictBooleanField(default=True)
    telehealth = StrictBooleanField(default=False)
    min_age = StrictIntegerField(min_value=0, max_value=150, allow_null=True, default=None)
    max_age = StrictIntegerField(min_value=0, max_value=150, allow_null=True, default=None)
    sessions = SessionSerializer(many=True, default=list)

    def validate(self, attrs):
        problem = validation.age_range_problem(attrs.get("min_age"), attrs.get("max_age"))
        if problem:
            raise serializers.ValidationError({"max_age": [problem]})
        return attrs


class FacilityRecordSerializer(StrictSerializer):
    """One facility of the interchange file (DESIGN §6)."""

    slug = serializers.SlugField(max_length=100)
    name = StrictCharField(max_length=200)
    description = StrictCharField(allow_blank=True, default="")
    organization = OrganizationSerializer(allow_null=True, default=None)
    # A record without an address gets the empty one (its parts' defaults): with
    # source="*" the nested serializer does not run at all when the key is missing.
    address = AddressSerializer(
        source="*", default={"street": "", "city": "", "state": "CA", "postal_code": ""}
    )
    latitude = StrictFloatField(min_value=-90, max_value=90, allow_null=True, default=None)
    longitude = StrictFloatField(min_value=-180, max_value=180, allow_null=True, default=None)
    neighborhood = ReferenceSlugField(
        context_key="neighborhoods",
        unknown_message=validation.UNKNOWN_NEIGHBORHOOD,
        allow_null=True,
        default=None,
    )
    phone = StrictCharField(max_length=40, allow_blank=True, default="")
    website = serializers.URLField(max_length=300, allow_blank=True, default="")
    languages = CodeListField(
        codes=LANGUAGE_CODES, unknown_message=validation.UNKNOWN_LANGUAGE, default=list
    )
    payment = CodeListField(
        codes=frozenset(Payment.values), unknown_message=validation.UNKNOWN_PAYMENT, default=list
    )
    open_24_7 = StrictBooleanField(default=False)
    hours = HoursSerializer(many=True, default=list)
    closures = ClosureSerializer(many=True, default=list)
    programs = ProgramRecordSerializer(many=True, default=list)
    status = serializers.ChoiceField(choices=Status.choices, default=Status.DRAFT)
    verified_at = StrictDateField(allow_null=True, default=None)
    source = serializers.ChoiceField(choices=Source.choices, default=Source.CURATED)

    def validate(self, attrs):
        problem = validation.coordinates_problem(attrs.get("latitude"), attrs.get("longitude"))
        if problem:
            missing = "longitude" if attrs.get("longitude") is None else "latitude"
            raise serializers.ValidationError({missing: [problem]})
        return attrs


# --- API representations (DESIGN §5) ---------------------------------------------------------


@extend_schema_field({"type": "number", "nullable": True, "example": 1.27})
class DistanceField(serializers.Field):
    """Great-circle miles from the searched point (2 decimals); null without ``near``."""

    def __init__(self, **kwargs):
        super().__init__(source="*", read_only=True, **kwargs)

    def to_representation(self, located):
        distance = getattr(located, "distance_mi", None)
        return None if distance is None else round(distance, 2)


class NeighborhoodSummarySerializer(PlannedSerializer):
    slug = serializers.CharField()
    name = serializers.CharField()
    service_area = serializers.IntegerField(source="service_area_id")


class ProgramSerializer(ProgramRecordSerializer):
    id = serializers.IntegerField(read_only=True)
    days_per_week = serializers.IntegerField(read_only=True)
    hours_per_week = serializers.FloatField(read_only=True)

    field_order = [
        "id",
        *ProgramRecordSerializer._declared_fields,
        "days_per_week",
        "hours_per_week",
    ]

    def get_fields(self):
        fields = super().get_fields()
        return {name: fields[name] for name in self.field_order}


class FacilitySerializer(FacilityRecordSerializer):
    """A facility as the API shows it: the record plus computed fields."""

    neighborhood = NeighborhoodSummarySerializer(allow_null=True, read_only=True)
    programs = ProgramSerializer(many=True, read_only=True)
    needs_verification = serializers.BooleanField(read_only=True)
    distance_mi = DistanceField()

    field_order = [*FacilityRecordSerializer._declared_fields, "needs_verification", "distance_mi"]

    def get_fields(self):
        fields = super().get_fields()
        return {name: fields[name] for name in self.field_order}


class FacilitySearchResultSerializer(FacilitySerializer):
    matched_program_ids = serializers.SerializerMethodField()

    field_order = [*FacilitySerializer.field_order, "matched_program_ids"]

    def get_matched_program_ids(self, facility) -> list[int]:
        return [program.id for program in facility.program_list if program.matched]


class FacilitySummarySerializer(PlannedSerializer):
    """The facility embedded in a program search result."""

    slug = serializers.CharField()
    name = serializers.CharField()
    organization = OrganizationSerializer(allow_null=True)
    address = AddressSerializer(source="*")
    latitude = serializers.FloatField(allow_null=True)
    longitude = serializers.FloatField(allow_null=True)
    neighborhood = NeighborhoodSummarySerializer(allow_null=True)
    phone = serializers.CharField()
    website = serializers.CharField()
    languages = serializers.ListField(child=serializers.CharField())
    payment = serializers.ListField(child=serializers.CharField())
    open_24_7 = serializers.BooleanField()
    hours = HoursSerializer(many=True)
    verified_at = serializers.DateField(allow_null=True)
    needs_verification = serializers.BooleanField()
    distance_mi = DistanceField()


class ProgramSearchResultSerializer(ProgramSerializer):
    facility = FacilitySummarySerializer(read_only=True)

    field_order = [*ProgramSerializer.field_order, "facility"]

    def to_representation(self, program):
        # The distance and the facility's hours are annotated on the program (to order by
        # the one, to fetch the other with the program) but belong to its facility.
        if hasattr(program, "distance_mi"):
            program.facility.distance_mi = program.distance_mi
        if hasattr(program, "facility_hours_rows"):
            program.facility.hours_rows = program.facility_hours_rows
        return super().to_representation(program)


class CareLevelSerializer(PlannedSerializer):
    slug = serializers.CharField()
    name = serializers.CharField()
    rank = serializers.IntegerField()
    lives_at_home = serializers.BooleanField()
    round_the_clock = serializers.BooleanField()
    summary = serializers.CharField()
    typical_intensity = serializers.CharField()
    asam_level = serializers.CharField()
    locus_level = serializers.CharField()
    samhsa_codes = serializers.ListField(child=serializers.CharField())


class ServiceAreaSerializer(PlannedSerializer):
    number = serializers.IntegerField()
    name = serializers.CharField()
    slug = serializers.CharField()


class NeighborhoodSerializer(PlannedSerializer):
    slug = serializers.CharField()
    name = serializers.CharField()
    kind = serializers.CharField()
    city = serializers.CharField()
    service_area = serializers.IntegerField(source="service_area_id")
    latitude = serializers.FloatField()
    longitude = serializers.FloatField()
    population = serializers.IntegerField()
