"""Per-request Python cost (issue 6): the shortcuts must not change a byte of any answer.

Serializers follow a plan per class (directory.serializers.PlannedSerializer) instead of
DRF's generic path, and search FilterSets share their filters and form class
(directory.filters.ParsingFilterSet). Each test compares with DRF's and django-filter's
own behaviour, reached by switching the shortcut off, on data that exercises every field.
"""

import contextlib
import json
from types import SimpleNamespace
from unittest import mock

import django_filters
import pytest
from django.http import QueryDict
from rest_framework import serializers as drf

from directory import filters, serializers
from directory.services import facility_export
from tests.factories import (
    ClosureRecord,
    FacilityRecord,
    HoursRecord,
    ProgramRecord,
    SessionRecord,
    load,
)

pytestmark = pytest.mark.django_db


@contextlib.contextmanager
def drf_serialization():
    """DRF's own Serializer.to_representation for every serializer."""
    with mock.patch.object(serializers, "_plan_for", lambda serializer_class: None):
        yield


@contextlib.contextmanager
def django_filter_filtersets():
    """django-filter's own FilterSet construction: deep-copied filters, a new form class."""
    with (
        mock.patch.object(filters.ParsingFilterSet, "__init__", django_filters.FilterSet.__init__),
        mock.patch.object(
            filters.ParsingFilterSet, "get_form_class", django_filters.FilterSet.get_form_class
        ),
    ):
        yield


@pytest.fixture
def directory_data():
    """Facilities using every part of the representation, including the empty and null ones."""
    load(
        FacilityRecord(
            slug="echo-park-wellness",
            name="Echo Park Wellness",
            description="Evening programs.",
            organization={"slug": "lantern", "name": "Lantern Health"},
            phone="(213) 555-0100",
            website="https://echo.example.org",
            languages=["es", "en", "ko"],
            payment=["medi-cal", "private-insurance"],
            hours=[
                HoursRecord(day="mon", opens_at="08:00", closes_at="18:00"),
                HoursRecord(day="fri", opens_at="20:00", closes_at="02:00"),
                HoursRecord(day="sat", opens_at="09:30", closes_at="12:15"),
            ],
            closures=[
                ClosureRecord(starts_on="2026-12-31", ends_on="2027-01-01", reason="New Year"),
                ClosureRecord(),
                ClosureRecord(starts_on="2026-11-26", ends_on="2026-11-26", reason=""),
            ],
            programs=[
                ProgramRecord(
                    name="Evening IOP",
                    level="iop",
                    description="Three evenings a week.",
                    dual_diagnosis=True,
                    min_age=18,
                    sessions=[
                        SessionRecord(day="mon"),
                        SessionRecord(day="wed", starts_at="17:30", ends_at="20:45"),
                        SessionRecord(day="sun", starts_at="23:00", ends_at="01:00"),
                    ],
                ),
                ProgramRecord(
                    name="Teen Outpatient",
                    level="outpatient",
                    telehealth=True,
                    accepting_new_clients=False,
                    min_age=12,
                    max_age=17,
                ),
                ProgramRecord(name="Day Treatment", level="php", detox=True, max_age=64),
            ],
            verified_at="2026-10-01",
        ),
        FacilityRecord(
            slug="unplaced-clinic",
            name="Unplaced Clinic",
            address={"street": "", "city": "", "state": "", "postal_code": ""},
            latitude=None,
            longitude=None,
            neighborhood=None,
            languages=[],
            payment=[],
            open_24_7=True,
            programs=[ProgramRecord(name="Residential", level="residential")],
            verified_at=None,
        ),
        FacilityRecord(
            slug="westlake-house",
            name="Westlake House",
            latitude=34.0659,
            longitude=-118.2776,
            neighborhood="westlake",
            verified_at="2019-01-01",
            programs=[],
        ),
        FacilityRecord(slug="draft-place", status="draft", programs=[ProgramRecord()]),
    )


URLS = [
    "/api/v1/facilities/",
    "/api/v1/facilities/?page_size=2",
    "/api/v1/facilities/?page_size=1&page=2",
    "/api/v1/facilities/?neighborhood=echo-park",
    "/api/v1/facilities/?near=34.0779,-118.2606&radius_mi=5",
    "/api/v1/facilities/?level=iop,php&ordering=level",
    "/api/v1/facilities/?telehealth=true&age=15",
    "/api/v1/facilities/?ordering=-verified_at",
    "/api/v1/facilities/echo-park-wellness/",
    "/api/v1/facilities/unplaced-clinic/",
    "/api/v1/programs/",
    "/api/v1/programs/?near=34.0779,-118.2606",
    "/api/v1/programs/?language=ko&ordering=-name",
    "/api/v1/care-levels/",
    "/api/v1/care-levels/iop/",
    "/api/v1/service-areas/",
    "/api/v1/neighborhoods/?service_area=4&q=echo",
    # Errors go through the same form and pagination.
    "/api/v1/facilities/?lvl=iop",
    "/api/v1/facilities/?near=1,2&near=3,4&age=-1&radius_mi=0",
    "/api/v1/facilities/?ordering=distance&page=0",
    "/api/v1/programs/?min_hours_per_week=9&max_hours_per_week=3",
    "/api/v1/neighborhoods/?servce_area=4",
]


@pytest.mark.parametrize("url", URLS)
def test_answers_are_byte_identical_to_drf_and_django_filter(api, directory_data, url, settings):
    settings.API_CACHE_SECONDS = 0
    answer = api.get(url)
    with drf_serialization(), django_filter_filtersets():
        reference = api.get(url)
    assert answer.status_code == reference.status_code
    assert answer.content == reference.content
    if url == "/api/v1/facilities/":
        facilities = {facility["slug"]: facility for facility in answer.json()["results"]}
        assert set(facilities) == {"echo-park-wellness", "unplaced-clinic", "westlake-house"}
        assert facilities["unplaced-clinic"]["neighborhood"] is None
        assert [c["starts_on"] for c in facilities["echo-park-wellness"]["closures"]] == [
            "2026-11-26",
            "2026-12-24",
            "2026-12-31",
        ]


def test_the_export_is_identical_to_drf(directory_data):
    exported = facility_export()
    with drf_serialization():
        reference = facility_export()
    assert json.dumps(exported) == json.dumps(reference)
    assert [record["slug"] for record in exported] == [
        "draft-place",
        "echo-park-wellness",
        "unplaced-clinic",
        "westlake-house",
    ]


def test_every_api_serializer_has_a_plan():
    for serializer_class in (
        serializers.FacilitySerializer,
        serializers.FacilitySearchResultSerializer,
        serializers.FacilityRecordSerializer,
        serializers.ProgramSearchResultSerializer,
        serializers.CareLevelSerializer,
        serializers.ServiceAreaSerializer,
        serializers.NeighborhoodSerializer,
    ):
        assert serializers._plan_for(serializer_class) is not None, serializer_class


class Unplannable(serializers.PlannedSerializer):
    name = drf.CharField()
    extra = drf.DictField()


class WithMethod(serializers.PlannedSerializer):
    name = drf.CharField()
    greeting = drf.SerializerMethodField()

    def get_greeting(self, obj) -> str:
        return f"{self.context.get('salutation', 'hello')} {obj.name}"


class NestingMethods(serializers.PlannedSerializer):
    inner = WithMethod()


def test_fields_outside_the_plan_take_drfs_path():
    assert serializers._plan_for(Unplannable) is None
    instance = SimpleNamespace(name="a", extra={"k": 1})
    assert Unplannable(instance).data == {"name": "a", "extra": {"k": 1}}


def test_a_method_field_uses_the_live_serializer_and_its_context():
    assert serializers._plan_for(WithMethod).reads_context
    data = WithMethod(SimpleNamespace(name="Ana"), context={"salutation": "hola"}).data
    assert data == {"name": "Ana", "greeting": "hola Ana"}
    # Nested, a method field would run on a prototype without the context: DRF's path.
    assert serializers._plan_for(NestingMethods) is None
    nested = NestingMethods(SimpleNamespace(inner=SimpleNamespace(name="Bo")), context={})
    assert nested.data == {"inner": {"name": "Bo", "greeting": "hello Bo"}}


class Shouting(serializers.PlannedSerializer):
    name = drf.CharField()

    def to_representation(self, instance):
        data = super().to_representation(instance)
        return {**data, "name": data["name"].upper() + self.context.get("suffix", "")}


class NestingOwnCode(serializers.PlannedSerializer):
    inner = Shouting()


def test_a_nested_serializer_with_its_own_code_keeps_drfs_path():
    assert serializers._plan_for(Shouting) is not None
    assert serializers._plan_for(NestingOwnCode) is None
    instance = SimpleNamespace(inner=SimpleNamespace(name="ana"))
    assert NestingOwnCode(instance, context={"suffix": "!"}).data == {"inner": {"name": "ANA!"}}


class Edges(serializers.PlannedSerializer):
    text = drf.CharField()
    number = drf.IntegerField(required=False)
    fallback = drf.CharField(default="x")
    nullable = drf.FloatField(allow_null=True)
    flag = drf.BooleanField()
    computed = drf.IntegerField()
    dotted = drf.CharField(source="inner.name", required=False)


@pytest.mark.parametrize(
    "instance",
    [
        SimpleNamespace(
            text=5,
            number="7",
            fallback="y",
            nullable=None,
            flag="true",
            computed=lambda: 3,
            inner=SimpleNamespace(name="n"),
        ),
        SimpleNamespace(text="t", nullable=1, flag=0, computed=4, inner=None),
        {"text": "d", "nullable": 2.5, "flag": True, "computed": 1, "inner": {"name": "m"}},
    ],
    ids=["object", "missing attributes", "mapping"],
)
def test_edge_cases_match_drf(instance):
    """Missing attributes (default, skipped), None, callables, dotted sources, mappings."""
    assert serializers._plan_for(Edges) is not None
    planned = Edges(instance).data
    with drf_serialization():
        reference = Edges(instance).data
    assert list(planned.items()) == list(reference.items())


def test_filtersets_share_their_filters_and_form_class():
    first = filters.FacilityFilterSet(QueryDict("level=iop"))
    second = filters.FacilityFilterSet(QueryDict("lvl=iop"))
    assert first.filters is filters.FacilityFilterSet.base_filters
    assert first.get_form_class() is second.get_form_class()
    assert first.form is not second.form
    # Each FilterSet class has its own form class, with its own filters' fields.
    program_form = filters.ProgramFilterSet(QueryDict()).get_form_class()
    neighborhood_form = filters.NeighborhoodFilterSet(QueryDict()).get_form_class()
    assert program_form is not first.get_form_class()
    assert set(neighborhood_form.base_fields) == {"service_area", "q"}
    # Errors belong to one form: a shared field holds no state between requests.
    assert first.is_valid()
    assert not second.is_valid()
    assert second.errors == {"lvl": ["unknown query parameter; did you mean 'level'?"]}
    assert filters.FacilityFilterSet(QueryDict("level=iop")).is_valid()


def test_repeated_and_unknown_parameters_are_still_refused(api, directory_data):
    for _ in range(2):  # the second time with the form class and fields already built
        response = api.get("/api/v1/facilities/?age=3&age=4&lvl=iop&q=a%00b")
        assert response.status_code == 400
        assert response.json() == {
            "age": ["give this parameter once, not 2 times"],
            "lvl": ["unknown query parameter; did you mean 'level'?"],
            "q": ["must not contain a NUL character"],
        }
