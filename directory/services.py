"""Writes that touch several rows: importing and exporting the interchange file (DESIGN §6),
and keeping the schedule-derived columns true.

Import is all or nothing: every problem is reported with its record index, slug and
field, and nothing is written unless the whole file is valid. The same service serves
the command, the admin's bulk import and the write API. It takes records from any
iterable (the command streams them from the file with ``iter_interchange``) and works
in chunks of ``BATCH_SIZE`` inside one transaction: each chunk is validated, then
written while no problem has been found; after a problem the rest is only validated,
and the transaction is rolled back at the end. So memory holds one chunk, plus a slug
or two per record for the checks across records.

Imports keep the history of listings (django-simple-history) in bulk: created and
updated rows through ``bulk_create_with_history`` / ``bulk_update_with_history``, and
the children a record replaces through ``_delete_children``, which writes their
deletion rows in one INSERT per model before one DELETE (simple-history itself only
records deletions one row at a time, from the post_delete signal). The history user
is the request's when the admin runs the import (HistoryRequestMiddleware), else none.
"""

import codecs
import json
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from itertools import islice

# ijson parses a file incrementally, one record at a time, so an import's memory does not
# grow with the file; its C backend (yajl2_c, in the wheels) is about as fast as json.
import ijson
from django.conf import settings
from django.db import transaction
from django.db.models import Prefetch, Value
from django.db.models.functions import Concat
from django.utils import timezone
from rest_framework.exceptions import ErrorDetail
from simple_history.utils import bulk_create_with_history, bulk_update_with_history

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
    facility_copies,
    levels_offered,
    refresh_levels,
)
from directory.serializers import UNKNOWN_FIELD, FacilityRecordSerializer

NOT_A_LIST = "the file must hold a JSON array of facilities, got {kind}"
INVALID_JSON = "not valid JSON: {error}"
NOT_UTF8 = "not UTF-8 text: {error}"
# Where a streamed file stops being JSON: yajl's reason, then the text around the spot.
JSON_ERROR_AT = "{reason} (after {count} complete record(s), at '{context}')"
JSON_ERROR_AT_END = "{reason} (after {count} complete record(s))"
BYTE_ORDER_MARK = "the file begins with a byte order mark (BOM); save it as UTF-8 without one"
DUPLICATE_SLUG = "slug '{slug}' appears again (first in record {first})"
ORGANIZATION_CONFLICT = (
    "organization '{slug}' is named '{name}' here but '{other}' in record {first}"
)
BATCH_SIZE = 1000
# The change reason of the history rows an import writes.
IMPORT_CHANGE_REASON = "interchange import"


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


JSON_WHITESPACE = b" \t\n\r"
PEEK_BYTES = 64 * 1024
# The Python type json.loads gives a top-level value, by ijson's first event.
KIND_OF_EVENT = {"start_map": "dict", "string": "str", "boolean": "bool", "null": "NoneType"}


def iter_interchange(stream) -> Iterator[dict]:
    """Yield the records of an interchange file read from a binary stream, one at a time.

    The file is never read whole. Raises InterchangeError, possibly after yielding some
    records, where the file is not an array, not JSON or not UTF-8. Numbers come out as
    json.loads gives them: int, or float for the others. Unlike json.loads, ``NaN`` and
    ``Infinity`` are invalid JSON (as the standard says), and so are integers beyond 64 bits.
    """
    head = b""
    while not head:
        chunk = stream.read(PEEK_BYTES)
        head = chunk.lstrip(JSON_WHITESPACE)
        if not chunk:
            break
    if head.startswith(codecs.BOM_UTF8):
        raise InterchangeError(INVALID_JSON.format(error=BYTE_ORDER_MARK))
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        raise InterchangeError(NOT_UTF8.format(error="it begins with a UTF-16 byte order mark"))
    replayed = _Replayed(head, stream)
    count = 0
    try:
        if not head.startswith(b"["):
            event, value = next(ijson.parse(replayed, use_float=True))[1:]
            kind = KIND_OF_EVENT.get(event) or type(value).__name__
            raise InterchangeError(NOT_A_LIST.format(kind=kind))
        for record in ijson.items(replayed, "item", use_float=True):
            yield record
            count += 1
    except ijson.JSONError as error:
        raise _json_error(error, count) from None


class _Replayed:
    """A binary reader that returns ``head`` (already read from ``stream``), then the rest."""

    def __init__(self, head, stream):
        self.head, self.stream = head, stream

    def read(self, size=-1):
        if not self.head:
            return self.stream.read(size)
        if size is None or size < 0:
            data, self.head = self.head + self.stream.read(), b""
        else:
            data, self.head = self.head[:size], self.head[size:]
        return data


def _json_error(error, count):
    """Return the InterchangeError for ijson's error, located by the records read before it."""
    text = error.args[0] if error.args else ""
    if isinstance(text, bytes):
        text = text.decode("utf-8", errors="replace")
    # yajl's message: the reason, the text around the spot, a line pointing at it.
    lines = [line.strip() for line in str(text).splitlines()]
    reason = lines[0] if lines and lines[0] else type(error).__name__
    if len(lines) >= 3 and lines[2].startswith("(right here)") and lines[1]:
        reason = JSON_ERROR_AT.format(reason=reason, count=count, context=lines[1])
    elif count:
        reason = JSON_ERROR_AT_END.format(reason=reason, count=count)
    if "invalid bytes in UTF8" in reason:
        return InterchangeError(NOT_UTF8.format(error=reason))
    return InterchangeError(INVALID_JSON.format(error=reason))


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


_MISSING = object()
PATH_PART = re.compile(r"([^.\[\]]+)|\[(\d+)\]")


def value_at(record, path):
    """Return the value at a field path such as ``programs[0].sessions[1].day``, or _MISSING."""
    value = record
    for key, position in PATH_PART.findall(path):
        try:
            value = value[int(position)] if position else value[key]
        except (KeyError, IndexError, TypeError):
            return _MISSING
    return value


def with_offending_value(message, record, path):
    """Return message naming the value it is about, when the message does not already.

    The project's own messages name it ("unknown day 'funday'"); DRF's generic ones
    ("A valid number is required.") do not, and a curator needs it to find the line.
    """
    if message == UNKNOWN_FIELD or not path:
        return message  # about the key, or about the whole record (its type is named)
    value = value_at(record, path)
    if value is _MISSING or value is None or isinstance(value, dict | list):
        return message
    shown = json.dumps(value, ensure_ascii=False)
    if len(shown) > 60:
        shown = shown[:57] + "..."
    if shown in message or str(value) in message:
        return message
    return f"{message} (got {shown})"


class RecordChecker:
    """Validates interchange records one chunk at a time, with the checks across records.

    Reads the care levels and neighborhoods once. Across chunks it keeps only what those
    checks need: each slug's first record index and each organization's first name.
    """

    def __init__(self):
        self.context = {
            "care_levels": dict(CareLevel.objects.values_list("slug", "id")),
            "neighborhoods": dict(Neighborhood.objects.values_list("slug", "id")),
        }
        self.first_index_of_slug = {}
        self.organization_names = {}

    def check(self, records, *, start=0):
        """Return (validated records, problems) of records numbered from ``start``."""
        validated, problems = [], []
        for index, record in enumerate(records, start):
            data = self._check_one(index, record, problems)
            if data is not None:
                validated.append(data)
        return validated, problems

    def _check_one(self, index, record, problems):
        slug = record.get("slug") if isinstance(record, dict) else None
        slug = slug if isinstance(slug, str) else None
        serializer = FacilityRecordSerializer(data=record, context=self.context)
        if not serializer.is_valid():
            problems.extend(
                ImportProblem(index, slug, path, with_offending_value(message, record, path))
                for path, message in flatten_errors(serializer.errors)
            )
            return None
        data = serializer.validated_data
        if data["slug"] in self.first_index_of_slug:
            first = self.first_index_of_slug[data["slug"]]
            problems.append(
                ImportProblem(index, slug, "slug", DUPLICATE_SLUG.format(slug=slug, first=first))
            )
            return None
        self.first_index_of_slug[data["slug"]] = index
        organization = data.get("organization")
        if organization:
            first, name = self.organization_names.setdefault(
                organization["slug"], (index, organization["name"])
            )
            if name != organization["name"]:
                message = ORGANIZATION_CONFLICT.format(
                    slug=organization["slug"], name=organization["name"], other=name, first=first
                )
                problems.append(ImportProblem(index, slug, "organization.name", message))
                return None
        return data


def facility_import(*, records, dry_run=False):
    """Upsert facilities by slug from interchange records (any iterable); all or nothing.

    A facility's programs, sessions, hours and closures are replaced by the
    record's. With problems, or with ``dry_run``, nothing is written; the result
    still says which slugs would be created and which updated. Records are taken
    ``BATCH_SIZE`` at a time in one transaction: a chunk is written as soon as it is
    validated while no problem has been found, and the transaction is rolled back at
    the end if one has (or on any exception, e.g. InterchangeError from a stream).
    """
    result = ImportResult(dry_run=dry_run)
    with transaction.atomic():
        checker = RecordChecker()
        start = 0
        for chunk in _chunks(records):
            validated, problems = checker.check(chunk, start=start)
            start += len(chunk)
            result.problems.extend(problems)
            slugs = [data["slug"] for data in validated]
            existing = set(_existing_slugs(slugs))
            result.created.extend(slug for slug in slugs if slug not in existing)
            result.updated.extend(slug for slug in slugs if slug in existing)
            if not (result.problems or dry_run):
                _write(validated)
        if result.problems or dry_run:
            transaction.set_rollback(True)
    return result


def _chunks(records):
    """Yield lists of at most BATCH_SIZE records from an iterable, read as needed."""
    iterator = iter(records)
    while chunk := list(islice(iterator, BATCH_SIZE)):
        yield chunk


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
        # Locked, so that the version read here is still the stored one when it is
        # incremented: a curator's save in between waits, then sees the new version.
        existing = {
            facility.slug: facility
            for facility in Facility.objects.select_for_update().filter(
                slug__in=[d["slug"] for d in batch]
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
            # With the row's other fields, so that it is written once (an UPDATE after
            # the INSERT left a dead copy of every new row: a third of the table).
            facility.search_text = compose_search_text(
                facility.name,
                facility.description,
                facility.organization.name if facility.organization else "",
                [(p["name"], p.get("description", "")) for p in data["programs"]],
            )
            facility.levels = levels_offered(
                care_level_ids[p["care_level"]] for p in data["programs"]
            )
            if facility.pk:
                facility.version += 1
                facility.updated_at = now
                to_update.append(facility)
            else:
                to_create.append(facility)
        history = {"default_change_reason": IMPORT_CHANGE_REASON, "default_date": now}
        bulk_create_with_history(to_create, Facility, batch_size=BATCH_SIZE, **history)
        bulk_update_with_history(
            to_update,
            Facility,
            [*FACILITY_FIELDS, "search_text", "levels", "version", "updated_at"],
            batch_size=BATCH_SIZE,
            **history,
        )
        _delete_children([facility.pk for facility in to_update], history_date=now)
        facilities = {facility.slug: facility for facility in [*to_create, *to_update]}
        _create_children(batch, facilities, care_level_ids, history_date=now)


def _delete_children(facility_ids, *, history_date):
    """Delete the facilities' programs, sessions, hours, closures and open spans, leaving a
    deletion row in the history of each deleted row (open spans are derived: no history).

    Each model costs one SELECT, one bulk INSERT of history rows and one DELETE. The
    DELETE is the ORM's raw delete: the collector's delete would send post_delete for
    every row, and simple-history would record each deletion a second time, row by row.
    A raw delete does not cascade, so sessions go before their programs;
    tests/test_history.py checks that nothing else refers to these models.
    """
    doomed = [
        Session.objects.filter(program__facility_id__in=facility_ids),
        Program.objects.filter(facility_id__in=facility_ids),
        Hours.objects.filter(facility_id__in=facility_ids),
        Closure.objects.filter(facility_id__in=facility_ids),
    ]
    for queryset in doomed:
        queryset = queryset.order_by()
        _record_deletions(queryset.model, list(queryset), history_date=history_date)
        queryset._raw_delete(queryset.db)
    OpenSpan.objects.filter(facility_id__in=facility_ids).delete()


def _record_deletions(model, rows, *, history_date):
    """Write a deletion ("-") history row for each of rows, in bulk."""
    if not getattr(settings, "SIMPLE_HISTORY_ENABLED", True):
        return  # the setting that turns simple-history's own recording off
    historical = model.history.model
    user = historical.get_default_history_user(model())
    historical.objects.bulk_create(
        (
            historical(
                history_date=history_date,
                history_type="-",
                history_user=user,
                history_change_reason=IMPORT_CHANGE_REASON,
                **{
                    field.attname: getattr(row, field.attname)
                    for field in historical.tracked_fields
                },
            )
            for row in rows
        ),
        batch_size=BATCH_SIZE,
    )


def _create_children(batch, facilities, care_level_ids, *, history_date):
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
            totals = _totals(
                schedule.Interval.weekly(s["day"], s["starts_at"], s["ends_at"]) for s in sessions
            )
            programs.append(
                Program(
                    facility=facility,
                    **facility_copies(facility),
                    care_level_id=care_level_ids[level],
                    **program_data,
                    **totals,
                )
            )
            sessions_of_program.append(sessions)
    # An organization renamed by this import also names facilities the file leaves alone.
    organization_ids = {f.organization_id for f in facilities.values() if f.organization_id}
    if organization_ids:
        refresh_search_text(
            Facility.objects.filter(organization_id__in=organization_ids)
            .exclude(pk__in=[f.pk for f in facilities.values()])
            .exclude(search_text__startswith=Concat("organization__name", Value("\n")))
        )
    history = {"default_change_reason": IMPORT_CHANGE_REASON, "default_date": history_date}
    bulk_create_with_history(programs, Program, batch_size=BATCH_SIZE, **history)
    sessions = [
        Session(program=program, **session)
        for program, sessions in zip(programs, sessions_of_program, strict=True)
        for session in sessions
    ]
    bulk_create_with_history(sessions, Session, batch_size=BATCH_SIZE, **history)
    bulk_create_with_history(hours, Hours, batch_size=BATCH_SIZE, **history)
    bulk_create_with_history(closures, Closure, batch_size=BATCH_SIZE, **history)
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
    """Return what a Program keeps from its sessions, by field name."""
    sessions = list(sessions)
    first_start, last_end = schedule.clock_span(sessions)
    return {
        "days_per_week": schedule.days_per_week(sessions),
        "minutes_per_week": sum(session.minutes for session in sessions),
        "session_days": schedule.day_mask(session.day for session in sessions),
        "first_start_minute": first_start,
        "last_end_minute": last_end,
    }


def compose_search_text(name, description, organization_name, programs):
    """Return a facility's ``search_text``: what keyword search (``q``) looks in.

    One line each: the organization's name (first, so a rename is easy to spot), the
    facility's name and description, and each program's name and description. Search
    words never contain whitespace, so a word matches this text exactly when it
    matches one of the parts (substring on SQLite; on PostgreSQL the parts are also
    separate tokens).
    """
    parts = [organization_name or "", name or "", description or ""]
    for program_name, program_description in programs:
        parts.extend([program_name or "", program_description or ""])
    return "\n".join(parts)


def refresh_search_text(facilities):
    """Recompute ``search_text`` of the facilities of this queryset; write only changes."""
    rows = (
        facilities.order_by()
        .select_related("organization")
        .only("id", "name", "description", "search_text", "organization__name")
        .prefetch_related(
            Prefetch(
                "programs",
                queryset=Program.objects.order_by("id").only(
                    "id", "facility_id", "name", "description"
                ),
            )
        )
    )
    changed = []
    for facility in rows:
        text = compose_search_text(
            facility.name,
            facility.description,
            facility.organization.name if facility.organization else "",
            [(p.name, p.description) for p in facility.programs.all()],
        )
        if text != facility.search_text:
            facility.search_text = text
            changed.append(facility)
    Facility.objects.bulk_update(changed, ["search_text"], batch_size=BATCH_SIZE)


def refresh_schedule(facility):
    """Recompute what is derived from a facility's hours, its programs' sessions and its
    texts (``search_text``), and the levels it offers (``levels``).

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
            totals = _totals(
                schedule.Interval.weekly(s.day, s.starts_at, s.ends_at)
                for s in program.sessions.all()
            )
            if any(getattr(program, name) != value for name, value in totals.items()):
                Program.objects.filter(pk=program.pk).update(**totals)
        refresh_program_summaries([facility.pk])


def refresh_program_summaries(facility_ids):
    """Recompute what these facilities derive from their programs: ``search_text`` (with
    their names and descriptions) and ``levels``. After programs are written or deleted
    outside the import."""
    refresh_search_text(Facility.objects.filter(pk__in=facility_ids))
    refresh_levels(facility_ids)


def facility_export(queryset=None):
    """Return every facility (or those of queryset) as interchange records, sorted by slug."""
    queryset = Facility.objects.all() if queryset is None else queryset
    facilities = queryset.for_representation().order_by("slug")
    return json.loads(json.dumps(FacilityRecordSerializer(facilities, many=True).data))
