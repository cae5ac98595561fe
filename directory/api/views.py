from rest_framework import viewsets

from directory import filters
from directory.models import CareLevel, Facility, Neighborhood, Program, ServiceArea
from directory.serializers import (
    CareLevelSerializer,
    FacilitySearchResultSerializer,
    FacilitySerializer,
    NeighborhoodSerializer,
    ProgramSearchResultSerializer,
    ServiceAreaSerializer,
)


class FacilityViewSet(viewsets.ReadOnlyModelViewSet):
    """Published facilities; search with the filters of DESIGN §5."""

    lookup_field = "slug"
    filterset_class = filters.FacilityFilterSet

    def get_queryset(self):
        return Facility.objects.published()

    def get_serializer_class(self):
        return FacilitySearchResultSerializer if self.action == "list" else FacilitySerializer

    def filter_queryset(self, queryset):
        # Search parameters belong to the list; one facility is looked up by slug alone.
        if self.action != "list":
            return queryset.for_representation()
        return super().filter_queryset(queryset)


class ProgramViewSet(viewsets.ReadOnlyModelViewSet):
    """Programs of published facilities; each embeds a summary of its facility."""

    serializer_class = ProgramSearchResultSerializer
    filterset_class = filters.ProgramFilterSet

    def get_queryset(self):
        return Program.objects.visible()

    def filter_queryset(self, queryset):
        if self.action != "list":
            return queryset.for_search_results()
        return super().filter_queryset(queryset)


class CareLevelViewSet(viewsets.ReadOnlyModelViewSet):
    """The spectrum of care, ordered by rank."""

    queryset = CareLevel.objects.order_by("rank")
    serializer_class = CareLevelSerializer
    lookup_field = "slug"
    pagination_class = None
    filter_backends = []


class ServiceAreaViewSet(viewsets.ReadOnlyModelViewSet):
    """The eight LA County Department of Mental Health Service Areas."""

    queryset = ServiceArea.objects.order_by("number")
    serializer_class = ServiceAreaSerializer
    lookup_field = "number"
    pagination_class = None
    filter_backends = []


class NeighborhoodViewSet(viewsets.ReadOnlyModelViewSet):
    """LA County neighborhoods (Countywide Statistical Areas); filter by service area or name."""

    queryset = Neighborhood.objects.order_by("name", "slug")
    serializer_class = NeighborhoodSerializer
    lookup_field = "slug"
    filterset_class = filters.NeighborhoodFilterSet
