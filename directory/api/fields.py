"""Serializer fields for the directory's wire formats: days as 'mon', times as 'HH:MM'.

The interchange file is JSON written by people and programs; a wrong type is
reported, never coerced (DRF's own fields would turn 1 into True or 18.0 into 18).
"""

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from directory import schedule

EXPECTED_TYPE = "expected {expected}, got {value!r}"


def _reject_type(field, value, expected):
    raise serializers.ValidationError(EXPECTED_TYPE.format(expected=expected, value=value))


@extend_schema_field({"type": "string", "enum": list(schedule.DAYS), "example": "mon"})
class DayField(serializers.Field):
    """A day of the week, 'mon' … 'sun' on the wire, 0 … 6 in the database."""

    def to_representation(self, value):
        return schedule.DAYS[value]

    def to_internal_value(self, data):
        if not isinstance(data, str):
            _reject_type(self, data, "a day such as 'mon'")
        try:
            return schedule.parse_day(data)
        except schedule.ScheduleError as error:
            raise serializers.ValidationError(str(error)) from None


@extend_schema_field(
    {"type": "string", "pattern": r"^([01]\d|2[0-3]):[0-5]\d$", "example": "18:00"}
)
class ClockTimeField(serializers.Field):
    """A local wall-clock time, 'HH:MM' on the wire."""

    def to_representation(self, value):
        return schedule.format_time(value)

    def to_internal_value(self, data):
        if not isinstance(data, str):
            _reject_type(self, data, "a time such as '18:30'")
        try:
            return schedule.parse_time(data)
        except schedule.ScheduleError as error:
            raise serializers.ValidationError(str(error)) from None


class StrictBooleanField(serializers.BooleanField):
    def to_internal_value(self, data):
        if not isinstance(data, bool):
            _reject_type(self, data, "true or false")
        return data


class StrictCharField(serializers.CharField):
    def to_internal_value(self, data):
        if not isinstance(data, str):
            _reject_type(self, data, "a string")
        return super().to_internal_value(data)


class StrictIntegerField(serializers.IntegerField):
    def to_internal_value(self, data):
        if isinstance(data, bool) or not isinstance(data, int):
            _reject_type(self, data, "a whole number")
        return super().to_internal_value(data)


class StrictFloatField(serializers.FloatField):
    def to_internal_value(self, data):
        if isinstance(data, bool) or not isinstance(data, int | float):
            _reject_type(self, data, "a number")
        return super().to_internal_value(data)


class StrictDateField(serializers.DateField):
    def __init__(self, **kwargs):
        kwargs.setdefault("input_formats", ["iso-8601"])
        super().__init__(**kwargs)

    def to_internal_value(self, data):
        if not isinstance(data, str):
            _reject_type(self, data, "a date such as '2026-12-24'")
        return super().to_internal_value(data)


class CodeListField(serializers.ListField):
    """A list of codes from a fixed vocabulary; stored sorted and without repeats."""

    def __init__(self, *, codes, unknown_message, **kwargs):
        self.codes = codes
        self.unknown_message = unknown_message
        kwargs.setdefault("child", StrictCharField())
        super().__init__(**kwargs)

    def to_internal_value(self, data):
        if not isinstance(data, list):
            _reject_type(self, data, "a list")
        values = super().to_internal_value(data)
        unknown = [value for value in values if value not in self.codes]
        if unknown:
            raise serializers.ValidationError(
                [self.unknown_message.format(value=value) for value in unknown]
            )
        return sorted(set(values))
