"""Writes that touch several rows: importing and exporting the interchange file (DESIGN §6),
and keeping the schedule-derived columns true.

Import is all or nothing: every record is validated first, every problem is
reported with its record index, slug and field, and nothing is written unless
the whole file is valid. The same service serves the command, the admin's bulk
import and the write API.
"""

import json
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.db import transaction
from django.utils import timezone
from rest_framework.exceptions import ErrorDetail

from directory import schedule
from directory.models import (
    CareLevel,
    Closure,
    Facility,
    Hours,
    Neighborhood,
    OpenSpan,
    Organization,
    Program,
    Session,
)
from directory.serializers import FacilityRecordSerializer

NOT_A_LIST = "the file must hold a JSON array of facilities, got {kind}"
INVALID_JSON = "not valid JSON: {error}"
DUPLICATE_SLUG = "slug '{slug}' appears again (first in record {first})"
ORGANIZATION_CONFLICT = (
    "organization '{slug}' is named '{name}' here but '{other}' in record {first}"
)
BATCH_SIZE = 1000


@dataclass(frozen=True)
class ImportProblem:
    """One thing wrong with an interchange file, located as precisely as possible."""

    index: int | None
    slug: str | None
    field: str
    message: str

    def __str__(self):
        if self.index is None:
            return self.message
        where = f"record {self.index}" + (f" ({self.slug})" if self.slug else "")
        return (
            f"{where}: {self.field}: {self.message}" if self.field else f"{where}: {self.message}"
        )


@dataclass
class ImportResult:
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    problems: list[ImportProblem] = field(default_factory=list)
    dry_run: bool = False

    @property
    def ok(self):
        return not self.problems


class InterchangeError(ValueError):
    """The file could not be read as an interchange file at all."""


def read_interchange(text):
    """Return the records of an interchange file's text; InterchangeError if it is not one."""
    try:
        records = json.loads(text)
    except json.JSONDecodeError as error:
        raise InterchangeError(INVALID_JSON.format(error=error)) from None
    except UnicodeDecodeError as error:
        raise InterchangeError(INVALID_JSON.format(error=error)) from None
    if not isinstance(records, list):
        raise InterchangeError(NOT_A_LIST.format(kind=type(records).__name__))
    return records


def dump_interchange(records):
    """Return records as interchange file text (stable: sorted keys are the serializer's)."""
    return json.dumps(records, indent=2, ensure_ascii=False) + "\n"


def flatten_errors(detail, path=""):
    """Yield (field path, message) pairs from DRF's nested error detail.

    Paths read like ``programs[0].sessions[1].day``; errors about a whole object
    carry the object's own path.
    """
    if isinstance(detail, dict):
        for key, value in detail.items():
            if key == "non_field_errors":
                child = path
            elif isinstance(key, int):
                child = f"{path}[{key}]"
            else:
                child = f"{path}.{key}" if path else str(key)
            yield from flatten_errors(value, child)
    elif isinstance(detail, list):
        if all(isinstance(item, str | ErrorDetail) for item in detail):
            for message in detail:
                yield path, str(message)
        else:
            for index, item in enumerate(detail):
                if item:
                    yield from flatten_errors(item, f"{path}[{index}]")
    else:
        yield path, str(detail)


def validate_records(records):
    """Return (validated records, problems) for a list of interchange records."""
    context = {
        "care_levels": dict(CareLevel.objects.values_list("slug", "id")),
        "neighborhoods": dict(Neighborhood.objects.values_list("slug", "id")),
    }
    validated, problems = [], []
    first_index_of_slug, organization_names = {}, {}
    for index, record in enumerate(records):
        slug = record.get("slug") if isinstance(record, dict) else None
        slug = slug if isinstance(slug, str) else None
        serializer = FacilityRecordSerializer(data=record, context=context)
        if not serializer.is_valid():
            problems.extend(
                ImportProblem(index, slug, path, message)
                for path, message in flatten_errors(serializer.errors)
            )
            continue
        data = serializer.validated_data
        if data["slug"] in first_index_of_slug:
            first = first_index_of_slug[data["slug"]]
            problems.append(
                ImportProblem(index, slug, "slug", DUPLICATE_SLUG.format(slug=slug, first=first))
            )
            continue
        first_index_of_slug[data["slug"]] = index
        organization = data.get("organization")
        if organization:
            first, name = organization_names.setdefault(
                organization["slug"], (index, organization["name"])
            )
            if name != organization["name"]:
                message = ORGANIZATION_CONFLICT.format(
                    slug=organization["slug"], name=organization["name"], other=name, first=first
                )
                problems.append(ImportProblem(index, slug, "organization.name", message))
                continue
        validated.append(data)
    return validated, problems


def facility_import(*, records, dry_run=False):
    """Upsert facilities by slug from interchange records; all or nothing.

    A facility's programs, sessions, hours and closures are replaced by the
    record's. With problems, or with ``dry_run``, nothing is written; the result
    still says which slugs would be created and which updated.
    """
    validated, problems = validate_records(records)
    slugs = [data["slug"] for data in validated]
    existing = set(_existing_slugs(slugs))
    result = ImportResult(
        created=[slug for slug in slugs if slug not in existing],
        updated=[slug for slug in slugs if slug in existing],
        problems=problems,
        dry_run=dry_run,
    )
    if problems or dry_run:
        return result
    with transaction.atomic():
        _write(validated)
    return result


def _existing_slugs(slugs):
    for start in range(0, len(slugs), BATCH_SIZE):
        batch = slugs[start : start + BATCH_SIZE]
        yield from Facility.objects.filter(slug__in=batch).values_list("slug", flat=True)


FACILITY_FIELDS = [
    "name",
    "description",
    "organization",
    "street",
    "city",
    "state",
    "postal_code",
    "latitude",
    "longitude",
    "neighborhood_id",
    "phone",
    "website",
    "languages",
    "payment",
    "open_24_7",
    "status",
    "verified_at",
    "source",
]


def _write(validated):
    organizations = _upsert_organizations(validated)
    neighborhood_ids = dict(Neighborhood.objects.values_list("slug", "id"))
    care_level_ids = dict(CareLevel.objects.values_list("slug", "id"))
    now = timezone.now()
    for start in range(0, len(validated), BATCH_SIZE):
        batch = validated[start : start + BATCH_SIZE]
        existing = {
            facility.slug: facility
            for facility in Facility.objects.filter(slug__in=[d["slug"] for d in batch]).only(
                "id", "slug", "version"
            )
        }
        to_create, to_update = [], []
        for data in batch:
            facility = existing.get(data["slug"]) or Facility(slug=data["slug"])
            for name in FACILITY_FIELDS:
                if name == "organization":
                    org = data.get("organization")
                    facility.organization = organizations[org["slug"]] if org else None
                elif name == "neighborhood_id":
                    slug = data.get("neighborhood")
                    facility.neighborhood_id = neighborhood_ids[slug] if slug else None
                else:
                    setattr(facility, name, data[name])
            if facility.pk:
                facility.version += 1
                facility.updated_at = now
                to_update.append(facility)
            else:
                to_create.append(facility)
        Facility.objects.bulk_create(to_create)
        Facility.objects.bulk_update(to_update, [*FACILITY_FIELDS, "version", "updated_at"])
        replaced = [facility.pk for facility in to_update]
        for model in (Program, Hours, Closure, OpenSpan):
            model.objects.filter(facility_id__in=replaced).delete()
        facilities = {facility.slug: facility for facility in [*to_create, *to_update]}
        _create_children(batch, facilities, care_level_ids)


def _create_children(batch, facilities, care_level_ids):
    programs, sessions_of_program, hours, closures, spans = [], [], [], [], []
    for data in batch:
        facility = facilities[data["slug"]]
        opening = [
            schedule.Interval.weekly(h["day"], h["opens_at"], h["closes_at"]) for h in data["hours"]
        ]
        hours.extend(Hours(facility=facility, **h) for h in data["hours"])
        closures.extend(Closure(facility=facility, **c) for c in data["closures"])
        spans.extend(
            OpenSpan(facility=facility, start_minute=start, end_minute=end)
            for start, end in schedule.span_rows(opening)
        )
        for program_data in data["programs"]:
            program_data = dict(program_data)
            sessions = program_data.pop("sessions")
            level = program_data.pop("care_level")
            program = Program(
                facility=facility, care_level_id=care_level_ids[level], **program_data
            )
            program.days_per_week, program.minutes_per_week = _totals(
                schedule.Interval.weekly(s["day"], s["starts_at"], s["ends_at"]) for s in sessions
            )
            programs.append(program)
            sessions_of_program.append(sessions)
    Program.objects.bulk_create(programs, batch_size=BATCH_SIZE)
    Session.objects.bulk_create(
        (
            Session(program=program, **session)
            for program, sessions in zip(programs, sessions_of_program, strict=True)
            for session in sessions
        ),
        batch_size=BATCH_SIZE,
    )
    Hours.objects.bulk_create(hours, batch_size=BATCH_SIZE)
    Closure.objects.bulk_create(closures, batch_size=BATCH_SIZE)
    OpenSpan.objects.bulk_create(spans, batch_size=BATCH_SIZE)


def _upsert_organizations(validated):
    wanted = {}
    for data in validated:
        if data.get("organization"):
            wanted[data["organization"]["slug"]] = data["organization"]["name"]
    found = {org.slug: org for org in Organization.objects.filter(slug__in=list(wanted))}
    changed = []
    for slug, name in wanted.items():
        if slug in found and found[slug].name != name:
            found[slug].name = name
            changed.append(found[slug])
    Organization.objects.bulk_update(changed, ["name"])
    created = Organization.objects.bulk_create(
        Organization(slug=slug, name=name) for slug, name in wanted.items() if slug not in found
    )
    return {**found, **{org.slug: org for org in created}}


def _totals(sessions: Iterable[schedule.Interval]):
    """Return (days_per_week, minutes_per_week) of a program's sessions."""
    sessions = list(sessions)
    return schedule.days_per_week(sessions), sum(session.minutes for session in sessions)


def refresh_schedule(facility):
    """Recompute what is derived from a facility's hours and its programs' sessions.

    Called after hours or sessions change outside the import (the admin); the
    import computes the same values from the file through the same functions.
    """
    opening = [
        schedule.Interval.weekly(h.day, h.opens_at, h.closes_at) for h in facility.hours.all()
    ]
    with transaction.atomic():
        OpenSpan.objects.filter(facility=facility).delete()
        OpenSpan.objects.bulk_create(
            OpenSpan(facility=facility, start_minute=start, end_minute=end)
            for start, end in schedule.span_rows(opening)
        )
        for program in facility.programs.prefetch_related("sessions"):
            days, minutes = _totals(
                schedule.Interval.weekly(s.day, s.starts_at, s.ends_at)
                for s in program.sessions.all()
            )
            if (days, minutes) != (program.days_per_week, program.minutes_per_week):
                Program.objects.filter(pk=program.pk).update(
                    days_per_week=days, minutes_per_week=minutes
                )


def facility_export(queryset=None):
    """Return every facility (or those of queryset) as interchange records, sorted by slug."""
    queryset = Facility.objects.all() if queryset is None else queryset
    facilities = queryset.for_representation().order_by("slug")
    return json.loads(json.dumps(FacilityRecordSerializer(facilities, many=True).data))
