from contextlib import contextmanager

from django.utils.http import parse_etags
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_view,
)
from rest_framework import serializers, status, viewsets
from rest_framework.exceptions import NotFound
from rest_framework.response import Response
from rest_framework.reverse import reverse
from rest_framework.settings import api_settings

from directory import filters, writes
from directory.api import openapi  # noqa: F401  (registers the schema's field extensions)
from directory.api.cache import CachedListMixin
from directory.api.errors import Conflict, PreconditionFailed, PreconditionRequired
from directory.api.permissions import IsCuratorOrReadOnly, is_curator
from directory.models import CareLevel, Facility, Neighborhood, Program, ServiceArea
from directory.serializers import (
    CareLevelSerializer,
    FacilityRecordSerializer,
    FacilitySearchResultSerializer,
    FacilitySerializer,
    NeighborhoodSerializer,
    ProgramSearchResultSerializer,
    ServiceAreaSerializer,
)

FACILITY_NOT_FOUND = "No Facility matches the given query."
# What a slug can be (Django's SlugField). Other paths match no route and answer 404,
# never reaching the database (PostgreSQL refuses text with NUL characters: a 500).
SLUG_PATTERN = r"[-a-zA-Z0-9_]+"
# Reads are anonymous; a token (or a session) is optional and lets a curator see drafts.
OPTIONAL_AUTH = [{"tokenAuth": []}, {"cookieAuth": []}, {}]
ETAG = OpenApiParameter(
    "ETag",
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    response=[200, 201, 204, 304],
    required=True,
    description="The facility's current state, to send back in `If-Match` or `If-None-Match`.",
)
IF_MATCH = OpenApiParameter(
    "If-Match",
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    required=True,
    description="The `ETag` of the facility as you last read it (`*`: overwrite whatever it is).",
)
IF_NONE_MATCH = OpenApiParameter(
    "If-None-Match",
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    description="An `ETag` you hold: 304 Not Modified when the facility still has it.",
)
WRITE_ERRORS = {
    400: OpenApiResponse(description="The record breaks the interchange rules."),
    401: OpenApiResponse(description="No valid token: send `Authorization: Token …`."),
    403: OpenApiResponse(description="The token's user is neither staff nor a curator."),
}
CONDITIONAL_ERRORS = {
    404: OpenApiResponse(description="No facility has this slug."),
    412: OpenApiResponse(description="The facility changed since you read it: read it again."),
    428: OpenApiResponse(description="`If-Match` is missing."),
}


class FacilityReplacementSerializer(FacilityRecordSerializer):
    """What PUT takes (for the schema): an interchange record whose slug may be left out."""

    slug = serializers.SlugField(
        max_length=100, required=False, help_text="The facility's slug (the URL's) if given."
    )


def field_errors(problems):
    """Return the import's problems in DRF's shape: ``{"programs[0].name": ["…"]}``."""
    errors = {}
    for problem in problems:
        field = problem.field or api_settings.NON_FIELD_ERRORS_KEY
        errors.setdefault(field, []).append(problem.message)
    return errors


@contextmanager
def answering_write_errors():
    """Turn the write service's refusals into API errors (400, 404, 409, 412)."""
    try:
        yield
    except writes.RecordInvalid as invalid:
        raise serializers.ValidationError(field_errors(invalid.problems)) from None
    except writes.FacilityNotFound:
        raise NotFound(FACILITY_NOT_FOUND) from None
    except writes.SlugTaken as taken:
        raise Conflict({"slug": [str(taken)]}) from None
    except writes.FacilityChanged:
        raise PreconditionFailed() from None


@extend_schema_view(
    list=extend_schema(
        description="Search published facilities with the filters of DESIGN §5.",
        auth=OPTIONAL_AUTH,
    ),
    retrieve=extend_schema(
        description=(
            "One published facility (a curator also sees drafts and archived ones). "
            "`ETag` names its state; with `If-None-Match` naming it, the answer is 304."
        ),
        auth=OPTIONAL_AUTH,
        parameters=[IF_NONE_MATCH, ETAG],
        responses={
            200: FacilitySerializer,
            304: OpenApiResponse(description="Not modified: the `ETag` you sent is current."),
        },
    ),
    create=extend_schema(
        description=(
            "Create a facility from an interchange record (DESIGN §6), checked like an "
            "import. Curators only. A record without `status` is a draft."
        ),
        request=FacilityRecordSerializer,
        parameters=[ETAG],
        responses={
            201: FacilitySerializer,
            **WRITE_ERRORS,
            409: OpenApiResponse(description="A facility has this slug: use PUT or PATCH."),
        },
    ),
    update=extend_schema(
        description=(
            "Replace the facility by an interchange record (`slug` may be left out; other "
            "fields left out take their defaults). Curators only; needs `If-Match`."
        ),
        request=FacilityReplacementSerializer,
        parameters=[IF_MATCH, ETAG],
        responses={200: FacilitySerializer, **WRITE_ERRORS, **CONDITIONAL_ERRORS},
    ),
    partial_update=extend_schema(
        description=(
            "Replace the given top-level fields of the facility's interchange record, then "
            "check the whole record. Curators only; needs `If-Match`."
        ),
        request=FacilityRecordSerializer(partial=True),
        parameters=[IF_MATCH, ETAG],
        responses={200: FacilitySerializer, **WRITE_ERRORS, **CONDITIONAL_ERRORS},
    ),
    destroy=extend_schema(
        description=(
            "Archive the facility: it leaves the public API, keeps its data and history, "
            "and a curator can publish it again. Curators only; needs `If-Match`."
        ),
        parameters=[IF_MATCH, ETAG],
        responses={
            204: OpenApiResponse(description="Archived."),
            **WRITE_ERRORS,
            **CONDITIONAL_ERRORS,
        },
    ),
)
class FacilityViewSet(CachedListMixin, viewsets.ModelViewSet):
    """Facilities: anonymous search and reads of published ones; curators' writes.

    Writes take interchange records and go through ``directory.writes`` (the import's
    validation, a locked version check). A curator may read one facility in any status,
    to take the ETag of a draft before publishing it; lists show published ones only.
    """

    lookup_field = "slug"
    lookup_value_regex = SLUG_PATTERN
    filterset_class = filters.FacilityFilterSet
    permission_classes = [IsCuratorOrReadOnly]

    def get_queryset(self):
        if self.action == "retrieve" and is_curator(self.request.user):
            return Facility.objects.all()
        return Facility.objects.published()

    def get_serializer_class(self):
        return FacilitySearchResultSerializer if self.action == "list" else FacilitySerializer

    def filter_queryset(self, queryset):
        # Search parameters belong to the list; one facility is looked up by slug alone.
        if self.action != "list":
            return queryset.for_representation()
        return super().filter_queryset(queryset)

    def retrieve(self, request, *args, **kwargs):
        facility = self.get_object()
        etag = writes.facility_etag(facility)
        held = parse_etags(request.headers.get("If-None-Match", ""))
        # If-None-Match compares weakly: W/"x" matches "x".
        if "*" in held or etag in {tag.removeprefix("W/") for tag in held}:
            return Response(status=status.HTTP_304_NOT_MODIFIED, headers={"ETag": etag})
        return self._represented(facility)

    def create(self, request, *args, **kwargs):
        with answering_write_errors():
            facility = writes.facility_create(record=request.data)
        response = self._represented(facility, status_code=status.HTTP_201_CREATED)
        response["Location"] = reverse(
            "facility-detail", kwargs={"slug": facility.slug}, request=request
        )
        return response

    def update(self, request, *args, partial=False, **kwargs):
        if partial:
            facility = self._conditional_write(writes.facility_patch, changes=request.data)
        else:
            facility = self._conditional_write(writes.facility_replace, record=request.data)
        return self._represented(facility)

    def destroy(self, request, *args, **kwargs):
        facility = self._conditional_write(writes.facility_archive)
        return Response(
            status=status.HTTP_204_NO_CONTENT, headers={"ETag": writes.facility_etag(facility)}
        )

    def _conditional_write(self, write, **arguments):
        header = self.request.headers.get("If-Match")
        if header is None:
            raise PreconditionRequired()
        with answering_write_errors():
            return write(slug=self.kwargs["slug"], if_match=parse_etags(header), **arguments)

    def _represented(self, facility, status_code=status.HTTP_200_OK):
        data = self.get_serializer(facility).data
        return Response(data, status=status_code, headers={"ETag": writes.facility_etag(facility)})


class ProgramViewSet(CachedListMixin, viewsets.ReadOnlyModelViewSet):
    """Programs of published facilities; each embeds a summary of its facility."""

    serializer_class = ProgramSearchResultSerializer
    filterset_class = filters.ProgramFilterSet

    def get_queryset(self):
        return Program.objects.visible()

    def filter_queryset(self, queryset):
        if self.action != "list":
            return queryset.for_search_results()
        # The filterset keeps to visible programs itself (ProgramQuerySet.visible, with
        # the search's facility filters when it has some, or ProgramQuerySet.near), so it
        # starts from all of them.
        return super().filter_queryset(Program.objects.all())


class CareLevelViewSet(viewsets.ReadOnlyModelViewSet):
    """The spectrum of care, ordered by rank."""

    queryset = CareLevel.objects.order_by("rank")
    serializer_class = CareLevelSerializer
    lookup_field = "slug"
    lookup_value_regex = SLUG_PATTERN
    filter_backends = []


class ServiceAreaViewSet(viewsets.ReadOnlyModelViewSet):
    """The eight LA County Department of Mental Health Service Areas."""

    queryset = ServiceArea.objects.order_by("number")
    serializer_class = ServiceAreaSerializer
    lookup_field = "number"
    filter_backends = []


class NeighborhoodViewSet(viewsets.ReadOnlyModelViewSet):
    """LA County neighborhoods (Countywide Statistical Areas); filter by service area or name."""

    queryset = Neighborhood.objects.order_by("name", "slug")
    serializer_class = NeighborhoodSerializer
    lookup_field = "slug"
    lookup_value_regex = SLUG_PATTERN
    filterset_class = filters.NeighborhoodFilterSet
